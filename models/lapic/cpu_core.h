#pragma once
// The CPU core's interrupt entry, without an instruction set (SDM Vol.3A §6.12 "Exception and
// Interrupt Handling", §11.8.4 "Interrupt Acceptance for Fixed Interrupts", §11.9 "Spurious
// Interrupt"). The core has an interrupt-enable flag (IF) that the OS model sets and clears;
// when IF is set and it is idle, it takes the highest IRR vector whose class is above PPR[7:4],
// moves it IRR→ISR and enters the OS model's vector entry. NMI, SMI, INIT, SIPI and ExtINT bypass
// IRR/ISR. Entry and exit (IRET) costs are parameters; the core stays busy for entry + the time the
// OS returns + exit, then looks at IRR again. One sc_event per core; it fires only with work to do.
#include <systemc>

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "fabric/context.h"
#include "fabric/cpu_if.h"
#include "fabric/message.h"
#include "fabric/params.h"

namespace irqf::lapic {

class local_apic;

class cpu_core : public component, public cpu_port_if {
 public:
  /// Parameters: entry_cost_ns, exit_cost_ns, ack_delay_ns, apic_access_ns,
  /// interrupt_flag_at_start, start_state.
  static const component_schema& schema();

  cpu_core(sc_core::sc_module_name nm, sim_context& ctx, const param_values& p, local_apic& apic);

  /// The OS model whose vector_entry the core calls. nullptr (the default) selects the built-in
  /// test behaviour: record the dispatch, settle its events as handled (first) / merged (rest),
  /// write EOI for a vector entry, and return default_handler_time().
  void set_os(os_entry_if* os) { os_ = os; }
  local_apic& apic() { return apic_; }

  // ---- cpu_port_if ----
  unsigned cpu_index() const override;
  bool rdmsr(uint32_t msr, uint64_t& value, sc_core::sc_time& delay) override;
  bool wrmsr(uint32_t msr, uint64_t value, sc_core::sc_time& delay) override;
  uint32_t apic_mmio_read(uint32_t offset, sc_core::sc_time& delay) override;
  void apic_mmio_write(uint32_t offset, uint32_t value, sc_core::sc_time& delay) override;
  void set_interrupt_flag(bool enabled) override;
  bool interrupt_flag() const override { return if_; }
  bool running() const override { return state_ == run_state::running; }
  std::vector<event_id> take_irr_events(uint8_t vector) override;

  enum class run_state : uint8_t { running, wait_for_sipi };
  run_state state() const { return state_; }

  // ---- from the local APIC ----
  /// Something may have become deliverable (IRR set, EOI, TPR lowered, APIC enabled); look at it
  /// `delay` from now, or when the current handler ends.
  void kick(sc_core::sc_time delay);
  /// NMI / SMI / ExtINT / INIT / SIPI messages (no IRR/ISR). A second NMI (SMI, ExtINT) while one
  /// is latched merges into it. INIT resets the APIC and puts the core in wait-for-SIPI at once
  /// (its entry is reported to the OS when the core is next idle); SIPI is taken only in
  /// wait-for-SIPI (else lost, sipi_ignored) and starts the core.
  void nmi(std::span<const event_id> events, sc_core::sc_time delay);
  void smi(std::span<const event_id> events, sc_core::sc_time delay);
  void extint(uint8_t vector, std::span<const event_id> events, sc_core::sc_time delay);
  void init(std::span<const event_id> events, sc_core::sc_time delay);
  void sipi(uint8_t vector, std::span<const event_id> events, sc_core::sc_time delay);

  // ---- test hooks (built-in behaviour without an OS) ----
  struct dispatch_record {
    uint64_t time_ps;  ///< when the OS entry was called (after entry cost)
    entry_kind kind;
    uint8_t vector;
    std::vector<event_id> events;
  };
  const std::vector<dispatch_record>& dispatches() const { return log_; }
  void clear_dispatches() { log_.clear(); }
  void set_default_handler_time(sc_core::sc_time t) { handler_time_ = t; }
  sc_core::sc_time default_handler_time() const { return handler_time_; }
  /// Whether the built-in behaviour writes EOI after a vector entry (default true).
  void set_default_eoi(bool on) { default_eoi_ = on; }

  struct counters {
    uint64_t vectors = 0, spurious = 0, nmis = 0, smis = 0, extints = 0, inits = 0, sipis = 0;
  };
  const counters& stats() const { return stats_; }
  bool busy() const;

 private:
  enum class phase : uint8_t { idle, acknowledging, entering, busy };
  struct latch {
    bool pending = false;
    uint8_t vector = 0;
    event_list events;
  };
  void on_wake();
  void evaluate();
  void acknowledge();
  void enter(entry_kind kind, uint8_t vector);
  void call_os();
  bool has_work() const;
  void latch_into(latch& l, uint8_t vector, std::span<const event_id> events, const char* what);
  void take(latch& l);
  void wake_at(uint64_t t_ps);
  sc_core::sc_time default_entry(entry_kind kind, uint8_t vector, std::span<const event_id> events);

  local_apic& apic_;
  os_entry_if* os_ = nullptr;
  bool if_;
  bool saved_if_ = false;
  bool reset_in_handler_ = false;
  run_state state_;
  phase phase_ = phase::idle;
  uint64_t phase_end_ps_ = 0;
  entry_kind cur_kind_ = entry_kind::vector;
  uint8_t cur_vector_ = 0;
  event_list cur_events_;
  latch nmi_, smi_, extint_, init_, sipi_;
  sc_core::sc_event wake_;
  sc_core::sc_time entry_cost_, exit_cost_, ack_delay_, access_cost_;
  sc_core::sc_time handler_time_ = sc_core::SC_ZERO_TIME;
  bool default_eoi_ = true;
  std::vector<dispatch_record> log_;
  counters stats_;
};

}  // namespace irqf::lapic
