#include "fabric/params.h"

#include <algorithm>
#include <cassert>
#include <cmath>
#include <sstream>

#include "fabric/error.h"
#include "fabric/yaml_doc.h"

namespace irqf {

param_spec param_spec::integer(std::string name, std::string unit, int64_t def, int64_t min,
                               int64_t max, std::string desc) {
  param_spec p;
  p.name = std::move(name), p.type = param_type::integer, p.unit = std::move(unit);
  p.def = def, p.min = double(min), p.max = double(max), p.description = std::move(desc);
  return p;
}
param_spec param_spec::real(std::string name, std::string unit, double def, double min, double max,
                            std::string desc) {
  param_spec p;
  p.name = std::move(name), p.type = param_type::real, p.unit = std::move(unit);
  p.def = def, p.min = min, p.max = max, p.description = std::move(desc);
  return p;
}
param_spec param_spec::boolean(std::string name, bool def, std::string desc) {
  param_spec p;
  p.name = std::move(name), p.type = param_type::boolean, p.def = def, p.description = std::move(desc);
  return p;
}
param_spec param_spec::choice(std::string name, std::string def, std::vector<std::string> choices,
                              std::string desc) {
  param_spec p;
  p.name = std::move(name), p.type = param_type::choice, p.def = std::move(def);
  p.choices = std::move(choices), p.description = std::move(desc);
  return p;
}
param_spec param_spec::string(std::string name, std::string def, std::string desc) {
  param_spec p;
  p.name = std::move(name), p.type = param_type::string, p.def = std::move(def), p.description = std::move(desc);
  return p;
}

std::string param_spec::type_text() const {
  switch (type) {
    case param_type::boolean: return "bool";
    case param_type::integer: return "int";
    case param_type::real: return "real";
    case param_type::string: return "string";
    case param_type::choice: return "choice";
  }
  return "?";
}

namespace {
std::string num_text(double v) {
  if (v >= 9.2e18) return "2^63-1";
  if (std::floor(v) == v && std::fabs(v) < 9.2e18) return std::to_string(int64_t(v));
  std::ostringstream o;
  o << v;
  return o.str();
}

size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<size_t> d(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) d[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    size_t prev = d[0];
    d[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      size_t cur = d[j];
      d[j] = std::min({d[j] + 1, d[j - 1] + 1, prev + (a[i - 1] != b[j - 1])});
      prev = cur;
    }
  }
  return d[b.size()];
}
}  // namespace

std::string param_spec::default_text() const {
  return std::visit(
      [](auto&& v) -> std::string {
        using T = std::decay_t<decltype(v)>;
        if constexpr (std::is_same_v<T, bool>) return v ? "true" : "false";
        else if constexpr (std::is_same_v<T, int64_t>) return std::to_string(v);
        else if constexpr (std::is_same_v<T, double>) return num_text(v);
        else return v.empty() ? "\"\"" : v;
      },
      def);
}

std::string param_spec::range_text() const {
  if (type == param_type::integer || type == param_type::real)
    return "[" + num_text(min) + ", " + num_text(max) + "]";
  if (type == param_type::choice) {
    std::string s;
    for (auto& c : choices) {
      if (!s.empty()) s.push_back('|');
      s.append(c);
    }
    return s;
  }
  return "";
}

const param_spec* component_schema::find(std::string_view name) const {
  for (auto& p : params)
    if (p.name == name) return &p;
  return nullptr;
}

param_values::param_values(const component_schema& schema) : schema_(&schema) {
  for (auto& p : schema.params) values_.push_back(p.def);
}

std::string suggest_key(std::string_view key, const std::vector<std::string>& known) {
  std::string best;
  size_t bestd = 4;
  for (auto& n : known) {
    size_t d = edit_distance(key, n);
    if (d < bestd) bestd = d, best = n;
  }
  if (!best.empty()) return " (did you mean '" + best + "'?)";
  std::string all;
  for (auto& n : known) {
    if (!all.empty()) all.append(", ");
    all.append(n);
  }
  return " (known keys: " + all + ")";
}

namespace {
std::string close_names(const component_schema& s, std::string_view key,
                        const std::vector<std::string>& skip) {
  std::vector<std::string> known;
  for (auto& p : s.params) known.push_back(p.name);
  known.insert(known.end(), skip.begin(), skip.end());
  return suggest_key(key, known);
}
}  // namespace

