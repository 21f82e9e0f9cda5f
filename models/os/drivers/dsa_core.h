#pragma once
// The part of a DSA driver that idxd_driver (host) and vfio_dsa (guest idxd behind vfio-pci) share:
// device bring-up through MMIO, WQ enable/disable, descriptor submission with completion records in
// kernel memory, and the completion-handler body that reaps records (Linux drivers/dma/idxd:
// init.c idxd_probe, device.c idxd_device_enable / idxd_wq_enable / idxd_device_config, submit.c
// idxd_alloc_desc / idxd_submit_desc, irq.c idxd_wq_thread / irq_process_work_list).
//
// Bookkeeping (cheap by design): each WQ owns a pool of `wq_size` descriptor slots (Linux sizes its
// descriptor pool to the WQ size, wq->num_descs; idxd_alloc_desc fails with -EAGAIN when it is
// empty) and one contiguous array of 32-byte completion records in kernel memory (alloc_dma). A
// submission takes a free slot; the handler reads the record array of its WQ with one
// kernel::memcpy_from, reaps every outstanding slot whose status is non-zero, zeroes those records
// (kernel::memcpy_to, as Linux clears a record before reuse) and returns the slots.
//
// Damage accounting (drivers.h): a handler run that reaps n records counts 1 on time and n-1
// delayed; at finish() the completed-but-unreaped records are stranded. A record with status 0x19
// (invalid/revoked interrupt handle) is resubmitted with the WQ's current handle (Linux irq.c
// idxd_queue_int_handle_resubmit) and counted in `resubmitted`. Hence
//   completions = reaped_on_time + delayed + stranded + resubmitted.
#include <cstdint>
#include <optional>
#include <vector>

#include "models/idxd/descriptor.h"
#include "models/idxd/dsa_device.h"
#include "models/os/drivers/drivers.h"
#include "models/os/drivers/dsa_mmio.h"

namespace irqf::os::dsa {

/// Descriptor slots and completion records of one WQ.
class wq_ring {
 public:
  /// Allocates `slots` records (once) and zeroes them. Task context.
  void init(kernel& k, unsigned slots);
  bool ready() const { return base_ != 0; }
  /// A free slot, or nullopt when every slot is outstanding.
  std::optional<unsigned> take();
  /// Returns a slot whose submission failed.
  void put_back(unsigned slot);
  uint64_t record_addr(unsigned slot) const { return base_ + uint64_t(slot) * idxd::completion_record_size; }
  unsigned outstanding() const { return unsigned(out_.size()); }

  /// Reads the record array and calls fn(slot, status) for every outstanding slot whose record has
  /// a non-zero status. fn returns true to release the slot (record zeroed), false to keep it
  /// outstanding (it was resubmitted; its record is zeroed too). Returns the number of calls.
  template <class Fn>
  unsigned scan(kernel& k, Fn&& fn);
  /// Outstanding slots whose record is complete (no side effects on the records).
  unsigned count_completed(kernel& k);

 private:
  void read_all(kernel& k);
  uint64_t base_ = 0;
  unsigned slots_ = 0;
  std::vector<uint16_t> free_, out_;
  std::vector<uint8_t> img_;
};

/// Per-WQ driver state.
struct wq_state {
  bool hw_enabled = false;   ///< enabled on the device (ENABLE_WQ succeeded)
  bool enabled = false;      ///< accepting submissions (device WQ enabled and interrupt assigned)
  bool ims = false;          ///< completion interrupt through IMS (IMS portal when no handles)
  bool handle_issued = false;  ///< `handle` came from REQUEST_INT_HANDLE (release it)
  uint16_t handle = 0;       ///< descriptor int_handle
  unsigned irq_index = 0;    ///< MSI-X entry or IMS slot serving the WQ
  wq_ring ring;
};

/// Shared bring-up, submission and reaping.
class dsa_core {
 public:
  dsa_core(kernel& k, bdf dev, idxd::dsa_device& hw, unsigned wq_size);

  /// pci_enable_device + read capabilities + RESET_DEVICE. Task context.
  bool reset_and_read_caps();
  /// GRPCFG (group 0: every WQ and every engine), GENCTRL error interrupts, ENABLE_DEVICE.
  bool enable_device();
  /// WQCFG (dedicated, `wq_size`, priority 1) + ENABLE_WQ; prepares the WQ's records. The WQ
  /// accepts submissions only once open() is called (after its interrupt is assigned).
  bool enable_wq_hw(unsigned wq);
  void open(unsigned wq) { wqs[wq].enabled = wqs[wq].hw_enabled; }
  /// DISABLE_WQ (waits for the WQ to drain); the WQ stops accepting submissions first.
  bool disable_wq_hw(unsigned wq);
  /// Sets the WQ's completion interrupt: MSI-X entry / IMS slot `index`; with handle support the
  /// handle comes from REQUEST_INT_HANDLE, else it is `index` (IMS: through the IMS portal).
  bool assign_interrupt(unsigned wq, unsigned index, bool ims);
  /// RELEASE_INT_HANDLE of a WQ's handle when one was issued.
  void release_interrupt(unsigned wq);

  /// Hot path (any context): one memmove of `bytes` (noop when 0) with RCI on WQ `wq`.
  bool submit(unsigned wq, uint32_t bytes);
  /// Completion-handler body (irq context): reaps WQ `wq`, charges `per_record_ns` per record
  /// reaped; returns the number reaped.
  unsigned reap(unsigned wq, double per_record_ns);
  /// Reaps whatever completed without an interrupt (driver teardown): counted delayed.
  void flush(unsigned wq);
  /// End of run: stranded records. Idempotent.
  dsa_driver_stats finish();

  kernel& k;
  idxd::dsa_device& hw;
  dsa_mmio mmio;
  unsigned wq_size;
  std::vector<wq_state> wqs;
  dsa_driver_stats st;

 private:
  void ensure_buffers(uint32_t bytes);
  bool resubmit(unsigned wq, unsigned slot);
  uint64_t src_ = 0, dst_ = 0, buf_bytes_ = 0;
  bool finished_ = false;
};

// ---- template body ----------------------------------------------------------------------------

template <class Fn>
unsigned wq_ring::scan(kernel& k, Fn&& fn) {
  if (out_.empty()) return 0;
  read_all(k);
  static constexpr uint8_t zero[idxd::completion_record_size] = {};
  unsigned n = 0;
  size_t keep = 0;
  for (size_t i = 0; i < out_.size(); ++i) {
    const uint16_t s = out_[i];
    const uint8_t status = img_[size_t(s) * idxd::completion_record_size];
    if (status == idxd::st_none) {
      out_[keep++] = s;
      continue;
    }
    ++n;
    k.memcpy_to(record_addr(s), zero, idxd::completion_record_size);
    if (fn(unsigned(s), status))
      free_.push_back(s);
    else
      out_[keep++] = s;
  }
  out_.resize(keep);
  return n;
}

}  // namespace irqf::os::dsa
