// vtd_unit: the register page (VT-d §10.4). 32- and 64-bit aligned accesses; a 64-bit register may
// be accessed as two 32-bit halves (VT-d §10.2). Offsets with no register read as 0, writes to them
// are ignored.
#include <cstring>

#include "models/iommu/vtd_unit.h"

namespace irqf::iommu {

void vtd_unit::regs_b_transport(tlm::tlm_generic_payload& gp, sc_core::sc_time& delay) {
  uint64_t a = gp.get_address();
  unsigned len = gp.get_data_length();
  if ((len != 4 && len != 8) || (a & (len - 1)) || a + len > reg_off::PAGE_SIZE ||
      gp.get_byte_enable_ptr()) {
    log->warn("unsupported register access at 0x{:x} length {}", a, len);
    gp.set_response_status(tlm::TLM_GENERIC_ERROR_RESPONSE);
    return;
  }
  uint64_t v = 0;
  if (gp.is_read()) {
    v = mmio_read(uint32_t(a), len);
    std::memcpy(gp.get_data_ptr(), &v, len);  // little-endian host, as the register page
  } else if (gp.is_write()) {
    std::memcpy(&v, gp.get_data_ptr(), len);
    mmio_write(uint32_t(a), len, v, delay);
  }
  gp.set_response_status(tlm::TLM_OK_RESPONSE);
}

uint64_t vtd_unit::mmio_read(uint32_t off, unsigned len) const {
  return table_.read_bytes(off, len, [&](size_t i) { return regs_.get(i); });
}

void vtd_unit::mmio_write(uint32_t off, unsigned len, uint64_t value, sc_core::sc_time& delay) {
  table_.write_bytes(off, len, value, [&](size_t i, uint64_t mask, uint64_t data) { write_reg(i, mask, data, delay); });
}

void vtd_unit::write_reg(size_t i, uint64_t mask, uint64_t data, sc_core::sc_time& delay) {
  if (i == GCMD) {
    gcmd_write(uint32_t(data & mask));
    return;
  }
  const reg_def& d = table_[i];
  const uint64_t old = regs_.get(i);
  // Bytes not written keep their value, but must not act as a write-1-to-clear of their w1c bits.
  regs_.write(i, (old & ~mask & ~d.w1c) | (data & mask));
  const uint64_t now = regs_.get(i);
  switch (i) {
    case FSTS:
      if (fsts::IQE.test(old) && !fsts::IQE.test(now)) schedule_qi(delay);  // queue resumes
      update_fault_ip(delay);
      break;
    case FECTL:
      if (evctl::IM.test(old) && !evctl::IM.test(now) && test(FECTL, evctl::IP)) {
        set_field(FECTL, evctl::IP, 0);
        send_own_msi(FECTL, FEDATA, FEADDR, FEUADDR, fault_ip_events_, delay);
      }
      break;
    case IQT:
      schedule_qi(delay);
      break;
    case ICS:
      if (iq::IWC.test(old) && !iq::IWC.test(now) && test(IECTL, evctl::IP)) {
        // Software serviced the condition while the message was held by IM: it is never sent.
        set_field(IECTL, evctl::IP, 0);
        ctx.led.settle_lost(span_of(inv_ip_events_), loss_cause::pending_cleared, now_ps() + delay.value());
        inv_ip_events_.clear();
      }
      break;
    case IECTL:
      if (evctl::IM.test(old) && !evctl::IM.test(now) && test(IECTL, evctl::IP)) {
        set_field(IECTL, evctl::IP, 0);
        send_own_msi(IECTL, IEDATA, IEADDR, IEUADDR, inv_ip_events_, delay);
      }
      break;
    default:
      if (i >= FRCD0 && (i - FRCD0) % 2 == 1 && old != now) {  // an F bit was cleared
        recompute_ppf();
        update_fault_ip(delay);
      }
      break;
  }
}

// GCMD (VT-d §10.4.4): software writes the persistent enables it wants (TE, QIE, IRE, CFI) plus at
// most one one-shot command (SRTP, SIRTP, ...); hardware reflects them in GSTS at once.
void vtd_unit::gcmd_write(uint32_t v) {
  uint64_t st = regs_.get(GSTS);
  if (gcmd::SIRTP.test(v)) {
    // Latch IRTA. The IEC is NOT invalidated (CAP.ESIRTPS=0): software must follow with a global
    // IEC invalidation (VT-d §10.4.4, SIRTP), as Linux does in iommu_set_irq_remapping.
    uint64_t t = regs_.get(IRTA);
    irt_base_ = irta::IRTA_BASE.get(t) << 12;
    irt_entries_ = 2u << irta::S.get(t);
    eime_ = irta::EIME.test(t);
    st = gsts::IRTPS.set(st, 1);
    if (ctx.trace.on())
      ctx.trace.instant(track_, stage::note, now_ps(), {},
                        {{"sirtp", 1}, {"entries", irt_entries_}, {"eime", eime_}});
  }
  if (gcmd::SRTP.test(v)) st = gsts::RTPS.set(st, 1);  // DMA remapping not modelled
  st = gsts::TES.set(st, gcmd::TE.get(v));
  bool qie = gcmd::QIE.test(v);
  if (qie && !qies_) regs_.set(IQH, 0);  // enabling QI resets the head (VT-d §10.4.22)
  qies_ = qie;
  ire_ = gcmd::IRE.test(v);
  cfis_ = gcmd::CFI.test(v);
  st = gsts::QIES.set(st, qies_);
  st = gsts::IRES.set(st, ire_);
  st = gsts::CFIS.set(st, cfis_);
  regs_.set(GSTS, st);
}

}  // namespace irqf::iommu
