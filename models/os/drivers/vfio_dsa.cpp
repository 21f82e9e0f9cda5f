// vfio_dsa: a DSA passed through to a guest (Linux drivers/vfio/pci/vfio_pci_intrs.c
// vfio_msi_enable / vfio_msi_disable / vfio_msi_set_vector_signal, QEMU hw/vfio/pci.c
// vfio_msix_vector_do_use / vfio_msix_enable, and the guest's idxd driver; linux-stack.md §7).
//
// One class models three actors:
//  - the guest idxd driver: its MMIO to BAR0 (capabilities, GRPCFG, WQCFG, CMD, INTCAUSE) reaches
//    the device (pass-through); its MSI-X table is QEMU-emulated, so its writes there do not reach
//    the device — only the host kernel's programming does. The guest allocates every vector and
//    unmasks vector 0 (misc) at probe and vector k when it enables WQ k-1 (request_irq);
//  - QEMU: each unmask of a vector the host has not set up becomes a VFIO_DEVICE_SET_IRQS ioctl
//    (config.vfio_ioctl_ns of software per ioctl);
//  - the host: vfio-pci grows its allocation by strategy
//      legacy  — QEMU < 8.2 / Linux < 6.5 (NORESIZE): ioctl 1 (count 0) frees every irq and calls
//                pci_free_irq_vectors (entries masked, MSI-X Enable=0); ioctl 2 (count k+1) calls
//                pci_alloc_irq_vectors(k+1, k+1, MSIX) and request_irq for every vector in use;
//      dynamic — Linux 6.5+ / QEMU 8.2: one ioctl: pci_msix_alloc_irq_at(k) + request_irq, MSI-X
//                stays enabled (falls back to legacy when !pci_msix_can_alloc_dyn);
//      ims     — a mediated, IMS-backed device: one ioctl: pci_ims_alloc_irq + request_irq, the
//                WQ's descriptors carry the IMS slot's handle (REQUEST_INT_HANDLE with the IMS bit
//                by the host), or the slot index through the IMS portal without handle support.
//    A resize_window spans the first to the last host access of each grow, in software time
//    (kernel::sw_now_ps: simulation time plus the task's not yet synchronised local time).
//
// Interrupt forwarding (documented simplification): the host handler (vfio_msihandler → eventfd →
// KVM injection) and the guest handler are one call in the host's hard-irq context: it charges
// inject_ns, then the guest handler reaps the WQ's completion records (guest_handler_ns per record
// reaped). The records are therefore read at the host entry time plus the accesses before them,
// not inject_ns later; a record landing inside the injection latency is reaped by the next
// interrupt (counted delayed) instead of this one.
#include <algorithm>

#include "models/os/drivers/drivers.h"
#include "models/os/drivers/dsa_core.h"

namespace irqf::os {

const char* to_string(vfio_resize s) {
  switch (s) {
    case vfio_resize::legacy: return "legacy";
    case vfio_resize::dynamic: return "dynamic";
    case vfio_resize::ims: return "ims";
  }
  return "?";
}

struct vfio_dsa::impl {
  impl(kernel& k, bdf d, idxd::dsa_device& hw, const config& c)
      : core(k, d, hw, c.wq_size), cfg(c), dev(d), strategy(c.strategy) {}

  kernel& k() { return core.k; }
  irqreturn host_handler(unsigned v);
  bool request_vector(unsigned v);
  void ioctl() { k().spend(cfg.vfio_ioctl_ns); }
  void grow(unsigned v);
  unsigned host_vectors() const;

