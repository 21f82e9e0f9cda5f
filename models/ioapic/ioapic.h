#pragma once
// An 82093AA-style I/O APIC, version 0x20 (the ICH/PCH I/O APIC with the directed EOI register):
// IOREGSEL (0x00) / IOWIN (0x10) indirect access, EOI register (0x40), a redirection table of
// `pins` entries (24 by default), edge/level trigger, polarity, mask, Remote IRR, EOI-broadcast
// handling and remappable-format entries for VT-d interrupt remapping (VT-d §5.1.5.1).
// Sources: Intel 82093AA datasheet §3.2 (registers, redirection entry), ICH9 datasheet §13.5
// (version 0x20, EOI register), SDM Vol.3A §11.11 (MSI-form message), §11.8.5 (EOI broadcast).
//
// Deliveries are 4-byte MSI-form writes out of `irq_out` carrying requester_ext with the IOAPIC's
// own requester ID; the IOAPIC builds address bits [19:4] from entry bits [63:48] and bit 2 from
// entry bit 11 (Destination Mode, or Interrupt Index[15] in remappable format), data from vector,
// delivery mode and trigger mode — so one encoding serves both formats (VT-d §5.1.5.1 figure 5-7).
//
// Pins: set_pin(pin, level) takes the electrical level of the input. Pins >= active_low_from are
// wired active-low (PCI INTx#, as ACPI _PRT/MADT describe them on PC platforms) and the rest
// active-high (ISA): the root complex's "asserted" is therefore inverted on those pins before the
// Polarity bit (1 = low active) is applied. Software that programs the polarity ACPI reports sees
// correct behaviour; software that does not sees what hardware gives (a stuck or inverted line).
//
// Ledger: every delivery carries events. An edge, or a level delivery (first or re-delivery at
// EOI), raises a new event at source "<name>/pin/<n>" unless ids arrived with the line (e.g. a
// device's MSI-X event under the intx policy), which are then delivered instead. Losses: an edge on
// a masked pin (ioapic_masked); ids that came with a level line that deasserted before it was ever
// delivered (intx_deasserted).
#include <tlm_utils/simple_initiator_socket.h>
#include <tlm_utils/simple_target_socket.h>

#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "fabric/context.h"
#include "fabric/cpu_if.h"
#include "fabric/message.h"
#include "fabric/params.h"
#include "fabric/regtable.h"

namespace irqf::ioapic {

/// Redirection table entry fields (82093AA §3.2.4; remappable format VT-d §5.1.5.1).
namespace rte {
inline constexpr bitfield VECTOR{0, 8};
inline constexpr bitfield DELIVERY_MODE{8, 3};
inline constexpr bitfield DEST_MODE{11, 1};          // remappable: Interrupt Index[15]
inline constexpr bitfield DELIVERY_STATUS{12, 1};    // read-only
inline constexpr bitfield POLARITY{13, 1};           // 1 = low active
inline constexpr bitfield REMOTE_IRR{14, 1};         // read-only
inline constexpr bitfield TRIGGER_MODE{15, 1};       // 1 = level
/// Whether an entry works level-triggered (Remote IRR, level message, re-delivery): only Fixed and
/// Lowest Priority entries do; NMI, SMI, INIT and ExtINT are edge whatever Trigger Mode says
/// (82093AA datasheet §3.2.4 redirection table; SDM §11.11.2).
constexpr bool level_triggered(uint64_t e) {
  return TRIGGER_MODE.test(e) && DELIVERY_MODE.get(e) <= 1;  // 000 Fixed, 001 Lowest Priority
}
inline constexpr bitfield MASK{16, 1};
inline constexpr bitfield INTERRUPT_FORMAT{48, 1};   // 1 = remappable
inline constexpr bitfield INTERRUPT_INDEX{49, 15};   // remappable: Interrupt Index[14:0]
inline constexpr bitfield DESTINATION{56, 8};        // compatibility: APIC ID / logical set
inline constexpr bitfield ADDR_SOURCE{48, 16};       // copied to MSI address [19:4]
inline constexpr uint64_t WRITABLE = 0xFFFF'0000'0001'AFFFull;
}  // namespace rte

/// Indirect register indices (IOREGSEL values).
inline constexpr uint8_t IOAPICID = 0x00, IOAPICVER = 0x01, IOAPICARB = 0x02, IOREDTBL = 0x10;
/// Direct MMIO offsets.
inline constexpr uint32_t IOREGSEL = 0x00, IOWIN = 0x10, EOIR = 0x40;

class ioapic : public component, public eoi_listener_if, public register_view {
 public:
  /// MMIO window (map relative; 4-byte accesses at 0x00, 0x10, 0x40).
  tlm_utils::simple_target_socket<ioapic> mmio;
  /// MSI-form interrupt writes (bind to the IOMMU's interrupt input, or the APIC bus).
  tlm_utils::simple_initiator_socket<ioapic> irq_out;

  static const component_schema& schema();
  /// `p`: pins, apic_id, requester_id, active_low_from.
  ioapic(sc_core::sc_module_name nm, sim_context& ctx, const param_values& p);

  /// Drives input `pin` to electrical `level`. `events`: ledger ids that travel with this line
  /// (delivered with the pin's next delivery); may be given with level unchanged.
  void set_pin(unsigned pin, bool level, std::span<const event_id> events = {});
  /// The root complex's view: logical assertion of an INTx input, converted to the electrical level
  /// through the pin's wiring (active-low for pins >= active_low_from).
  void set_intx(unsigned pin, bool asserted, std::span<const event_id> events = {});

  /// eoi_listener_if: EOI broadcast from a local APIC (SDM §11.8.5): every level entry with this
  /// vector and Remote IRR set clears Remote IRR; a line still asserted is delivered again.
  void eoi_broadcast(uint8_t vector) override;

  unsigned pins() const { return unsigned(rte_.size()); }
  uint64_t entry(unsigned pin) const { return rte_[pin]; }
  bool line_asserted(unsigned pin) const;  // after wiring and polarity
  unsigned deliveries() const { return deliveries_; }
  source_id source(unsigned pin) const { return src0_ + pin; }

  /// Software's register accesses as through IOREGSEL/IOWIN (for tests and the OS model's helpers).
  uint32_t read_indirect(uint8_t index);
  void write_indirect(uint8_t index, uint32_t value);

  // register_view: "IOREGSEL", "IOAPICID", "IOAPICVER", "IOAPICARB", "IOREDTBL[n]" (64-bit).
  std::vector<std::string> register_names() const override;
  std::optional<uint64_t> read_register(std::string_view name) override;
  bool write_register(std::string_view name, uint64_t value) override;
  /// The indirect register table (docs).
  static const reg_table& table();

 private:
  void b_transport(tlm::tlm_generic_payload& gp, sc_core::sc_time& delay);
  void write_entry(unsigned pin, uint64_t v);
  void deliver(unsigned pin);
  void service_level(unsigned pin);
  bool wired_low(unsigned pin) const { return pin >= active_low_from_; }

  std::vector<uint64_t> rte_;
  std::vector<uint8_t> level_;            // electrical input level
  std::vector<event_list> carried_;       // ids waiting for the pin's next delivery
  source_id src0_ = 0;  ///< ledger source of pin 0 (pin i is src0_ + i)
  uint32_t id_reg_ = 0;
  uint8_t ioregsel_ = 0;
  uint16_t rid_;
  unsigned active_low_from_;
  unsigned deliveries_ = 0;
  std::vector<std::unique_ptr<upstream_write>> pool_;
  size_t depth_ = 0;
  track_id track_ = 0;
  std::string dev_name_;
};

}  // namespace irqf::ioapic
