#include "fabric/engine/scenario.h"

#include <set>

#include "fabric/engine/validate.h"
#include "fabric/error.h"

namespace irqf {

const component_schema& sim_schema() {
  static const component_schema s{
      "sim",
      "how long and how finely to simulate",
      {param_spec::real("duration_us", "us", 1000, 0.001, 1e9, "simulated time to run"),
       param_spec::integer("quantum_ns", "ns", 0, 0, 1'000'000,
                           "temporal-decoupling quantum of OS tasks where they only touch their own "
                           "memory (IRTE stores, queued invalidation): they run ahead at most this far "
                           "and never past another process's next event. 0 (default) waits after every "
                           "access. Non-zero gives the same ledgers unless two processes act at the very "
                           "same picosecond: SystemC orders such ties by its event-heap history, which "
                           "fewer waits change (basic-delivery's 8 in-phase sources are such a case)")}};
  return s;
}

const component_schema& scenario_schema() {
  static const component_schema s{
      "scenario",
      "top-level keys of a scenario file",
      {param_spec::string("name", "", "scenario name (report and default output folder)"),
       param_spec::string("description", "", "the question the scenario answers"),
       param_spec::integer("seed", "", 1, 0, INT64_MAX, "seed of every component's random generator"),
       param_spec::string("sim", "", "map: see `sim`"),
       param_spec::string("log", "", "map path: level (trace|debug|info|warn|error|off)"),
       param_spec::string("platform", "", "map: see `platform` and the component sections"),
       param_spec::string("workload", "", "list of traffic generators: see `workload.*`"),
       param_spec::string("timeline", "", "list of actions: see `timeline.*`"),
       param_spec::string("variants", "", "map path: [values] (cross product) or list of {name, set}"),
       param_spec::string("expect", "", "list of {that: METRIC, is: CONDITION, variant: NAME}")}};
  return s;
}

yaml_doc scenario::variant_doc(size_t i) const {
  yaml_doc d;
  d.file = doc.file;
  d.root = YAML::Clone(doc.root);
  for (auto& s : variants[i].sets) d.apply_set(s);
  return d;
}

namespace {
std::string scalar_text(const YAML::Node& n) {
  if (n.IsScalar()) return n.Scalar();
  YAML::Emitter e;
  e << YAML::Flow << n;
  return e.c_str();
}

std::vector<variant_spec> parse_variants(const yaml_doc& doc, const YAML::Node& v) {
  std::vector<variant_spec> out;
  if (!v.IsDefined() || v.IsNull()) return {{"default", {}}};
  if (v.IsMap()) {  // cross product of path: [values]
    out.push_back({"", {}});
    for (auto it : v) {
      std::string path = it.first.Scalar();
      if (!it.second.IsSequence() || it.second.size() == 0)
        doc.fail(it.second, path, "expected a non-empty list of values");
      std::vector<variant_spec> next;
      std::string leaf = path.substr(path.rfind('.') + 1);
      for (auto& base : out)
        for (size_t k = 0; k < it.second.size(); ++k) {
          variant_spec s = base;
          std::string val = scalar_text(it.second[k]);
          s.name += (s.name.empty() ? "" : ",") + (v.size() == 1 ? val : leaf + "=" + val);
          s.sets.push_back(path + "=" + val);
          next.push_back(s);
        }
      out = std::move(next);
    }
    return out;
  }
  if (!v.IsSequence()) doc.fail(v, "variants", "expected a map path: [values] or a list of {name, set}");
  std::set<std::string> names;
  for (size_t i = 0; i < v.size(); ++i) {
    YAML::Node item = v[i];
    if (!item.IsMap() || !item["name"]) doc.fail(item, "variants", "each variant needs a name");
    variant_spec s;
    for (auto it : item) {
      std::string k = it.first.Scalar();
      if (k == "name") s.name = it.second.Scalar();
      else if (k == "set") {
        if (!it.second.IsMap()) doc.fail(it.second, k, "expected a map path: value");
        for (auto kv : it.second) s.sets.push_back(kv.first.Scalar() + "=" + scalar_text(kv.second));
      } else {
        doc.fail(it.first, k, "unknown key in variant (known keys: name, set)");
      }
    }
    if (!names.insert(s.name).second) doc.fail(item["name"], "name", "duplicate variant name");
    out.push_back(std::move(s));
  }
  if (out.empty()) return {{"default", {}}};
  return out;
}
}  // namespace

scenario load_scenario(const std::string& path, const std::vector<std::string>& sets,
                       std::optional<uint64_t> seed) {
  scenario sc;
  sc.doc = yaml_doc::load_file(path);
  for (auto& s : sets) sc.doc.apply_set(s);
  const YAML::Node& r = sc.doc.root;
  if (!r.IsMap()) throw input_error(path + ": a scenario is a YAML map (name, platform, ...)");
  const auto& top = scenario_schema();
  for (auto it : r) {
    std::string k = it.first.Scalar();
    if (!top.find(k)) {
      std::vector<std::string> known;
      for (auto& p : top.params) known.push_back(p.name);
      sc.doc.fail(it.first, k, "unknown top-level key" + suggest_key(k, known));
    }
  }
  if (!r["name"] || !r["name"].IsScalar()) sc.doc.fail(r, "name", "missing scenario name");
  sc.name = r["name"].Scalar();
  if (r["description"]) sc.description = r["description"].Scalar();
  if (r["seed"]) {
    try {
      sc.seed = std::stoull(r["seed"].Scalar(), nullptr, 0);
    } catch (...) {
      sc.doc.fail(r["seed"], "seed", "expected a non-negative integer");
    }
  }
  if (seed) sc.seed = *seed;
  sc.variants = parse_variants(sc.doc, r["variants"]);
  sc.expects = parse_expectations(sc.doc, r["expect"]);
  for (auto& e : sc.expects)
    for (auto& vn : e.variants) {
      bool found = false;
      for (auto& v : sc.variants) found |= v.name == vn;
      if (!found) throw input_error(e.where + ": key 'variant': no variant named '" + vn + "'");
    }
  // Validate every variant's full document (platform, workload, timeline) without elaborating.
  for (size_t i = 0; i < sc.variants.size(); ++i) {
    yaml_doc d = sc.variant_doc(i);
    validate_scenario_body(d);
  }
  return sc;
}

}  // namespace irqf
