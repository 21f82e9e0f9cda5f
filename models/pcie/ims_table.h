#pragma once
// Interrupt Message Store (IMS): device-specific message storage shared by every device model that
// has it (the DSA's IMS table, the test endpoint's message table; hardware.md §5): a table in
// BAR0 of 16-byte entries — Message Address (lo, hi), Message Data and Control (Mask bit 0, PASID
// Enable bit 3, PASID [31:12]; layout of tglx's 2022 RFC drivers/irqchip/irq-pci-intel-idxd.c) —
// behind the common message_store interface (fabric/endpoint.h), so a completion raises "event on
// IMS entry i" exactly as it would on an MSI-X entry.
//
// IMS has no Pending Bit Array in the DSA specification, so what an event on a masked entry does
// is a parameter:
//  - latch: the device keeps an internal pending bit per entry (not software-visible); a second
//    event merges into it (both ledger ids travel with the one message sent when the entry is
//    unmasked: the first is handled, the rest merged);
//  - drop: the event is discarded (ledger loss ims_masked_drop).
// The message is read from the entry when it is sent, like the MSI-X model (an address rewritten
// while unmasked is used by the next message). Entries are masked at reset (model choice, as MSI-X).
// A device may make its internal pending bit software-visible as read-only Control bit 1
// (`pending_visible`; the test endpoint does, the DSA layout does not), and may send the entry's
// PASID as a TLP prefix with the message when PASID Enable is set (`pasid_prefix`; the DSA checks
// the entry's PASID against the descriptor instead and sends none).
#include <cstdint>
#include <string>
#include <vector>

#include "fabric/context.h"
#include "fabric/endpoint.h"
#include "fabric/message.h"
#include "fabric/regtable.h"

namespace irqf::pcie {

enum class ims_masked_policy : uint8_t { latch, drop };
ims_masked_policy ims_masked_policy_from(const std::string& s);

namespace ims_entry {
inline constexpr unsigned bytes = 16;
inline constexpr unsigned ADDR_LO = 0, ADDR_HI = 1, DATA = 2, CTRL = 3;  ///< dword index
inline constexpr bitfield CTRL_MASK{0, 1}, CTRL_PENDING{1, 1}, CTRL_PASID_EN{3, 1}, CTRL_PASID{12, 20};
inline constexpr uint32_t CTRL_WRITABLE = 0xFFFFF009u;  ///< mask, pasid_en, pasid
}  // namespace ims_entry

class ims_table : public message_store {
 public:
  /// `entries` 0..16128; ledger sources "<device>/ims/<i>" are registered here; messages go out
  /// through `sender` (the PCIe function, which stamps the requester ID and keeps DMA order).
  ims_table(sim_context& ctx, message_sender& sender, const std::string& device, unsigned entries,
            ims_masked_policy policy, track_id track, bool pending_visible = false,
            bool pasid_prefix = false);

  // message_store
  const char* kind() const override { return "ims"; }
  unsigned vectors() const override { return unsigned(words_.size() / 4); }
  void event(unsigned i, event_id ev) override;
  source_id source(unsigned i) const override { return src0_ + i; }

  /// Software access to dword `w` (0..3) of entry `i`; an unmask with a latched event sends it.
  uint32_t word(unsigned i, unsigned w) const {
    uint32_t v = words_[i * 4 + w];
    if (w == ims_entry::CTRL && pending_visible_ && !pend_[i].empty()) v |= uint32_t(ims_entry::CTRL_PENDING.mask());
    return v;
  }
  void write_word(unsigned i, unsigned w, uint32_t v);
  /// BAR access relative to the table start (4- or 8-byte, naturally aligned).
  uint64_t mmio_read(uint64_t off, unsigned len) const;
  void mmio_write(uint64_t off, uint64_t v, unsigned len);

  bool masked(unsigned i) const { return ims_entry::CTRL_MASK.test(word(i, ims_entry::CTRL)); }
  bool pasid_enabled(unsigned i) const { return ims_entry::CTRL_PASID_EN.test(word(i, ims_entry::CTRL)); }
  uint32_t pasid(unsigned i) const { return uint32_t(ims_entry::CTRL_PASID.get(word(i, ims_entry::CTRL))); }
  bool pending(unsigned i) const { return !pend_[i].empty(); }
  const event_list& pending_events(unsigned i) const { return pend_[i]; }
  msi_msg message(unsigned i) const;
  ims_masked_policy policy() const { return policy_; }
  void set_policy(ims_masked_policy p) { policy_ = p; }

  /// Device reset: entries masked and cleared; latched events are settled lost (pending_cleared).
  void reset();

 private:
  void send(unsigned i);
  sim_context& ctx_;
  message_sender& sender_;
  ims_masked_policy policy_;
  track_id track_;
  bool pending_visible_, pasid_prefix_;
  std::vector<uint32_t> words_;
  std::vector<event_list> pend_;
  source_id src0_;  ///< ledger source of entry 0 (entry i is src0_ + i)
};

}  // namespace irqf::pcie
