#pragma once
// The MSI capability of a function (PCIe Base §7.7.1, §6.1.4.1/§6.1.4.4): Message Control
// (Enable, Multiple Message Capable/Enable, 64-bit Address Capable, Per-Vector Masking Capable),
// Message Address (+Upper), Message Data, and the optional Mask Bits and Pending Bits registers.
// Implements fabric/endpoint.h irqf::message_store.
//
// Rules modelled:
//  - Multi-message: with MME = log2(n) the function ORs the vector number into the low MME bits of
//    Message Data (§6.1.4.1). An event on vector i >= n (fewer vectors granted than requested) is
//    sent on vector 0 (model choice, the usual single-vector fallback of multi-cause devices).
//  - Per-vector masking: an event on a masked vector sets its Pending bit (merging with a bit already
//    set, ids kept); clearing the Mask bit sends it and clears Pending (QEMU hw/pci/msi.c does the same).
//  - Event while MSI Enable is clear: INTx when usable (pin implemented, INTx Disable clear, MSI-X off),
//    else lost with cause msi_disabled.
#include <cstdint>
#include <vector>

#include "fabric/endpoint.h"
#include "fabric/message.h"
#include "fabric/regtable.h"

namespace irqf::pcie {

class pcie_function;

/// Static MSI options. `vectors` (requested, MMC) 1, 2, 4, 8, 16 or 32.
struct msi_config {
  unsigned vectors = 1;
  bool is64 = true;
  bool per_vector_mask = true;
};

/// Field names of MSI Message Control (PCIe §7.7.1.2).
namespace msi_fields_ctl {
inline constexpr bitfield ENABLE{0, 1};
inline constexpr bitfield MMC{1, 3};
inline constexpr bitfield MME{4, 3};
inline constexpr bitfield ADDR64{7, 1};
inline constexpr bitfield PVM{8, 1};
}  // namespace msi_fields_ctl

class msi_capability : public message_store {
 public:
  msi_capability(pcie_function& fn, const msi_config& c, uint16_t cap_offset);

  const char* kind() const override { return "msi"; }
  unsigned vectors() const override { return c_.vectors; }
  void event(unsigned i, event_id ev) override;
  source_id source(unsigned i) const override { return src0_ + i; }

  const msi_config& config() const { return c_; }
  uint16_t cap_offset() const { return cap_; }
  /// Config offsets of the registers (relative to the function's config space).
  uint16_t off_control() const { return uint16_t(cap_ + 2); }
  uint16_t off_addr() const { return uint16_t(cap_ + 4); }
  uint16_t off_addr_hi() const { return uint16_t(cap_ + 8); }  // 64-bit only
  uint16_t off_data() const { return uint16_t(cap_ + (c_.is64 ? 0xC : 0x8)); }
  uint16_t off_mask() const { return uint16_t(off_data() + 4); }     // PVM only
  uint16_t off_pending() const { return uint16_t(off_data() + 8); }  // PVM only
  /// Size of the capability in bytes.
  unsigned size() const;

  bool enabled() const;
  /// Vectors granted (2^MME).
  unsigned granted() const;
  bool masked(unsigned i) const;
  bool pending(unsigned i) const { return !pend_[i].empty(); }
  const event_list& pending_events(unsigned i) const { return pend_[i]; }
  /// The message vector `i` would send now (data with the vector number ORed in).
  msi_msg message(unsigned i) const;

  /// Called by the function after a config write touching the capability.
  void control_written(uint16_t old_ctrl);
  void mask_written(uint32_t old_mask);
  void reset();

 private:
  void send(unsigned i);
  void sync_pending_reg();
  pcie_function& fn_;
  msi_config c_;
  uint16_t cap_;
  std::vector<event_list> pend_;
  source_id src0_ = 0;  ///< ledger source of vector 0 (vector i is src0_ + i)
};

}  // namespace irqf::pcie
