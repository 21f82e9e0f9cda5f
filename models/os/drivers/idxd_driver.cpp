// idxd_driver: the host idxd driver of a DSA function (Linux drivers/dma/idxd: init.c idxd_probe /
// idxd_setup_interrupts, device.c idxd_drv_enable_wq / idxd_drv_disable_wq / idxd_wq_request_irq /
// idxd_wq_free_irq, irq.c idxd_misc_thread / idxd_int_handle_revoke / idxd_wq_thread).
//
// Interrupts: every MSI-X entry is allocated at probe (pci_alloc_irq_vectors(n, n, MSIX) with n the
// MSI-X table size, = 1 + WQs on a DSA), entry 0 gets the misc handler at once, entry i+1 gets WQ
// i's completion handler when the WQ is enabled. In IMS mode (config.use_ims) a WQ's completion
// interrupt is an IMS slot of the device's IMS domain (pci_create_ims_domain with a template that
// programs the DSA IMS table; pci_ims_alloc_irq per WQ) and descriptors carry the handle
// REQUEST_INT_HANDLE returns for that slot (or the slot index through the IMS portal when the
// device has no handle support). If the kernel refuses the IMS domain (no interrupt remapping),
// the driver falls back to MSI-X and logs it.
//
// Handle revocation: INTCAUSE.INT_HANDLE_REVOKED in the misc handler queues a task (Linux queues
// work) that requests new handles for every enabled WQ and submits a drain descriptor with RCI on
// each, whose interrupt lets the completion handler find the descriptors that completed with
// status 0x19 and resubmit them.
#include <cassert>

#include "models/os/drivers/drivers.h"
#include "models/os/drivers/dsa_core.h"

namespace irqf::os {

struct idxd_driver::impl {
  impl(kernel& k, bdf d, idxd::dsa_device& hw, const config& c)
      : core(k, d, hw, c.wq_size), cfg(c), dev(d) {}

  irqreturn misc_handler();
  void revoke_recover();
  kernel& k() { return core.k; }

