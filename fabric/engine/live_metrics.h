#pragma once
// The ledger as a report-shaped JSON object, for `when:` conditions during a run and for the final
// variant report: {"ledger": {raised, handled, merged, pending, lost, lost_by_cause, spurious,
// balanced, conservation}, "latency_ns": {p50, p90, p99, max, count}}.
#include <nlohmann/json.hpp>

#include "fabric/ledger.h"

namespace irqf {

nlohmann::json ledger_json(const ledger_totals& t);
nlohmann::json live_metrics(const ledger& l);

}  // namespace irqf
