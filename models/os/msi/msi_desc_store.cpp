#include "models/os/msi/msi_desc_store.h"

#include "models/os/irq/irq_matrix.h"

namespace irqf::os {

int msi_desc_store::insert(msi_desc d, unsigned index) {
  if (index == msi_any_index) {
    unsigned i = 0;
    for (const auto& [k, v] : descs_) {  // ordered: the first gap is the lowest free slot
      (void)v;
      if (k != i) break;
      ++i;
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
