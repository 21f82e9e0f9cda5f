// Expectations and variants: parsing, evaluation and the "by how much" message.
#include <catch2/catch.hpp>

#include "fabric/engine/expect.h"
#include "fabric/error.h"
#include "fabric/yaml_doc.h"

using namespace irqf;

namespace {
std::vector<expectation> parse(const std::string& y) {
  auto d = yaml_doc::load_string(y, "e.yaml");
  return parse_expectations(d, d.root["expect"]);
}
const nlohmann::json variant = {
    {"ledger", {{"raised", 10}, {"lost", 3}, {"lost_by_cause", {{"msix_disabled", 3}}}, {"balanced", true}}},
    {"latency_ns", {{"p99", 1500.0}}},
    {"deliveries", {{"cpu0", {33, 34}}}}};
}  // namespace

TEST_CASE("conditions compare numbers, booleans and lists") {
  auto e = parse(
      "expect:\n"
      "  - {that: ledger.lost, is: 3}\n"
      "  - {that: ledger.lost, is: '> 5'}\n"
      "  - {that: latency_ns.p99, is: '<= 1500'}\n"
      "  - {that: ledger.balanced, is: true}\n"
      "  - {that: ledger.lost_by_cause.ir_fault_0x22, is: 0}\n"
      "  - {that: deliveries.cpu0, is: [33, 35]}\n"
      "  - {that: nothing.here, is: 1}\n");
  REQUIRE(e.size() == 7);
  CHECK(evaluate(e[0], variant).passed);
  auto r1 = evaluate(e[1], variant);
  CHECK_FALSE(r1.passed);
  CHECK(r1.message == "ledger.lost is 3, expected > 5 (off by 2)");
  CHECK(evaluate(e[2], variant).passed);
  CHECK(evaluate(e[3], variant).passed);
  CHECK(evaluate(e[4], variant).passed);  // absent causes read as zero
  auto r5 = evaluate(e[5], variant);
  CHECK_FALSE(r5.passed);
  CHECK(r5.message.find("first difference at position 1") != std::string::npos);
  CHECK_FALSE(evaluate(e[6], variant).passed);
}

TEST_CASE("malformed expectations are input errors with a location") {
  CHECK_THROWS_WITH(parse("expect:\n  - {that: a.b, is: 'about 3'}\n"),
                    Catch::StartsWith("e.yaml:2:21: key 'is'"));
  CHECK_THROWS_WITH(parse("expect:\n  - {tht: a.b, is: 1}\n"), Catch::Contains("unknown key in expectation"));
  CHECK_THROWS_AS(parse("expect:\n  - {is: 1}\n"), input_error);
}
