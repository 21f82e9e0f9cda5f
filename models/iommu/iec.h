#pragma once
// The interrupt entry cache (VT-d §6.4): a fully associative cache of IRTEs keyed by interrupt
// index. Hardware may keep using a cached IRTE after software changed it in memory until software
// invalidates it through the invalidation queue (IEC descriptor, §6.5.2.7) — the model keeps that
// behaviour on purpose. Only entries that were present and well-formed are cached.
#include <cstdint>
#include <random>
#include <string_view>
#include <vector>

#include "models/iommu/irte.h"

namespace irqf::iommu {

enum class iec_policy : uint8_t { lru, fifo, random };
/// "lru" | "fifo" | "random"; asserts on anything else (the parameter schema validates first).
iec_policy iec_policy_from(std::string_view s);

class interrupt_entry_cache {
 public:
  /// `entries` 0 disables caching (every lookup misses, like QEMU's emulated path). `rng` is the
  /// owning component's generator (random policy).
  interrupt_entry_cache(unsigned entries, iec_policy policy, std::mt19937_64& rng);

  /// The cached entry for `index`, or nullptr. A hit refreshes LRU age. The pointer is valid until
  /// the next insert or invalidation.
  const irte* lookup(uint16_t index);
  /// Caches `e` for `index`, evicting per policy when full. Returns true when an entry was evicted.
  bool insert(uint16_t index, const irte& e);
  /// Global invalidation.
  void invalidate_all();
  /// Index-selective invalidation: 2^im entries from `index` with its low `im` bits masked.
  void invalidate(uint16_t index, unsigned im);

  unsigned capacity() const { return unsigned(slots_.size()); }
  unsigned occupancy() const { return used_; }
  bool contains(uint16_t index) const { return where_[index] != 0; }

 private:
  struct slot {
    irte e;
    uint32_t prev = nil, next = nil;  // recency list: head = most recently used (LRU) / inserted (FIFO)
    uint16_t index = 0;
    bool valid = false;
  };
  static constexpr uint32_t nil = ~0u;
  void drop(unsigned s);
  void unlink(uint32_t i);
  void push_front(uint32_t i);
  uint32_t head_ = nil, tail_ = nil;  // O(1) victim choice: the tail
  std::vector<slot> slots_;
  std::vector<uint32_t> where_;  // index -> slot + 1, 0 = absent (65,536 entries)
  iec_policy policy_;
  std::mt19937_64& rng_;
  unsigned used_ = 0;
};

}  // namespace irqf::iommu
