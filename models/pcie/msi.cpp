#include "models/pcie/msi.h"

#include <cassert>

#include "models/pcie/function.h"

namespace irqf::pcie {

using namespace msi_fields_ctl;

msi_capability::msi_capability(pcie_function& fn, const msi_config& c, uint16_t cap_offset)
    : fn_(fn), c_(c), cap_(cap_offset) {
  assert(c.vectors >= 1 && c.vectors <= 32 && (c.vectors & (c.vectors - 1)) == 0);
  pend_.resize(c.vectors);
  src0_ = fn.ctx.led.add_source_range(fn.device_name() + "/msi", c.vectors);
}

unsigned msi_capability::size() const { return (c_.is64 ? 0xE : 0xA) + (c_.per_vector_mask ? 0xA : 0); }

bool msi_capability::enabled() const { return ENABLE.test(fn_.config_regs().raw(off_control(), 2)); }
unsigned msi_capability::granted() const { return 1u << MME.get(fn_.config_regs().raw(off_control(), 2)); }
bool msi_capability::masked(unsigned i) const {
  return c_.per_vector_mask && (fn_.config_regs().raw(off_mask(), 4) >> i & 1);
}

msi_msg msi_capability::message(unsigned i) const {
  const config_space& cs = fn_.config_regs();
  uint64_t addr = cs.raw(off_addr(), 4);
  if (c_.is64) addr |= uint64_t(cs.raw(off_addr_hi(), 4)) << 32;
  const uint32_t low = granted() - 1;  // the MME low bits the function replaces (§6.1.4.1)
  const uint32_t data = (cs.raw(off_data(), 2) & ~low) | (i & low);
  return {addr, data};
}

void msi_capability::event(unsigned i, event_id ev) {
  assert(i < c_.vectors);
  sim_context& ctx = fn_.ctx;
  if (!enabled()) {
    if (fn_.intx_usable()) {
      fn_.raise_intx(true, {&ev, 1});
    } else {
      ctx.led.lost(ev, loss_cause::msi_disabled, now_ps());
      if (ctx.trace.on()) ctx.trace.instant(fn_.track(), stage::drop, now_ps(), {&ev, 1}, {{"msi", i}});
    }
    return;
  }
  const unsigned v = i < granted() ? i : 0;  // fewer vectors granted than requested: vector 0
  if (masked(v)) {
    const bool merged = !pend_[v].empty();
    pend_[v].push_back(ev);
    sync_pending_reg();
    if (ctx.trace.on())
      ctx.trace.instant(fn_.track(), merged ? stage::merge : stage::store, now_ps(), {&ev, 1}, {{"msi", v}});
    return;
  }
  pend_[v].push_back(ev);
  send(v);
}

void msi_capability::send(unsigned v) {
  event_list ids;
  ids.swap(pend_[v]);
  sync_pending_reg();
  fn_.send_message(message(v), as_span(ids), std::nullopt);
}

void msi_capability::sync_pending_reg() {
  if (!c_.per_vector_mask) return;
  uint32_t bits = 0;
  for (unsigned i = 0; i < c_.vectors; ++i)
    if (!pend_[i].empty()) bits |= 1u << i;
  fn_.config_regs().set_raw(off_pending(), bits, 4);
}

void msi_capability::mask_written(uint32_t old_mask) {
  if (!enabled()) return;
  const uint32_t now_mask = fn_.config_regs().raw(off_mask(), 4);
  const uint32_t unmasked = old_mask & ~now_mask;
  for (unsigned v = 0; v < c_.vectors; ++v)
    if ((unmasked >> v & 1) && !pend_[v].empty()) send(v);
}

void msi_capability::control_written(uint16_t old_ctrl) {
  if (ENABLE.test(old_ctrl) || !enabled()) return;
  for (unsigned v = 0; v < c_.vectors; ++v)
    if (!pend_[v].empty() && !masked(v)) send(v);
}

void msi_capability::reset() {
  for (auto& p : pend_) {
    if (!p.empty()) fn_.ctx.led.settle_lost(as_span(p), loss_cause::pending_cleared, now_ps());
    p.clear();
  }
  sync_pending_reg();
}

}  // namespace irqf::pcie
