#include "models/os/irq/flow.h"

namespace irqf::os {

void mask_irq(irq_desc& d, flow_env& env) {
  if (d.masked) return;
  env.mask(d);
  d.masked = true;
}

void unmask_irq(irq_desc& d, flow_env& env) {
  if (!d.masked) return;
  env.unmask(d);
  d.masked = false;
}

namespace {

void mask_ack_irq(irq_desc& d, flow_env& env) {
  mask_irq(d, env);
  env.ack(d);
}

void count_kstat(irq_desc& d, unsigned cpu) {
  ++d.kstat;
  for (auto& [c, n] : d.kstat_cpu)
    if (c == cpu) {
      ++n;
      return;
    }
  d.kstat_cpu.emplace_back(cpu, 1);
}

/// irq_may_run: false while the handler runs on another CPU.
bool irq_may_run(const irq_desc& d, const flow_env& env) {
  return !(d.inprogress_until_ps > env.now_ps() && d.inprogress_cpu != env.cpu());
}

void edge_loop(irq_desc& d, flow_env& env) {
  do {
    if (!d.has_action) {
      mask_irq(d, env);
      return;
    }
    // An edge arrived meanwhile and masked the irq: unmask and handle it in this loop.
    if (d.pending && !d.disabled && d.masked) unmask_irq(d, env);
    handle_irq_event(d, env);
  } while (d.pending && !d.disabled);
}

}  // namespace

irqreturn handle_irq_event(irq_desc& d, flow_env& env) {
  d.pending = false;
  ++d.handler_runs;
  irqreturn r = env.call_action(d);
  d.inprogress_until_ps = env.now_ps();
  d.inprogress_cpu = env.cpu();
  note_interrupt(d, r, env);
  return r;
}

void handle_edge_irq(irq_desc& d, flow_env& env) {
  d.replay = false;
  if (!irq_may_run(d, env)) {
    // Running on another CPU: that CPU's loop handles this edge once more.
    d.pending = true;
    mask_ack_irq(d, env);
    if (!d.rerun_scheduled) {
      d.rerun_scheduled = true;
      env.schedule_rerun(d, d.inprogress_until_ps);
    }
    return;
  }
  if (d.disabled || !d.has_action) {
    d.pending = true;
    mask_ack_irq(d, env);
    return;
  }
  count_kstat(d, env.cpu());
  env.ack(d);
  edge_loop(d, env);
}

void edge_rerun(irq_desc& d, flow_env& env) {
  d.rerun_scheduled = false;
  if (!d.pending || d.disabled) return;
  edge_loop(d, env);
}

void handle_fasteoi_irq(irq_desc& d, flow_env& env) {
  if (!irq_may_run(d, env)) {
    env.eoi(d);  // a level source asserts again after the running handler
    return;
  }
  d.replay = false;
  if (!d.has_action || d.disabled) {
    d.pending = true;
    mask_irq(d, env);
    env.eoi(d);
    return;
  }
  count_kstat(d, env.cpu());
  handle_irq_event(d, env);
  env.eoi(d);  // cond_unmask_eoi_irq without IRQS_ONESHOT: just the EOI
}

void note_interrupt(irq_desc& d, irqreturn r, flow_env& env) {
  const uint64_t now = env.now_ps();
  if (r == irqreturn::none) {
    // The unhandled count restarts when the previous one is older than HZ/10.
    if (d.irqs_unhandled == 0 || d.last_unhandled_ps + unhandled_reset_ps < now)
      d.irqs_unhandled = 1;
    else
      ++d.irqs_unhandled;
    d.last_unhandled_ps = now;
    ++d.unhandled_total;
  }
  if (++d.irq_count < 100000) return;
  d.irq_count = 0;
  if (d.irqs_unhandled > 99900) {
    env.nobody_cared(d);
    d.spurious_disabled = true;
    ++d.depth;
    d.disabled = true;
    mask_irq(d, env);
  }
  d.irqs_unhandled = 0;
}

void irq_disable_lazy(irq_desc& d) {
  if (d.depth++ == 0) d.disabled = true;  // lazy: not masked until an event arrives
}

bool irq_enable_depth(irq_desc& d) {
  if (d.depth == 0) return false;  // "Unbalanced enable for IRQ"
  if (--d.depth) return false;
  d.disabled = false;
  return true;
}

bool check_irq_resend(irq_desc& d, flow_env& env) {
  if (d.flow == flow_kind::fasteoi) {  // level interrupts are never resent
    d.pending = false;
    return false;
  }
  if (d.replay || !d.pending) return false;
  d.pending = false;
  if (!env.retrigger(d)) return false;
  d.replay = true;
  ++d.resends;
  return true;
}

}  // namespace irqf::os
