#pragma once
// Strict validation of a scenario's body (platform, workload, timeline, sim, log) against the
// parameter metadata of every component kind, without elaborating anything.
#include <string>
#include <vector>

#include "fabric/params.h"
#include "fabric/yaml_doc.h"

namespace irqf {

/// Throws input_error naming file:line:column and the key on the first invalid item.
void validate_scenario_body(const yaml_doc& doc);

/// Every schema a scenario can use, in documentation order (for `describe` and README).
std::vector<const component_schema*> all_schemas();

}  // namespace irqf
