#include "models/testdev/dmt.h"

#include <cassert>

#include "models/pcie/function.h"

namespace irqf::testdev {

using namespace dmt_fields;

dmt_store::dmt_store(pcie::pcie_function& fn, unsigned entries, bool drop_when_masked)
    : fn_(fn), drop_(drop_when_masked), words_(size_t(entries) * 4, 0), pend_(entries) {
  for (unsigned i = 0; i < entries; ++i) {
    words_[i * 4 + 3] = uint32_t(MASK.mask());
    sources_.push_back(fn.ctx.led.add_source(fn.device_name() + "/ims/" + std::to_string(i)));
  }
}

void dmt_store::event(unsigned i, event_id ev) {
  assert(i < vectors());
  sim_context& ctx = fn_.ctx;
  uint32_t& ctl = words_[i * 4 + 3];
  if (MASK.test(ctl)) {
    if (drop_) {
      ctx.led.lost(ev, loss_cause::ims_masked_drop, now_ps());
      if (ctx.trace.on()) ctx.trace.instant(fn_.track(), stage::drop, now_ps(), {&ev, 1}, {{"ims", i}});
      return;
    }
    const bool merged = PENDING.test(ctl);
    ctl = uint32_t(PENDING.set(ctl, 1));
    pend_[i].push_back(ev);
    if (ctx.trace.on()) ctx.trace.instant(fn_.track(), merged ? stage::merge : stage::store, now_ps(), {&ev, 1}, {{"ims", i}});
    return;
  }
  pend_[i].push_back(ev);
  send(i);
}

void dmt_store::send(unsigned i) {
  uint32_t& ctl = words_[i * 4 + 3];
  ctl = uint32_t(PENDING.set(ctl, 0));
  event_list ids;
  ids.swap(pend_[i]);
  const msi_msg m{uint64_t(words_[i * 4 + 1]) << 32 | words_[i * 4], words_[i * 4 + 2]};
  std::optional<uint32_t> pasid;
  if (PASID_ENABLE.test(ctl)) pasid = uint32_t(PASID.get(ctl));
  fn_.send_message(m, pcie::as_span(ids), pasid);
}

void dmt_store::write_word(unsigned i, unsigned w, uint32_t v) {
  assert(i < vectors() && w < 4);
  uint32_t& cur = words_[i * 4 + w];
  if (w == 0) { cur = v & ~3u; return; }
  if (w != 3) { cur = v; return; }
  const bool was_masked = MASK.test(cur);
  cur = (cur & ~CONTROL_WRITABLE) | (v & CONTROL_WRITABLE);
  if (was_masked && !MASK.test(cur) && PENDING.test(cur)) send(i);
}

}  // namespace irqf::testdev
