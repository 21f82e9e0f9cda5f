#pragma once
// A scenario file (YAML): name, description, seed, sim, platform, workload, timeline, variants,
// expect, log. Loading applies --set overrides, validates every key strictly against the parameter
// metadata (for every variant), and keeps the document for the platform builder.
#include <cstdint>
#include <string>
#include <vector>

#include "fabric/engine/expect.h"
#include "fabric/params.h"
#include "fabric/yaml_doc.h"

namespace irqf {

/// One way of running the scenario: a name and the overrides it applies ("path=value").
struct variant_spec {
  std::string name;
  std::vector<std::string> sets;
};

struct scenario {
  yaml_doc doc;  ///< the file with command-line --set overrides applied
  std::string name, description;
  uint64_t seed = 1;
  std::vector<variant_spec> variants;  ///< at least one ("default")
  std::vector<expectation> expects;

  /// The document of one variant (a deep copy with the variant's overrides applied).
  yaml_doc variant_doc(size_t i) const;
};

/// The `sim:` section.
const component_schema& sim_schema();
/// Top-level keys and their meaning (for describe/README).
const component_schema& scenario_schema();

/// Loads and validates a scenario. `sets`: --set overrides; `seed`: overrides the file's seed when
/// given. Throws input_error (file:line:column, key) on any invalid content.
scenario load_scenario(const std::string& path, const std::vector<std::string>& sets,
                       std::optional<uint64_t> seed = std::nullopt);

}  // namespace irqf
