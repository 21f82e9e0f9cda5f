#include "models/pcie/msix.h"

#include <cassert>

#include "models/pcie/config_regs.h"
#include "models/pcie/function.h"

namespace irqf::pcie {

using namespace msix_fields;

msix_capability::msix_capability(pcie_function& fn, const msix_config& c, uint16_t cap_offset)
    : fn_(fn), c_(c), cap_(cap_offset) {
  assert(c.table_size >= 1 && c.table_size <= 2048);
  assert(c.table_offset % 8 == 0 && c.pba_offset % 8 == 0);
  table_.assign(size_t(c.table_size) * 4, 0);
  for (unsigned i = 0; i < c.table_size; ++i) table_[i * 4 + 3] = uint32_t(VC_MASK.mask());  // masked at reset
  pend_.resize(c.table_size);
  pend_bit_.assign(c.table_size, 0);
  src0_ = fn.ctx.led.add_source_range(fn.device_name() + "/msix", c.table_size);
}

bool msix_capability::enabled() const { return CTRL_ENABLE.test(fn_.config_regs().raw(uint16_t(cap_ + 2), 2)); }
bool msix_capability::function_masked() const {
  return CTRL_FUNCTION_MASK.test(fn_.config_regs().raw(uint16_t(cap_ + 2), 2));
}
bool msix_capability::entry_masked(unsigned i) const { return VC_MASK.test(table_[i * 4 + 3]); }
bool msix_capability::deliverable(unsigned i) const { return enabled() && !function_masked() && !entry_masked(i); }

msi_msg msix_capability::message(unsigned i) const {
  return {uint64_t(table_[i * 4 + 1]) << 32 | table_[i * 4 + 0], table_[i * 4 + 2]};
}

void msix_capability::event(unsigned i, event_id ev) {
  assert(i < c_.table_size);
  sim_context& ctx = fn_.ctx;
  if (!enabled()) {
    switch (c_.disabled_policy) {
      case msix_disabled_policy::drop:
        ctx.led.lost(ev, loss_cause::msix_disabled, now_ps());
        if (ctx.trace.on()) ctx.trace.instant(fn_.track(), stage::drop, now_ps(), {&ev, 1}, {{"msix", i}});
        return;
      case msix_disabled_policy::latch:
        latch(i, ev);
        return;
      case msix_disabled_policy::intx:
        if (fn_.intx_usable()) {
          if (ctx.trace.on()) ctx.trace.instant(fn_.track(), stage::store, now_ps(), {&ev, 1}, {{"intx", 1}});
          fn_.raise_intx(true, {&ev, 1});
        } else {
          ctx.led.lost(ev, loss_cause::intx_disabled, now_ps());
          if (ctx.trace.on()) ctx.trace.instant(fn_.track(), stage::drop, now_ps(), {&ev, 1}, {{"msix", i}});
        }
        return;
    }
  }
  if (function_masked() || entry_masked(i)) {
    latch(i, ev);
    return;
  }
  pend_[i].push_back(ev);  // normally empty: a pending bit never survives an unmasked, enabled entry
  send(i);
}

void msix_capability::latch(unsigned i, event_id ev) {
  sim_context& ctx = fn_.ctx;
  const bool merged = pend_bit_[i] != 0;
  pend_bit_[i] = 1;
  pend_[i].push_back(ev);
  if (ctx.trace.on())
    ctx.trace.instant(fn_.track(), merged ? stage::merge : stage::store, now_ps(), {&ev, 1}, {{"msix", i}, {"pba", 1}});
}

void msix_capability::send(unsigned i) {
  pend_bit_[i] = 0;
  event_list ids;
  ids.swap(pend_[i]);
  fn_.send_message(message(i), as_span(ids), std::nullopt);
}

void msix_capability::set_table_word(unsigned i, unsigned w, uint32_t v) {
  assert(i < c_.table_size && w < 4);
  uint32_t& cur = table_[i * 4 + w];
  switch (w) {
    case ENTRY_ADDR_LO / 4: cur = v & ~3u; break;  // DWORD aligned: bits 1:0 read-only zero
    case ENTRY_ADDR_HI / 4:
    case ENTRY_DATA / 4: cur = v; break;
    case ENTRY_VECTOR_CONTROL / 4: {
      const bool was_masked = VC_MASK.test(cur);
      cur = uint32_t(VC_MASK.set(cur, VC_MASK.get(v)));  // other bits reserved: preserved (read-only here)
      if (was_masked && !VC_MASK.test(cur) && pend_bit_[i] && deliverable(i)) send(i);
      return;
    }
  }
  if (!entry_masked(i)) fn_.log->debug("MSI-X entry {} rewritten while unmasked (used at once)", i);
}

uint64_t msix_capability::pba_qword(unsigned q) const {
  uint64_t v = 0;
  for (unsigned b = 0; b < 64 && q * 64 + b < c_.table_size; ++b)
    if (pend_bit_[q * 64 + b]) v |= 1ull << b;
  return v;
}

bool msix_capability::bar_read(int bar, uint64_t off, unsigned len, uint64_t& val) const {
  const uint64_t tsize = uint64_t(c_.table_size) * entry_bytes;
  const uint64_t psize = uint64_t((c_.table_size + 63) / 64) * 8;
  if (bar == c_.table_bar && off >= c_.table_offset && off + len <= c_.table_offset + tsize) {
    const uint64_t rel = off - c_.table_offset;
    val = 0;
    for (unsigned b = 0; b < len; ++b) {
      const uint64_t byte = rel + b;
      val |= uint64_t(table_[byte / 4] >> (8 * (byte % 4)) & 0xFF) << (8 * b);
    }
    return true;
  }
  if (bar == c_.pba_bar && off >= c_.pba_offset && off + len <= c_.pba_offset + psize) {
    const uint64_t rel = off - c_.pba_offset;
    val = 0;
    for (unsigned b = 0; b < len; ++b) {
      const uint64_t byte = rel + b;
      val |= (pba_qword(unsigned(byte / 8)) >> (8 * (byte % 8)) & 0xFF) << (8 * b);
    }
    return true;
  }
  return false;
}

bool msix_capability::bar_write(int bar, uint64_t off, uint64_t val, unsigned len) {
  const uint64_t tsize = uint64_t(c_.table_size) * entry_bytes;
  const uint64_t psize = uint64_t((c_.table_size + 63) / 64) * 8;
  if (bar == c_.table_bar && off >= c_.table_offset && off + len <= c_.table_offset + tsize) {
    const uint64_t rel = off - c_.table_offset;
    // Byte-granular merge into the affected DWORDs, then apply each DWORD's write rules in order
    // (a QWORD write to Message Data + Vector Control applies the data before unmasking).
    for (uint64_t w = rel / 4; w <= (rel + len - 1) / 4; ++w) {
      uint32_t nv = table_[w];
      for (unsigned b = 0; b < 4; ++b) {
        const uint64_t byte = w * 4 + b;
        if (byte < rel || byte >= rel + len) continue;
        const uint32_t bv = uint32_t(val >> (8 * (byte - rel)) & 0xFF);
        nv = (nv & ~(0xFFu << (8 * b))) | bv << (8 * b);
      }
      set_table_word(unsigned(w / 4), unsigned(w % 4), nv);
    }
    return true;
  }
  if (bar == c_.pba_bar && off >= c_.pba_offset && off + len <= c_.pba_offset + psize) {
    fn_.log->debug("write to the read-only MSI-X Pending Bit Array ignored (PCIe Base §7.7.2)");
    return true;
  }
  return false;
}

void msix_capability::control_written(uint16_t old_ctrl) {
  const uint16_t ctl = uint16_t(fn_.config_regs().raw(uint16_t(cap_ + 2), 2));
  if (ctl == old_ctrl || !enabled() || function_masked()) return;
  // Became deliverable as a whole (Enable set and/or Function Mask cleared): release every pending
  // entry whose own Mask Bit is clear; the others stay pending.
  for (unsigned i = 0; i < c_.table_size; ++i)
    if (pend_bit_[i] && !entry_masked(i)) send(i);
}

void msix_capability::reset() {
  for (unsigned i = 0; i < c_.table_size; ++i) {
    table_[i * 4 + 0] = table_[i * 4 + 1] = table_[i * 4 + 2] = 0;
    table_[i * 4 + 3] = uint32_t(VC_MASK.mask());
    if (!pend_[i].empty()) fn_.ctx.led.settle_lost(as_span(pend_[i]), loss_cause::pending_cleared, now_ps());
    pend_[i].clear();
    pend_bit_[i] = 0;
  }
}

}  // namespace irqf::pcie
