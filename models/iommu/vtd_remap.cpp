// vtd_unit: interrupt requests (VT-d ch. 5). Compatibility-format pass-through or blocking
// (§5.1.2.1, §5.1.4), remappable-format decode (§5.1.2.2), IRTE fetch through the interrupt entry
// cache (§6.4), the checks of §5.1.4.1 with fault reasons 0x20-0x27, source-ID verification (§9.10),
// and interrupt posting (§5.2, §9.11-9.12).
#include <cstring>

#include "models/iommu/pid.h"
#include "models/iommu/vtd_unit.h"

namespace irqf::iommu {

namespace {
/// Reasons a set FPD suppresses the recording of (VT-d Table "Interrupt remapping fault conditions":
/// the qualified faults).
constexpr bool fpd_qualified(uint8_t reason) { return reason == 0x22 || reason == 0x24 || reason == 0x26; }
}  // namespace

void vtd_unit::ir_b_transport(tlm::tlm_generic_payload& gp, sc_core::sc_time& delay) {
  ++stats_.requests;
  const requester_ext* px = ext_of(gp);
  const requester_ext& x = px ? *px : no_ext_;
  const std::span<const event_id> evs(x.events.data(), x.events.size());
  const uint16_t rid = x.requester_id;
  const uint64_t addr = gp.get_address();
  gp.set_response_status(tlm::TLM_OK_RESPONSE);  // interrupt writes are posted: no error to the device

  if (!gp.is_write() || gp.get_data_length() != 4 || !in_msi_window(addr)) {
    // Not a well-formed interrupt request: treated as a request with reserved fields set.
    block(0x20, rid, 0, false, evs, delay);
    return;
  }
  const uint32_t data = msi_data_of(gp);
  if (!ire_) {  // remapping disabled: every request is processed untranslated
    forward_unchanged(gp, evs, delay);
    return;
  }
  delay += remap_latency_;
  if (!msi_fields::ADDR_IF.test(addr)) {  // compatibility format (VT-d §5.1.4)
    if (cfis_ && !eime_) forward_unchanged(gp, evs, delay);
    else block(0x25, rid, 0, false, evs, delay);
    return;
  }
  const remappable_request q = decode_remappable_msi(addr, data);
  const uint32_t index = remappable_index(q);
  if (q.shv && remap_msi::DATA_RSVD.get(data)) {
    block(0x20, rid, index, false, evs, delay);
    return;
  }
  if (index >= irt_entries_) {
    block(0x21, rid, index, false, evs, delay);
    return;
  }

  const irte* e = iec_.lookup(uint16_t(index));
  const bool hit = e != nullptr;
  irte fresh;
  irte_raw r;
  if (hit) {
    ++stats_.iec_hits;
  } else {
    ++stats_.iec_misses;
    delay += miss_latency_;
    uint64_t raw[2] = {0, 0};
    if (bus_read(memif(), irt_base_ + uint64_t(index) * irte_size, raw, irte_size, delay) !=
        tlm::TLM_OK_RESPONSE) {
      block(0x23, rid, index, false, evs, delay);
      return;
    }
    r = {raw[0], raw[1]};
    fresh = decode_irte(r);
  }
  if (ctx.trace.on())
    ctx.trace.instant(track_, stage::remap, now_ps() + delay.value(), evs,
                      {{"index", index}, {"iec_hit", hit}, {"sid", rid}});
  if (!hit) {
    if (!fresh.present) {
      block(0x22, rid, index, fresh.fpd, evs, delay);
      return;
    }
    if (!irte_reserved_ok(r, eime_, caps_.pi)) {
      block(0x24, rid, index, fresh.fpd, evs, delay);
      return;
    }
    if (iec_.insert(uint16_t(index), fresh)) ++stats_.iec_evictions;
    e = &fresh;
  }
  if (!sid_ok(*e, rid)) {
    block(0x26, rid, index, e->fpd, evs, delay);
    return;
  }
  if (e->posted) deliver_posted(*e, index, x, delay);
  else deliver_remapped(*e, index, x, delay);
}

void vtd_unit::forward_unchanged(tlm::tlm_generic_payload& gp, std::span<const event_id> evs,
                                 sc_core::sc_time& delay) {
  ++stats_.passthrough;
  if (ctx.trace.on())
    ctx.trace.instant(track_, stage::remap, now_ps() + delay.value(), evs,
                      {{"passthrough", 1}, {"ire", ire_}});
  irq_out->b_transport(gp, delay);
}

void vtd_unit::block(uint8_t reason, uint16_t rid, uint32_t index, bool fpd,
                     std::span<const event_id> evs, sc_core::sc_time& delay) {
  ++stats_.blocked;
  ++stats_.faults[reason - 0x20u];
  const bool suppressed = fpd && fpd_qualified(reason);
  if (!logged_[reason - 0x20u]) {
    logged_[reason - 0x20u] = true;
    log->warn("interrupt blocked: fault reason 0x{:02x} (source {:04x}, index {}){}; further ones "
              "are counted, not logged", reason, rid, index, suppressed ? ", not recorded (FPD)" : "");
  }
  if (suppressed) ++stats_.faults_suppressed_fpd;
  else record_fault(reason, rid, index, delay);
  const uint64_t t = now_ps() + delay.value();
  if (ctx.trace.on())
    ctx.trace.instant(track_, stage::fault, t, evs,
                      {{"reason", reason}, {"index", index}, {"sid", rid}, {"recorded", !suppressed}});
  if (!evs.empty()) ctx.led.settle_lost(evs, ir_fault_cause(reason), t);
}

void vtd_unit::send_apic(const apic_irq& a, uint16_t rid, std::span<const event_id> evs,
                         std::optional<uint32_t> pasid, sc_core::sc_time& delay) {
  auto& out = remap_out_.msi(encode_compat_msi(a), rid, evs, pasid);
  apic_ext_.irq = a;
  out.set_extension(&apic_ext_);
  irq_out->b_transport(out, delay);
  out.clear_extension(&apic_ext_);
}

void vtd_unit::deliver_remapped(const irte& e, uint32_t index, const requester_ext& x,
                                sc_core::sc_time& delay) {
  ++stats_.remapped;
  const apic_irq a = irte_to_apic_irq(e, eime_);
  const std::span<const event_id> evs(x.events.data(), x.events.size());
  if (ctx.trace.on())
    ctx.trace.instant(track_, stage::remap, now_ps() + delay.value(), evs,
                      {{"index", index}, {"vec", a.vector}, {"dest", a.dest}, {"dm", a.logical},
                       {"dlm", int64_t(a.mode)}, {"tm", a.level_trigger}});
  send_apic(a, x.requester_id, evs, x.has_pasid ? std::optional<uint32_t>(x.pasid) : std::nullopt, delay);
}

// Interrupt posting (VT-d §5.2.3): atomically set PIR[vv]; then, only if ON was clear and (SN clear
// or URG set), set ON and send the notification vector NV to NDST (physical, fixed, edge). The
// ledger ids are parked with the PIR bit until the consumer drains it (take_pir_events).
void vtd_unit::deliver_posted(const irte& e, uint32_t index, const requester_ext& x,
                              sc_core::sc_time& delay) {
  const std::span<const event_id> evs(x.events.data(), x.events.size());
  const uint64_t pid = e.pda;
  const uint8_t vv = e.vector;
  unsigned char buf[pid_ctl_offset + 8];
  if (bus_read(memif(), pid, buf, sizeof buf, delay) != tlm::TLM_OK_RESPONSE) {
    block(0x27, x.requester_id, index, e.fpd, evs, delay);
    return;
  }
  uint32_t word;
  uint64_t ctl;
  std::memcpy(&word, buf + (pir_dword_addr(pid, vv) - pid), 4);
  std::memcpy(&ctl, buf + pid_ctl_offset, 8);
  const bool was_set = word & pir_bit(vv);
  const bool notify = !pid_ctl::ON.test(ctl) && (!pid_ctl::SN.test(ctl) || e.urgent);
  bool ok = true;
  if (!was_set) {
    word |= pir_bit(vv);
    ok = bus_write(memif(), pir_dword_addr(pid, vv), &word, 4, delay) == tlm::TLM_OK_RESPONSE;
  }
  if (ok && notify) {
    ctl = pid_ctl::ON.set(ctl, 1);
    ok = bus_write(memif(), pid + pid_ctl_offset, &ctl, 8, delay) == tlm::TLM_OK_RESPONSE;
  }
  if (!ok) {
    block(0x27, x.requester_id, index, e.fpd, evs, delay);
    return;
  }
  ++stats_.posted;
  if (was_set) ++stats_.pi_merged;
  park_pir_events(pid, vv, evs);
  if (ctx.trace.on())
    ctx.trace.instant(track_, was_set ? stage::merge : stage::remap, now_ps() + delay.value(), evs,
                      {{"index", index}, {"posted", 1}, {"vec", vv}, {"pid", int64_t(pid)},
                       {"notify", notify}});
  if (!notify) {
    ++stats_.pi_no_notification;
    return;
  }
  ++stats_.pi_notifications;
  apic_irq n;
  const uint32_t ndst = uint32_t(pid_ctl::NDST.get(ctl));
  n.dest = eime_ ? ndst : uint32_t(irte_lo::DST_XAPIC.get(ndst));
  n.vector = uint8_t(pid_ctl::NV.get(ctl));
  n.mode = delivery_mode::fixed;
  n.logical = false;
  n.level_trigger = false;
  // The notification carries no ledger id: the events travel in the PIR bit, not in this message.
  send_apic(n, 0, {}, std::nullopt, delay);
}

}  // namespace irqf::iommu
