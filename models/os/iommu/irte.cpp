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
  const size_t n = size_t(1) << mask, npos = boost::dynamic_bitset<uint64_t>::npos;
  // The lowest aligned block of n free entries (same answer as a linear scan, word-wise search).
  for (size_t pos = free_.find_first(); pos != npos;) {
    const size_t base = (pos + n - 1) & ~(n - 1);
    if (base + n > free_.size()) return -1;
    size_t i = 0;
    while (i < n && free_[base + i]) ++i;
    if (i == n) {
      for (size_t k = 0; k < n; ++k) free_.reset(base + k);
      mask_out = mask;
      return int(base);
    }
    pos = free_.find_next(base + i);  // past the used entry that broke this block
  }
  return -1;
}

void irte_allocator::free(unsigned index, unsigned mask) {
  for (unsigned i = 0; i < (1u << mask) && index + i < free_.size(); ++i) free_.set(index + i);
}

}  // namespace irqf::os
