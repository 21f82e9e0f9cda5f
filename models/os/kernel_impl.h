#pragma once
// Private to the kernel component (kernel*.cpp): the flow-handler environment and irq_core's CPU
// access, which need the kernel's internals.
#include <cstdio>
#include <span>
#include <string>

#include "models/os/irq/flow.h"
#include "models/os/irq/irq_core.h"
#include "models/os/kernel.h"

namespace irqf::os {

inline std::span<const event_id> span_of(const event_list& l) { return {l.data(), l.size()}; }

/// "cpuN.vec0xVV": where a spurious delivery is counted in the ledger.
inline std::string where(unsigned cpu, unsigned vector) {
  char b[32];
  std::snprintf(b, sizeof b, "cpu%u.vec0x%02x", cpu, vector);
  return b;
}

/// irq_core's view of the CPUs: IRR tests and retrigger IPIs through the local APICs.
class kernel_core_hw : public core_hw {
 public:
  explicit kernel_core_hw(kernel& k) : k_(k) {}
  bool irr_pending(unsigned cpu, unsigned vector) override { return k_.lapic_irr(cpu, vector); }
  void send_ipi(unsigned cpu, unsigned vector) override { k_.send_ipi(k_.exec_cpu(), cpu, vector); }
  void hand_over_irr(unsigned cpu, unsigned vector, unsigned virq) override {
    auto ids = k_.fw_.cpus[cpu]->take_irr_events(uint8_t(vector));
    irq_desc& d = k_.fdesc(virq);
    d.held.insert(d.held.end(), ids.begin(), ids.end());
  }

 private:
  kernel& k_;
};

/// The flow handlers' environment: the irq chip of the descriptor (device mask/unmask through the
/// MSI layer, x86 apic_ack_edge) and the kernel's clock, ledger and IPIs.
class kernel_flow : public flow_env {
 public:
  explicit kernel_flow(kernel& k) : k_(k) {}

  void mask(irq_desc& d) override {
    if (irq_chip_top* c = k_.core_->chip(d.irq)) c->mask(d.irq);
  }
  void unmask(irq_desc& d) override {
    if (irq_chip_top* c = k_.core_->chip(d.irq)) c->unmask(d.irq);
  }
  void ack(irq_desc& d) override {
    if (!k_.in_irq_) return;
    const unsigned cpu = k_.irq_cpu_;
    vector_domain& vd = k_.core_->vectors();
    if (k_.irq_vector_) {
      // irq_complete_move: the first interrupt on the new vector queues the old one for cleanup.
      const apic_chip_data& a = vd.chip_data(d.irq);
      const bool moving = a.exists && a.move_in_progress;
      const unsigned prev = a.prev_cpu;
      vd.complete_move(d.irq, cpu, k_.irq_vector_);
      if (moving && vd.cleanup_pending(prev)) k_.arm_cleanup(prev);
    }
    // irq_move_irq: a deferred (non-remapped) affinity change is applied here, on this CPU.
    if (k_.core_->move_is_pending(d.irq)) k_.core_->move_pending(d.irq, cpu);
    k_.apic_eoi(cpu);
  }
  void eoi(irq_desc&) override {
    if (k_.in_irq_) k_.apic_eoi(k_.irq_cpu_);
  }
  irqreturn call_action(irq_desc& d) override {
    const uint64_t t = k_.sw_now_ps();
    const bool had = !d.held.empty();
    if (k_.ctx.trace.on())
      k_.ctx.trace.instant(k_.track_, stage::handle, t, span_of(d.held),
                           {{"irq", d.irq}, {"cpu", cpu()}, {"vec", k_.irq_vector_}});
    if (had) {
      k_.ctx.led.settle_handled(span_of(d.held), t);
      d.held.clear();
    }
    k_.charge(k_.handler_cost_);
    irqreturn r = d.handler ? d.handler(d.irq, cpu()) : irqreturn::none;
    if (r == irqreturn::none && !had) {
      ++k_.st_.spurious_runs;
      k_.ctx.led.spurious(where(cpu(), k_.irq_vector_));
    }
    return r;
  }
  uint64_t now_ps() const override { return k_.sw_now_ps(); }
  unsigned cpu() const override { return k_.exec_cpu(); }
  void schedule_rerun(irq_desc& d, uint64_t at_ps) override {
    k_.reruns_.push_back({at_ps, d.irq, d.inprogress_cpu});
    const uint64_t now = irqf::now_ps();
    k_.rerun_ev_.notify(sc_core::sc_time::from_value(at_ps > now ? at_ps - now : 0));
  }
  bool retrigger(irq_desc& d) override {
    // apic_retrigger_irq: an IPI with the current vector to the current target.
    const apic_chip_data& a = k_.core_->vectors().chip_data(d.irq);
    if (!a.exists || !d.has_action) return false;
    k_.send_ipi(k_.exec_cpu(), a.cpu, a.cfg_vector);
    return true;
  }
  void nobody_cared(irq_desc& d) override {
    k_.log->error("irq {}: nobody cared (try booting with the \"irqpoll\" option)", d.irq);
  }

 private:
  kernel& k_;
};

}  // namespace irqf::os
