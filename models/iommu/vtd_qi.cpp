// vtd_unit: the invalidation queue (VT-d §6.5.2). Software writes descriptors into the ring at IQA
// and advances IQT; hardware fetches from IQH, one descriptor per qi_desc_ns, and stops with
// FSTS.IQE on an invalid one (IQH then points at it) until software clears IQE.
#include "models/iommu/vtd_unit.h"

namespace irqf::iommu {

void vtd_unit::schedule_qi(const sc_core::sc_time& delay) {
  if (!qies_ || qi_scheduled_ || test(FSTS, fsts::IQE)) return;
  if (iq::QH.get(regs_.get(IQH)) == iq::QT.get(regs_.get(IQT))) return;
  qi_scheduled_ = true;
  qi_ev_.notify(delay + qi_desc_time_);
}

void vtd_unit::qi_step() {
  qi_scheduled_ = false;
  if (!qies_ || test(FSTS, fsts::IQE)) return;
  const uint64_t iqa = regs_.get(IQA);
  const uint32_t qsize = 256u << iq::QS.get(iqa);  // 128-bit descriptors: 256 per 4-KiB page
  uint32_t head = uint32_t(iq::QH.get(regs_.get(IQH))) % qsize;
  const uint32_t tail = uint32_t(iq::QT.get(regs_.get(IQT)));
  if (head == tail) return;
  sc_core::sc_time delay = sc_core::SC_ZERO_TIME;
  uint64_t raw[2] = {0, 0};
  const uint64_t base = iq::IQA_BASE.get(iqa) << 12;
  bool ok = tail < qsize && bus_read(memif(), base + uint64_t(head) * qi_desc_size, raw, qi_desc_size,
                                     delay) == tlm::TLM_OK_RESPONSE;
  ok = ok && qi_execute({raw[0], raw[1]}, delay);
  if (!ok) {
    // Invalidation queue error: IQH stays on the offending descriptor (VT-d §6.5.2.10).
    log->warn("invalidation queue error at descriptor {} (type 0x{:x})", head, raw[0] & 0xF);
    const bool first = !(regs_.get(FSTS) & fsts::status_fields);
    set_field(FSTS, fsts::IQE, 1);
    if (first) fault_condition(delay);
    return;
  }
  head = (head + 1) % qsize;
  regs_.set(IQH, iq::QH.set(0, head));
  if (head != tail) {
    qi_scheduled_ = true;
    qi_ev_.notify(qi_desc_time_);
  }
}

bool vtd_unit::qi_execute(const qi_desc& d, sc_core::sc_time& delay) {
  ++stats_.qi_descriptors;
  const uint64_t t = now_ps() + delay.value();
  switch (qi_type(qi_type_of(d))) {
    case qi_type::iec: {
      const bool selective = qi_fields::IEC_G.test(d.lo);
      const unsigned im = unsigned(qi_fields::IEC_IM.get(d.lo));
      const uint16_t idx = uint16_t(qi_fields::IEC_IIDX.get(d.lo));
      if (selective && im > ecap::MHMV.get(regs_.get(ECAP))) return false;
      if (selective) {
        iec_.invalidate(idx, im);
        ++stats_.iec_index_invalidations;
      } else {
        iec_.invalidate_all();
        ++stats_.iec_global_invalidations;
      }
      if (ctx.trace.on())
        ctx.trace.instant(track_, stage::note, t, {},
                          {{"iec_inv", 1}, {"global", !selective}, {"index", idx}, {"im", im}});
      return true;
    }
    case qi_type::inv_wait: {
      ++stats_.inv_waits;
      if (qi_fields::IWD_SW.test(d.lo)) {
        const uint32_t status = uint32_t(qi_fields::IWD_SDATA.get(d.lo));
        if (bus_write(memif(), inv_wait_status_addr(d), &status, 4, delay) != tlm::TLM_OK_RESPONSE)
          return false;
      }
      if (ctx.trace.on())
        ctx.trace.instant(track_, stage::note, t, {},
                          {{"inv_wait", 1}, {"sw", qi_fields::IWD_SW.test(d.lo)},
                           {"if", qi_fields::IWD_IF.test(d.lo)}});
      if (qi_fields::IWD_IF.test(d.lo) && !test(ICS, iq::IWC)) {  // IWC already set: no new condition
        set_field(ICS, iq::IWC, 1);
        inv_condition(delay);
      }
      return true;
    }
    case qi_type::context_cache:
    case qi_type::iotlb:
    case qi_type::dev_iotlb:
      return true;  // DMA-remapping caches are not modelled: accepted, nothing to invalidate
    default:
      return false;  // reserved, or scalable-mode types without ECAP.SMTS
  }
}

}  // namespace irqf::iommu
