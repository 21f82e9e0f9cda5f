// Plain C++: the interrupt entry cache's replacement policies and invalidation granularity.
#include <catch2/catch.hpp>

#include "models/iommu/iec.h"

using namespace irqf::iommu;

namespace {
irte entry(uint8_t v) {
  irte e;
  e.present = true;
  e.vector = v;
  return e;
}
}  // namespace

TEST_CASE("IEC LRU evicts the least recently used entry, FIFO the oldest inserted") {
  std::mt19937_64 rng(1);
  interrupt_entry_cache lru(2, iec_policy::lru, rng), fifo(2, iec_policy::fifo, rng);
  for (auto* c : {&lru, &fifo}) {
    CHECK_FALSE(c->insert(1, entry(0x41)));
    CHECK_FALSE(c->insert(2, entry(0x42)));
    REQUIRE(c->lookup(1) != nullptr);  // 1 is now the most recently used
    CHECK(c->insert(3, entry(0x43)));  // full: evicts
  }
  CHECK(lru.contains(1));
  CHECK_FALSE(lru.contains(2));
  CHECK_FALSE(fifo.contains(1));
  CHECK(fifo.contains(2));
  CHECK(lru.lookup(3)->vector == 0x43);
  CHECK(lru.occupancy() == 2);
}

TEST_CASE("IEC random policy evicts one entry and keeps the capacity") {
  std::mt19937_64 rng(7);
  interrupt_entry_cache c(4, iec_policy::random, rng);
  for (uint16_t i = 0; i < 4; ++i) c.insert(i, entry(uint8_t(0x40 + i)));
  CHECK(c.insert(100, entry(0x50)));
  CHECK(c.occupancy() == 4);
  CHECK(c.contains(100));
  int kept = 0;
  for (uint16_t i = 0; i < 4; ++i) kept += c.contains(i);
  CHECK(kept == 3);
}

TEST_CASE("IEC index-selective invalidation masks the low IM bits of the index") {
  std::mt19937_64 rng(1);
  interrupt_entry_cache c(16, iec_policy::lru, rng);
  for (uint16_t i = 3; i <= 8; ++i) c.insert(i, entry(uint8_t(i)));
  c.invalidate(5, 2);  // indices 4..7
  CHECK(c.contains(3));
  for (uint16_t i = 4; i <= 7; ++i) CHECK_FALSE(c.contains(i));
  CHECK(c.contains(8));
  c.invalidate(3, 0);
  CHECK_FALSE(c.contains(3));
  CHECK(c.occupancy() == 1);
  c.invalidate_all();
  CHECK(c.occupancy() == 0);
}

TEST_CASE("an IEC of zero entries caches nothing") {
  std::mt19937_64 rng(1);
  interrupt_entry_cache c(0, iec_policy::lru, rng);
  CHECK_FALSE(c.insert(1, entry(1)));
  CHECK(c.lookup(1) == nullptr);
}
