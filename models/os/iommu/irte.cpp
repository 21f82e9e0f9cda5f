#include "models/os/iommu/irte.h"

namespace irqf::os {

irte prepare_irte(uint8_t vector, uint32_t dest_apicid, bool logical, bool x2apic, uint16_t sid,
                  unsigned svt) {
  using namespace irte_fields;
  irte e;
  e.lo = P.set(e.lo, 1);
  e.lo = DM.set(e.lo, logical);
  e.lo = RH.set(e.lo, 1);
  e.lo = TM.set(e.lo, 0);
  e.lo = DLM.set(e.lo, 0);
  e.lo = V.set(e.lo, vector);
  e.lo = DST.set(e.lo, x2apic ? dest_apicid : (dest_apicid & 0xff) << 8);
  e.hi = SID.set(e.hi, sid);
  e.hi = SQ.set(e.hi, 0);
  e.hi = SVT.set(e.hi, svt);
  return e;
}

int irte_allocator::alloc(unsigned count, unsigned max_handle_mask, unsigned& mask_out) {
  unsigned mask = 0;
  if (count > 1) {
    unsigned c = 1;
    while (c < count) {
      c <<= 1;
      ++mask;
    }
  }
  if (mask > max_handle_mask) return -1;
  unsigned n = 1u << mask;
  for (unsigned base = 0; base + n <= used_.size(); base += n) {
    bool free = true;
    for (unsigned i = 0; i < n && free; ++i) free = !used_[base + i];
    if (!free) continue;
    for (unsigned i = 0; i < n; ++i) used_[base + i] = true;
    mask_out = mask;
    return int(base);
  }
  return -1;
}

void irte_allocator::free(unsigned index, unsigned mask) {
  for (unsigned i = 0; i < (1u << mask) && index + i < used_.size(); ++i) used_[index + i] = false;
}

}  // namespace irqf::os
