#pragma once
// Linux's irq_matrix (include/trace/events/irq_matrix.h) and irq_vectors
// (arch/x86/include/asm/trace/irq_vectors.h) tracepoints, plus the IR kprobe points used by the
// shared 6.1 trace (modify_irte, ir_alloc, ...), as structured records with the field names the
// kernel prints. A sink receives them; format_ftrace() renders the exact tp_printk text, so a model
// run can be compared line by line with a real kernel's ftrace output.
#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "models/os/irq/cpumask.h"

namespace irqf::os {

/// One tracepoint hit. `fields` are (printed name, value) in the kernel's print order.
struct trace_record {
  const char* event = "";  ///< e.g. "irq_matrix_alloc", "vector_update", "modify_irte"
  unsigned exec_cpu = 0;   ///< CPU the code ran on (tracepoints on an offline CPU are suppressed)
  uint8_t nfields = 0;
  std::array<std::pair<const char*, int64_t>, 12> fields{};

  trace_record& f(const char* name, int64_t v) {
    fields[nfields++] = {name, v};
    return *this;
  }
  /// Value of field `name`; `def` when absent.
  int64_t get(std::string_view name, int64_t def = -1) const;
  bool has(std::string_view name) const;
};

/// Receives every record (tests, the ftrace-like text writer of the engine).
class trace_sink {
 public:
  virtual ~trace_sink() = default;
  virtual void record(const trace_record& r) = 0;
};

/// A sink keeping every record in memory (tests, replay).
class trace_buffer : public trace_sink {
 public:
  void record(const trace_record& r) override { recs.push_back(r); }
  std::vector<trace_record> recs;
  /// Records named `event`.
  std::vector<trace_record> of(std::string_view event) const;
};

/// Emits records the way the kernel does: tracepoints on a CPU that is not in cpu_online_mask
/// are dropped (the tracepoint's cpu_online() check), kprobes are not. Holds the CPU the modelled
/// code is "running on" (set by whoever calls into the stack).
class os_tracer {
 public:
  trace_sink* sink = nullptr;
  unsigned exec_cpu = 0;
  /// cpu_online_mask (owned by the irq core; may be null = all online).
  const cpumask* online = nullptr;
  bool suppress_offline = true;
  /// kprobe points registered (a boot trace only has them from the moment they were armed).
  bool kprobes_on = true;

  bool on() const { return sink != nullptr; }
  void tracepoint(trace_record r) {
    if (!sink) return;
    if (suppress_offline && online && !online->test(exec_cpu)) return;
    r.exec_cpu = exec_cpu;
    sink->record(r);
  }
  void kprobe(trace_record r) {
    if (!sink || !kprobes_on) return;
    r.exec_cpu = exec_cpu;
    sink->record(r);
  }
};

/// "bit=33 cpu=0 online=1 avl=185 ..." exactly as the kernel's TP_printk prints the event.
std::string format_ftrace(const trace_record& r);

}  // namespace irqf::os
