#pragma once
// The ledger (DESIGN §2): every interrupt event raised gets an id and ends in exactly one terminal
// state — handled, merged, pending (still latched when the run ends) or lost with one cause.
// Conservation: raised = handled + merged + pending + lost; any violation (an event settled twice,
// an unknown id) is a simulator bug and fails the run. Spurious deliveries are counted apart.
#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <span>
#include <string>
#include <vector>

#include "fabric/loss_cause.h"

namespace irqf {

using event_id = uint64_t;   ///< 1-based; 0 means "no event"
using source_id = uint32_t;  ///< an interrupt source registered with the ledger (e.g. "dsa0.wq1")

enum class ev_state : uint8_t { open, handled, merged, lost };

/// One event's record. Times are simulation time in picoseconds.
struct event_rec {
  uint64_t raise_ps = 0;
  uint64_t end_ps = 0;
  source_id source = 0;
  ev_state state = ev_state::open;
  loss_cause cause = loss_cause::count_;
};

/// Totals as the report contract names them.
struct ledger_totals {
  uint64_t raised = 0, handled = 0, merged = 0, pending = 0, lost = 0, spurious = 0;
  std::map<std::string, uint64_t> lost_by_cause;  // only causes with a non-zero count
  uint64_t violations = 0;                        // double settles / unknown ids (bugs)
};

/// Result of the conservation check: `ok` and a one-line explanation when not.
struct conservation_result {
  bool ok = true;
  std::string message;
};

/// Checks raised = handled + merged + pending + lost and that no violation was recorded.
conservation_result check_conservation(const ledger_totals& t);

/// Latency summary over handled events, in ns (exact order statistics, nearest-rank).
struct latency_summary {
  uint64_t count = 0;
  double p50 = 0, p90 = 0, p99 = 0, max = 0;
};

class ledger {
 public:
  /// Registers an interrupt source by its hierarchical name; idempotent for the same name (also
  /// when the name is an entry "<prefix>/<i>" of a range registered with add_source_range).
  source_id add_source(const std::string& name);
  /// Registers `count` sources "<prefix>/0" … "<prefix>/<count−1>" (a device's message table) with
  /// consecutive ids, storing one name for the block rather than one per entry; returns the first
  /// id. Idempotent for the same prefix and count; std::logic_error for the same prefix with
  /// another count.
  source_id add_source_range(const std::string& prefix, uint32_t count);
  std::string source_name(source_id s) const;
  size_t source_count() const { return count_; }

  /// A new event is born at `now_ps`; returns its id.
  event_id raise(source_id src, uint64_t now_ps);
  /// The handler of the irq the event was meant for started at `now_ps`.
  void handled(event_id id, uint64_t now_ps);
  /// Folded into another pending interrupt that was later handled.
  void merged(event_id id, uint64_t now_ps);
  /// Lost, with exactly one cause.
  void lost(event_id id, loss_cause cause, uint64_t now_ps);
  /// A batch delivered together: the first is handled, the others merged into it.
  void settle_handled(std::span<const event_id> ids, uint64_t now_ps);
  /// A batch lost together with one cause.
  void settle_lost(std::span<const event_id> ids, loss_cause cause, uint64_t now_ps);
  /// A handler ran with no event behind it (counted apart, per place, e.g. "cpu0.vec0x21").
  void spurious(const std::string& where);

  bool is_open(event_id id) const { return id && id <= recs_.size() && recs_[id - 1].state == ev_state::open; }
  const event_rec& record(event_id id) const { return recs_[id - 1]; }
  const std::vector<event_rec>& records() const { return recs_; }

  /// Totals now; events still open count as pending.
  ledger_totals totals() const;
  /// Events settled as handled so far: totals().handled in O(1), for progress counters (benchmarks).
  uint64_t handled_count() const { return handled_; }
  /// Totals restricted to events raised within [from_ps, to_ps) (per-phase breakdowns).
  ledger_totals totals_between(uint64_t from_ps, uint64_t to_ps) const;
  /// Latency of handled events, over all sources or one.
  latency_summary latency() const;
  latency_summary latency(source_id src) const;
  /// Sorted latencies (ns) of handled events, for CDF plots.
  std::vector<double> latencies_ns() const;
  const std::map<std::string, uint64_t>& spurious_by_place() const { return spurious_; }

  /// Writes one CSV row per event: id,source,raise_ns,end_ns,state,cause,latency_ns.
  void write_csv(const std::string& path) const;
  /// Per-source breakdown for report.json ("per-vector" rows).
  nlohmann::json per_source_json() const;

 private:
  bool settle(event_id id, ev_state st, loss_cause c, uint64_t now_ps);
  /// A named source (count 0) or a range of `count` numbered ones.
  struct source_block {
    source_id first;
    uint32_t count;
    std::string name;
  };
  std::vector<source_block> blocks_;  // in id order
  std::map<std::string, size_t, std::less<>> singles_, ranges_;  // name / prefix -> block
  size_t count_ = 0;
  std::vector<event_rec> recs_;
  std::map<std::string, uint64_t> spurious_;
  uint64_t spurious_total_ = 0;
  uint64_t violations_ = 0;
  uint64_t handled_ = 0;
};

const char* to_string(ev_state s);

}  // namespace irqf