  dsa::dsa_core core;
  config cfg;
  bdf dev;
  vfio_resize strategy;
  bool probed = false;
  unsigned nvec = 0;              // host MSI-X vectors allocated
  std::vector<unsigned> virq;     // per guest vector: host irq (0 = none requested)
  std::vector<bool> used;         // per guest vector: unmasked by the guest (QEMU has an fd)
  std::vector<msi_map> ims_map;   // per guest vector (ims strategy, vectors >= 1)
  std::vector<resize_window> windows;
};

irqreturn vfio_dsa::impl::host_handler(unsigned v) {
  k().spend(cfg.inject_ns);
  if (v == 0) {  // guest misc handler: INTCAUSE through the pass-through BAR
    ++core.st.misc_interrupts;
    core.mmio.ack_misc();
    k().spend(cfg.guest_handler_ns);
  } else {
    core.reap(v - 1, cfg.guest_handler_ns);
  }
  return irqreturn::handled;  // vfio_msihandler always claims the interrupt
}

bool vfio_dsa::impl::request_vector(unsigned v) {
  int irq;
  if (strategy == vfio_resize::ims && v >= 1)
    irq = ims_map[v].index >= 0 ? int(ims_map[v].virq) : -1;
  else
    irq = k().pci_irq_vector(dev, v);
  if (irq < 0) return false;
  const std::string name = "vfio-msix[" + std::to_string(v) + "](" + dev.str() + ")";
  if (k().request_irq(unsigned(irq), [this, v](unsigned, unsigned) { return host_handler(v); },
                      name) < 0)
    return false;
  virq[v] = unsigned(irq);
  return true;
}

unsigned vfio_dsa::impl::host_vectors() const {
  unsigned n = nvec;
  for (auto& m : ims_map) n += m.index >= 0 ? 1 : 0;
  return n;
}

void vfio_dsa::impl::grow(unsigned v) {
  kernel& kk = k();
  if (v >= virq.size()) return;
  used[v] = true;
  resize_window w;
  w.device = dev.str();
  w.strategy = to_string(strategy);
  w.from_vectors = host_vectors();
  switch (strategy) {
    case vfio_resize::legacy:
      if (v < nvec) {  // already allocated: QEMU only hands the fd over (one ioctl, no resize)
        ioctl();
        if (!virq[v] && !request_vector(v))
          kk.log->error("vfio {}: request_irq of vector {} failed", dev.str(), v);
        return;
      }
      ioctl();  // vfio_disable_irqindex: SET_IRQS count 0
      w.start_ns = double(kk.sw_now_ps()) / 1000.0;
      for (unsigned i = 0; i < nvec; ++i)
        if (virq[i]) {
          kk.free_irq(virq[i]);
          virq[i] = 0;
        }
      kk.pci_free_irq_vectors(dev);
      nvec = 0;
      ioctl();  // vfio_enable_vectors: SET_IRQS count v+1
      if (kk.pci_alloc_irq_vectors(dev, v + 1, v + 1, kernel::PCI_IRQ_MSIX) < int(v + 1)) {
        kk.log->error("vfio {}: pci_alloc_irq_vectors({}) failed", dev.str(), v + 1);
      } else {
        nvec = v + 1;
        for (unsigned i = 0; i <= v; ++i)
          if (used[i] && !request_vector(i))
            kk.log->error("vfio {}: request_irq of vector {} failed", dev.str(), i);
      }
      break;
    case vfio_resize::dynamic: {
      ioctl();
      w.start_ns = double(kk.sw_now_ps()) / 1000.0;
      const msi_map m = kk.pci_msix_alloc_irq_at(dev, v);
      if (m.index < 0) {
        kk.log->error("vfio {}: pci_msix_alloc_irq_at({}) = {}", dev.str(), v, m.index);
        break;
      }
      nvec = std::max(nvec, v + 1);
      if (!request_vector(v)) kk.log->error("vfio {}: request_irq of vector {} failed", dev.str(), v);
      break;
    }
    case vfio_resize::ims: {
      ioctl();
      w.start_ns = double(kk.sw_now_ps()) / 1000.0;
      const msi_map m = kk.pci_ims_alloc_irq(dev, v);
      if (m.index < 0) {
        kk.log->error("vfio {}: pci_ims_alloc_irq for vector {} = {}", dev.str(), v, m.index);
        break;
      }
      ims_map[v] = m;
      if (!request_vector(v)) kk.log->error("vfio {}: request_irq of vector {} failed", dev.str(), v);
      break;
    }
  }
  w.end_ns = double(kk.sw_now_ps()) / 1000.0;
  w.to_vectors = host_vectors();
  windows.push_back(w);
}

vfio_dsa::vfio_dsa(kernel& k, bdf dev, idxd::dsa_device& hw, const config& c)
    : p_(new impl(k, dev, hw, c)) {}

vfio_dsa::~vfio_dsa() { delete p_; }

void vfio_dsa::guest_probe(unsigned initial_wqs) {
  impl& m = *p_;
  kernel& k = m.k();
  if (m.probed) return;
  // Host: vfio-pci enables the device when QEMU opens it; guest: idxd probe over pass-through MMIO.
  if (!m.core.reset_and_read_caps()) return;
  const dsa::dsa_sw_caps& caps = m.core.mmio.caps();
  const unsigned nv = caps.msix_entries;
  m.virq.assign(nv, 0);
  m.used.assign(nv, false);
  m.ims_map.assign(nv, msi_map{});
  if (m.strategy == vfio_resize::dynamic && !k.pci_msix_can_alloc_dyn(m.dev)) {
    k.log->warn("vfio {}: no dynamic MSI-X allocation, NORESIZE: legacy resize", m.dev.str());
    m.strategy = vfio_resize::legacy;
  }
  // Guest enables MSI-X and requests its misc irq: QEMU enables host MSI-X with vector 0.
  m.ioctl();
  if (k.pci_alloc_irq_vectors(m.dev, 1, 1, kernel::PCI_IRQ_MSIX) < 1) {
    k.log->error("vfio {}: MSI-X unavailable", m.dev.str());
    return;
  }
  m.nvec = 1;
  m.used[0] = true;
  if (!m.request_vector(0)) k.log->error("vfio {}: request_irq of vector 0 failed", m.dev.str());
  if (m.strategy == vfio_resize::ims) {
    ims_template t;
    t.write_msg = [&m](unsigned i, const msi_msg& msg) { m.core.mmio.ims_write_msg(i, msg); };
    t.mask = [&m](unsigned i) { m.core.mmio.ims_mask(i, true); };
    t.unmask = [&m](unsigned i) { m.core.mmio.ims_mask(i, false); };
    t.hwsize = caps.ims_entries;
    if (caps.ims_entries == 0 || !k.pci_create_ims_domain(m.dev, t)) {
      k.log->warn("vfio {}: no IMS domain: legacy resize", m.dev.str());
      m.strategy = vfio_resize::legacy;
    }
  }
  if (!m.core.enable_device()) return;
  m.probed = true;
  for (unsigned wq = 0; wq < initial_wqs; ++wq) guest_enable_wq(wq);
}

void vfio_dsa::guest_enable_wq(unsigned wq) {
  impl& m = *p_;
  kernel& k = m.k();
  if (!m.probed || wq + 1 >= m.virq.size()) return;
  // Guest: WQCFG + ENABLE_WQ through the pass-through BAR (they reach the device).
  if (!m.core.enable_wq_hw(wq)) return;
  // Guest request_irq unmasks vector wq+1 in the emulated table: the host grows.
  m.grow(wq + 1);
  bool ok;
  if (m.strategy == vfio_resize::ims)
    ok = m.ims_map[wq + 1].index >= 0 &&
         m.core.assign_interrupt(wq, unsigned(m.ims_map[wq + 1].index), true);
  else
    ok = m.core.assign_interrupt(wq, wq + 1, false);
  if (!ok) {
    k.log->error("vfio {}: no interrupt for WQ {}", m.dev.str(), wq);
    return;
  }
  m.core.open(wq);
}

bool vfio_dsa::submit(unsigned wq, uint32_t bytes) { return p_->core.submit(wq, bytes); }

dsa_driver_stats vfio_dsa::finish() { return p_->core.finish(); }

const dsa_driver_stats& vfio_dsa::stats() const { return p_->core.st; }

const std::vector<resize_window>& vfio_dsa::resize_windows() const { return p_->windows; }

vfio_resize vfio_dsa::strategy() const { return p_->strategy; }

unsigned vfio_dsa::host_vectors() const { return p_->host_vectors(); }

uint16_t vfio_dsa::wq_handle(unsigned wq) const {
  return wq < p_->core.wqs.size() ? p_->core.wqs[wq].handle : 0;
}

}  // namespace irqf::os
