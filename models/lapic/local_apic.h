#pragma once
// One local APIC (SDM Vol.3A chapter 11, "Advanced Programmable Interrupt Controller"; chapter 10
// in older editions): the register file in both software forms (xAPIC MMIO page and x2APIC MSRs,
// switched through IA32_APIC_BASE), the IRR/ISR/TMR vector registers with TPR/PPR/APR, EOI with
// broadcast or directed-EOI suppression, ESR, the ICR that sends IPIs over the apic_bus, the
// Local Vector Table with the timer (one-shot, periodic, TSC-deadline) and the acceptance of
// interrupt messages delivered by the apic_bus. The CPU core (cpu_core) takes interrupts out of it.
#include <tlm>

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "fabric/apic_msg.h"
#include "fabric/context.h"
#include "fabric/cpu_if.h"
#include "fabric/message.h"
#include "fabric/params.h"
#include "fabric/regtable.h"
#include "models/lapic/apic_regs.h"
#include "models/lapic/vec256.h"

namespace irqf::lapic {

class apic_bus;
class cpu_core;

/// The ids of an event_list as a span (boost's small_vector does not convert implicitly).
inline std::span<const event_id> span_of(const event_list& l) { return {l.data(), l.size()}; }

/// IA32_APIC_BASE state (SDM §11.12.5, Figure 11-27 "Local x2APIC State Transitions").
enum class apic_mode : uint8_t { disabled, xapic, x2apic };
const char* to_string(apic_mode m);

/// How the destination field of a message is to be read: 8-bit xAPIC format (compatibility MSIs,
/// IPIs from an xAPIC), 32-bit x2APIC format (IPIs from an x2APIC), or per the targets' mode
/// (messages remapped by the IOMMU, whose IRTE destination format follows the APIC mode).
enum class dest_width : uint8_t { narrow, wide, by_mode };

class local_apic : public component, public register_view {
 public:
  /// Parameters: timer_frequency_mhz, tsc_frequency_mhz, directed_eoi, x2apic_supported.
  static const component_schema& schema();

  /// `cpu`: the CPU index (ledger source names "cpu<cpu>/<kind>/<index>", trace track);
  /// `apic_id`: initial APIC ID (x2APIC ID; its low 8 bits are the xAPIC ID). The APIC starts in
  /// xAPIC mode, software-disabled, as after power-up (SDM §11.4.7.1). `bus` may be null for a
  /// stand-alone APIC (IPIs other than self-IPIs are then lost with no_destination).
  local_apic(sc_core::sc_module_name nm, sim_context& ctx, const param_values& p, unsigned cpu,
             uint32_t apic_id, apic_bus* bus);

  void attach_core(cpu_core* core) { core_ = core; }
  void attach_bus(apic_bus* bus) { bus_ = bus; }

  // ---- identity and addressing (used by the apic_bus route stage) ----
  unsigned cpu_index() const { return cpu_; }
  apic_mode mode() const { return mode_; }
  uint32_t initial_apic_id() const { return x2apic_id_; }
  /// The ID physical destinations match: xAPIC ID[31:24] in xAPIC mode, the 32-bit ID in x2APIC.
  uint32_t physical_id() const;
  /// The logical ID as the LDR reads in the current mode.
  uint32_t logical_id() const;
  /// Does logical destination `dest` select this APIC? (flat / cluster per DFR in xAPIC,
  /// cluster with 32-bit IDs in x2APIC; broadcast included). `wide`: dest is x2APIC format.
  bool matches_logical(uint32_t dest, bool wide) const;
  bool sw_enabled() const;
  uint8_t tpr() const;
  uint8_t ppr() const;
  uint8_t apr() const;
  /// Focus processor (SDM §11.6.2.4): the vector is in service or pending here and focus checking
  /// is not disabled (SVR[9]).
  bool is_focus_for(uint8_t vector) const;

  // ---- acceptance (stage `accept`) ----
  /// A message for this APIC. Takes ownership of settling `events` (IRR bit, core latch, or lost).
  /// `delay`: annotated time after which the core should look at it.
  void accept(const apic_irq& irq, std::span<const event_id> events, sc_core::sc_time delay);

  // ---- the CPU core's side ----
  /// The highest IRR vector whose class is above PPR[7:4], or -1 (none, or APIC not enabled).
  int deliverable() const;
  /// The highest IRR vector whatever its priority, or -1.
  int highest_requested() const { return irr_.highest(); }
  /// Interrupt acknowledge: moves `vector` from IRR to ISR and hands over its ledger ids.
  void acknowledge(uint8_t vector, event_list& events_out);
  uint8_t spurious_vector() const;
  /// INIT reset (SDM §11.4.7.3): registers to power-up values except the APIC ID and
  /// IA32_APIC_BASE; pending IRR events are lost with apic_reset.
  void init_reset();

  // ---- software accesses (through cpu_core's cpu_port_if) ----
  /// RDMSR/WRMSR of IA32_APIC_BASE, IA32_TSC, IA32_TSC_DEADLINE and 0x800-0x8FF. false = #GP.
  bool rdmsr(uint32_t msr, uint64_t& value);
  bool wrmsr(uint32_t msr, uint64_t value, sc_core::sc_time delay);
  /// xAPIC MMIO (offset in the 4 KiB page). In x2APIC or disabled mode the page does not decode
  /// (reads 0, writes ignored); unknown offsets set ESR Illegal Register Address.
  uint32_t mmio_read(uint32_t offset);
  void mmio_write(uint32_t offset, uint32_t value, sc_core::sc_time delay);

