// Workload parsing: the queue list forms (a number, a YAML list, "a-b" ranges joined by commas)
// and their errors, which name the file, line and key.
#include <catch2/catch.hpp>

#include "fabric/engine/workload.h"
#include "fabric/error.h"
#include "fabric/yaml_doc.h"

using namespace irqf;

namespace {
std::vector<unsigned> queues_of(const std::string& q) {
  auto d = yaml_doc::load_string("workload:\n  - {name: w, device: d, target: msix, queues: " + q + "}\n", "w.yaml");
  auto items = parse_workload(d, d.root["workload"]);
  REQUIRE(items.size() == 1);
  return items[0].queues;
}
}  // namespace

TEST_CASE("queue lists: a number, a list, ranges joined by commas") {
  CHECK(queues_of("7") == std::vector<unsigned>{7});
  CHECK(queues_of("[3, 1, 2]") == std::vector<unsigned>{3, 1, 2});
  CHECK(queues_of("\"2-4\"") == std::vector<unsigned>{2, 3, 4});
  // A rotated round-robin order, as irqfabric-bench gives each device at scale.
  CHECK(queues_of("\"6-7,0-2\"") == std::vector<unsigned>{6, 7, 0, 1, 2});
  CHECK(queues_of("\"5,1-2, 9\"") == std::vector<unsigned>{5, 1, 2, 9});
}

TEST_CASE("malformed queue lists are input errors naming the key") {
  for (const char* bad : {"\"4-2\"", "\"1,,2\"", "\"1-\"", "\"x\"", "\"0-70000\"", "{a: 1}"}) {
    INFO(bad);
    try {
      queues_of(bad);
      FAIL("accepted");
    } catch (const input_error& e) {
      CHECK(std::string(e.what()).find("w.yaml:2") != std::string::npos);
      CHECK(std::string(e.what()).find("queues") != std::string::npos);
    }
  }
}
