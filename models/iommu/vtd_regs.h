#pragma once
// VT-d remapping-hardware register page (Intel VT-d Architecture Specification §10.4, "Register
// Descriptions"; offsets as Linux drivers/iommu/intel/iommu.h DMAR_*_REG). Only the registers of
// interrupt remapping, queued invalidation and primary fault logging are modelled; the DMA-remapping
// registers (RTADDR, CCMD, IOTLB, PMR, MTRR...) are absent and read as zero.
#include <cstdint>
#include <vector>

#include "fabric/regtable.h"

namespace irqf::iommu {

/// Register offsets (VT-d §10.4).
namespace reg_off {
inline constexpr uint32_t VER = 0x00, CAP = 0x08, ECAP = 0x10, GCMD = 0x18, GSTS = 0x1C;
inline constexpr uint32_t FSTS = 0x34, FECTL = 0x38, FEDATA = 0x3C, FEADDR = 0x40, FEUADDR = 0x44;
inline constexpr uint32_t IQH = 0x80, IQT = 0x88, IQA = 0x90, ICS = 0x9C;
inline constexpr uint32_t IECTL = 0xA0, IEDATA = 0xA4, IEADDR = 0xA8, IEUADDR = 0xAC;
inline constexpr uint32_t IRTA = 0xB8;
/// Fault-recording registers start at CAP.FRO*16 = 0x400 (as on many Intel server parts; QEMU
/// uses 0x220). Each is 128 bits: FRCDn_LO at +0, FRCDn_HI at +8.
inline constexpr uint32_t FRCD_BASE = 0x400;
inline constexpr uint32_t FRCD_STRIDE = 16;
inline constexpr uint32_t PAGE_SIZE = 0x1000;
}  // namespace reg_off

/// Register indices in the table built by make_vtd_reg_table (FRCDn_LO = FRCD0 + 2n, _HI = +1).
enum vtd_reg : size_t {
  VER, CAP, ECAP, GCMD, GSTS, FSTS, FECTL, FEDATA, FEADDR, FEUADDR,
  IQH, IQT, IQA, ICS, IECTL, IEDATA, IEADDR, IEUADDR, IRTA, FRCD0
};
inline constexpr size_t frcd_lo(unsigned n) { return FRCD0 + 2 * n; }
inline constexpr size_t frcd_hi(unsigned n) { return FRCD0 + 2 * n + 1; }

/// Capability register fields (VT-d §10.4.2).
namespace cap {
inline constexpr bitfield FRO{24, 10};    // fault-recording register offset / 16
inline constexpr bitfield NFR{40, 8};     // number of fault-recording registers - 1
inline constexpr bitfield PI{59, 1};      // posted interrupts supported
inline constexpr bitfield ESIRTPS{62, 1}; // SIRTP also invalidates the IEC (0 here: software must)
}  // namespace cap

/// Extended capability register fields (VT-d §10.4.3).
namespace ecap {
inline constexpr bitfield QI{1, 1};    // queued invalidation
inline constexpr bitfield IR{3, 1};    // interrupt remapping
inline constexpr bitfield EIM{4, 1};   // extended interrupt mode (32-bit x2APIC destinations)
inline constexpr bitfield MHMV{20, 4}; // maximum handle mask value (IEC descriptor IM)
}  // namespace ecap

/// Global command / status (VT-d §10.4.4-5); status bits sit at the command bits' positions.
namespace gcmd {
inline constexpr bitfield TE{31, 1}, SRTP{30, 1}, SFL{29, 1}, EAFL{28, 1}, WBF{27, 1};
inline constexpr bitfield QIE{26, 1}, IRE{25, 1}, SIRTP{24, 1}, CFI{23, 1};
}  // namespace gcmd
namespace gsts {
inline constexpr bitfield TES{31, 1}, RTPS{30, 1}, QIES{26, 1}, IRES{25, 1}, IRTPS{24, 1}, CFIS{23, 1};
}  // namespace gsts

/// Fault status (VT-d §10.4.9).
namespace fsts {
inline constexpr bitfield PFO{0, 1}, PPF{1, 1}, IQE{4, 1}, ICE{5, 1}, ITE{6, 1}, FRI{8, 8};
/// The status fields of FSTS (FRI is an index): while any is Set, setting another is not a new
/// fault-event interrupt condition (VT-d §10.4.10 FECTL.IP).
inline constexpr uint64_t status_fields = PFO.mask() | PPF.mask() | IQE.mask() | ICE.mask() | ITE.mask();
}
/// Fault-event and invalidation-event control (VT-d §10.4.10, §10.4.25).
namespace evctl {
inline constexpr bitfield IM{31, 1}, IP{30, 1};
}
/// FEUADDR / IEUADDR in x2APIC mode: destination ID bits 31:8 (Linux struct msi_address_hi).
namespace uaddr {
inline constexpr bitfield DESTID_8_31{8, 24};
}
/// Invalidation queue (VT-d §10.4.21-24). 128-bit descriptors (IQA.DW=0): QH/QT index in [18:4].
namespace iq {
inline constexpr bitfield QH{4, 15}, QT{4, 15};
inline constexpr bitfield IQA_BASE{12, 52}, DW{11, 1}, QS{0, 3};
inline constexpr bitfield IWC{0, 1};  // ICS
}  // namespace iq
/// Interrupt remapping table address (VT-d §10.4.29): entries = 2^(S+1).
namespace irta {
inline constexpr bitfield IRTA_BASE{12, 52}, EIME{11, 1}, S{0, 4};
}
/// Fault recording register, split in two 64-bit halves (VT-d §10.4.14).
namespace frcd {
inline constexpr bitfield FI{12, 52};       // LO: fault info; for IR faults [63:48] = index
inline constexpr bitfield IR_INDEX{48, 16}; // LO
inline constexpr bitfield SID{0, 16};       // HI (bits 79:64)
inline constexpr bitfield FR{32, 8};        // HI (bits 103:96)
inline constexpr bitfield T{62, 1};         // HI (bit 126): 0 = write request
inline constexpr bitfield F{63, 1};         // HI (bit 127), RW1C
}  // namespace frcd

/// Capabilities offered by one instance.
struct vtd_caps {
  unsigned fault_records = 8;  ///< 1..128
  bool eim = true;
  bool pi = true;
};

/// The register table of one instance (the FRCD count is a parameter, so each instance builds its
/// own). Names are the VT-d ones: CAP, ECAP, GCMD, ..., FRCD0_LO, FRCD0_HI, ...
std::vector<reg_def> make_vtd_reg_defs(const vtd_caps& c);

}  // namespace irqf::iommu
