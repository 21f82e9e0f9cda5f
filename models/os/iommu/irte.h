#pragma once
#include <boost/dynamic_bitset.hpp>
// The Intel interrupt-remapping table entry as Linux's intel IR driver fills it
// (VT-d §9.10 remapped-format IRTE; drivers/iommu/intel/irq_remapping.c prepare_irte/set_msi_sid)
// and the IRTE index allocator (alloc_irte: bitmap_find_free_region, aligned power-of-two blocks).
#include <cstdint>
#include <vector>

#include "fabric/regtable.h"

namespace irqf::os {

/// VT-d §9.10, remapped-format IRTE: low and high quadwords.
namespace irte_fields {
inline constexpr bitfield P{0, 1};
inline constexpr bitfield FPD{1, 1};
inline constexpr bitfield DM{2, 1};     ///< destination mode: 1 = logical
inline constexpr bitfield RH{3, 1};     ///< redirection hint
inline constexpr bitfield TM{4, 1};     ///< trigger mode: 1 = level
inline constexpr bitfield DLM{5, 3};    ///< delivery mode
inline constexpr bitfield AVAIL{8, 4};
inline constexpr bitfield IM{15, 1};    ///< IRTE mode: 1 = posted
inline constexpr bitfield V{16, 8};     ///< vector
inline constexpr bitfield DST{32, 32};  ///< destination ID (xAPIC: bits 15:8)
// high quadword
inline constexpr bitfield SID{0, 16};
inline constexpr bitfield SQ{16, 2};
inline constexpr bitfield SVT{18, 2};
}  // namespace irte_fields

/// SVT values (VT-d §9.10): 1 = verify SID/SQ, 2 = verify bus range.
inline constexpr unsigned svt_verify_sid_sq = 1, svt_verify_bus = 2;
inline constexpr unsigned intr_remap_table_entries = 65536;

struct irte {
  uint64_t lo = 0, hi = 0;
  friend bool operator==(const irte&, const irte&) = default;
};

/// prepare_irte + set_msi_sid: present, fixed delivery, edge, RH=1, DM from the APIC driver,
/// vector, destination (xAPIC: id << 8), full 16-bit source-id verification.
irte prepare_irte(uint8_t vector, uint32_t dest_apicid, bool logical, bool x2apic, uint16_t sid,
                  unsigned svt = svt_verify_sid_sq);

/// One IOMMU's IRTE index bitmap (struct ir_table's bitmap).
class irte_allocator {
 public:
  explicit irte_allocator(unsigned entries = intr_remap_table_entries) : free_(entries) { free_.set(); }
  /// alloc_irte: `count` entries as an aligned power-of-two region (mask = log2); -1 when none is
  /// free or the mask exceeds `max_handle_mask` (ecap MHMV). `mask_out` receives the mask.
  int alloc(unsigned count, unsigned max_handle_mask, unsigned& mask_out);
  /// free_irte: releases the 1 << mask entries at `index`.
  void free(unsigned index, unsigned mask);
  bool used(unsigned index) const { return index < free_.size() && !free_[index]; }
  unsigned entries() const { return unsigned(free_.size()); }

 private:
  boost::dynamic_bitset<uint64_t> free_;  // 1 = free; word-wise search like bitmap_find_free_region
};

}  // namespace irqf::os
