#pragma once
// What a DSA driver does to its device through the kernel's accesses only (DESIGN §3): capability
// and table-offset discovery (Linux drivers/dma/idxd/init.c idxd_read_caps / idxd_read_table_offsets),
// the command interface (device.c idxd_cmd_exec / idxd_device_init_reset: write CMD, poll
// CMDSTS.active), group and WQ configuration (device.c idxd_groups_config_write /
// idxd_wq_config_write), interrupt-handle requests (device.c idxd_device_request_int_handle) and the
// IMS slot programming of an IMS domain template (16-byte slots {addr_lo, addr_hi, data, ctrl},
// tglx's 2022 RFC drivers/irqchip/irq-pci-intel-idxd.c; hardware.md §5).
//
// Every method issues kernel::readl/writel/readq/writeq on bar_address(dev, 0) or config accesses,
// so it costs simulated time in the calling context (task: time advances; irq: entry time grows).
#include <cstdint>
#include <optional>
#include <vector>

#include "fabric/bdf.h"
#include "fabric/message.h"
#include "models/os/kernel.h"

namespace irqf::os::dsa {

/// What the driver learned from GENCAP/WQCAP/GRPCAP/ENGCAP/OFFSETS/CMDCAP and the MSI-X capability.
struct dsa_sw_caps {
  unsigned num_wqs = 0, num_groups = 0, num_engines = 0, total_wq_size = 0;
  unsigned max_xfer_shift = 0, max_batch_shift = 0;
  unsigned ims_entries = 0;   ///< GENCAP.max_ims_mult * 256
  unsigned msix_entries = 0;  ///< MSI-X Table Size + 1 (pci_msix_vec_count)
  bool cmd_cap = false;       ///< GENCAP.cmd_cap: CMDCAP is valid
  uint32_t cmdcap = 0;        ///< bit n = command n supported
  uint32_t grpcfg = 0, wqcfg = 0, msix_perm = 0, ims = 0;  ///< BAR0 byte offsets
  /// REQUEST_INT_HANDLE is supported: descriptors must carry device-issued handles.
  bool int_handles() const;
};

/// Result of a command (CMDSTS after CMDSTS.active cleared).
struct cmd_result {
  uint8_t err = 0;        ///< CMDSTS.err (0 = success)
  uint16_t result = 0;    ///< CMDSTS.result (e.g. the handle of REQUEST_INT_HANDLE)
  bool timeout = false;   ///< CMDSTS.active never cleared within the poll budget
  bool ok() const { return err == 0 && !timeout; }
};

/// Register-level operations on one DSA function, through the kernel.
class dsa_mmio {
 public:
  dsa_mmio(kernel& k, bdf dev) : k_(k), dev_(dev) {}

  /// Reads capabilities, table offsets and the MSI-X table size (Linux idxd_read_caps). Call after
  /// pci_enable_device.
  const dsa_sw_caps& read_caps();
  const dsa_sw_caps& caps() const { return caps_; }

  /// Executes command `cmd` with `operand` (CMD write, then CMDSTS polled every `poll_ns` until
  /// active clears; at most `max_polls` polls). Task context only: the device needs simulated
  /// time to run the command.
  cmd_result exec(uint8_t cmd, uint32_t operand);

  /// GRPCFG[g]: WQ bitmap (first 64 WQs) and engine bitmap. Device must be disabled.
  void write_group(unsigned g, uint64_t wqs, uint64_t engines);
  /// WQCFG[wq]: size, threshold 0, dedicated mode, priority, max transfer/batch shifts from GENCAP.
  void write_wqcfg(unsigned wq, unsigned size, unsigned priority, bool dedicated);
  /// GENCTRL: softerr_int_en and halt_int_en (Linux idxd_unmask_error_interrupts).
  void unmask_error_interrupts();

  /// REQUEST_INT_HANDLE for MSI-X entry / IMS slot `index`; nullopt (and the CMDSTS error logged)
  /// when the device refuses.
  std::optional<uint16_t> request_int_handle(unsigned index, bool ims);
  void release_int_handle(uint16_t handle, bool ims);

  /// Misc handler body (irq context): reads INTCAUSE, clears the causes it saw (write 1 to clear),
  /// acknowledges SWERR when ERR is among them; returns the causes.
  uint32_t ack_misc();

  /// IMS slot programming (irq-pci-intel-idxd.c): the message dwords, then the control dword from
  /// a shadow (no read-back), mask bit 0.
  void ims_write_msg(unsigned slot, const msi_msg& m);
  void ims_mask(unsigned slot, bool masked);

  uint64_t bar0() const { return bar0_; }
  uint64_t bar2() const { return bar2_; }
  kernel& kern() { return k_; }
  bdf dev() const { return dev_; }

  /// CMDSTS poll period and budget (software step between polls).
  double poll_ns = 200;
  unsigned max_polls = 100000;

 private:
  uint16_t find_cap(uint8_t id);
  cmd_result exec_locked(uint8_t cmd, uint32_t operand);
  bool cmd_busy_ = false;
  kernel& k_;
  bdf dev_;
  uint64_t bar0_ = 0, bar2_ = 0;
  dsa_sw_caps caps_;
  std::vector<uint32_t> ims_ctrl_;  // shadow of each IMS slot's control dword
};

}  // namespace irqf::os::dsa
