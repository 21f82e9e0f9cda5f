#include "models/lapic/local_apic.h"

#include <algorithm>
#include <cassert>
#include <cmath>
#include <cstring>

#include "models/lapic/apic_bus.h"
#include "models/lapic/cpu_core.h"
#include "models/lapic/priority.h"

namespace irqf::lapic {

using sc_core::sc_time;
using sc_core::SC_ZERO_TIME;

const char* to_string(apic_mode m) {
  switch (m) {
    case apic_mode::disabled: return "disabled";
    case apic_mode::xapic: return "xapic";
    case apic_mode::x2apic: return "x2apic";
  }
  return "?";
}

const component_schema& local_apic::schema() {
  static const component_schema s{
      "lapic",
      "Local APIC (Intel SDM Vol.3A ch.11): xAPIC/x2APIC registers, IRR/ISR/TMR, TPR/PPR/APR, EOI, "
      "ESR, ICR, LVT and timer",
      {param_spec::real("timer_frequency_mhz", "MHz", 25.0, 0.001, 10000.0,
                        "APIC timer input clock before the divider; default: 25 MHz core crystal of "
                        "Intel Xeon Scalable parts (SDM Vol.3B, nominal core crystal clock table, CPUID.15H)"),
       param_spec::real("tsc_frequency_mhz", "MHz", 2000.0, 1.0, 10000.0,
                        "TSC rate used by IA32_TSC and TSC-deadline mode; default: a 2.0 GHz part (assumption)"),
       param_spec::boolean("directed_eoi", true,
                           "Version[24]: SVR[12] may suppress EOI broadcasts (SDM §11.8.5); set on "
                           "x2APIC-capable Intel processors"),
       param_spec::boolean("x2apic_supported", true,
                           "CPUID.01H:ECX[21]; when false, setting IA32_APIC_BASE.EXTD raises #GP")}};
  return s;
}

local_apic::local_apic(sc_core::sc_module_name nm, sim_context& c, const param_values& p, unsigned cpu,
                       uint32_t apic_id, apic_bus* bus)
    : component(nm, c),
      cpu_(cpu),
      x2apic_id_(apic_id),
      bus_(bus),
      regs_(apic_reg_table()),
      apic_base_(apic_base::default_base | apic_base::EN.mask() | (cpu == 0 ? apic_base::BSP.mask() : 0)),
      base_tick_ps_(uint64_t(std::llround(1e6 / p.r("timer_frequency_mhz")))),
      tsc_hz_(uint64_t(std::llround(p.r("tsc_frequency_mhz") * 1e6))),
      directed_eoi_(p.b("directed_eoi")),
      x2apic_supported_(p.b("x2apic_supported")) {
  if (base_tick_ps_ == 0) base_tick_ps_ = 1;
  hw_reset_registers();
  track_ = ctx.trace.add_track("cpu", "cpu" + std::to_string(cpu) + ".lapic");
  SC_HAS_PROCESS(local_apic);
  SC_METHOD(on_timer);
  sensitive << timer_ev_;
  dont_initialize();
  if (bus_) bus_->attach(*this);
}

void local_apic::hw_reset_registers() {
  regs_.reset();
  regs_.set(idx(reg::ID), XAPIC_ID.set(0, x2apic_id_ & 0xFF));
  regs_.set(idx(reg::VERSION), version::EOI_BCAST_SUPPRESSION.set(regs_.get(idx(reg::VERSION)), directed_eoi_));
  irr_.reset();
  isr_.reset();
  tmr_.reset();
  irr_events_.clear();
  esr_pending_ = 0;
  timer_stop();
}

// ---------------------------------------------------------------------------------------------
// identity and priorities

uint32_t local_apic::physical_id() const {
  return x2() ? x2apic_id_ : uint32_t(XAPIC_ID.get(regs_.get(idx(reg::ID))));
}

uint32_t local_apic::logical_id() const {
  if (x2())
    return uint32_t(X2_LDR_CLUSTER.set(0, X2_ID_CLUSTER.get(x2apic_id_)) |
                    X2_LDR_MEMBERS.set(0, 1u << X2_ID_MEMBER.get(x2apic_id_)));
  return uint32_t(XAPIC_LDR_ID.get(regs_.get(idx(reg::LDR))));
}

bool local_apic::matches_logical(uint32_t dest, bool wide) const {
  if (x2()) {
    // 8-bit 0xFF from an xAPIC-format source is a broadcast in x2APIC mode (SDM §11.12.9).
    if (dest == 0xFFFF'FFFFu || (!wide && dest == 0xFF)) return true;
    uint32_t ldr = logical_id();
    return X2_LDR_CLUSTER.get(dest) == X2_LDR_CLUSTER.get(ldr) &&
           (X2_LDR_MEMBERS.get(dest) & X2_LDR_MEMBERS.get(ldr)) != 0;
  }
  if (wide && dest > 0xFF) return dest == 0xFFFF'FFFFu;
  uint64_t ldr = logical_id();
  uint64_t model = DFR_MODEL.get(regs_.get(idx(reg::DFR)));
  if (model == DFR_MODEL_FLAT) return (dest & ldr) != 0;
  if (model == DFR_MODEL_CLUSTER) {
    uint64_t cl = CLUSTER_ID.get(dest);
    return (cl == 0xF || cl == CLUSTER_ID.get(ldr)) && (CLUSTER_MEMBERS.get(dest) & CLUSTER_MEMBERS.get(ldr)) != 0;
  }
  return false;  // undefined DFR model: matches nothing
}

bool local_apic::sw_enabled() const {
  return mode_ != apic_mode::disabled && svr::APIC_SW_ENABLE.test(regs_.get(idx(reg::SVR)));
}
uint8_t local_apic::tpr() const { return uint8_t(regs_.get(idx(reg::TPR))); }
uint8_t local_apic::ppr() const { return compute_ppr(tpr(), isr_.highest()); }
uint8_t local_apic::apr() const { return compute_apr(tpr(), isr_.highest(), irr_.highest()); }
uint8_t local_apic::spurious_vector() const { return uint8_t(svr::VECTOR.get(regs_.get(idx(reg::SVR)))); }

bool local_apic::is_focus_for(uint8_t v) const {
  if (svr::FOCUS_CHECKING_DISABLE.test(regs_.get(idx(reg::SVR)))) return false;
  return irr_.test(v) || isr_.test(v);
}

int local_apic::deliverable() const {
  if (!sw_enabled()) return -1;
  int v = irr_.highest();
  return dispatchable(v, ppr()) ? v : -1;
}

std::vector<event_id> local_apic::irr_events(uint8_t v) const {
  std::vector<event_id> r;
  for (auto& [vec, id] : irr_events_)
    if (vec == v) r.push_back(id);
  return r;
}

std::vector<event_id> local_apic::take_irr(uint8_t v) {
  std::vector<event_id> r;
  if (!irr_.test(v)) return r;
  irr_.clear(v);
  size_t n = 0;
  for (size_t i = 0; i < irr_events_.size(); ++i) {
    if (irr_events_[i].first == v) r.push_back(irr_events_[i].second);
    else irr_events_[n++] = irr_events_[i];
  }
  irr_events_.resize(n);
  return r;
}

source_id local_apic::source(const char* kind, unsigned index) {
  for (const source_slot& s : sources_)
    if (s.index == index && std::strcmp(s.kind, kind) == 0) return s.id;
  source_id id = ctx.led.add_source("cpu" + std::to_string(cpu_) + "/" + kind + "/" + std::to_string(index));
  sources_.push_back({kind, index, id});
  return id;
}

// ---------------------------------------------------------------------------------------------
// acceptance

void local_apic::drop(std::span<const event_id> events, loss_cause cause, uint8_t vector) {
  ++stats_.dropped;
  ctx.led.settle_lost(events, cause, now_ps());
  if (ctx.trace.on()) ctx.trace.instant(track_, stage::drop, now_ps(), events, {{"vec", vector}, {"cause", int64_t(cause)}});
  log->debug("vector {:#x} dropped: {}", vector, to_string(cause));
}

void local_apic::accept(const apic_irq& irq, std::span<const event_id> events, sc_time delay) {
  if (mode_ == apic_mode::disabled) return drop(events, loss_cause::apic_disabled, irq.vector);
  switch (irq.mode) {
    case delivery_mode::fixed:
    case delivery_mode::lowest:
      return accept_fixed(irq.vector, irq.level_trigger, events, delay);
    default: break;
  }
  if (!core_) return drop(events, loss_cause::unsupported_delivery, irq.vector);
  if (ctx.trace.on())
    ctx.trace.instant(track_, stage::accept, now_ps(), events, {{"vec", irq.vector}, {"mode", int64_t(irq.mode)}});
  switch (irq.mode) {
    case delivery_mode::nmi: return core_->nmi(events, delay);
    case delivery_mode::smi: return core_->smi(events, delay);
    case delivery_mode::init: return core_->init(events, delay);
    case delivery_mode::startup: return core_->sipi(irq.vector, events, delay);
    case delivery_mode::extint:
      // ExtINT goes through the APIC's INTR path: not taken while software-disabled.
      if (!sw_enabled()) return drop(events, loss_cause::apic_disabled, irq.vector);
      return core_->extint(irq.vector, events, delay);
    default: return drop(events, loss_cause::unsupported_delivery, irq.vector);
  }
}

void local_apic::accept_fixed(uint8_t v, bool level, std::span<const event_id> events, sc_time delay) {
  // A software-disabled APIC takes only NMI, SMI, INIT and SIPI (SDM §11.4.7.2).
  if (!sw_enabled()) return drop(events, loss_cause::apic_disabled, v);
  if (illegal_vector(v)) {
    set_error(esr::RECEIVE_ILLEGAL_VECTOR);
    return drop(events, loss_cause::illegal_vector, v);
  }
  tmr_.assign(v, level);  // TMR: 1 level, 0 edge (SDM §11.8.4)
  if (irr_.test(v)) {
    // At most one pending per vector: the arrival folds into the IRR bit (its id is settled as
    // merged when the OS handles the vector).
    for (event_id e : events) irr_events_.emplace_back(v, e);
    ++stats_.merged;
    if (ctx.trace.on()) ctx.trace.instant(track_, stage::merge, now_ps(), events, {{"vec", v}});
  } else {
    irr_.set(v);
    for (event_id e : events) irr_events_.emplace_back(v, e);
    ++stats_.accepted;
    if (ctx.trace.on()) ctx.trace.instant(track_, stage::accept, now_ps(), events, {{"vec", v}, {"level", level}});
  }
  if (core_) core_->kick(delay);
}

void local_apic::acknowledge(uint8_t v, event_list& out) {
  assert(irr_.test(v));
  irr_.clear(v);
  isr_.set(v);
  out.clear();
  size_t n = 0;
  for (size_t i = 0; i < irr_events_.size(); ++i) {
    if (irr_events_[i].first == v)
      out.push_back(irr_events_[i].second);
    else
      irr_events_[n++] = irr_events_[i];
  }
  irr_events_.resize(n);
}

void local_apic::discard_pending(loss_cause cause) {
  for (auto& [v, id] : irr_events_) drop(std::span<const event_id>(&id, 1), cause, v);
  irr_events_.clear();
  irr_.reset();
  isr_.reset();
  tmr_.reset();
}

void local_apic::init_reset() {
  uint64_t id = regs_.get(idx(reg::ID));
  discard_pending(loss_cause::apic_reset);
  hw_reset_registers();
  regs_.set(idx(reg::ID), id);  // the APIC ID survives INIT
}

// ---------------------------------------------------------------------------------------------
// EOI, ESR, LVT-generated interrupts

void local_apic::eoi() {
  int v = isr_.highest();
  if (v < 0) {
    log->debug("EOI with no vector in service");
    return;
  }
  uint8_t vec = uint8_t(v);
  isr_.clear(vec);
  ++stats_.eois;
  bool level = tmr_.test(vec);
  if (ctx.trace.on()) ctx.trace.instant(track_, stage::eoi, now_ps(), {}, {{"vec", vec}, {"level", level}});
  if (level) {
    // A level LINT entry with this vector gets its Remote IRR cleared; still asserted, it fires again.
    for (unsigned pin = 0; pin < 2; ++pin) {
      size_t e = idx(pin ? reg::LVT_LINT1 : reg::LVT_LINT0);
      uint64_t l = regs_.get(e);
      if (lvt::REMOTE_IRR.test(l) && lvt::VECTOR.get(l) == vec) {
        regs_.set(e, lvt::REMOTE_IRR.set(l, 0));
        if (lint_asserted(pin)) lint_evaluate(pin, true);
      }
    }
    bool suppressed = directed_eoi_ && svr::EOI_BCAST_SUPPRESSION.test(regs_.get(idx(reg::SVR)));
    if (!suppressed && bus_) {
      ++stats_.eoi_broadcasts;
      bus_->eoi_broadcast(vec);
    }
  }
  if (core_) core_->kick(SC_ZERO_TIME);
}

void local_apic::set_error(bitfield bit) {
  uint32_t m = uint32_t(bit.mask());
  bool fresh = (esr_pending_ & m) == 0;
  esr_pending_ |= m;
  log->debug("ESR error {:#x}", m);
  if (fresh) deliver_lvt(reg::LVT_ERROR, "error", 0);
}

void local_apic::deliver_lvt(reg entry, const char* kind, unsigned index) {
  uint64_t l = regs_.get(idx(entry));
  if (lvt::MASK.test(l) || !sw_enabled()) return;  // masked: nothing is delivered, no event born
  event_id ev[1] = {ctx.led.raise(source(kind, index), now_ps())};
  if (ctx.trace.on()) ctx.trace.instant(track_, stage::raise, now_ps(), ev, {{"vec", lvt::VECTOR.get(l)}});
  uint8_t v = uint8_t(lvt::VECTOR.get(l));
  switch (delivery_mode(lvt::DELIVERY_MODE.get(l))) {
    case delivery_mode::fixed: {
      bool level = lvt::TRIGGER_MODE.test(l);
      if (level) regs_.set(idx(entry), lvt::REMOTE_IRR.set(l, 1));
      return accept_fixed(v, level, ev, SC_ZERO_TIME);
    }
    case delivery_mode::smi:
    case delivery_mode::nmi:
    case delivery_mode::init:
    case delivery_mode::extint: {
      apic_irq irq;
      irq.vector = v;
      irq.mode = delivery_mode(lvt::DELIVERY_MODE.get(l));
      return accept(irq, ev, SC_ZERO_TIME);
    }
    default: return drop(ev, loss_cause::unsupported_delivery, v);
  }
}

void local_apic::set_lint(unsigned pin, bool level) {
  assert(pin < 2);
  const bool was = lint_asserted(pin);
  lint_level_[pin] = level;
  lint_evaluate(pin, was);
}

bool local_apic::lint_asserted(unsigned pin) const {
  // Interrupt Input Pin Polarity (LVT bit 13, SDM §11.5.1): 0 active high, 1 active low.
  return lint_level_[pin] != lvt::PIN_POLARITY.test(regs_.get(idx(pin ? reg::LVT_LINT1 : reg::LVT_LINT0)));
}

void local_apic::lint_evaluate(unsigned pin, bool was_asserted) {
  const bool asserted = lint_asserted(pin);
  uint64_t l = regs_.get(idx(pin ? reg::LVT_LINT1 : reg::LVT_LINT0));
  bool level_fixed = lvt::TRIGGER_MODE.test(l) && lvt::DELIVERY_MODE.get(l) == uint64_t(delivery_mode::fixed);
  if (level_fixed) {
    if (asserted && !lvt::REMOTE_IRR.test(l)) deliver_lvt(pin ? reg::LVT_LINT1 : reg::LVT_LINT0, "lint", pin);
  } else if (asserted && !was_asserted) {
    deliver_lvt(pin ? reg::LVT_LINT1 : reg::LVT_LINT0, "lint", pin);
  }
}

// ---------------------------------------------------------------------------------------------
// IPIs

void local_apic::send_icr(uint64_t low, uint32_t dest, sc_time delay) {
  apic_irq irq;
  irq.vector = uint8_t(icr::VECTOR.get(low));
  irq.mode = delivery_mode(icr::DELIVERY_MODE.get(low));
  irq.logical = icr::DESTINATION_MODE.test(low);
  irq.level_assert = icr::LEVEL.test(low);
  irq.level_trigger = icr::TRIGGER_MODE.test(low);
  irq.dest = dest;
  uint8_t sh = uint8_t(icr::DESTINATION_SHORTHAND.get(low));
  // Level-triggered IPIs (SDM §11.6.1, valid ICR combinations for Pentium 4 and Xeon, notes 1-2):
  // a level de-assert is ignored — nothing is sent (this includes INIT level de-assert, which only
  // synchronised arbitration IDs before the Pentium 4) — and a level assert is sent as edge, so a
  // target never sets TMR (and never broadcasts an EOI) for an IPI.
  if (irq.level_trigger) {
    if (!irq.level_assert) return;
    irq.level_trigger = false;
  }
  event_id ev[1] = {ctx.led.raise(source("ipi", irq.vector), now_ps())};
  if (ctx.trace.on()) ctx.trace.instant(track_, stage::raise, now_ps(), ev, {{"vec", irq.vector}, {"ipi", 1}});
  // Valid ICR combinations (SDM §11.6.1, Pentium 4 and Xeon table): 011/111 are reserved; "self"
  // and "all including self" take Fixed only (lowest priority, NMI, INIT, SMI, Start-Up invalid).
  unsigned m = unsigned(irq.mode);
  bool valid = m != 3 && m != 7;
  if ((sh == icr::self || sh == icr::all_including_self) && irq.mode != delivery_mode::fixed) valid = false;
  if (!valid) {
    log->warn("invalid ICR combination (delivery mode {}, shorthand {}): not sent", m, sh);
    return drop(ev, loss_cause::unsupported_delivery, irq.vector);
  }
  if ((irq.mode == delivery_mode::fixed || irq.mode == delivery_mode::lowest) && illegal_vector(irq.vector)) {
    set_error(esr::SEND_ILLEGAL_VECTOR);
    return drop(ev, loss_cause::illegal_vector, irq.vector);
  }
  ++stats_.ipis_sent;
  if (!bus_) {
    if (sh == icr::self) return accept(irq, ev, delay);
    return drop(ev, loss_cause::no_destination, irq.vector);
  }
  if (!x2()) regs_.set(idx(reg::ICR_LOW), icr::DELIVERY_STATUS.set(regs_.get(idx(reg::ICR_LOW)), 1));
  bus_->send_ipi(*this, irq, x2() ? dest_width::wide : dest_width::narrow, sh, ev, delay);
}

void local_apic::self_ipi(uint8_t v, sc_time delay) {
  event_id ev[1] = {ctx.led.raise(source("ipi", v), now_ps())};
  if (ctx.trace.on()) ctx.trace.instant(track_, stage::raise, now_ps(), ev, {{"vec", v}, {"ipi", 1}});
  ++stats_.ipis_sent;
  if (illegal_vector(v)) {
    set_error(esr::SEND_ILLEGAL_VECTOR);
    return drop(ev, loss_cause::illegal_vector, v);
  }
  accept_fixed(v, false, ev, delay);  // SELF IPI: always Fixed, edge (SDM §11.12.11)
}

}  // namespace irqf::lapic
