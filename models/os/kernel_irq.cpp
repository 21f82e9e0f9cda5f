// irqf::os::kernel — the interrupt entry (arch/x86/kernel/irq.c common_interrupt: vector_irq
// lookup, stray vectors), the x86 MSI chip's ack (apic_ack_edge: irq_complete_move, irq_move_irq,
// EOI), ledger settlement, the flow-handler environment, the manage.c functions (request_irq,
// free_irq, disable_irq, enable_irq, irq_set_affinity), CPU hotplug and the deferred work (edge
// re-runs, the vector-cleanup timer or IPI).
#include <cstdio>

#include "models/os/irq/irq_core.h"
#include "models/os/kernel.h"
#include "models/os/kernel_impl.h"
#include "models/os/pci/pci_msi.h"

namespace irqf::os {

using sc_core::sc_time;
using sc_core::SC_ZERO_TIME;

namespace {
constexpr source_id no_source = ~0u;
constexpr unsigned spurious_apic_vector = 0xFF;
/// IRQ_MOVE_CLEANUP_VECTOR before v6.6 (FIRST_EXTERNAL_VECTOR).
constexpr unsigned irq_move_cleanup_vector = 0x20;

}  // namespace

std::unique_ptr<kernel_flow> kernel::make_flow() { return std::make_unique<kernel_flow>(*this); }

// ---------------------------------------------------------------------------------------------
// descriptors

irq_desc& kernel::fdesc(unsigned virq) {
  if (descs_.size() <= virq) {
    descs_.resize(virq + 1);
    irq_src_.resize(virq + 1, no_source);
  }
  return descs_[virq];
}

const irq_desc* kernel::desc(unsigned virq) const {
  return virq < descs_.size() && core_->exists(virq) ? &descs_[virq] : nullptr;
}

void kernel::init_irq_desc(unsigned virq, const std::string& source_name) {
  irq_desc& d = fdesc(virq);
  if (!d.held.empty()) ctx.led.settle_lost(span_of(d.held), loss_cause::pending_cleared, sw_now_ps());
  d = irq_desc{};
  d.irq = virq;
  irq_src_[virq] = source_name.empty() ? no_source : ctx.led.add_source(source_name);
}

void kernel::free_irq_desc(unsigned virq) {
  irq_desc& d = fdesc(virq);
  if (!d.held.empty()) ctx.led.settle_lost(span_of(d.held), loss_cause::pending_cleared, sw_now_ps());
  d = irq_desc{};
  irq_src_[virq] = no_source;
}

// ---------------------------------------------------------------------------------------------
// entry

bool kernel::is_ipi_source(source_id s) {
  if (s >= ipi_src_.size()) ipi_src_.resize(size_t(s) + 1, -1);
  if (ipi_src_[s] < 0) ipi_src_[s] = ctx.led.source_name(s).find("/ipi/") != std::string::npos ? 1 : 0;
  return ipi_src_[s] == 1;
}

void kernel::enter_irq(unsigned cpu, uint8_t vector) {
  ++in_irq_;
  irq_cpu_ = cpu;
  irq_vector_ = vector;
  irq_time_ = SC_ZERO_TIME;
}

void kernel::exit_irq() { --in_irq_; }

sc_time kernel::vector_entry(unsigned cpu, entry_kind kind, uint8_t vector, std::span<const event_id> events) {
  const int saved_depth = in_irq_;
  const unsigned saved_cpu = irq_cpu_;
  const uint8_t saved_vec = irq_vector_;
  const sc_time saved_time = irq_time_;
  enter_irq(cpu, vector);
  charge(entry_cost_);
  if (on_entry) on_entry(cpu, kind, vector);
  switch (kind) {
    case entry_kind::vector:
      ++st_.entries;
      handle_vector(cpu, vector, events);
      break;
    case entry_kind::spurious:
      // The APIC's spurious vector: counted (SPU), no EOI (SDM §11.9).
      ++st_.spurious;
      ctx.led.spurious(where(cpu, vector));
      if (!events.empty()) ctx.led.settle_lost(events, loss_cause::no_irq_handler, sw_now_ps());
      break;
    case entry_kind::nmi:
    case entry_kind::smi:
    case entry_kind::extint:
    case entry_kind::init:
    case entry_kind::sipi:
      if (!events.empty()) ctx.led.settle_handled(events, sw_now_ps());
      break;
  }
  charge(exit_cost_);
  const sc_time t = irq_time_;
  in_irq_ = saved_depth;
  irq_cpu_ = saved_cpu;
  irq_vector_ = saved_vec;
  irq_time_ = saved_time;
  return t;
}

void kernel::handle_system_vector(unsigned cpu, uint8_t vector, std::span<const event_id> events) {
  const uint64_t t = sw_now_ps();
  // Events born as IPIs to a system vector are that vector's own business: handled by its handler.
  event_list dev;
  for (event_id ev : events) {
    if (is_ipi_source(ctx.led.record(ev).source))
      ctx.led.handled(ev, t);
    else
      dev.push_back(ev);
  }
  events = span_of(dev);
  if (vector == irq_move_cleanup_vector && kv_.cleanup() == vector_cleanup::ipi) {
    cleanup_on(cpu);
    apic_eoi(cpu);
    if (!events.empty()) {
      st_.misrouted += events.size();
      ctx.led.settle_lost(events, loss_cause::misrouted, t);
    }
    return;
  }
  if (vector == spurious_apic_vector || vector == managed_irq_shutdown_vector) {
    // spurious_interrupt: SPU; EOI because the vector was delivered (ISR set). A device message on
    // 0xef comes from an irq parked in reservation/shutdown state.
    ++st_.spurious;
    ctx.led.spurious(where(cpu, vector));
    apic_eoi(cpu);
    if (!events.empty())
      ctx.led.settle_lost(events, vector == managed_irq_shutdown_vector ? loss_cause::irq_shutdown
                                                                         : loss_cause::no_irq_handler, t);
    return;
  }
  // Timer, IPIs, error...: their own handler runs, not a device's.
  apic_eoi(cpu);
  if (!events.empty()) {
    st_.misrouted += events.size();
    ctx.led.settle_lost(events, loss_cause::misrouted, t);
  }
}

void kernel::handle_vector(unsigned cpu, uint8_t vector, std::span<const event_id> events) {
  vector_domain& vd = core_->vectors();
  if (vector >= kv_.first_system_vector() || vector < first_external_vector ||
      (vector == irq_move_cleanup_vector && kv_.cleanup() == vector_cleanup::ipi)) {
    handle_system_vector(cpu, vector, events);
    return;
  }
  const int32_t e = vd.vector_irq(cpu, vector);
  if (e == vector_unused) {
    apic_eoi(cpu);
    ++st_.no_irq_handler;
    uint8_t& logged = no_handler_logged_[size_t(cpu) * nr_vectors + vector];
    if (!logged) {
      logged = 1;
      log->warn("common_interrupt: {}.{} No irq handler for vector", cpu, vector);
    }
    if (!events.empty()) ctx.led.settle_lost(events, loss_cause::no_irq_handler, sw_now_ps());
    return;
  }
  if (e == vector_shutdown || e == vector_retriggered) {
    apic_eoi(cpu);
    vd.set_vector_irq(cpu, vector, vector_unused);
    ++st_.shutdown_vectors;
    if (!events.empty()) ctx.led.settle_lost(events, loss_cause::irq_shutdown, sw_now_ps());
    return;
  }
  const unsigned virq = unsigned(e);
  irq_desc& d = fdesc(virq);
  const source_id want = irq_src_[virq];
  for (event_id ev : events) {
    const source_id src = ctx.led.record(ev).source;
    if (want == no_source || src == want || is_ipi_source(src)) {
      d.held.push_back(ev);  // a retrigger/resend IPI on the irq's vector is meant for it too
    } else {
      // The handler of another irq runs for it (stale IRTE/IEC, affinity race, forged message).
      ++st_.misrouted;
      ctx.led.lost(ev, loss_cause::misrouted, sw_now_ps());
    }
  }
  if (!d.has_action && !d.held.empty()) {
    st_.no_action += d.held.size();
    ctx.led.settle_lost(span_of(d.held), loss_cause::no_action, sw_now_ps());
    d.held.clear();
  }
  if (d.flow == flow_kind::edge)
    handle_edge_irq(d, *flow_);
  else
    handle_fasteoi_irq(d, *flow_);
}

// ---------------------------------------------------------------------------------------------
// deferred work

void kernel::run_reruns() {
  const uint64_t now = now_ps();
  uint64_t next = ~0ull;
  for (size_t i = 0; i < reruns_.size();) {
    if (reruns_[i].due_ps <= now) {
      rerun r = reruns_[i];
      reruns_.erase(reruns_.begin() + long(i));
      if (r.virq < descs_.size()) {
        enter_irq(r.cpu, 0);
        ++st_.reruns;
        edge_rerun(descs_[r.virq], *flow_);
        exit_irq();
      }
      i = 0;  // the run may have queued more
      next = ~0ull;
      continue;
    }
    next = std::min(next, reruns_[i].due_ps);
    ++i;
  }
  if (next != ~0ull) rerun_ev_.notify(sc_time::from_value(next - now));
}

void kernel::arm_cleanup(unsigned cpu) {
  if (cpu >= ncpus()) return;
  if (kv_.cleanup() == vector_cleanup::ipi) {  // before 6.6: IRQ_MOVE_CLEANUP_VECTOR IPI
    send_ipi(exec_cpu(), cpu, irq_move_cleanup_vector);
    return;
  }
  if (cleanup_due_[cpu]) return;
  cleanup_due_[cpu] = now_ps() + tick_.value();
  cleanup_ev_.notify(tick_);
}

void kernel::arm_all_cleanups() {
  const cpumask& due = core_->vectors().cleanup_cpus();  // read live, as the CPU walk did
  for (unsigned cpu = due.first(); cpu != no_cpu && cpu < ncpus(); cpu = due.next(cpu + 1)) arm_cleanup(cpu);
}

void kernel::cleanup_on(unsigned cpu) {
  ++st_.cleanups;
  bool left = core_->vectors().run_cleanup(cpu, [this, cpu](unsigned v) { return lapic_irr(cpu, v); });
  if (!left) return;
  // Still pending in IRR: try again (timer re-armed, or the IPI sent to self before 6.6).
  if (kv_.cleanup() == vector_cleanup::ipi) {
    send_ipi(cpu, cpu, irq_move_cleanup_vector);
  } else {
    cleanup_due_[cpu] = now_ps() + tick_.value();
    cleanup_ev_.notify(tick_);
  }
}

void kernel::run_cleanup_timer() {
  const uint64_t now = now_ps();
  for (unsigned cpu = 0; cpu < ncpus(); ++cpu) {
    if (!cleanup_due_[cpu] || cleanup_due_[cpu] > now) continue;
    cleanup_due_[cpu] = 0;
    enter_irq(cpu, 0);
    cleanup_on(cpu);
    exit_irq();
  }
  uint64_t next = ~0ull;
  for (uint64_t due : cleanup_due_)
    if (due) next = std::min(next, due);
  if (next != ~0ull) cleanup_ev_.notify(sc_time::from_value(next > now ? next - now : 0));
}

// ---------------------------------------------------------------------------------------------
// kernel/irq/manage.c

int kernel::request_irq(unsigned virq, irq_handler handler, const std::string& nm) {
  if (!core_->exists(virq) || virq >= descs_.size() || !handler) return -err::inval;
  irq_desc& d = descs_[virq];
  if (d.has_action) return -err::busy;  // no IRQF_SHARED in the model
  charge(request_cost_);
  local_irq_disable();
  d.has_action = true;
  d.handler = std::move(handler);
  d.name = nm;
  // irq_startup(desc, IRQ_RESEND, IRQ_START_COND): activation (real vector, IRTE, message),
  // affinity, unmask.
  d.depth = 0;
  d.disabled = false;
  int e = core_->startup(virq);
  if (e) {
    d.has_action = false;
    d.handler = nullptr;
    d.depth = 1;
    d.disabled = true;
    local_irq_enable();
    return e;
  }
  d.masked = core_->desc(virq).managed_shutdown;  // IRQ_STARTUP_ABORT leaves it masked
  check_irq_resend(d, *flow_);
  local_irq_enable();
  arm_all_cleanups();
  return 0;
}

void kernel::free_irq(unsigned virq) {
  if (virq >= descs_.size() || !descs_[virq].has_action) {
    log->warn("Trying to free already-free IRQ {}", virq);
    return;
  }
  irq_desc& d = descs_[virq];
  local_irq_disable();
  d.has_action = false;
  d.handler = nullptr;
  // irq_shutdown_and_deactivate: mask, zero message, zero IRTE + flush, vector freed (re-reserved).
  core_->shutdown(virq);
  d.masked = true;
  d.disabled = true;
  d.depth = 1;
  d.pending = false;
  if (!d.held.empty()) {
    ctx.led.settle_lost(span_of(d.held), loss_cause::pending_cleared, sw_now_ps());
    d.held.clear();
  }
  local_irq_enable();
  // synchronize_irq: a handler still running elsewhere finishes first.
  if (in_thread() && !in_irq_) {
    sync_local();
    if (d.inprogress_until_ps > now_ps()) sc_core::wait(sc_time::from_value(d.inprogress_until_ps - now_ps()));
  }
  arm_all_cleanups();
}

void kernel::disable_irq(unsigned virq) {
  if (virq >= descs_.size() || !core_->exists(virq)) return;
  irq_desc& d = descs_[virq];
  irq_disable_lazy(d);
  if (in_thread() && !in_irq_) {  // synchronize_irq
    sync_local();
    if (d.inprogress_until_ps > now_ps()) sc_core::wait(sc_time::from_value(d.inprogress_until_ps - now_ps()));
  }
}

void kernel::enable_irq(unsigned virq) {
  if (virq >= descs_.size() || !core_->exists(virq)) return;
  irq_desc& d = descs_[virq];
  if (d.depth == 0) {
    log->warn("Unbalanced enable for IRQ {}", virq);
    return;
  }
  local_irq_disable();
  if (irq_enable_depth(d)) {
    unmask_irq(d, *flow_);
    check_irq_resend(d, *flow_);
  }
  local_irq_enable();
}

int kernel::irq_set_affinity(unsigned virq, const cpumask& mask) {
  local_irq_disable();
  int r = core_->set_affinity(virq, mask);
  local_irq_enable();
  arm_all_cleanups();
  return r;
}

int kernel::cpu_down(unsigned cpu) {
  if (cpu >= ncpus() || !core_->online().test(cpu)) return -err::inval;
  if (core_->online().weight() == 1) return -err::busy;
  // take_cpu_down runs on the dying CPU with interrupts off; it never turns them on again.
  cpu_port_if* c = fw_.cpus[cpu];
  const bool was_on = c->interrupt_flag();
  c->set_interrupt_flag(false);
  // Which irq each of the dying CPU's vectors served, for the late IRR check below.
  std::vector<std::pair<unsigned, unsigned>> served;  // (vector, virq)
  for (unsigned v = 0x20; v < 0x100; ++v) {
    int32_t e = core_->vectors().vector_irq(cpu, v);
    if (e >= 0) served.emplace_back(v, unsigned(e));
  }
  const unsigned saved = task_cpu_;
  task_cpu_ = cpu;
  int r = core_->cpu_down(cpu);
  task_cpu_ = saved;
  if (r) {
    c->set_interrupt_flag(was_on);
    return r;
  }
  // fixup_irqs (arch/x86/kernel/irq.c): after the migration it waits 1 ms (mdelay(1)) for
  // interrupts already on their way to the old target, then retriggers every vector still pending
  // in the dying CPU's IRR on the irq's new target; the retrigger carries the ids the IRR bit held.
  if (in_thread()) {
    spend(1e6);
    sync_local();
    for (auto [v, virq] : served) {
      if (!core_->exists(virq) || !lapic_irr(cpu, v)) continue;
      auto ids = c->take_irr_events(uint8_t(v));
      irq_desc& d = fdesc(virq);
      d.held.insert(d.held.end(), ids.begin(), ids.end());
      const apic_chip_data& a = core_->vectors().chip_data(virq);
      if (core_->online().test(a.cpu)) send_ipi(exec_cpu(), a.cpu, a.cfg_vector);
    }
  }
  cleanup_due_[cpu] = 0;
  arm_all_cleanups();
  return 0;
}

int kernel::cpu_up(unsigned cpu) {
  if (cpu >= ncpus()) return -err::inval;
  if (core_->online().test(cpu)) return 0;
  const unsigned saved = task_cpu_;
  task_cpu_ = cpu;
  setup_local_apic(cpu);
  core_->cpu_up(cpu);
  task_cpu_ = saved;
  fw_.cpus[cpu]->set_interrupt_flag(true);
  arm_all_cleanups();
  return 0;
}

}  // namespace irqf::os
