#pragma once
// Expectations (`expect:` in a scenario): assertions on a variant's results. Each item names a
// metric by its dotted path in the variant's report object ("ledger.lost",
// "ledger.lost_by_cause.msix_disabled", "latency_ns.p99", "phases.resize.ledger.lost",
// "registers.dsa0.GENSTS", "deliveries.cpu0" — the vectors dispatched on CPU 0 in order, spurious
// entries as negative numbers) and a condition in `is`: a number (equality), a string
// "OP number" with OP one of < <= > >= == !=, a boolean, or a list (exact ordered match).
// A failed expectation makes `irqfabric run` exit 1 and says which one and by how much.
#include <yaml-cpp/yaml.h>

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

namespace irqf {

class yaml_doc;

struct expectation {
  std::string where;                   ///< file:line:column of the item
  std::vector<std::string> variants;   ///< empty: every variant
  std::string metric;                  ///< dotted path into the variant report
  nlohmann::json is;                   ///< the condition as written
  std::string text;                    ///< human text, e.g. "legacy: ledger.lost > 0"
};

/// Parses the `expect:` list; input_error with file:line:column on a malformed item.
std::vector<expectation> parse_expectations(const yaml_doc& doc, const YAML::Node& node);

struct expectation_result {
  bool passed = false;
  std::string message;  ///< "ledger.lost is 0, expected > 0 (off by 1)"
};

/// Evaluates `e` against a variant report object.
expectation_result evaluate(const expectation& e, const nlohmann::json& variant);
/// Looks up a dotted path; nullopt when absent.
std::optional<nlohmann::json> lookup_metric(const nlohmann::json& variant, const std::string& path);
/// Metric paths that need in-simulation collection ("registers.X.Y", "deliveries.cpuN").
bool metric_needs_registers(const std::string& metric);
bool metric_needs_deliveries(const std::string& metric);

}  // namespace irqf
