#include "models/iommu/iec.h"

#include <cassert>

namespace irqf::iommu {

iec_policy iec_policy_from(std::string_view s) {
  if (s == "lru") return iec_policy::lru;
  if (s == "fifo") return iec_policy::fifo;
  assert(s == "random");
  return iec_policy::random;
}

interrupt_entry_cache::interrupt_entry_cache(unsigned entries, iec_policy policy, std::mt19937_64& rng)
    : slots_(entries), where_(65536, 0), policy_(policy), rng_(rng) {}

const irte* interrupt_entry_cache::lookup(uint16_t index) {
  uint32_t w = where_[index];
  if (!w) return nullptr;
  slot& s = slots_[w - 1];
  if (policy_ == iec_policy::lru) s.stamp = ++tick_;
  return &s.e;
}

bool interrupt_entry_cache::insert(uint16_t index, const irte& e) {
  if (slots_.empty()) return false;
  if (uint32_t w = where_[index]) {  // refresh in place
    slots_[w - 1].e = e;
    slots_[w - 1].stamp = ++tick_;
    return false;
  }
  unsigned victim = 0;
  bool evicted = false;
  if (used_ < slots_.size()) {
    while (slots_[victim].valid) ++victim;
  } else {
    evicted = true;
    if (policy_ == iec_policy::random) {
      victim = unsigned(std::uniform_int_distribution<size_t>(0, slots_.size() - 1)(rng_));
    } else {  // lru and fifo both evict the smallest stamp (last use vs insertion)
      for (unsigned i = 1; i < slots_.size(); ++i)
        if (slots_[i].stamp < slots_[victim].stamp) victim = i;
    }
    drop(victim);
  }
  slot& s = slots_[victim];
  s.e = e;
  s.index = index;
  s.stamp = ++tick_;
  s.valid = true;
  where_[index] = victim + 1;
  ++used_;
  return evicted;
}

void interrupt_entry_cache::drop(unsigned i) {
  slot& s = slots_[i];
  if (!s.valid) return;
  where_[s.index] = 0;
  s.valid = false;
  --used_;
}

void interrupt_entry_cache::invalidate_all() {
  for (unsigned i = 0; i < slots_.size(); ++i) drop(i);
}

void interrupt_entry_cache::invalidate(uint16_t index, unsigned im) {
  assert(im <= 16);
  uint32_t mask = im >= 16 ? 0xFFFFu : ((1u << im) - 1);
  uint32_t base = index & ~mask;
  for (unsigned i = 0; i < slots_.size(); ++i)
    if (slots_[i].valid && (slots_[i].index & ~mask) == base) drop(i);
}

}  // namespace irqf::iommu
