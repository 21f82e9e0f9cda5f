#pragma once
// The posted-interrupt descriptor (VT-d §9.12; Linux arch/x86/include/asm/posted_intr.h struct
// pi_desc): 64 bytes, 64-byte aligned. Bytes 0-31 are the PIR (one bit per vector); the control
// qword at byte 32 holds ON, SN, NV and NDST. The IOMMU sets PIR bits and ON; the consumer (a VMM or
// the CPU's posted-interrupt processing) clears ON and drains the PIR.
#include <cstdint>

#include "fabric/regtable.h"

namespace irqf::iommu {

inline constexpr unsigned pid_size = 64;
inline constexpr unsigned pid_ctl_offset = 32;  ///< control qword (bits 319:256)

namespace pid_ctl {
inline constexpr bitfield ON{0, 1};    // outstanding notification
inline constexpr bitfield SN{1, 1};    // suppress notification (non-urgent)
inline constexpr bitfield NV{16, 8};   // notification vector
inline constexpr bitfield NDST{32, 32};  // notification destination (xAPIC: ID in [15:8])
}  // namespace pid_ctl

/// Address of the PIR dword holding `vector`, and the bit within it.
inline constexpr uint64_t pir_dword_addr(uint64_t pid, uint8_t vector) { return pid + (vector / 32u) * 4u; }
inline constexpr uint32_t pir_bit(uint8_t vector) { return 1u << (vector % 32u); }

/// Encodes a control qword.
inline constexpr uint64_t make_pid_ctl(bool on, bool sn, uint8_t nv, uint32_t ndst) {
  uint64_t c = pid_ctl::ON.set(0, on);
  c = pid_ctl::SN.set(c, sn);
  c = pid_ctl::NV.set(c, nv);
  return pid_ctl::NDST.set(c, ndst);
}

}  // namespace irqf::iommu
