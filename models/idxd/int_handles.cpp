#include "models/idxd/int_handles.h"

namespace irqf::idxd {

std::optional<uint16_t> int_handle_table::request(int_table t, uint16_t index) {
  for (size_t h = 0; h < slots_.size(); ++h)
    if (slots_[h].st != state::valid) {
      slots_[h] = {state::valid, t, index};
      return uint16_t(h);
    }
  return std::nullopt;
}

bool int_handle_table::release(uint16_t h, int_table t) {
  if (h >= slots_.size() || slots_[h].st == state::free || slots_[h].table != t) return false;
  slots_[h] = {};
  return true;
}

bool int_handle_table::revoke(uint16_t h) {
  if (h >= slots_.size() || slots_[h].st != state::valid) return false;
  slots_[h].st = state::revoked;
  return true;
}

unsigned int_handle_table::revoke_all() {
  unsigned n = 0;
  for (auto& s : slots_)
    if (s.st == state::valid) {
      s.st = state::revoked;
      ++n;
    }
  return n;
}

unsigned int_handle_table::valid_count() const {
  unsigned n = 0;
  for (auto& s : slots_) n += s.st == state::valid;
  return n;
}

}  // namespace irqf::idxd
