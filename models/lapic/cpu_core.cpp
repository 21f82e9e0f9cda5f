#include "models/lapic/cpu_core.h"

#include <algorithm>
#include <cstdio>

#include "models/lapic/local_apic.h"

namespace irqf::lapic {

using sc_core::sc_time;
using sc_core::SC_ZERO_TIME;

const component_schema& cpu_core::schema() {
  static const component_schema s{
      "cpu_core",
      "CPU core interrupt entry without an instruction set: IF, IRR->ISR dispatch above PPR, "
      "spurious vector, NMI/SMI/INIT/SIPI/ExtINT (Intel SDM Vol.3A §6.12, §11.8.4, §11.9)",
      {param_spec::real("entry_cost_ns", "ns", 100.0, 0.0, 1e6,
                        "interrupt recognition to the first instruction of the handler (IDT event "
                        "delivery, stack switch, kernel entry); default: a few hundred cycles at ~3 GHz "
                        "(estimate, no datasheet figure)"),
       param_spec::real("exit_cost_ns", "ns", 50.0, 0.0, 1e6,
                        "IRET and kernel exit after the OS returns; default: ~150 cycles at ~3 GHz (estimate)"),
       param_spec::real("ack_delay_ns", "ns", 0.0, 0.0, 1e6,
                        "recognition to acknowledge (INTA) of a fixed interrupt; a TPR raise inside this "
                        "window yields the spurious vector (SDM §11.9). Default 0: no window"),
       param_spec::real("apic_access_ns", "ns", 0.0, 0.0, 1e6,
                        "time added to the caller's delay per APIC register access (MMIO or MSR); "
                        "default 0: the OS model accounts its own costs"),
       param_spec::boolean("interrupt_flag_at_start", true,
                           "IF when the simulation starts (the OS is taken as booted with interrupts on; "
                           "a real reset clears IF)"),
       param_spec::choice("start_state", "running", {"running", "wait_for_sipi"},
                          "run state at start: running, or waiting for INIT-SIPI (an offline AP)")}};
  return s;
}

cpu_core::cpu_core(sc_core::sc_module_name nm, sim_context& c, const param_values& p, local_apic& apic)
    : component(nm, c),
      apic_(apic),
      if_(p.b("interrupt_flag_at_start")),
      state_(p.s("start_state") == "wait_for_sipi" ? run_state::wait_for_sipi : run_state::running),
      entry_cost_(ns(p.r("entry_cost_ns"))),
      exit_cost_(ns(p.r("exit_cost_ns"))),
      ack_delay_(ns(p.r("ack_delay_ns"))),
      access_cost_(ns(p.r("apic_access_ns"))) {
  apic_.attach_core(this);
  SC_HAS_PROCESS(cpu_core);
  SC_METHOD(on_wake);
  sensitive << wake_;
  dont_initialize();
}

// ---------------------------------------------------------------------------------------------
// cpu_port_if

unsigned cpu_core::cpu_index() const { return apic_.cpu_index(); }

bool cpu_core::rdmsr(uint32_t msr, uint64_t& value, sc_time& delay) {
  delay += access_cost_;
  return apic_.rdmsr(msr, value);
}
bool cpu_core::wrmsr(uint32_t msr, uint64_t value, sc_time& delay) {
  delay += access_cost_;
  return apic_.wrmsr(msr, value, delay);
}
uint32_t cpu_core::apic_mmio_read(uint32_t offset, sc_time& delay) {
  delay += access_cost_;
  return apic_.mmio_read(offset);
}
void cpu_core::apic_mmio_write(uint32_t offset, uint32_t value, sc_time& delay) {
  delay += access_cost_;
  apic_.mmio_write(offset, value, delay);
}
void cpu_core::set_interrupt_flag(bool enabled) {
  if_ = enabled;
  if (enabled) kick(SC_ZERO_TIME);
}

// ---------------------------------------------------------------------------------------------
// wake-up machinery: one event; it is notified only when there is something to do

bool cpu_core::busy() const { return phase_ != phase::idle && !(phase_ == phase::busy && now_ps() >= phase_end_ps_); }

void cpu_core::wake_at(uint64_t t_ps) {
  uint64_t now = now_ps();
  wake_.notify(sc_time::from_value(t_ps > now ? t_ps - now : 0));
}

void cpu_core::kick(sc_time delay) {
  switch (phase_) {
    case phase::idle: wake_.notify(delay); return;
    case phase::busy: wake_at(std::max<uint64_t>(now_ps() + delay.value(), phase_end_ps_)); return;
    default: return;  // an entry is under way; the core looks again when it completes
  }
}

void cpu_core::on_wake() {
  const uint64_t now = now_ps();
  switch (phase_) {
    case phase::acknowledging:
      if (now < phase_end_ps_) return wake_at(phase_end_ps_);
      return acknowledge();
    case phase::entering:
      if (now < phase_end_ps_) return wake_at(phase_end_ps_);
      return call_os();
    case phase::busy:
      if (now < phase_end_ps_) return wake_at(phase_end_ps_);
      phase_ = phase::idle;
      [[fallthrough]];
    case phase::idle: return evaluate();
  }
}

bool cpu_core::has_work() const {
  if (init_.pending) return true;
  if (state_ == run_state::wait_for_sipi) return sipi_.pending;
  return smi_.pending || nmi_.pending || (if_ && (extint_.pending || apic_.deliverable() >= 0));
}

void cpu_core::take(latch& l) {
  cur_events_.assign(l.events.begin(), l.events.end());
  l.events.clear();
  l.pending = false;
}

void cpu_core::evaluate() {
  if (init_.pending) {
    take(init_);
    return enter(entry_kind::init, 0);
  }
  if (state_ == run_state::wait_for_sipi) {
    if (!sipi_.pending) return;  // NMI, SMI and INTR are held while waiting for SIPI
    state_ = run_state::running;
    uint8_t v = sipi_.vector;
    take(sipi_);
    return enter(entry_kind::sipi, v);
  }
  if (smi_.pending) {
    take(smi_);
    return enter(entry_kind::smi, 0);
  }
  if (nmi_.pending) {  // NMI is not masked by IF
    take(nmi_);
    return enter(entry_kind::nmi, 2);
  }
  if (!if_) return;
  if (extint_.pending) {
    uint8_t v = extint_.vector;
    take(extint_);
    return enter(entry_kind::extint, v);
  }
  if (apic_.deliverable() < 0) return;
  if (ack_delay_ != SC_ZERO_TIME) {
    // Recognised now; the vector is chosen at acknowledge time.
    phase_ = phase::acknowledging;
    phase_end_ps_ = now_ps() + ack_delay_.value();
    wake_.notify(ack_delay_);
    return;
  }
  acknowledge();
}

void cpu_core::acknowledge() {
  phase_ = phase::idle;
  // An INIT, SMI or NMI that came in meanwhile, or IF cleared: start over.
  if (!if_ || state_ != run_state::running || init_.pending || smi_.pending || nmi_.pending) return evaluate();
  int v = apic_.deliverable();
  if (v < 0) {
    // Recognised, but TPR rose before the acknowledge: the APIC returns the spurious vector and
    // leaves ISR alone; no EOI is due (SDM §11.9).
    if (apic_.highest_requested() >= 0 && apic_.sw_enabled()) {
      cur_events_.clear();
      return enter(entry_kind::spurious, apic_.spurious_vector());
    }
    return;
  }
  apic_.acknowledge(uint8_t(v), cur_events_);
  enter(entry_kind::vector, uint8_t(v));
}

void cpu_core::enter(entry_kind kind, uint8_t vector) {
  cur_kind_ = kind;
  cur_vector_ = vector;
  switch (kind) {
    case entry_kind::vector: ++stats_.vectors; break;
    case entry_kind::spurious: ++stats_.spurious; break;
    case entry_kind::nmi: ++stats_.nmis; break;
    case entry_kind::smi: ++stats_.smis; break;
    case entry_kind::extint: ++stats_.extints; break;
    case entry_kind::init: ++stats_.inits; break;
    case entry_kind::sipi: ++stats_.sipis; break;
  }
  if (ctx.trace.on())
    ctx.trace.instant(apic_.track(), stage::dispatch, now_ps(), span_of(cur_events_),
                      {{"vec", vector}, {"kind", int64_t(kind)}, {"cpu", cpu_index()}});
  // Interrupt and NMI gates clear IF; IRET restores it. INIT/SIPI leave the core with IF clear.
  saved_if_ = (kind == entry_kind::init || kind == entry_kind::sipi) ? false : if_;
  if_ = false;
  reset_in_handler_ = false;
  if (entry_cost_ == SC_ZERO_TIME) return call_os();
  phase_ = phase::entering;
  phase_end_ps_ = now_ps() + entry_cost_.value();
  wake_.notify(entry_cost_);
}

void cpu_core::call_os() {
  phase_ = phase::entering;  // kicks during the call are folded into has_work() below
  std::span<const event_id> evs = span_of(cur_events_);
  sc_time t = os_ ? os_->vector_entry(cpu_index(), cur_kind_, cur_vector_, evs)
                  : default_entry(cur_kind_, cur_vector_, evs);
  cur_events_.clear();
  phase_ = phase::busy;
  phase_end_ps_ = now_ps() + (t + exit_cost_).value();
  if (!reset_in_handler_) if_ = saved_if_;
  if (has_work()) wake_at(phase_end_ps_);
}

sc_time cpu_core::default_entry(entry_kind kind, uint8_t vector, std::span<const event_id> events) {
  log_.push_back({now_ps(), kind, vector, std::vector<event_id>(events.begin(), events.end())});
  if (kind == entry_kind::spurious) {
    char where[32];
    std::snprintf(where, sizeof where, "cpu%u.vec0x%02x", cpu_index(), vector);
    ctx.led.spurious(where);
  } else {
    ctx.led.settle_handled(events, now_ps());
  }
  if (kind == entry_kind::vector && default_eoi_) {
    sc_time d = SC_ZERO_TIME;
    if (apic_.mode() == apic_mode::x2apic)
      wrmsr(msr_of(OFF_EOI), 0, d);
    else
      apic_mmio_write(OFF_EOI, 0, d);
  }
  return handler_time_;
}

// ---------------------------------------------------------------------------------------------
// NMI, SMI, ExtINT, INIT, SIPI

void cpu_core::latch_into(latch& l, uint8_t vector, std::span<const event_id> events, const char* what) {
  if (l.pending) {
    l.events.insert(l.events.end(), events.begin(), events.end());  // folds into the one latched
    if (ctx.trace.on()) ctx.trace.instant(apic_.track(), stage::merge, now_ps(), events, {{"vec", vector}});
    log->debug("{} merged into the one pending", what);
    return;
  }
  l.pending = true;
  l.vector = vector;
  l.events.assign(events.begin(), events.end());
}

void cpu_core::nmi(std::span<const event_id> events, sc_time delay) {
  latch_into(nmi_, 2, events, "NMI");
  kick(delay);
}
void cpu_core::smi(std::span<const event_id> events, sc_time delay) {
  latch_into(smi_, 0, events, "SMI");
  kick(delay);
}
void cpu_core::extint(uint8_t vector, std::span<const event_id> events, sc_time delay) {
  latch_into(extint_, vector, events, "ExtINT");
  kick(delay);
}

void cpu_core::init(std::span<const event_id> events, sc_time delay) {
  // INIT: the APIC is reset (keeping its ID) and the core waits for a STARTUP IPI; whatever the
  // core held is gone (SDM §9.4.2, §11.4.7.3).
  apic_.init_reset();
  for (latch* l : {&nmi_, &smi_, &extint_, &sipi_}) {
    if (!l->pending) continue;
    ctx.led.settle_lost(span_of(l->events), loss_cause::apic_reset, now_ps());
    l->events.clear();
    l->pending = false;
  }
  if (phase_ != phase::idle) reset_in_handler_ = true;
  state_ = run_state::wait_for_sipi;
  if_ = false;
  saved_if_ = false;
  latch_into(init_, 0, events, "INIT");
  kick(delay);
}

void cpu_core::sipi(uint8_t vector, std::span<const event_id> events, sc_time delay) {
  if (state_ != run_state::wait_for_sipi || sipi_.pending) {
    // A STARTUP IPI is ignored unless the processor waits for one (SDM §9.4.4).
    ctx.led.settle_lost(events, loss_cause::sipi_ignored, now_ps());
    if (ctx.trace.on()) ctx.trace.instant(apic_.track(), stage::drop, now_ps(), events, {{"vec", vector}});
    return;
  }
  latch_into(sipi_, vector, events, "SIPI");
  kick(delay);
}

std::vector<event_id> cpu_core::take_irr_events(uint8_t vector) { return apic_.take_irr(vector); }

}  // namespace irqf::lapic
