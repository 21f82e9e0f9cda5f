#pragma once
// The MSI-X capability of a function (PCIe Base §7.7.2, event rules §6.1.4.3-§6.1.4.5): Message
// Control (Table Size, Function Mask, Enable), the table (16-byte entries: Message Address,
// Message Upper Address, Message Data, Vector Control) and the read-only Pending Bit Array, both in
// a BAR. Implements fabric/endpoint.h irqf::message_store ("event on vector i").
//
// Rules modelled:
//  - Vector Control.Mask Bit is 1 at reset. An event on a masked entry (or while Function Mask is
//    set) sets the entry's pending bit; a second event merges into it (the ledger ids stay attached
//    to the pending bit and travel together with the one message sent later: the first is handled,
//    the others merged when the OS settles them).
//  - When an entry becomes deliverable (Enable=1, Function Mask=0, Mask Bit=0) with its pending bit
//    set, the function sends the message and clears the bit. Clearing Function Mask releases only
//    entries whose own Mask Bit is also clear; Function Mask never changes the per-entry bits.
//  - An event while Enable=0 follows `msix_disabled_policy`: drop (ledger loss msix_disabled),
//    latch (pending bit, sent after re-enable and unmask, as QEMU hw/pci/msix.c does) or intx
//    (assert INTx if Command.INTx Disable is clear, else loss intx_disabled).
//  - Table writes to an unmasked entry: the spec leaves the result undefined (§6.1.4.2). This model
//    reads the table when it sends ("immediate" policy, as QEMU), so a new address/data pair is used
//    by the next message and a message sent between the two DWORD writes of an address carries the
//    half-written value. A write to a masked entry is always safe.
//  - The PBA is read-only; writes are ignored. The Message Data is never modified by the function.
#include <cstdint>
#include <string>
#include <vector>

#include "fabric/endpoint.h"
#include "fabric/message.h"
#include "fabric/regtable.h"

namespace irqf::pcie {

class pcie_function;

/// What a function does with an MSI-X event while MSI-X Enable is clear.
enum class msix_disabled_policy : uint8_t { drop, latch, intx };

/// Static MSI-X layout of a function. `table_size` 1..2048 entries; offsets QWORD (8-byte)
/// aligned within the BAR; table and PBA may share a BAR but must not overlap.
struct msix_config {
  unsigned table_size = 1;
  uint8_t table_bar = 0;
  uint32_t table_offset = 0;
  uint8_t pba_bar = 0;
  uint32_t pba_offset = 0x800;
  msix_disabled_policy disabled_policy = msix_disabled_policy::drop;
};

/// Field names of the MSI-X capability and table (PCIe §7.7.2).
namespace msix_fields {
inline constexpr bitfield CTRL_TABLE_SIZE{0, 11};  // N-1
inline constexpr bitfield CTRL_FUNCTION_MASK{14, 1};
inline constexpr bitfield CTRL_ENABLE{15, 1};
inline constexpr bitfield BIR{0, 3};
inline constexpr bitfield OFFSET{3, 29};           // QWORD-aligned offset >> 3
inline constexpr bitfield VC_MASK{0, 1};           // Vector Control Mask Bit
inline constexpr unsigned entry_bytes = 16;
inline constexpr unsigned ENTRY_ADDR_LO = 0x0, ENTRY_ADDR_HI = 0x4, ENTRY_DATA = 0x8, ENTRY_VECTOR_CONTROL = 0xC;
}  // namespace msix_fields

class msix_capability : public message_store {
 public:
  /// `cap_offset`: where the capability sits in config space (registers added to the function's
  /// config table by the function).
  msix_capability(pcie_function& fn, const msix_config& c, uint16_t cap_offset);

  // message_store
  const char* kind() const override { return "msix"; }
  unsigned vectors() const override { return c_.table_size; }
  void event(unsigned i, event_id ev) override;
  source_id source(unsigned i) const override { return src0_ + i; }

  const msix_config& config() const { return c_; }
  uint16_t cap_offset() const { return cap_; }
  bool enabled() const;
  bool function_masked() const;
  bool entry_masked(unsigned i) const;
  bool pending(unsigned i) const { return pend_bit_[i] != 0; }
  /// Ledger ids latched with the pending bit of entry `i`.
  const event_list& pending_events(unsigned i) const { return pend_[i]; }
  msi_msg message(unsigned i) const;
  /// Changes the device policy (tests, platform builder).
  void set_disabled_policy(msix_disabled_policy p) { c_.disabled_policy = p; }

  /// Table/PBA access from the BAR decoder: true when (bar, off) hit the table or PBA, with the
  /// read value / write applied. 4- and 8-byte accesses (§6.1.4.2: DWORD or QWORD).
  bool bar_read(int bar, uint64_t off, unsigned len, uint64_t& val) const;
  bool bar_write(int bar, uint64_t off, uint64_t val, unsigned len);
  /// Raw 32-bit table word `w` (0..3) of entry `i`; set_table_word applies the write rules.
  uint32_t table_word(unsigned i, unsigned w) const { return table_[i * 4 + w]; }
  void set_table_word(unsigned i, unsigned w, uint32_t v);
  /// PBA QWORD `q`.
  uint64_t pba_qword(unsigned q) const;

  /// Called by the function after a write to Message Control (Enable/Function Mask changed).
  void control_written(uint16_t old_ctrl);
  /// Function-level reset: table masked, PBA cleared (pending events settled pending_cleared).
  void reset();

 private:
  bool deliverable(unsigned i) const;
  void send(unsigned i);
  void latch(unsigned i, event_id ev);
  pcie_function& fn_;
  msix_config c_;
  uint16_t cap_;
  std::vector<uint32_t> table_;           // 4 words per entry
  std::vector<event_list> pend_;          // ids latched with each pending bit
  std::vector<uint8_t> pend_bit_;         // the PBA bits
  source_id src0_ = 0;  ///< ledger source of entry 0 (entry i is src0_ + i)
};

}  // namespace irqf::pcie