  dsa::dsa_core core;
  config cfg;
  bdf dev;
  bool probed = false, ims = false;
  unsigned msix_allocated = 0;
  std::vector<unsigned> wq_virq;  // 0 = no irq requested
  std::vector<msi_map> wq_ims;
};

irqreturn idxd_driver::impl::misc_handler() {
  ++core.st.misc_interrupts;
  const uint32_t cause = core.mmio.ack_misc();
  if (!cause) return irqreturn::none;
  if (cause & idxd::intcause::INT_HANDLE_REVOKED)
    k().run_task("idxd-revoke-" + dev.str(), [this] { revoke_recover(); });
  return irqreturn::handled;
}

void idxd_driver::impl::revoke_recover() {
  if (!core.mmio.caps().int_handles()) return;
  for (unsigned wq = 0; wq < core.wqs.size(); ++wq) {
    dsa::wq_state& w = core.wqs[wq];
    if (!w.enabled || !w.handle_issued) continue;
    auto h = core.mmio.request_int_handle(w.irq_index, w.ims);
    if (!h) {
      k().log->error("idxd {}: no new interrupt handle for WQ {}", dev.str(), wq);
      continue;
    }
    w.handle = *h;
    // Drain descriptor with RCI and the new handle (Linux idxd_int_handle_revoke_drain): its
    // interrupt runs the completion handler over the descriptors that failed with 0x19.
    idxd::portal_kind pk;
    pk.ims = w.ims && !core.mmio.caps().int_handles();
    core.hw.submit(wq, idxd::make_drain(0, true, w.handle), pk);
  }
}

idxd_driver::idxd_driver(kernel& k, bdf dev, idxd::dsa_device& hw, const config& c)
    : p_(new impl(k, dev, hw, c)) {}

idxd_driver::~idxd_driver() { delete p_; }

void idxd_driver::probe() {
  impl& m = *p_;
  kernel& k = m.k();
  if (m.probed) return;
  if (!m.core.reset_and_read_caps()) return;
  const dsa::dsa_sw_caps& caps = m.core.mmio.caps();
  m.wq_virq.assign(caps.num_wqs, 0);
  m.wq_ims.assign(caps.num_wqs, msi_map{});
  const unsigned n = caps.msix_entries;
  const int got = k.pci_alloc_irq_vectors(dev(), n, n, kernel::PCI_IRQ_MSIX);
  if (got < int(n)) {
    k.log->error("idxd {}: pci_alloc_irq_vectors({}) returned {}", dev().str(), n, got);
    return;
  }
  m.msix_allocated = n;
  const int misc = k.pci_irq_vector(dev(), 0);
  if (misc < 0 || k.request_irq(unsigned(misc), [&m](unsigned, unsigned) { return m.misc_handler(); },
                                "idxd-misc") < 0) {
    k.log->error("idxd {}: misc interrupt unavailable", dev().str());
    return;
  }
  if (m.cfg.use_ims) {
    ims_template t;
    t.write_msg = [&m](unsigned i, const msi_msg& msg) { m.core.mmio.ims_write_msg(i, msg); };
    t.mask = [&m](unsigned i) { m.core.mmio.ims_mask(i, true); };
    t.unmask = [&m](unsigned i) { m.core.mmio.ims_mask(i, false); };
    t.hwsize = caps.ims_entries;
    m.ims = caps.ims_entries > 0 && k.pci_create_ims_domain(dev(), t);
    if (!m.ims) k.log->warn("idxd {}: no IMS domain, WQ interrupts use MSI-X", dev().str());
  }
  if (!m.core.enable_device()) return;
  m.probed = true;
}

bdf idxd_driver::dev() const { return p_->dev; }
bool idxd_driver::ims_active() const { return p_->ims; }
uint16_t idxd_driver::wq_handle(unsigned wq) const {
  return wq < p_->core.wqs.size() ? p_->core.wqs[wq].handle : 0;
}
unsigned idxd_driver::wq_virq(unsigned wq) const {
  return wq < p_->wq_virq.size() ? p_->wq_virq[wq] : 0;
}

void idxd_driver::enable_wq(unsigned wq) {
  impl& m = *p_;
  kernel& k = m.k();
  if (!m.probed || wq >= m.core.wqs.size()) return;
  if (!m.ims && wq + 1 >= m.msix_allocated) {
    k.log->error("idxd {}: WQ {} has no MSI-X entry", dev().str(), wq);
    return;
  }
  if (!m.core.enable_wq_hw(wq)) return;
  unsigned index = wq + 1;
  int virq;
  if (m.ims) {
    const msi_map map = k.pci_ims_alloc_irq(dev(), wq);
    if (map.index < 0) {
      k.log->error("idxd {}: pci_ims_alloc_irq for WQ {} failed ({})", dev().str(), wq, map.index);
      m.core.disable_wq_hw(wq);
      return;
    }
    m.wq_ims[wq] = map;
    index = unsigned(map.index);
    virq = int(map.virq);
  } else {
    virq = k.pci_irq_vector(dev(), index);
  }
  if (virq < 0 || k.request_irq(unsigned(virq),
                                [&m, wq](unsigned, unsigned) {
                                  m.core.reap(wq, m.cfg.handler_ns);
                                  return irqreturn::handled;
                                },
                                "idxd-wq" + std::to_string(wq)) < 0) {
    k.log->error("idxd {}: request_irq for WQ {} failed", dev().str(), wq);
    m.core.disable_wq_hw(wq);
    return;
  }
  m.wq_virq[wq] = unsigned(virq);
  if (!m.core.assign_interrupt(wq, index, m.ims)) {
    k.log->error("idxd {}: no interrupt handle for WQ {}", dev().str(), wq);
    return;
  }
  m.core.open(wq);
}

void idxd_driver::disable_wq(unsigned wq) {
  impl& m = *p_;
  kernel& k = m.k();
  if (wq >= m.core.wqs.size() || !m.core.wqs[wq].hw_enabled) return;
  m.core.disable_wq_hw(wq);  // the device drains the WQ before DISABLE_WQ completes
  if (m.wq_virq[wq]) k.free_irq(m.wq_virq[wq]);
  m.wq_virq[wq] = 0;
  m.core.flush(wq);  // Linux idxd_flush_pending_descs: whatever completed without its interrupt
  m.core.release_interrupt(wq);
  if (m.wq_ims[wq].index >= 0) {
    k.pci_ims_free_irq(dev(), m.wq_ims[wq]);
    m.wq_ims[wq] = msi_map{};
  }
}

bool idxd_driver::submit(unsigned wq, uint32_t bytes) { return p_->core.submit(wq, bytes); }

dsa_driver_stats idxd_driver::finish() { return p_->core.finish(); }

const dsa_driver_stats& idxd_driver::stats() const { return p_->core.st; }

}  // namespace irqf::os
