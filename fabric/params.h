#pragma once
// Self-describing parameters (DESIGN §4): every component declares a schema of typed parameters
// with unit, default, valid range and a one-line description. The scenario schema, strict
// validation of YAML maps and `irqfabric describe` are all generated from these schemas.
#include <yaml-cpp/yaml.h>

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace irqf {

class yaml_doc;

enum class param_type { boolean, integer, real, string, choice };

/// One parameter: name (snake_case, unit suffix where there is one, e.g. `entry_cost_ns`).
struct param_spec {
  std::string name;
  param_type type = param_type::integer;
  std::string unit;  // "ns", "entries", "" ...
  std::string description;
  std::variant<bool, int64_t, double, std::string> def;
  double min = 0, max = 0;             // integer / real range, inclusive
  std::vector<std::string> choices;    // choice

  static param_spec integer(std::string name, std::string unit, int64_t def, int64_t min,
                            int64_t max, std::string desc);
  static param_spec real(std::string name, std::string unit, double def, double min, double max,
                         std::string desc);
  static param_spec boolean(std::string name, bool def, std::string desc);
  static param_spec choice(std::string name, std::string def, std::vector<std::string> choices,
                           std::string desc);
  static param_spec string(std::string name, std::string def, std::string desc);

  std::string type_text() const;     // "int", "real", "bool", "string", "choice"
  std::string default_text() const;  // the default as YAML would spell it
  std::string range_text() const;    // "[0, 1000]", "drop|latch|intx" or ""
};

/// The parameters of one kind of component, e.g. "lapic" or "idxd".
struct component_schema {
  std::string kind;
  std::string description;
  std::vector<param_spec> params;
  const param_spec* find(std::string_view name) const;
};

/// Resolved values of one component instance: defaults overridden by a YAML map.
class param_values {
 public:
  using value = std::variant<bool, int64_t, double, std::string>;

  param_values() = default;
  /// All defaults of `schema`.
  explicit param_values(const component_schema& schema);

  /// Binds the YAML map `node` against `schema`. Every key must be a declared parameter or listed in
  /// `skip` (keys the caller parses itself), else input_error naming file:line:column and the key.
  /// Values are type- and range-checked the same way. A null/absent node gives the defaults.
  static param_values bind(const component_schema& schema, const yaml_doc& doc,
                           const YAML::Node& node, std::vector<std::string> skip = {});

  int64_t i(std::string_view name) const;
  uint64_t u(std::string_view name) const { return uint64_t(i(name)); }
  double r(std::string_view name) const;  // real (integers widen)
  bool b(std::string_view name) const;
  const std::string& s(std::string_view name) const;  // string or choice
  /// Programmatic override (tests, platform builder). Asserts the name is declared.
  void set(std::string_view name, value v);

  nlohmann::json to_json() const;
  const component_schema* schema() const { return schema_; }

 private:
  const value& get(std::string_view name) const;
  const component_schema* schema_ = nullptr;
  std::vector<value> values_;
};

/// " (did you mean 'x'?)" for the closest known name within edit distance 3, else
/// " (known keys: a, b, ...)".
std::string suggest_key(std::string_view key, const std::vector<std::string>& known);

/// Human text for `irqfabric describe`: one block per schema, one line per parameter.
std::string describe_text(const component_schema& s);
/// Markdown table for README's scenario reference.
std::string describe_markdown(const component_schema& s);

}  // namespace irqf
