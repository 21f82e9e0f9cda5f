#pragma once
// Queued-invalidation descriptors (VT-d §6.5.2): the 128-bit Interrupt Entry Cache invalidate
// descriptor (type 0x4, §6.5.2.7) and the Invalidation Wait descriptor (type 0x5, §6.5.2.8), with
// encoders for the OS model (Linux drivers/iommu/intel/dmar.c qi_submit_sync, irq_remapping.c
// qi_flush_iec) and decoders for the IOMMU model.
#include <cstdint>

#include "fabric/regtable.h"

namespace irqf::iommu {

/// One 128-bit descriptor: `lo` = bits 63:0, `hi` = bits 127:64.
struct qi_desc {
  uint64_t lo = 0, hi = 0;
  friend bool operator==(const qi_desc&, const qi_desc&) = default;
};
inline constexpr unsigned qi_desc_size = 16;

/// Descriptor types (VT-d §6.5.2, Table "Invalidation descriptor types").
enum class qi_type : uint8_t {
  context_cache = 0x1, iotlb = 0x2, dev_iotlb = 0x3, iec = 0x4, inv_wait = 0x5,
  piotlb = 0x6, pasid_cache = 0x7, dev_piotlb = 0x8,
};

namespace qi_fields {
inline constexpr bitfield TYPE_LO{0, 4};   // type[3:0]
inline constexpr bitfield TYPE_HI{9, 3};   // type[6:4] (VT-d 3.x); 0 for every type modelled
// IEC descriptor (lo)
inline constexpr bitfield IEC_G{4, 1};     // granularity: 0 global, 1 index-selective
inline constexpr bitfield IEC_IM{27, 5};   // index mask: 2^IM entries
inline constexpr bitfield IEC_IIDX{32, 16};
// Invalidation wait descriptor
inline constexpr bitfield IWD_IF{4, 1};    // interrupt flag
inline constexpr bitfield IWD_SW{5, 1};    // status write
inline constexpr bitfield IWD_FN{6, 1};    // fence
inline constexpr bitfield IWD_PD{7, 1};    // page-request drain
inline constexpr bitfield IWD_SDATA{32, 32};
inline constexpr bitfield IWD_SADDR{2, 62};  // hi: status address bits 63:2
}  // namespace qi_fields

/// Type of a descriptor (7-bit type field).
inline constexpr uint8_t qi_type_of(const qi_desc& d) {
  return uint8_t(qi_fields::TYPE_LO.get(d.lo) | (qi_fields::TYPE_HI.get(d.lo) << 4));
}

/// Global IEC invalidation.
inline qi_desc make_iec_global() {
  return {qi_fields::TYPE_LO.set(0, uint8_t(qi_type::iec)), 0};
}
/// Index-selective IEC invalidation of 2^im entries starting at `index` (its low `im` bits are
/// ignored by hardware).
inline qi_desc make_iec_index(uint16_t index, uint8_t im) {
  using namespace qi_fields;
  uint64_t lo = TYPE_LO.set(0, uint8_t(qi_type::iec));
  lo = IEC_G.set(lo, 1);
  lo = IEC_IM.set(lo, im);
  lo = IEC_IIDX.set(lo, index);
  return {lo, 0};
}
/// Invalidation wait: with `status_write`, writes `status_data` (dword) at `status_addr` (4-byte
/// aligned) when every earlier descriptor has completed; with `interrupt`, sets ICS.IWC and raises
/// the invalidation completion event.
inline qi_desc make_inv_wait(uint64_t status_addr, uint32_t status_data, bool status_write,
                             bool interrupt, bool fence = false) {
  using namespace qi_fields;
  uint64_t lo = TYPE_LO.set(0, uint8_t(qi_type::inv_wait));
  lo = IWD_IF.set(lo, interrupt);
  lo = IWD_SW.set(lo, status_write);
  lo = IWD_FN.set(lo, fence);
  lo = IWD_SDATA.set(lo, status_data);
  return {lo, IWD_SADDR.set(0, status_addr >> 2)};
}
/// The status address of an invalidation wait descriptor.
inline constexpr uint64_t inv_wait_status_addr(const qi_desc& d) {
  return qi_fields::IWD_SADDR.get(d.hi) << 2;
}

}  // namespace irqf::iommu
