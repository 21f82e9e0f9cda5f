#include "fabric/engine/live_metrics.h"

namespace irqf {

nlohmann::json ledger_json(const ledger_totals& t) {
  auto c = check_conservation(t);
  return {{"raised", t.raised},   {"handled", t.handled}, {"merged", t.merged},
          {"pending", t.pending}, {"lost", t.lost},       {"lost_by_cause", t.lost_by_cause},
          {"spurious", t.spurious}, {"balanced", c.ok},   {"conservation", c.ok ? "ok" : c.message}};
}

nlohmann::json live_metrics(const ledger& l) {
  auto lat = l.latency();
  return {{"ledger", ledger_json(l.totals())},
          {"latency_ns", {{"p50", lat.p50}, {"p90", lat.p90}, {"p99", lat.p99}, {"max", lat.max}, {"count", lat.count}}}};
}

}  // namespace irqf
