// Byte-granular software accesses over a register table (PCIe/VT-d/DSA MMIO: accesses narrower or
// wider than a register, little-endian, holes read as zero).
#include <catch2/catch.hpp>

#include <map>

#include "fabric/regtable.h"

using namespace irqf;

namespace {
// A 4-byte register at 0x0, a hole at 0x4..0x7, an 8-byte register at 0x8.
reg_table table() {
  return reg_table({{"A", 0x0, 4, 0, ~0ull, 0, "a", {}}, {"B", 0x8, 8, 0, ~0ull, 0, "b", {}}});
}
}  // namespace

TEST_CASE("reads assemble register bytes little-endian and read holes as zero") {
  reg_table t = table();
  const uint64_t vals[2] = {0x44332211ull, 0x8877665544332211ull};
  auto get = [&](size_t i) { return vals[i]; };
  CHECK(t.read_bytes(0x0, 4, get) == 0x44332211ull);
  CHECK(t.read_bytes(0x1, 2, get) == 0x3322ull);                  // inside A
  CHECK(t.read_bytes(0x2, 4, get) == 0x4433ull);                  // A's top, then the hole
  CHECK(t.read_bytes(0x0, 8, get) == 0x44332211ull);              // A + hole
  CHECK(t.read_bytes(0x6, 4, get) == 0x22110000ull);              // hole, then B's low bytes
  CHECK(t.read_bytes(0xC, 4, get) == 0x88776655ull);              // B's upper DWORD
  CHECK(t.read_bytes(0x4, 4, get) == 0);                          // hole only
}

TEST_CASE("writes reach each touched register once with the written bytes in place") {
  reg_table t = table();
  std::map<size_t, std::pair<uint64_t, uint64_t>> got;  // index -> (mask, data)
  auto put = [&](size_t i, uint64_t m, uint64_t d) {
    REQUIRE(!got.count(i));
    got[i] = {m, d};
  };
  t.write_bytes(0x2, 8, 0x0807060504030201ull, put);  // A bytes 2-3, hole 4-7, B bytes 0-1
  REQUIRE(got.size() == 2);
  CHECK(got[0].first == 0xFFFF0000ull);
  CHECK(got[0].second == 0x02010000ull);
  CHECK(got[1].first == 0xFFFFull);
  CHECK(got[1].second == 0x0807ull);
  got.clear();
  t.write_bytes(0xD, 1, 0xAB, put);
  CHECK(got[1].first == 0xFFull << 40);  // byte 5 of B
  CHECK(got[1].second == 0xABull << 40);
}
