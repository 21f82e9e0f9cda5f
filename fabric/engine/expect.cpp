#include "fabric/engine/expect.h"

#include <cmath>
#include <sstream>

#include "fabric/error.h"
#include "fabric/yaml_doc.h"

namespace irqf {

namespace {
nlohmann::json yaml_to_json(const YAML::Node& n) {
  if (n.IsSequence()) {
    auto a = nlohmann::json::array();
    for (size_t i = 0; i < n.size(); ++i) a.push_back(yaml_to_json(n[i]));
    return a;
  }
  if (n.IsMap()) {
    auto o = nlohmann::json::object();
    for (auto it : n) o[it.first.Scalar()] = yaml_to_json(it.second);
    return o;
  }
  if (!n.IsScalar()) return nullptr;
  const std::string& s = n.Scalar();
  if (n.Tag() != "!" && n.Tag() != "tag:yaml.org,2002:str") {  // plain scalars may be numbers/bools
    if (s == "true") return true;
    if (s == "false") return false;
    try {
      size_t used = 0;
      long long v = std::stoll(s, &used, 0);
      if (used == s.size()) return v;
    } catch (...) {
    }
    try {
      size_t used = 0;
      double d = std::stod(s, &used);
      if (used == s.size()) return d;
    } catch (...) {
    }
  }
  return s;
}

std::string show(const nlohmann::json& j) {
  if (j.is_number_float()) {
    std::ostringstream o;
    o << j.get<double>();
    return o.str();
  }
  return j.dump();
}
}  // namespace

std::vector<expectation> parse_expectations(const yaml_doc& doc, const YAML::Node& node) {
  std::vector<expectation> out;
  if (!node.IsDefined() || node.IsNull()) return out;
  if (!node.IsSequence()) doc.fail(node, "expect", "expected a list of {that: METRIC, is: CONDITION}");
  for (size_t i = 0; i < node.size(); ++i) {
    YAML::Node item = node[i];
    if (!item.IsMap()) doc.fail(item, "expect", "each item is a map {that: ..., is: ...}");
    expectation e;
    e.where = doc.where(item);
    for (auto it : item) {
      std::string k = it.first.Scalar();
      if (k == "that") {
        if (!it.second.IsScalar()) doc.fail(it.second, k, "expected a metric path such as ledger.lost");
        e.metric = it.second.Scalar();
      } else if (k == "is") {
        e.is = yaml_to_json(it.second);
        if (e.is.is_string()) {
          std::string s = e.is.get<std::string>();
          std::istringstream in(s);
          std::string op, num;
          in >> op >> num;
          static const char* ops[] = {"<", "<=", ">", ">=", "==", "!="};
          bool okop = false;
          for (auto o : ops) okop |= op == o;
          double v;
          size_t used = 0;
          try {
            v = std::stod(num, &used);
          } catch (...) {
            used = 0;
          }
          (void)v;
          if (!okop || used == 0 || used != num.size())
            doc.fail(it.second, k, "condition '" + s + "' is not 'OP number' with OP one of < <= > >= == !=");
        }
      } else if (k == "variant" || k == "variants") {
        if (it.second.IsScalar()) e.variants.push_back(it.second.Scalar());
        else if (it.second.IsSequence())
          for (size_t j = 0; j < it.second.size(); ++j) e.variants.push_back(it.second[j].Scalar());
        else doc.fail(it.second, k, "expected a variant name or a list of names");
      } else {
        doc.fail(it.first, k, "unknown key in expectation (known keys: that, is, variant)");
      }
    }
    if (e.metric.empty()) doc.fail(item, "that", "missing: which metric to check");
    if (e.is.is_null()) doc.fail(item, "is", "missing: the condition to check");
    e.text = e.metric + " " + (e.is.is_string() ? e.is.get<std::string>() : "== " + show(e.is));
    out.push_back(std::move(e));
  }
  return out;
}

std::optional<nlohmann::json> lookup_metric(const nlohmann::json& variant, const std::string& path) {
  const nlohmann::json* cur = &variant;
  std::stringstream ss(path);
  for (std::string part; std::getline(ss, part, '.');) {
    if (cur->is_object()) {
      auto it = cur->find(part);
      if (it == cur->end()) {
        // Loss causes that never fired are absent from the sparse map: they read as 0.
        if (path.find("lost_by_cause.") != std::string::npos) return nlohmann::json(0);
        return std::nullopt;
      }
      cur = &*it;
    } else if (cur->is_array()) {
      size_t idx = 0;
      try {
        idx = std::stoul(part);
      } catch (...) {
        return std::nullopt;
      }
      if (idx >= cur->size()) return std::nullopt;
      cur = &(*cur)[idx];
    } else {
      return std::nullopt;
    }
  }
  return *cur;
}

expectation_result evaluate(const expectation& e, const nlohmann::json& variant) {
  expectation_result r;
  auto got = lookup_metric(variant, e.metric);
  if (!got) {
    r.message = e.metric + " is not in the report";
    return r;
  }
  const nlohmann::json& v = *got;
  if (e.is.is_string()) {
    std::istringstream in(e.is.get<std::string>());
    std::string op;
    double want;
    in >> op >> want;
    if (!v.is_number()) {
      r.message = e.metric + " is " + show(v) + ", not a number";
      return r;
    }
    double x = v.get<double>();
    bool ok = op == "<" ? x < want : op == "<=" ? x <= want : op == ">" ? x > want
            : op == ">=" ? x >= want : op == "==" ? x == want : x != want;
    r.passed = ok;
    std::ostringstream m;
    m << e.metric << " is " << show(v) << ", expected " << op << " " << want;
    if (!ok && op != "!=") m << " (off by " << std::fabs(x - want) << ")";
    r.message = m.str();
    return r;
  }
  if (e.is.is_number() && v.is_number()) {
    double x = v.get<double>(), want = e.is.get<double>();
    r.passed = x == want;
    std::ostringstream m;
    m << e.metric << " is " << show(v) << ", expected " << show(e.is);
    if (!r.passed) m << " (off by " << std::fabs(x - want) << ")";
    r.message = m.str();
    return r;
  }
  if (e.is.is_array() && v.is_array()) {
    r.passed = e.is == v;
    r.message = e.metric + " is " + show(v) + ", expected " + show(e.is);
    if (!r.passed) {
      size_t i = 0;
      while (i < v.size() && i < e.is.size() && v[i] == e.is[i]) ++i;
      r.message += " (first difference at position " + std::to_string(i) + ")";
    }
    return r;
  }
  r.passed = v == e.is;
  r.message = e.metric + " is " + show(v) + ", expected " + show(e.is);
  return r;
}

bool metric_needs_registers(const std::string& m) { return m.rfind("registers.", 0) == 0; }
bool metric_needs_deliveries(const std::string& m) { return m.rfind("deliveries.", 0) == 0; }

}  // namespace irqf