  // ---- LVT inputs ----
  /// LINT0/LINT1 electrical pin level (`pin` 0 or 1), seen through the entry's Interrupt Input
  /// Pin Polarity (SDM §11.5.1: 1 = active low). Becoming asserted (or staying asserted with a
  /// level-triggered Fixed entry whose Remote IRR is clear) delivers per the LVT entry; a masked
  /// entry delivers nothing. Raises its own ledger event "cpu<i>/lint/<pin>" when it delivers.
  void set_lint(unsigned pin, bool level);
  /// The bus finished sending the IPI in ICR (xAPIC delivery status back to idle).
  void ipi_sent() { regs_.set(idx(reg::ICR_LOW), icr::DELIVERY_STATUS.set(regs_.get(idx(reg::ICR_LOW)), 0)); }

  // ---- register_view (SDM names; reads/writes as software in the current mode) ----
  std::vector<std::string> register_names() const override;
  std::optional<uint64_t> read_register(std::string_view name) override;
  bool write_register(std::string_view name, uint64_t value) override;

  // ---- introspection (tests, reports) ----
  const vec256& irr() const { return irr_; }
  const vec256& isr() const { return isr_; }
  const vec256& tmr() const { return tmr_; }
  uint64_t apic_base() const { return apic_base_; }
  /// Errors accumulated since the last ESR write (not yet visible in ESR).
  uint32_t esr_pending() const { return esr_pending_; }
  /// The ledger ids held by the IRR bit of `vector`, first arrival first (empty if none).
  std::vector<event_id> irr_events(uint8_t vector) const;
  /// Clears `vector`'s IRR bit and returns the ids it carried (cpu_port_if::take_irr_events).
  std::vector<event_id> take_irr(uint8_t vector);
  uint64_t tsc() const;
  struct counters {
    uint64_t accepted = 0, merged = 0, dropped = 0, eois = 0, eoi_broadcasts = 0, timer_fires = 0, ipis_sent = 0;
  };
  const counters& stats() const { return stats_; }
  track_id track() const { return track_; }

 private:
  bool lint_asserted(unsigned pin) const;
  /// Delivers from LINT `pin` if its state calls for it (`was_asserted`: before the change).
  void lint_evaluate(unsigned pin, bool was_asserted);
  friend class cpu_core;
  // registers
  uint32_t read_reg(reg r);
  /// Software write in the current mode. x2APIC rules (#GP) are checked by wrmsr.
  void write_reg(reg r, uint64_t value, sc_core::sc_time delay);
  bool set_apic_base(uint64_t v);
  void hw_reset_registers();
  void set_error(bitfield bit);
  void eoi();
  void send_icr(uint64_t low, uint32_t dest, sc_core::sc_time delay);
  void self_ipi(uint8_t vector, sc_core::sc_time delay);
  /// An interrupt generated by an LVT entry (timer, LINT, error) with its own fresh event.
  void deliver_lvt(reg entry, const char* kind, unsigned index);
  void accept_fixed(uint8_t vector, bool level, std::span<const event_id> events, sc_core::sc_time delay);
  void drop(std::span<const event_id> events, loss_cause cause, uint8_t vector);
  void discard_pending(loss_cause cause);
  source_id source(const char* kind, unsigned index);
  bool x2() const { return mode_ == apic_mode::x2apic; }
  // timer (local_apic_timer.cpp)
  void timer_write_lvt(uint64_t old_lvt);
  void timer_write_initial(uint32_t count);
  void timer_rebase();
  void timer_write_deadline(uint64_t deadline);
  uint32_t timer_current() const;
  /// (Re)arms the timer event. `late_fires`: a TSC deadline already passed fires now (a write)
  /// rather than counting as expired while masked (an unmask).
  void timer_schedule(bool late_fires = false);
  uint64_t deadline_ps(uint64_t tsc_value) const;
  lvt::timer_mode timer_mode() const;
  void timer_stop();
  void on_timer();
  uint64_t tick_ps() const;

  unsigned cpu_;
  uint32_t x2apic_id_;
  apic_bus* bus_;
  cpu_core* core_ = nullptr;
  reg_file regs_;
  vec256 irr_, isr_, tmr_;
  std::vector<std::pair<uint8_t, event_id>> irr_events_;  // (vector, id) of IRR bits, arrival order
  apic_mode mode_ = apic_mode::xapic;
  uint64_t apic_base_;
  uint32_t esr_pending_ = 0;
  bool lint_level_[2] = {false, false};
  // timer state: the count was `base_count_` at `base_ps_` (counting down once per tick_ps)
  uint64_t base_ps_ = 0;
  uint64_t base_count_ = 0;
  uint64_t tsc_deadline_ = 0;
  sc_core::sc_event timer_ev_;
  uint64_t base_tick_ps_;  // timer input clock period
  uint64_t tsc_hz_;
  bool directed_eoi_, x2apic_supported_;
  struct source_slot {
    const char* kind;
    unsigned index;
    source_id id;
  };
  std::vector<source_slot> sources_;  // ledger sources registered on first use
  counters stats_;
  track_id track_;
};

}  // namespace irqf::lapic
