#include "models/pcie/ims_table.h"

#include <cassert>

#include "fabric/error.h"

namespace irqf::pcie {

ims_masked_policy ims_masked_policy_from(const std::string& s) {
  if (s == "latch") return ims_masked_policy::latch;
  if (s == "drop") return ims_masked_policy::drop;
  throw input_error("ims_masked_policy: unknown value '" + s + "' (latch|drop)");
}

ims_table::ims_table(sim_context& ctx, message_sender& sender, const std::string& device,
                     unsigned entries, ims_masked_policy policy, track_id track, bool pending_visible,
                     bool pasid_prefix)
    : ctx_(ctx), sender_(sender), policy_(policy), track_(track), pending_visible_(pending_visible),
      pasid_prefix_(pasid_prefix),
      words_(size_t(entries) * 4),
      pend_(entries), src0_(ctx.led.add_source_range(device + "/ims", entries)) {
  for (unsigned i = 0; i < entries; ++i) {
    words_[i * 4 + ims_entry::CTRL] = uint32_t(ims_entry::CTRL_MASK.mask());
  }
}

msi_msg ims_table::message(unsigned i) const {
  return {uint64_t(word(i, ims_entry::ADDR_HI)) << 32 | word(i, ims_entry::ADDR_LO),
          word(i, ims_entry::DATA)};
}

void ims_table::send(unsigned i) {
  // Without `pasid_prefix` the entry's PASID is only checked by the device against the descriptor
  // before the event is raised (see dsa_device); it is not sent with the interrupt.
  std::optional<uint32_t> pasid;
  if (pasid_prefix_ && pasid_enabled(i)) pasid = this->pasid(i);
  sender_.send_message(message(i), std::span<const event_id>(pend_[i].data(), pend_[i].size()), pasid);
  pend_[i].clear();
}

void ims_table::event(unsigned i, event_id ev) {
  assert(i < vectors());
  const uint64_t now = now_ps();
  if (!masked(i)) {
    pend_[i].push_back(ev);
    send(i);
    return;
  }
  if (policy_ == ims_masked_policy::drop) {
    const event_id one[1] = {ev};
    ctx_.led.settle_lost(one, loss_cause::ims_masked_drop, now);
    if (ctx_.trace.on()) ctx_.trace.instant(track_, stage::drop, now, one, {{"ims", i}});
    return;
  }
  const bool merge = !pend_[i].empty();
  pend_[i].push_back(ev);
  if (ctx_.trace.on()) {
    const event_id one[1] = {ev};
    ctx_.trace.instant(track_, merge ? stage::merge : stage::store, now, one, {{"ims", i}});
  }
}

void ims_table::write_word(unsigned i, unsigned w, uint32_t v) {
  assert(i < vectors() && w < 4);
  if (w == ims_entry::CTRL) {
    uint32_t& c = words_[i * 4 + w];
    c = (c & ~ims_entry::CTRL_WRITABLE) | (v & ims_entry::CTRL_WRITABLE);
    if (!masked(i) && !pend_[i].empty()) send(i);
    return;
  }
  words_[i * 4 + w] = v;
}

uint64_t ims_table::mmio_read(uint64_t off, unsigned len) const {
  const unsigned i = unsigned(off / ims_entry::bytes), w = unsigned(off % ims_entry::bytes) / 4;
  if (i >= vectors()) return 0;
  uint64_t v = word(i, w);
  if (len == 8 && w % 2 == 0) v |= uint64_t(word(i, w + 1)) << 32;
  return v;
}

void ims_table::mmio_write(uint64_t off, uint64_t v, unsigned len) {
  const unsigned i = unsigned(off / ims_entry::bytes), w = unsigned(off % ims_entry::bytes) / 4;
  if (i >= vectors() || (len != 4 && len != 8)) return;
  write_word(i, w, uint32_t(v));
  if (len == 8 && w % 2 == 0) write_word(i, w + 1, uint32_t(v >> 32));
}

void ims_table::reset() {
  const uint64_t now = now_ps();
  for (unsigned i = 0; i < vectors(); ++i) {
    if (!pend_[i].empty()) ctx_.led.settle_lost(std::span<const event_id>(pend_[i].data(), pend_[i].size()), loss_cause::pending_cleared, now);
    pend_[i].clear();
    for (unsigned w = 0; w < 4; ++w) words_[i * 4 + w] = 0;
    words_[i * 4 + ims_entry::CTRL] = uint32_t(ims_entry::CTRL_MASK.mask());
  }
}

}  // namespace irqf::pcie
