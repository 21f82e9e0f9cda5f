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

void interrupt_entry_cache::unlink(uint32_t i) {
  slot& s = slots_[i];
  (s.prev == nil ? head_ : slots_[s.prev].next) = s.next;
  (s.next == nil ? tail_ : slots_[s.next].prev) = s.prev;
  s.prev = s.next = nil;
}

void interrupt_entry_cache::push_front(uint32_t i) {
  slot& s = slots_[i];
  s.prev = nil;
  s.next = head_;
  (head_ == nil ? tail_ : slots_[head_].prev) = i;
  head_ = i;
}

const irte* interrupt_entry_cache::lookup(uint16_t index) {
  uint32_t w = where_[index];
  if (!w) return nullptr;
  if (policy_ == iec_policy::lru && head_ != w - 1) {  // a hit makes the entry most recent
    unlink(w - 1);
    push_front(w - 1);
  }
  return &slots_[w - 1].e;
}

bool interrupt_entry_cache::insert(uint16_t index, const irte& e) {
  if (slots_.empty()) return false;
  if (uint32_t w = where_[index]) {  // refresh in place
    slots_[w - 1].e = e;
    if (policy_ == iec_policy::lru) {
      unlink(w - 1);
      push_front(w - 1);
    }
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
    } else {  // lru: least recently used; fifo: oldest insertion — both the list's tail
      victim = tail_;
    }
    drop(victim);
  }
  slot& s = slots_[victim];
  s.e = e;
  s.index = index;
  s.valid = true;
  push_front(victim);
  where_[index] = victim + 1;
  ++used_;
  return evicted;
}

void interrupt_entry_cache::drop(unsigned i) {
  slot& s = slots_[i];
  if (!s.valid) return;
  where_[s.index] = 0;
  s.valid = false;
  unlink(i);
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
