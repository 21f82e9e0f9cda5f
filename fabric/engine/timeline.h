#pragma once
// The scenario timeline: actions at a time (`at_us`) or when a condition over the live results
// first holds (`when: {that: ledger.raised, is: ">= 1000"}`, polled every `poll_us`). Each action
// kind declares its parameters (schema) and what it does on the platform; `describe` and README's
// scenario reference are generated from the same table.
#include <yaml-cpp/yaml.h>

#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "fabric/context.h"
#include "fabric/engine/expect.h"
#include "fabric/params.h"
#include "fabric/yaml_doc.h"

namespace irqf {

class platform;
class run_state;

/// One action kind ("driver.probe", "vfio.guest_unmask", "cpu.offline", "reg.write", ...).
struct action_kind {
  std::string name;
  component_schema schema;  ///< its parameters (kind = "timeline.<name>")
  /// Performs the action now. Throws input_error for a parameter that only the platform can check
  /// (e.g. an unknown device name) — reported with the action's file:line:column.
  std::function<void(platform&, run_state&, const param_values&)> run;
};

/// The table of every action kind.
const std::vector<action_kind>& action_kinds();
const action_kind* find_action(const std::string& name);

/// Common keys of a timeline item (at_us / when / poll_us / action / label).
const component_schema& timeline_item_schema();

struct timeline_item {
  std::string where;  ///< file:line:column
  std::string label;  ///< optional phase label (phases in report.json)
  double at_us = -1;  ///< < 0: condition-driven
  std::optional<expectation> when;
  double poll_us = 1;
  const action_kind* kind = nullptr;
  param_values params;
};

/// Parses and validates the `timeline:` list.
std::vector<timeline_item> parse_timeline(const yaml_doc& doc, const YAML::Node& node);

/// Runs the timeline as SystemC processes on `plat`.
class timeline_runner : public component {
 public:
  timeline_runner(sc_core::sc_module_name nm, sim_context& ctx, platform& plat, run_state& rs,
                  std::vector<timeline_item> items);
  /// Items that ran: (time ns, label/action text).
  ~timeline_runner() override;
  const std::vector<std::pair<double, std::string>>& log_of_actions() const { return done_; }

 private:
  void fire(size_t i);
  void poll(size_t i);
  platform& plat_;
  run_state& rs_;
  std::vector<timeline_item> items_;
  std::vector<std::pair<double, std::string>> done_;
  std::vector<std::unique_ptr<sc_core::sc_event>> events_;
  std::vector<bool> fired_;
};

}  // namespace irqf