param_values param_values::bind(const component_schema& schema, const yaml_doc& doc,
                                const YAML::Node& node, std::vector<std::string> skip) {
  param_values pv(schema);
  if (!node.IsDefined() || node.IsNull()) return pv;
  if (!node.IsMap()) doc.fail(node, schema.kind, "expected a map of parameters");
  for (auto it : node) {
    std::string key = it.first.Scalar();
    if (std::find(skip.begin(), skip.end(), key) != skip.end()) continue;
    const param_spec* spec = schema.find(key);
    if (!spec)
      doc.fail(it.first, key, "unknown key for " + schema.kind + close_names(schema, key, skip));
    const YAML::Node& v = it.second;
    if (!v.IsScalar()) doc.fail(v, key, "expected a " + spec->type_text() + " value");
    const std::string& text = v.Scalar();
    size_t idx = size_t(spec - schema.params.data());
    switch (spec->type) {
      case param_type::boolean: {
        if (text == "true" || text == "yes" || text == "on") pv.values_[idx] = true;
        else if (text == "false" || text == "no" || text == "off") pv.values_[idx] = false;
        else doc.fail(v, key, "expected true or false, got '" + text + "'");
        break;
      }
      case param_type::integer: {
        size_t used = 0;
        long long x = 0;
        std::string t = text;
        t.erase(std::remove(t.begin(), t.end(), '_'), t.end());
        try {
          x = std::stoll(t, &used, 0);
        } catch (...) {
          used = 0;
        }
        if (t.empty() || used != t.size()) doc.fail(v, key, "expected an integer, got '" + text + "'");
        if (double(x) < spec->min || double(x) > spec->max)
          doc.fail(v, key, text + " is outside " + spec->range_text());
        pv.values_[idx] = int64_t(x);
        break;
      }
      case param_type::real: {
        size_t used = 0;
        double x = 0;
        try {
          x = std::stod(text, &used);
        } catch (...) {
          used = 0;
        }
        if (used != text.size() || text.empty()) doc.fail(v, key, "expected a number, got '" + text + "'");
        if (x < spec->min || x > spec->max) doc.fail(v, key, text + " is outside " + spec->range_text());
        pv.values_[idx] = x;
        break;
      }
      case param_type::choice:
        if (std::find(spec->choices.begin(), spec->choices.end(), text) == spec->choices.end())
          doc.fail(v, key, "'" + text + "' is not one of " + spec->range_text());
        pv.values_[idx] = text;
        break;
      case param_type::string:
        pv.values_[idx] = text;
        break;
    }
  }
  return pv;
}

const param_values::value& param_values::get(std::string_view name) const {
  assert(schema_ && "param_values without schema");
  const param_spec* p = schema_->find(name);
  assert(p && "undeclared parameter");
  if (!p) throw std::logic_error("undeclared parameter " + std::string(name));
  return values_[size_t(p - schema_->params.data())];
}

int64_t param_values::i(std::string_view name) const {
  auto& v = get(name);
  if (auto* x = std::get_if<int64_t>(&v)) return *x;
  if (auto* b = std::get_if<bool>(&v)) return *b;
  if (auto* d = std::get_if<double>(&v)) return int64_t(*d);
  throw std::logic_error("parameter " + std::string(name) + " is not an integer");
}
double param_values::r(std::string_view name) const {
  auto& v = get(name);
  if (auto* d = std::get_if<double>(&v)) return *d;
  if (auto* x = std::get_if<int64_t>(&v)) return double(*x);
  throw std::logic_error("parameter " + std::string(name) + " is not a number");
}
bool param_values::b(std::string_view name) const {
  auto& v = get(name);
  if (auto* b = std::get_if<bool>(&v)) return *b;
  throw std::logic_error("parameter " + std::string(name) + " is not a bool");
}
const std::string& param_values::s(std::string_view name) const {
  auto& v = get(name);
  if (auto* s = std::get_if<std::string>(&v)) return *s;
  throw std::logic_error("parameter " + std::string(name) + " is not a string");
}

void param_values::set(std::string_view name, value v) {
  assert(schema_);
  const param_spec* p = schema_->find(name);
  if (!p) throw std::logic_error("undeclared parameter " + std::string(name));
  auto& slot = values_[size_t(p - schema_->params.data())];
  // Keep the declared type: widen ints to reals, accept ints for reals.
  if (p->type == param_type::real && std::holds_alternative<int64_t>(v)) v = double(std::get<int64_t>(v));
  slot = std::move(v);
}

nlohmann::json param_values::to_json() const {
  nlohmann::json j = nlohmann::json::object();
  if (!schema_) return j;
  for (size_t i = 0; i < values_.size(); ++i)
    std::visit([&](auto&& v) { j[schema_->params[i].name] = v; }, values_[i]);
  return j;
}

std::string describe_text(const component_schema& s) {
  std::ostringstream o;
  o << s.kind << " — " << s.description << "\n";
  for (auto& p : s.params) {
    o << "  " << p.name << " (" << p.type_text();
    if (!p.unit.empty()) o << ", " << p.unit;
    o << ") default " << p.default_text();
    auto r = p.range_text();
    if (!r.empty()) o << ", " << r;
    o << "\n      " << p.description << "\n";
  }
  return o.str();
}

std::string describe_markdown(const component_schema& s) {
  std::ostringstream o;
  o << "#### `" << s.kind << "` — " << s.description << "\n\n";
  if (s.params.empty()) return o.str() + "(no parameters)\n\n";
  o << "| key | type | unit | default | range | description |\n|---|---|---|---|---|---|\n";
  for (auto& p : s.params) {
    std::string r = p.range_text();
    std::replace(r.begin(), r.end(), '|', ',');
    o << "| `" << p.name << "` | " << p.type_text() << " | " << p.unit << " | `" << p.default_text()
      << "` | " << r << " | " << p.description << " |\n";
  }
  o << "\n";
  return o.str();
}

}  // namespace irqf
