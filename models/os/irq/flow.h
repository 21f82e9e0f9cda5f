#pragma once
// The generic irq descriptor state and the flow handlers (kernel/irq/chip.c handle_edge_irq,
// handle_fasteoi_irq; kernel/irq/handle.c handle_irq_event; kernel/irq/spurious.c note_interrupt;
// kernel/irq/resend.c check_irq_resend) — linux-stack.md §8. Pure logic: the chip operations
// (mask, unmask, ack, eoi, retrigger), the action call and the clock come from a flow_env that the
// SystemC kernel implements, so the state machine is testable without a simulator.
//
// Ledger convention: the events an interrupt delivery carried are appended to irq_desc::held by
// the caller before the flow handler runs; handle_irq_event hands them to flow_env::call_action,
// which settles them at handler start (first handled, the rest merged). Events that arrive while
// the irq is disabled or its handler is in progress stay in `held` (IRQS_PENDING) until the replay
// or re-run settles them.
#include <boost/container/small_vector.hpp>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "fabric/message.h"

namespace irqf::os {

/// irqreturn_t.
enum class irqreturn { none, handled, wake_thread };
/// An irqaction handler: runs in hard-irq context on `cpu`; returns whether the device was the
/// source. It may do MMIO through the kernel (kernel::readl/writel... in irq context add to the
/// entry's software time).
using irq_handler = std::function<irqreturn(unsigned virq, unsigned cpu)>;

/// The flow handler of an irq (irq_desc::handle_irq).
enum class flow_kind : uint8_t { edge, fasteoi };

/// struct irq_desc: the parts the flow handlers and the manage.c functions use.
struct irq_desc {
  unsigned irq = 0;
  flow_kind flow = flow_kind::edge;
  // action (one: no IRQF_SHARED in the model)
  bool has_action = false;
  irq_handler handler;
  std::string name;
  // state (IRQD_IRQ_DISABLED, IRQD_IRQ_MASKED, IRQS_PENDING, IRQS_REPLAY, irqd_irq_inprogress)
  bool disabled = true, masked = true, pending = false, replay = false;
  unsigned depth = 1;                 ///< disable_irq nesting (1 until irq_startup)
  uint64_t inprogress_until_ps = 0;   ///< handler running until then (IRQD_IRQ_INPROGRESS)
  unsigned inprogress_cpu = 0;
  bool rerun_scheduled = false;       ///< the running CPU will loop again (edge PENDING)
  event_list held;                    ///< ledger ids waiting for a handler run
  // accounting (kstat_irqs, note_interrupt)
  uint64_t kstat = 0;                 ///< handler-loop entries counted by kstat_incr_irqs_this_cpu
  /// Per-CPU counts (/proc/interrupts columns), only for CPUs that ran the flow: (cpu, count) in
  /// first-use order. Linux keeps a per-CPU counter for every possible CPU; most interrupts fire on
  /// one CPU, so this keeps an interrupt's footprint independent of the CPU count.
  boost::container::small_vector<std::pair<unsigned, uint64_t>, 1> kstat_cpu;
  uint64_t kstat_on(unsigned cpu) const {
    for (auto& [c, n] : kstat_cpu)
      if (c == cpu) return n;
    return 0;
  }
  uint64_t handler_runs = 0;          ///< handle_irq_event calls (re-runs included)
  uint64_t irq_count = 0, irqs_unhandled = 0, unhandled_total = 0;
  uint64_t last_unhandled_ps = 0;
  bool spurious_disabled = false;     ///< IRQS_SPURIOUS_DISABLED ("nobody cared")
  uint64_t resends = 0;               ///< check_irq_resend retriggers
};

/// What the flow handlers need from the chip and the kernel (struct irq_chip + context).
class flow_env {
 public:
  virtual ~flow_env() = default;
  virtual void mask(irq_desc& d) = 0;     ///< irq_chip::irq_mask (+ IRQD_IRQ_MASKED)
  virtual void unmask(irq_desc& d) = 0;   ///< irq_chip::irq_unmask
  virtual void ack(irq_desc& d) = 0;      ///< irq_chip::irq_ack (x86: complete move, move, EOI)
  virtual void eoi(irq_desc& d) = 0;      ///< irq_chip::irq_eoi (fasteoi)
  /// Runs the action's handler with d.held (settles them) and charges its time.
  virtual irqreturn call_action(irq_desc& d) = 0;
  /// Current software time in ps (entry start plus the time spent so far).
  virtual uint64_t now_ps() const = 0;
  /// CPU executing the flow.
  virtual unsigned cpu() const = 0;
  /// The edge flow found the handler running on another CPU: its loop must run again at `at_ps`.
  virtual void schedule_rerun(irq_desc& d, uint64_t at_ps) = 0;
  /// irq_chip_retrigger_hierarchy (x86: apic_retrigger_irq, an IPI to the current target).
  virtual bool retrigger(irq_desc& d) = 0;
  /// "irq N: nobody cared" (note_interrupt); the kernel logs it.
  virtual void nobody_cared(irq_desc& d) = 0;
};

/// HZ/10 of kernel/irq/spurious.c at HZ=250 (Kconfig.hz default): 40 ms, in ps.
inline constexpr uint64_t unhandled_reset_ps = 40'000'000'000ull;

/// handle_edge_irq: PENDING + mask_ack when the handler is running elsewhere, the irq is disabled
/// or has no action; otherwise kstat, ack, and the handler loop (unmask and re-run while PENDING).
void handle_edge_irq(irq_desc& d, flow_env& env);
/// The loop part of handle_edge_irq run again by the CPU whose handler was running when another
/// edge arrived (scheduled through flow_env::schedule_rerun).
void edge_rerun(irq_desc& d, flow_env& env);
/// handle_fasteoi_irq (IOAPIC level/edge through the fasteoi chip): PENDING + mask when disabled or
/// no action; otherwise kstat, handle, EOI (and unmask if it was masked for a oneshot).
void handle_fasteoi_irq(irq_desc& d, flow_env& env);
/// handle_irq_event: clears PENDING, runs the action, note_interrupt.
irqreturn handle_irq_event(irq_desc& d, flow_env& env);
/// note_interrupt's accounting (IRQ_NONE counts as unhandled, reset after HZ/10, 99,900 of
/// 100,000 → nobody cared: disabled, masked).
void note_interrupt(irq_desc& d, irqreturn r, flow_env& env);
/// mask_irq / unmask_irq: the chip is called only when the state changes (IRQD_IRQ_MASKED).
void mask_irq(irq_desc& d, flow_env& env);
void unmask_irq(irq_desc& d, flow_env& env);
/// disable_irq_nosync's state change (lazy: the irq stays unmasked until the next event).
void irq_disable_lazy(irq_desc& d);
/// enable_irq's state change: returns true when the irq became enabled (depth 0): then the
/// caller unmasks if masked and calls check_irq_resend.
bool irq_enable_depth(irq_desc& d);
/// check_irq_resend: edge irqs with PENDING are retriggered once (REPLAY stops duplicates); level
/// irqs just drop PENDING. Returns true when a retrigger was sent.
bool check_irq_resend(irq_desc& d, flow_env& env);

}  // namespace irqf::os
