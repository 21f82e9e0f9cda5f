// vtd_unit: primary fault logging (VT-d §7.2.1), the fault event (§7.3, FECTL §10.4.10) and the
// invalidation completion event (§6.5.2.8, IECTL §10.4.26).
#include "models/iommu/vtd_unit.h"

namespace irqf::iommu {

void vtd_unit::record_fault(uint8_t reason, uint16_t sid, uint32_t index, sc_core::sc_time& delay) {
  if (test(FSTS, fsts::PFO)) {  // no new faults recorded until software clears PFO
    ++stats_.faults_overflowed;
    return;
  }
  const unsigned n = next_fri_;
  if (test(frcd_hi(n), frcd::F)) {  // the next register still holds an unserviced fault
    set_field(FSTS, fsts::PFO, 1);
    ++stats_.faults_overflowed;
    return;
  }
  uint64_t hi = frcd::SID.set(0, sid);
  hi = frcd::FR.set(hi, reason);
  hi = frcd::F.set(hi, 1);  // T = 0: interrupt requests are writes
  regs_.set(frcd_lo(n), frcd::IR_INDEX.set(0, index));
  regs_.set(frcd_hi(n), hi);
  next_fri_ = (n + 1) % caps_.fault_records;
  ++stats_.faults_recorded;
  const uint64_t before = regs_.get(FSTS);
  if (!fsts::PPF.test(before)) {
    uint64_t f = fsts::PPF.set(before, 1);
    regs_.set(FSTS, fsts::FRI.set(f, n));
    if (!(before & fsts::status_fields)) fault_condition(delay);
  }
}

void vtd_unit::recompute_ppf() {
  bool any = false;
  for (unsigned n = 0; n < caps_.fault_records && !any; ++n) any = test(frcd_hi(n), frcd::F);
  set_field(FSTS, fsts::PPF, any);
}

// An interrupt condition: a new event is born; sent now unless FECTL.IM holds it pending (IP).
void vtd_unit::fault_condition(sc_core::sc_time& delay) {
  const uint64_t t = now_ps() + delay.value();
  fault_ip_events_.push_back(ctx.led.raise(fault_src_, t));
  if (ctx.trace.on()) ctx.trace.instant(track_, stage::raise, t, span_of(fault_ip_events_), {{"fault_event", 1}});
  if (test(FECTL, evctl::IM)) {
    set_field(FECTL, evctl::IP, 1);
    return;
  }
  send_own_msi(FECTL, FEDATA, FEADDR, FEUADDR, fault_ip_events_, delay);
}

// IP is cleared when software has serviced every status field (VT-d §10.4.10); a message still held
// by IM is then never sent.
void vtd_unit::update_fault_ip(sc_core::sc_time& delay) {
  if (!test(FECTL, evctl::IP)) return;
  if (regs_.get(FSTS) & fsts::status_fields) return;
  set_field(FECTL, evctl::IP, 0);
  ctx.led.settle_lost(span_of(fault_ip_events_), loss_cause::pending_cleared, now_ps() + delay.value());
  fault_ip_events_.clear();
}

void vtd_unit::inv_condition(sc_core::sc_time& delay) {
  const uint64_t t = now_ps() + delay.value();
  inv_ip_events_.push_back(ctx.led.raise(inv_src_, t));
  if (ctx.trace.on()) ctx.trace.instant(track_, stage::raise, t, span_of(inv_ip_events_), {{"inv_event", 1}});
  if (test(IECTL, evctl::IM)) {
    set_field(IECTL, evctl::IP, 1);
    return;
  }
  send_own_msi(IECTL, IEDATA, IEADDR, IEUADDR, inv_ip_events_, delay);
}

// The unit's own interrupt: a compatibility-format write of the programmed address/data (these
// messages are never remapped, VT-d §5.1.6). In x2APIC mode the upper address register carries
// destination bits 31:8; then an apic_irq_ext gives the APIC bus the full 32-bit destination.
void vtd_unit::send_own_msi(size_t ctl, size_t data, size_t addr, size_t uaddr, event_list& evs,
                            sc_core::sc_time& delay) {
  msi_msg m{regs_.get(addr), uint32_t(regs_.get(data))};
  auto& gp = own_out_.msi(m, 0, span_of(evs));
  const uint64_t hi = uaddr::DESTID_8_31.get(regs_.get(uaddr));
  if (hi) {
    own_ext_.irq = decode_compat_msi(m.address, m.data);
    own_ext_.irq.dest |= uint32_t(uaddr::DESTID_8_31.set(0, hi));
    gp.set_extension(&own_ext_);
  }
  if (ctl == FECTL) ++stats_.fault_events;
  else ++stats_.inv_events;
  if (ctx.trace.on())
    ctx.trace.instant(track_, stage::post, now_ps() + delay.value(), span_of(evs),
                      {{"addr", int64_t(m.address)}, {"data", m.data}});
  evs.clear();
  irq_out->b_transport(gp, delay);
  if (hi) gp.clear_extension(&own_ext_);
}

}  // namespace irqf::iommu
