// Parameter metadata, strict validation and error locations (file:line:column).
#include <catch2/catch.hpp>

#include "fabric/error.h"
#include "fabric/params.h"
#include "fabric/yaml_doc.h"

using namespace irqf;

namespace {
const component_schema& demo() {
  static const component_schema s{"demo", "a demo component",
                                  {param_spec::integer("entries", "entries", 8, 1, 2048, "table size"),
                                   param_spec::real("rate_mhz", "MHz", 1.5, 0, 1000, "rate"),
                                   param_spec::boolean("enabled", true, "on/off"),
                                   param_spec::choice("policy", "drop", {"drop", "latch", "intx"}, "policy")}};
  return s;
}
std::string error_of(const std::string& yaml) {
  auto doc = yaml_doc::load_string(yaml, "s.yaml");
  try {
    param_values::bind(demo(), doc, doc.root["demo"]);
  } catch (const input_error& e) {
    return e.what();
  }
  return "";
}
}  // namespace

TEST_CASE("defaults, overrides and types") {
  auto doc = yaml_doc::load_string("demo:\n  entries: 0x10\n  policy: latch\n", "s.yaml");
  auto p = param_values::bind(demo(), doc, doc.root["demo"]);
  CHECK(p.i("entries") == 16);
  CHECK(p.r("rate_mhz") == 1.5);
  CHECK(p.b("enabled"));
  CHECK(p.s("policy") == "latch");
  CHECK(p.to_json()["entries"] == 16);
}

TEST_CASE("a misspelt key names file, line, column and suggests the right one") {
  auto e = error_of("demo:\n  entires: 4\n");
  CHECK(e == "s.yaml:2:3: key 'entires': unknown key for demo (did you mean 'entries'?)");
}

TEST_CASE("out-of-range, mistyped and unknown-choice values are rejected with their location") {
  CHECK(error_of("demo:\n  entries: 4096\n") == "s.yaml:2:12: key 'entries': 4096 is outside [1, 2048]");
  CHECK(error_of("demo:\n  enabled: maybe\n") == "s.yaml:2:12: key 'enabled': expected true or false, got 'maybe'");
  CHECK(error_of("demo:\n  policy: keep\n") == "s.yaml:2:11: key 'policy': 'keep' is not one of drop|latch|intx");
  CHECK(error_of("demo:\n  rate_mhz: [1]\n") == "s.yaml:2:13: key 'rate_mhz': expected a real value");
}

TEST_CASE("set overrides (--set) walk maps and named list elements") {
  auto doc = yaml_doc::load_string("platform:\n  devices:\n    - name: dsa0\n      wqs: 8\n", "s.yaml");
  doc.apply_set("platform.devices.dsa0.wqs=4");
  doc.apply_set("platform.cpus=16");
  CHECK(doc.root["platform"]["devices"][0]["wqs"].as<int>() == 4);
  CHECK(doc.root["platform"]["cpus"].as<int>() == 16);
  CHECK_THROWS_AS(doc.apply_set("platform.devices.nic9.x=1"), input_error);
  CHECK_THROWS_AS(doc.apply_set("novalue"), input_error);
}

TEST_CASE("YAML syntax errors carry a location") {
  try {
    yaml_doc::load_string("a: [1, 2\n", "bad.yaml");
    FAIL("no throw");
  } catch (const input_error& e) {
    CHECK(std::string(e.what()).rfind("bad.yaml:", 0) == 0);
  }
}
