#pragma once
// The test endpoint's device-specific message table (DMT), IMS-style storage (DESIGN §1 `store`):
// 16-byte entries in BAR0 laid out like DSA's IMS entries (DSA spec §9.2, "Interrupt Message
// Storage"): Message Address (low/high), Message Data, and Entry Control with Mask (bit 0, 1 at
// reset), Pending (bit 1, read-only), PASID Enable (bit 3) and PASID (bits 31:12). Independent of
// the MSI/MSI-X Enable bits. An event on a masked entry is latched in Pending (policy `latch`,
// merging ids) or dropped (policy `drop`, ledger loss ims_masked_drop); unmasking sends a pending
// entry and clears Pending. Implements irqf::message_store with kind "ims".
#include <cstdint>
#include <vector>

#include "fabric/endpoint.h"
#include "fabric/regtable.h"

namespace irqf::pcie {
class pcie_function;
}

namespace irqf::testdev {

namespace dmt_fields {
inline constexpr bitfield MASK{0, 1};
inline constexpr bitfield PENDING{1, 1};
inline constexpr bitfield PASID_ENABLE{3, 1};
inline constexpr bitfield PASID{12, 20};
inline constexpr uint32_t CONTROL_WRITABLE = 0xFFFF'F009u;  // mask, PASID enable, PASID
}  // namespace dmt_fields

class dmt_store : public message_store {
 public:
  dmt_store(pcie::pcie_function& fn, unsigned entries, bool drop_when_masked);

  const char* kind() const override { return "ims"; }
  unsigned vectors() const override { return unsigned(words_.size() / 4); }
  void event(unsigned i, event_id ev) override;
  source_id source(unsigned i) const override { return sources_[i]; }

  /// Word w (0 addr lo, 1 addr hi, 2 data, 3 control) of entry i.
  uint32_t word(unsigned i, unsigned w) const { return words_[i * 4 + w]; }
  /// Software write (applies the control rules and sends a pending entry on unmask).
  void write_word(unsigned i, unsigned w, uint32_t v);
  bool pending(unsigned i) const { return dmt_fields::PENDING.test(words_[i * 4 + 3]); }

 private:
  void send(unsigned i);
  pcie::pcie_function& fn_;
  bool drop_;
  std::vector<uint32_t> words_;
  std::vector<event_list> pend_;
  std::vector<source_id> sources_;
};

}  // namespace irqf::testdev
