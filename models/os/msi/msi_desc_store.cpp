#include "models/os/msi/msi_desc_store.h"

#include "models/os/irq/irq_matrix.h"

namespace irqf::os {

int msi_desc_store::insert(msi_desc d, unsigned index) {
  if (index == msi_any_index) {
    // Distinct keys from 0 with the largest = count − 1 leave no gap: the next slot is `count`
    // (the common case, O(1)); otherwise the ordered walk finds the lowest gap.
    unsigned i = 0;
    if (!descs_.empty() && descs_.rbegin()->first + 1 == descs_.size()) {
      i = unsigned(descs_.size());
    } else {
      for (const auto& [k, v] : descs_) {
        (void)v;
        if (k != i) break;
        ++i;
      }
    }
    if (i >= size_) return -err::busy;
    index = i;
  } else {
    if (index >= size_) return -err::range;
    if (descs_.count(index)) return -err::busy;
  }
  d.msi_index = index;
  descs_.emplace(index, d);
  return int(index);
}

msi_desc* msi_desc_store::find(unsigned index) {
  auto it = descs_.find(index);
  return it == descs_.end() ? nullptr : &it->second;
}

const msi_desc* msi_desc_store::find(unsigned index) const {
  auto it = descs_.find(index);
  return it == descs_.end() ? nullptr : &it->second;
}

}  // namespace irqf::os
