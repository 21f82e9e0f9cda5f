#pragma once
// Interrupt Remapping Table Entries (VT-d §9.10, remapped format; §9.11, posted format) and the
// remappable-format interrupt request (VT-d §5.1.2.2), as plain encode/decode helpers shared by the
// IOMMU model and the OS model that writes IRTEs into memory (Linux include/linux/dmar.h struct irte,
// drivers/iommu/intel/irq_remapping.c).
#include <cstdint>

#include "fabric/apic_msg.h"
#include "fabric/message.h"
#include "fabric/regtable.h"

namespace irqf::iommu {

/// One 128-bit IRTE as it sits in memory: `lo` = bits 63:0, `hi` = bits 127:64 (little-endian).
struct irte_raw {
  uint64_t lo = 0, hi = 0;
  friend bool operator==(const irte_raw&, const irte_raw&) = default;
};
inline constexpr unsigned irte_size = 16;

/// IRTE fields. Low qword (bits 63:0).
namespace irte_lo {
inline constexpr bitfield P{0, 1}, FPD{1, 1}, DM{2, 1}, RH{3, 1}, TM{4, 1}, DLM{5, 3};
inline constexpr bitfield AVAIL{8, 4};
inline constexpr bitfield URG{14, 1};   // posted format only
inline constexpr bitfield IM{15, 1};    // IRTE mode: 0 remapped, 1 posted
inline constexpr bitfield V{16, 8};     // vector (remapped) / virtual vector (posted)
inline constexpr bitfield DST{32, 32};  // remapped: destination ID
inline constexpr bitfield PDA_L{38, 26};  // posted: descriptor address bits 31:6
inline constexpr bitfield DST_XAPIC{8, 8};  // within DST: the xAPIC ID when EIME=0
/// Reserved bits (must be 0 when P=1, else fault 0x24).
inline constexpr uint64_t REMAP_RSVD = 0x0000'0000'FF00'7000ull;   // 14:12, 31:24
inline constexpr uint64_t POSTED_RSVD = 0x0000'003F'FF00'30FCull;  // 7:2, 13:12, 37:24
}  // namespace irte_lo
/// High qword (bits 127:64).
namespace irte_hi {
inline constexpr bitfield SID{0, 16}, SQ{16, 2}, SVT{18, 2};
inline constexpr bitfield PDA_H{32, 32};  // posted: descriptor address bits 63:32
inline constexpr uint64_t REMAP_RSVD = 0xFFFF'FFFF'FFF0'0000ull;   // 127:84
inline constexpr uint64_t POSTED_RSVD = 0x0000'0000'FFF0'0000ull;  // 95:84
}  // namespace irte_hi

/// Source-validation type (VT-d §9.10, IRTE field SVT).
enum class svt : uint8_t { none = 0, requester_id = 1, bus_range = 2, reserved = 3 };

/// A decoded IRTE (either format). For posted entries `vector` is the virtual vector.
struct irte {
  bool present = false;
  bool fpd = false;       ///< fault processing disable
  bool posted = false;    ///< IM
  // remapped format
  bool logical = false;   ///< DM
  bool redirection_hint = false;  ///< RH
  bool level = false;     ///< TM
  uint8_t dlm = 0;        ///< delivery mode encoding (000 fixed, 001 lowest, 010 SMI, 100 NMI, 101 INIT, 111 ExtINT)
  uint32_t dst = 0;       ///< xAPIC: APIC ID in DST[15:8]; x2APIC (EIME=1): 32-bit ID
  uint8_t vector = 0;
  uint8_t avail = 0;
  // posted format
  bool urgent = false;
  uint64_t pda = 0;       ///< posted-interrupt descriptor address (64-byte aligned)
  // source validation
  uint16_t sid = 0;
  uint8_t sq = 0;
  svt svt_ = svt::none;
};

/// Encodes `e` in its format (posted when e.posted). Bits outside the fields stay 0.
inline irte_raw encode_irte(const irte& e) {
  using namespace irte_lo;
  irte_raw r;
  r.lo = P.set(r.lo, e.present);
  r.lo = FPD.set(r.lo, e.fpd);
  r.lo = AVAIL.set(r.lo, e.avail);
  r.lo = IM.set(r.lo, e.posted);
  r.lo = V.set(r.lo, e.vector);
  if (e.posted) {
    r.lo = URG.set(r.lo, e.urgent);
    r.lo = PDA_L.set(r.lo, (e.pda & 0xFFFF'FFFFull) >> 6);
    r.hi = irte_hi::PDA_H.set(r.hi, e.pda >> 32);
  } else {
    r.lo = DM.set(r.lo, e.logical);
    r.lo = RH.set(r.lo, e.redirection_hint);
    r.lo = TM.set(r.lo, e.level);
    r.lo = DLM.set(r.lo, e.dlm);
    r.lo = DST.set(r.lo, e.dst);
  }
  r.hi = irte_hi::SID.set(r.hi, e.sid);
  r.hi = irte_hi::SQ.set(r.hi, e.sq);
  r.hi = irte_hi::SVT.set(r.hi, uint8_t(e.svt_));
  return r;
}

/// Decodes the fields of `r` (no validity checks; see irte_reserved_ok).
inline irte decode_irte(const irte_raw& r) {
  using namespace irte_lo;
  irte e;
  e.present = P.test(r.lo);
  e.fpd = FPD.test(r.lo);
  e.posted = IM.test(r.lo);
  e.avail = uint8_t(AVAIL.get(r.lo));
  e.vector = uint8_t(V.get(r.lo));
  if (e.posted) {
    e.urgent = URG.test(r.lo);
    e.pda = (irte_hi::PDA_H.get(r.hi) << 32) | (PDA_L.get(r.lo) << 6);
  } else {
    e.logical = DM.test(r.lo);
    e.redirection_hint = RH.test(r.lo);
    e.level = TM.test(r.lo);
    e.dlm = uint8_t(DLM.get(r.lo));
    e.dst = uint32_t(DST.get(r.lo));
  }
  e.sid = uint16_t(irte_hi::SID.get(r.hi));
  e.sq = uint8_t(irte_hi::SQ.get(r.hi));
  e.svt_ = svt(irte_hi::SVT.get(r.hi));
  return e;
}

/// DST value for an xAPIC destination (EIME=0): the 8-bit APIC ID sits in DST[15:8].
inline constexpr uint32_t irte_dst_xapic(uint8_t apic_id) { return uint32_t(irte_lo::DST_XAPIC.set(0, apic_id)); }

/// The reserved-field check behind fault 0x24 (VT-d §5.1.4.1, "reserved fields not zero in a present
/// IRTE, including conditionally reserved fields"): reserved bits of the format, SVT=3, the reserved
/// delivery modes 011 and 110, DST[31:16] and DST[7:0] in xAPIC mode (`eime` false), and IM=1 when
/// posted interrupts are not supported (`pi` false).
inline bool irte_reserved_ok(const irte_raw& r, bool eime, bool pi) {
  using namespace irte_lo;
  if (irte_hi::SVT.get(r.hi) == uint64_t(svt::reserved)) return false;
  if (IM.test(r.lo)) {
    if (!pi) return false;
    return !(r.lo & POSTED_RSVD) && !(r.hi & irte_hi::POSTED_RSVD);
  }
  if ((r.lo & REMAP_RSVD) || (r.hi & irte_hi::REMAP_RSVD)) return false;
  uint64_t dlm = DLM.get(r.lo);
  if (dlm == 3 || dlm == 6) return false;
  if (!eime && (DST.get(r.lo) & ~DST_XAPIC.mask())) return false;
  return true;
}

/// SQ masks for SVT=1 (VT-d IRTE.SQ): which requester-ID bits take part in the compare.
inline constexpr uint16_t sq_mask(uint8_t sq) {
  constexpr uint16_t m[4] = {0xFFFF, 0xFFFB, 0xFFF9, 0xFFF8};
  return m[sq & 3];
}

/// Source-ID verification (VT-d §9.10, SVT/SQ/SID): SVT=0 none; SVT=1 requester-ID match under the
/// SQ mask; SVT=2 the requester's bus within [SID[15:8] start bus, SID[7:0] end bus] (the spec's
/// and Linux's set_irte_verify_bus encoding); SVT=3 is reserved (fails).
inline bool sid_ok(const irte& e, uint16_t rid) {
  switch (e.svt_) {
    case svt::none: return true;
    case svt::requester_id: { uint16_t m = sq_mask(e.sq); return (rid & m) == (e.sid & m); }
    case svt::bus_range: {
      uint8_t bus = uint8_t(rid >> 8), start = uint8_t(e.sid >> 8), end = uint8_t(e.sid);
      return bus >= start && bus <= end;
    }
    default: return false;
  }
}

/// The remappable-format interrupt request (VT-d §5.1.2.2): address [19:5] handle[14:0], [4] = 1,
/// [3] SHV, [2] handle[15]; data [15:0] subhandle when SHV, [31:16] reserved.
namespace remap_msi {
inline constexpr bitfield HANDLE_LO{5, 15};
inline constexpr bitfield FORMAT{4, 1};
inline constexpr bitfield SHV{3, 1};
inline constexpr bitfield HANDLE_HI{2, 1};
inline constexpr bitfield SUBHANDLE{0, 16};
inline constexpr bitfield DATA_RSVD{16, 16};
}  // namespace remap_msi

struct remappable_request {
  uint16_t handle = 0;
  bool shv = false;
  uint16_t subhandle = 0;
};

/// Encodes a remappable-format MSI (what Linux's intel_ir_compose_msi writes into a device).
inline msi_msg encode_remappable_msi(const remappable_request& q) {
  using namespace remap_msi;
  uint64_t a = msi_window_base;
  a = HANDLE_LO.set(a, q.handle & 0x7FFF);
  a = FORMAT.set(a, 1);
  a = SHV.set(a, q.shv);
  a = HANDLE_HI.set(a, q.handle >> 15);
  return {a, q.shv ? uint32_t(q.subhandle) : 0u};
}

/// Decodes a remappable-format request (address bit 4 set).
inline remappable_request decode_remappable_msi(uint64_t address, uint32_t data) {
  using namespace remap_msi;
  remappable_request q;
  q.handle = uint16_t(HANDLE_LO.get(address) | (HANDLE_HI.get(address) << 15));
  q.shv = SHV.test(address);
  q.subhandle = uint16_t(SUBHANDLE.get(data));
  return q;
}

/// interrupt_index = handle + (SHV ? subhandle : 0), not truncated (may exceed 16 bits → 0x21).
inline uint32_t remappable_index(const remappable_request& q) {
  return uint32_t(q.handle) + (q.shv ? q.subhandle : 0u);
}

/// The APIC-bus request a remapped-format IRTE produces (dest per EIME).
inline apic_irq irte_to_apic_irq(const irte& e, bool eime) {
  apic_irq a;
  a.dest = eime ? e.dst : uint32_t(irte_lo::DST_XAPIC.get(e.dst));
  a.logical = e.logical;
  a.redirection_hint = e.redirection_hint;
  a.vector = e.vector;
  a.mode = delivery_mode(e.dlm);
  a.level_assert = true;
  a.level_trigger = e.level;
  return a;
}

}  // namespace irqf::iommu
