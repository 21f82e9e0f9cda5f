#pragma once
// CONTRACT (written by the lead; implementers may add members but keep these names/meanings — the
// scenario engine calls them). The driver models of DESIGN §3 models/os/drivers/.
//
// idxd (drivers/dma/idxd): a host kernel driver for a DSA function: probe (enable device, read caps,
// configure groups/WQs, MSI-X vectors as Linux allocates them: entry 0 misc, entry i+1 for WQ i,
// requested when the WQ is enabled), descriptor submission with completion records in memory and
// RCI set, a completion handler that reaps completion records, the misc handler (INTCAUSE causes),
// handle-revocation recovery, and an IMS mode (descriptors carry IMS interrupt handles obtained with
// REQUEST_INT_HANDLE).
//
// vfio (drivers/vfio/pci/vfio_pci_intrs.c + QEMU's vfio-pci MSI-X emulation + a guest idxd driver):
// the device is passed through to a guest. The guest's driver enables MSI-X and unmasks vector k when
// it enables WQ k-1; the host grows its allocation:
//   legacy  — free every irq, pci_free_irq_vectors (mask all, Enable=0, INTx back on), then
//             pci_alloc_irq_vectors(k+1) and request_irq for all again (Linux < 6.5 + QEMU);
//   dynamic — pci_msix_alloc_irq_at(k) + request_irq, MSI-X stays enabled (Linux 6.5+, QEMU 8.2);
//   ims     — a mediated, IMS-backed device: each guest vector is one host IMS entry allocated on
//             demand with pci_ims_alloc_irq; descriptors carry the IMS handle.
// Interrupts are forwarded to the guest (host handler → eventfd → KVM injection after
// `inject_ns` → guest handler reaping completion records).
//
// Damage reported beside the ledger (DESIGN §2): a completion record reaped by an interrupt other
// than the first one after it landed counts as `delayed` (per handler run reaping n records: 1 on
// time, n-1 delayed); a completion never reaped by the end of the run is `stranded`.
#include <cstdint>
#include <string>
#include <vector>

#include "fabric/bdf.h"

namespace irqf::idxd { class dsa_device; }

namespace irqf::os {

class kernel;

/// Damage and activity counters of one DSA driver instance.
struct dsa_driver_stats {
  uint64_t submitted = 0, retried = 0, rejected = 0;
  uint64_t completions = 0;       ///< completion records written by the device and seen so far
  uint64_t reaped_on_time = 0, delayed = 0, stranded = 0;
  uint64_t interrupts = 0, misc_interrupts = 0, empty_interrupts = 0;
  /// Records with status 0x19 (invalid/revoked handle) resubmitted with the new handle (Linux
  /// irq.c idxd_queue_int_handle_resubmit). completions = reaped_on_time + delayed + stranded +
  /// resubmitted. `interrupts` counts completion-handler runs, `empty_interrupts` those that
  /// reaped nothing.
  uint64_t resubmitted = 0;
};

/// A resize window: from the first register write of a grow to the last (host side).
struct resize_window {
  double start_ns = 0, end_ns = 0;
  unsigned from_vectors = 0, to_vectors = 0;
  std::string device, strategy;
};

enum class vfio_resize { legacy, dynamic, ims };
/// "legacy", "dynamic", "ims" (resize_window::strategy, reports).
const char* to_string(vfio_resize s);

/// Host driver for a DSA (native, no guest).
class idxd_driver {
 public:
  struct config {
    bool use_ims = false;      ///< IMS mode (handles from REQUEST_INT_HANDLE with the IMS bit)
    unsigned wq_size = 32;     ///< descriptors per WQ (WQCFG.size)
    double handler_ns = 500;   ///< completion handler body per record reaped (software cost)
  };
  idxd_driver(kernel& k, bdf dev, idxd::dsa_device& hw, const config& c);
  ~idxd_driver();
  idxd_driver(const idxd_driver&) = delete;
  idxd_driver& operator=(const idxd_driver&) = delete;
  /// Task context: enable the device, configure groups/WQs, MSI-X vectors (entry 0 = misc).
  void probe();
  /// Task context: enable WQ `wq` and request its interrupt.
  void enable_wq(unsigned wq);
  void disable_wq(unsigned wq);
  /// Any context (the workload): one descriptor of `bytes` (memmove) with RCI on WQ `wq`.
  /// False when the WQ is not enabled or the submission was rejected (ENQCMD retry / full).
  bool submit(unsigned wq, uint32_t bytes);
  /// At the end of the run: counts stranded completions and returns the counters.
  dsa_driver_stats finish();
  const dsa_driver_stats& stats() const;

  // ---- introspection (tests, reports) ----
  bdf dev() const;
  /// True when WQ completions use IMS (config.use_ims and the kernel created the IMS domain).
  bool ims_active() const;
  /// The int_handle descriptors of WQ `wq` carry (MSI-X index / IMS slot, or a device handle).
  uint16_t wq_handle(unsigned wq) const;
  /// Linux irq number of WQ `wq`'s completion interrupt (0 when none is requested).
  unsigned wq_virq(unsigned wq) const;

 private:
  struct impl;
  impl* p_;
};

/// vfio-pci pass-through of a DSA to a guest whose idxd driver grows the MSI-X allocation.
class vfio_dsa {
 public:
  struct config {
    vfio_resize strategy = vfio_resize::dynamic;
    unsigned wq_size = 32;
    double inject_ns = 2000;       ///< eventfd → KVM posted injection → guest entry (host→guest)
    double guest_handler_ns = 500; ///< guest completion handler per record
    double vfio_ioctl_ns = 5000;   ///< VFIO_DEVICE_SET_IRQS ioctl overhead per call (software)
  };
  vfio_dsa(kernel& k, bdf dev, idxd::dsa_device& hw, const config& c);
  ~vfio_dsa();
  vfio_dsa(const vfio_dsa&) = delete;
  vfio_dsa& operator=(const vfio_dsa&) = delete;
  /// Task context: host binds vfio-pci; the guest probes its idxd driver, enables MSI-X with the
  /// misc vector, and enables WQs 0..initial_wqs-1 (one unmask, hence one grow, each).
  void guest_probe(unsigned initial_wqs);
  /// Task context: the guest enables WQ `wq` and unmasks its vector (the host grows).
  void guest_enable_wq(unsigned wq);
  /// Any context: the guest submits one descriptor of `bytes` on WQ `wq`.
  bool submit(unsigned wq, uint32_t bytes);
  dsa_driver_stats finish();
  const dsa_driver_stats& stats() const;
  const std::vector<resize_window>& resize_windows() const;

  // ---- introspection (tests, reports) ----
  /// The strategy in effect (dynamic falls back to legacy when !pci_msix_can_alloc_dyn, as vfio
  /// then keeps VFIO_IRQ_INFO_NORESIZE; ims falls back to legacy without an IMS domain).
  vfio_resize strategy() const;
  /// Host interrupt vectors currently allocated for the guest (MSI-X entries + IMS slots).
  unsigned host_vectors() const;
  uint16_t wq_handle(unsigned wq) const;

 private:
  struct impl;
  impl* p_;
};

}  // namespace irqf::os
