#include "models/iommu/vtd_regs.h"

#include <string>

namespace irqf::iommu {

namespace {
constexpr uint64_t bits(const bitfield& f) { return f.mask(); }
constexpr uint64_t low32 = 0xFFFF'FFFFull;
}  // namespace

std::vector<reg_def> make_vtd_reg_defs(const vtd_caps& c) {
  uint64_t capv = 0;
  capv = cap::FRO.set(capv, reg_off::FRCD_BASE / 16);
  capv = cap::NFR.set(capv, c.fault_records - 1);
  capv = cap::PI.set(capv, c.pi);
  uint64_t ecapv = 0;
  ecapv = ecap::QI.set(ecapv, 1);
  ecapv = ecap::IR.set(ecapv, 1);
  ecapv = ecap::EIM.set(ecapv, c.eim);
  ecapv = ecap::MHMV.set(ecapv, 0xF);
  const uint64_t irta_w = bits(irta::IRTA_BASE) | bits(irta::S) | (c.eim ? bits(irta::EIME) : 0);
  const uint64_t fsts_w1c = bits(fsts::PFO) | bits(fsts::IQE) | bits(fsts::ICE) | bits(fsts::ITE);
  const uint64_t ctl_reset = evctl::IM.set(0, 1);

  std::vector<reg_def> d = {
      {"VER", reg_off::VER, 4, 0x10, 0, 0, "architecture version 1.0 (VT-d §10.4.1)", {}},
      {"CAP", reg_off::CAP, 8, capv, 0, 0, "capabilities (VT-d §10.4.2); DMA-remapping fields 0 (not modelled)",
       {{"FRO", cap::FRO, "fault-recording register offset / 16"},
        {"NFR", cap::NFR, "number of fault-recording registers - 1"},
        {"PI", cap::PI, "posted interrupts supported"},
        {"ESIRTPS", cap::ESIRTPS, "SIRTP invalidates the IEC (0: software must invalidate)"}}},
      {"ECAP", reg_off::ECAP, 8, ecapv, 0, 0, "extended capabilities (VT-d §10.4.3)",
       {{"QI", ecap::QI, "queued invalidation"},
        {"IR", ecap::IR, "interrupt remapping"},
        {"EIM", ecap::EIM, "extended interrupt mode (x2APIC)"},
        {"MHMV", ecap::MHMV, "maximum handle mask value"}}},
      {"GCMD", reg_off::GCMD, 4, 0, 0, 0, "global command, write-only, reads 0 (VT-d §10.4.4)",
       {{"QIE", gcmd::QIE, "queued invalidation enable"},
        {"IRE", gcmd::IRE, "interrupt remapping enable"},
        {"SIRTP", gcmd::SIRTP, "set interrupt remap table pointer (one-shot: latches IRTA)"},
        {"CFI", gcmd::CFI, "compatibility format interrupts allowed"}}},
      {"GSTS", reg_off::GSTS, 4, 0, 0, 0, "global status (VT-d §10.4.5)",
       {{"QIES", gsts::QIES, ""}, {"IRES", gsts::IRES, ""}, {"IRTPS", gsts::IRTPS, ""}, {"CFIS", gsts::CFIS, ""}}},
      {"FSTS", reg_off::FSTS, 4, 0, 0, fsts_w1c, "fault status (VT-d §10.4.9)",
       {{"PFO", fsts::PFO, "primary fault overflow (RW1C)"},
        {"PPF", fsts::PPF, "primary pending fault: OR of all FRCD.F (RO)"},
        {"IQE", fsts::IQE, "invalidation queue error (RW1C)"},
        {"FRI", fsts::FRI, "fault record index of the first pending fault"}}},
      {"FECTL", reg_off::FECTL, 4, ctl_reset, bits(evctl::IM), 0, "fault event control (VT-d §10.4.10)",
       {{"IM", evctl::IM, "interrupt mask"}, {"IP", evctl::IP, "interrupt pending (RO)"}}},
      {"FEDATA", reg_off::FEDATA, 4, 0, low32, 0, "fault event MSI data", {}},
      {"FEADDR", reg_off::FEADDR, 4, 0, low32 & ~3ull, 0, "fault event MSI address [31:2]", {}},
      {"FEUADDR", reg_off::FEUADDR, 4, 0, c.eim ? low32 : 0, 0, "fault event upper address (x2APIC dest [31:8])", {}},
      {"IQH", reg_off::IQH, 8, 0, 0, 0, "invalidation queue head (VT-d §10.4.22)", {{"QH", iq::QH, ""}}},
      {"IQT", reg_off::IQT, 8, 0, bits(iq::QT), 0, "invalidation queue tail (VT-d §10.4.23)", {{"QT", iq::QT, ""}}},
      {"IQA", reg_off::IQA, 8, 0, bits(iq::IQA_BASE) | bits(iq::QS), 0,
       "invalidation queue address (VT-d §10.4.24); DW fixed 0 (128-bit descriptors)",
       {{"IQA", iq::IQA_BASE, ""}, {"QS", iq::QS, "2^QS 4-KiB pages"}}},
      {"ICS", reg_off::ICS, 4, 0, 0, bits(iq::IWC), "invalidation completion status (VT-d §10.4.25)",
       {{"IWC", iq::IWC, "invalidation wait descriptor complete (RW1C)"}}},
      {"IECTL", reg_off::IECTL, 4, ctl_reset, bits(evctl::IM), 0, "invalidation event control (VT-d §10.4.26)",
       {{"IM", evctl::IM, ""}, {"IP", evctl::IP, ""}}},
      {"IEDATA", reg_off::IEDATA, 4, 0, low32, 0, "invalidation event MSI data", {}},
      {"IEADDR", reg_off::IEADDR, 4, 0, low32 & ~3ull, 0, "invalidation event MSI address", {}},
      {"IEUADDR", reg_off::IEUADDR, 4, 0, c.eim ? low32 : 0, 0, "invalidation event upper address", {}},
      {"IRTA", reg_off::IRTA, 8, 0, irta_w, 0, "interrupt remapping table address (VT-d §10.4.29)",
       {{"IRTA", irta::IRTA_BASE, "table base"}, {"EIME", irta::EIME, "x2APIC mode"},
        {"S", irta::S, "2^(S+1) entries"}}},
  };
  for (unsigned n = 0; n < c.fault_records; ++n) {
    uint32_t off = reg_off::FRCD_BASE + n * reg_off::FRCD_STRIDE;
    d.push_back({"FRCD" + std::to_string(n) + "_LO", off, 8, 0, 0, 0, "fault record bits 63:0 (FI)",
                 {{"FI", frcd::FI, "fault info; IR faults: index in [63:48]"}}});
    d.push_back({"FRCD" + std::to_string(n) + "_HI", off + 8, 8, 0, 0, bits(frcd::F),
                 "fault record bits 127:64",
                 {{"SID", frcd::SID, ""}, {"FR", frcd::FR, "fault reason"}, {"T", frcd::T, ""},
                  {"F", frcd::F, "fault (RW1C)"}}});
  }
  return d;
}

}  // namespace irqf::iommu
