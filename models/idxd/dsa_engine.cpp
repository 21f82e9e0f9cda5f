// dsa_device: submission, engines, descriptor execution and completion (record, then interrupt).
#include <algorithm>
#include <cassert>
#include <cstring>

#include "models/idxd/dsa_device.h"
#include "models/idxd/dsa_engine_rt.h"

namespace irqf::idxd {

submit_status dsa_device::submit(unsigned wq, const dsa_descriptor& d, portal_kind k) {
  if (wq >= wqs_.size()) {
    ++stats_.dropped;
    return submit_status::dropped;
  }
  wq_rt& w = wqs_[wq];
  const size_t limit = k.limited ? std::min(w.thresh, w.size) : w.size;
  const bool room = w.enabled && w.q.size() < limit;
  // The mode of a disabled WQ is whatever WQCFG says now.
  const bool dedicated = w.enabled ? w.dedicated
                                   : wqcfg::MODE.test(regs_->get(wqcfg_index(wq, wqcfg::MODE_DW)));
  if (!room) {
    if (dedicated) {  // MOVDIR64B is posted: the descriptor is simply lost
      ++stats_.dropped;
      log->info("MOVDIR64B to {} WQ {} dropped", w.enabled ? "full" : "disabled", wq);
      return submit_status::dropped;
    }
    ++stats_.retried;  // ENQCMD: ZF=1, software retries
    return submit_status::retry;
  }
  work_item it;
  it.d = d;
  it.seq = ++seq_;
  it.wq = uint16_t(wq);
  it.ims_portal = k.ims;
  if (dedicated) {  // the WQ's PASID applies (WQCFG.pasid_en); ENQCMD carries its own
    const uint64_t mode = regs_->get(wqcfg_index(wq, wqcfg::MODE_DW));
    it.has_pasid = wqcfg::PASID_EN.test(mode);
    it.pasid = it.has_pasid ? w.pasid : 0;
    it.d.pasid = it.pasid;
    it.d.priv = wqcfg::PRIV.test(mode);
  } else {
    it.has_pasid = true;
    it.pasid = d.pasid;
  }
  w.q.push_back(it);
  ++stats_.submitted;
  if (w.group >= 0) kick(w.group);
  return submit_status::accepted;
}

void dsa_device::kick(int group) {
  for (unsigned e = 0; e < engines_.size(); ++e)
    if (engines_[e]->group == group && !engines_[e]->busy) start_next(e);
}

bool dsa_device::pick(int group, work_item& out) {
  // Highest WQCFG.priority first; round-robin among WQs of equal priority.
  const unsigned n = unsigned(wqs_.size());
  int best = -1;
  unsigned best_prio = 0;
  for (unsigned k = 0; k < n; ++k) {
    const unsigned w = (rr_[group] + k) % n;
    if (wqs_[w].group != group || wqs_[w].q.empty()) continue;
    if (best < 0 || wqs_[w].priority > best_prio) {
      best = int(w);
      best_prio = wqs_[w].priority;
    }
  }
  if (best < 0) return false;
  rr_[group] = (unsigned(best) + 1) % n;
  out = wqs_[best].q.front();
  wqs_[best].q.pop_front();
  ++wqs_[best].inflight;
  check_occupancy(unsigned(best));
  return true;
}

uint64_t dsa_device::duration_ps(const dsa_descriptor& d) const {
  uint64_t t = overhead_.value();
  switch (d.opcode) {
    case op_memmove:
    case op_memfill:
    case op_compare:
      t += uint64_t(double(d.xfer_size) * 1000.0 / bytes_per_ns_);
      break;
    default:
      break;
  }
  return t;
}

void dsa_device::start_next(unsigned e) {
  engine_rt& en = *engines_[e];
  if (en.busy || en.group < 0) return;
  if (!pick(en.group, en.cur)) return;
  en.busy = true;
  en.aborted = false;
  en.in_batch = false;
  const uint64_t now = now_ps();
  uint64_t t = duration_ps(en.cur.d);
  const dsa_descriptor& d = en.cur.d;
  if (d.opcode == op_batch) {
    const uint32_t max = 1u << wqs_[en.cur.wq].max_batch_shift;
    std::vector<uint8_t>& raw = buf_a_;
    bool ok = d.xfer_size >= 2 && d.xfer_size <= max;
    if (ok) {
      raw.resize(size_t(d.xfer_size) * descriptor_size);
      ok = dma_read(d.src, raw.data(), unsigned(raw.size()),
                    en.cur.has_pasid ? std::optional<uint32_t>(en.cur.pasid) : std::nullopt);
    }
    if (ok) {
      en.in_batch = true;
      en.batch.clear();
      en.batch_pos = 0;
      en.batch_ok = 0;
      for (uint32_t k = 0; k < d.xfer_size; ++k) {
        work_item sub = en.cur;
        sub.d = dsa_descriptor::decode(raw.data() + size_t(k) * descriptor_size);
        sub.d.pasid = en.cur.d.pasid;  // a batch's descriptors run in the batch's PASID
        sub.in_batch = true;
        en.batch.push_back(sub);
      }
      uint64_t total = t;
      for (auto& s : en.batch) total += duration_ps(s.d);
      en.end_all_ps = now + total;
      t += duration_ps(en.batch[0].d);  // batch fetch, then the first descriptor
      en.ev.notify(sc_core::sc_time::from_value(t));
      return;
    }
    // An invalid count or an unreadable list fails the batch itself (execute() reports why).
  } else if (d.opcode == op_drain) {
    // A drain completes after every earlier descriptor of its WQ (already out of the FIFO).
    uint64_t end = now + t;
    for (auto& o : engines_)
      if (o.get() != &en && o->busy && o->cur.wq == en.cur.wq && o->cur.seq < en.cur.seq)
        end = std::max(end, o->end_all_ps);
    t = end - now;
  }
  en.end_all_ps = now + t;
  en.ev.notify(sc_core::sc_time::from_value(t));
}

void dsa_device::engine_fire(unsigned e) {
  engine_rt& en = *engines_[e];
  if (!en.busy) return;
  if (!en.aborted) {
    if (en.in_batch) {
      work_item& sub = en.batch[en.batch_pos];
      completion_record rec;
      rec.status = execute(sub, rec);
      if (rec.status == st_success || rec.status == st_success_pred) ++en.batch_ok;
      complete(sub, rec);
      if (++en.batch_pos < en.batch.size()) {
        en.ev.notify(sc_core::sc_time::from_value(duration_ps(en.batch[en.batch_pos].d)));
        return;
      }
      completion_record brec;
      brec.status = en.batch_ok == en.batch.size() ? st_success : st_batch_fail;
      brec.bytes_completed = en.batch_ok;  // for a batch: descriptors completed
      complete(en.cur, brec);
    } else {
      completion_record rec;
      rec.status = execute(en.cur, rec);
      complete(en.cur, rec);
    }
  }
  en.busy = false;
  en.in_batch = false;
  --wqs_[en.cur.wq].inflight;
  command_done_check();
  start_next(e);
}

uint8_t dsa_device::execute(const work_item& it, completion_record& rec) {
  const dsa_descriptor& d = it.d;
  if (d.opcode >= 64 || !((caps_.opcap0 >> d.opcode) & 1)) return st_bad_opcode;
  if (it.in_batch && (d.opcode == op_batch || d.opcode == op_drain)) return st_bad_opcode;
  const std::optional<uint32_t> pasid =
      it.has_pasid ? std::optional<uint32_t>(it.pasid) : std::nullopt;
  switch (d.opcode) {
    case op_noop:
    case op_drain:
      return st_success;
    case op_batch: {  // reached only when the batch could not start
      const uint32_t max = 1u << wqs_[it.wq].max_batch_shift;
      if (d.xfer_size < 2 || d.xfer_size > max) return st_desc_cnt_erange;
      rec.fault_addr = d.src;
      return st_batch_page_fault;
    }
    default:
      break;
  }
  const uint64_t max_xfer = 1ull << wqs_[it.wq].max_xfer_shift;
  if (d.xfer_size == 0 || d.xfer_size > max_xfer) return st_xfer_erange;
  rec.bytes_completed = d.xfer_size;
  if (!functional_) {
    if (d.opcode == op_memmove || d.opcode == op_memfill) dma_write_timing(d.xfer_size);
    if (d.opcode == op_compare && d.has(desc_flag::CR) && d.op_specific[0] != 0)
      return st_success_pred;
    return st_success;
  }
  const unsigned n = d.xfer_size;
  buf_a_.resize(n);
  switch (d.opcode) {
    case op_memmove:
      if (!dma_read(d.src, buf_a_.data(), n, pasid)) {
        rec.bytes_completed = 0;
        rec.fault_addr = d.src;
        return st_page_fault_nobof;
      }
      dma_write(d.dst, buf_a_.data(), n, pasid);
      return st_success;
    case op_memfill: {
      uint8_t pat[8];
      for (unsigned k = 0; k < 8; ++k) pat[k] = uint8_t(d.src >> (8 * k));
      for (unsigned k = 0; k < n; ++k) buf_a_[k] = pat[k % 8];
      dma_write(d.dst, buf_a_.data(), n, pasid);
      return st_success;
    }
    case op_compare: {
      buf_b_.resize(n);
      if (!dma_read(d.src, buf_a_.data(), n, pasid) || !dma_read(d.dst, buf_b_.data(), n, pasid)) {
        rec.bytes_completed = 0;
        rec.fault_addr = d.src;
        return st_page_fault_nobof;
      }
      auto mm = std::mismatch(buf_a_.begin(), buf_a_.end(), buf_b_.begin());
      rec.result = mm.first != buf_a_.end();
      rec.bytes_completed = uint32_t(mm.first - buf_a_.begin());  // offset of first difference
      if (d.has(desc_flag::CR) && rec.result != (d.op_specific[0] & 1)) return st_success_pred;
      return st_success;
    }
    default:
      return st_bad_opcode;
  }
}

bool dsa_device::resolve_interrupt(const work_item& it, message_store*& store, unsigned& entry,
                                   source_id& src) {
  const uint16_t h = it.d.int_handle;
  bool revoked = false;
  if (int_handles_) {
    const int_handle_table::slot* s = handles_.lookup(h);
    if (!s || s->st == int_handle_table::state::free) {
      src = handle_source(h);
      return false;
    }
    store = s->table == int_table::ims ? static_cast<message_store*>(ims_.get()) : msix();
    entry = s->index;
    revoked = s->st == int_handle_table::state::revoked;
  } else {
    store = it.ims_portal ? static_cast<message_store*>(ims_.get()) : msix();
    entry = h;
    if (entry >= store->vectors()) {
      src = handle_source(h);
      return false;
    }
  }
  src = store->source(entry);
  if (revoked) return false;
  // PASID checks: an IMS entry or MSI-X permission entry with PASID enable only serves
  // descriptors of that PASID.
  if (store == ims_.get()) {
    if (ims_->pasid_enabled(entry) && (!it.has_pasid || ims_->pasid(entry) != it.pasid))
      return false;
  } else {
    const uint64_t perm = regs_->get(ri_.MSIX_PERM0 + entry);
    if (msix_perm::PASID_EN.test(perm) &&
        (!it.has_pasid || msix_perm::PASID.get(perm) != it.pasid))
      return false;
  }
  return true;
}

void dsa_device::complete(const work_item& it, completion_record rec) {
  const dsa_descriptor& d = it.d;
  ++stats_.completed;
  const bool crav = d.has(desc_flag::CRAV);
  if (crav && d.completion_addr % completion_align != 0) {
    swerr(st_cra_align, &it);  // nowhere to write the record: reported in SWERR only
    return;
  }
  message_store* store = nullptr;
  unsigned entry = 0;
  source_id src = 0;
  bool irq = false, bad = false;
  if (d.has(desc_flag::RCI)) {
    irq = resolve_interrupt(it, store, entry, src);
    bad = !irq;
    if (bad && (rec.status == st_success || rec.status == st_success_pred))
      rec.status = st_int_handle_inval;
  }
  const bool ok = rec.status == st_success || rec.status == st_success_pred;
  if (crav && (d.has(desc_flag::RCR) || !ok)) {
    const auto img = rec.encode();
    dma_write(d.completion_addr, img.data(), completion_record_size,
              it.has_pasid ? std::optional<uint32_t>(it.pasid) : std::nullopt);
    ++stats_.records_written;
  } else if (!crav && !ok) {
    swerr(rec.status, &it);
  }
  if (!irq && !bad) return;
  const uint64_t now = now_ps();
  const event_id ev = ctx.led.raise(src, now);
  const event_id one[1] = {ev};
  if (bad) {  // invalid or revoked handle: no interrupt (status 0x19 in the record)
    ++stats_.invalid_handle;
    ctx.led.settle_lost(one, loss_cause::handle_revoked, now);
    if (ctx.trace.on()) ctx.trace.instant(track(), stage::drop, now, one, {{"handle", d.int_handle}});
    return;
  }
  if (ctx.trace.on())
    ctx.trace.instant(track(), stage::raise, now, one,
                      {{store == ims_.get() ? "ims" : "msix", entry}, {"wq", it.wq}});
  if (store != ims_.get() && msix_perm::IGNORE.test(regs_->get(ri_.MSIX_PERM0 + entry))) {
    ctx.led.settle_lost(one, loss_cause::msix_perm_ignore, now);
    return;
  }
  ++stats_.interrupts;
  store->event(entry, ev);
}

void dsa_device::check_occupancy(unsigned wq) {
  if (!occupancy_int_) return;
  const size_t li = wqcfg_index(wq, wqcfg::OCC_LIMIT_DW), si = wqcfg_index(wq, wqcfg::STATE_DW);
  const uint64_t lim = regs_->get(li);
  if (!wqcfg::OCCUPANCY_INT_EN.test(lim) || wqs_[wq].q.size() > wqcfg::OCCUPANCY_LIMIT.get(lim))
    return;
  // One-shot: the device clears occupancy_int_en and sets occupancy_int (model reading of the
  // DSA 2.0 occupancy interrupt; software re-arms it).
  regs_->set(li, wqcfg::OCCUPANCY_INT_EN.set(lim, 0));
  regs_->set(si, wqcfg::OCCUPANCY_INT.set(regs_->get(si), 1));
  raise_misc(intcause::OCCUPY);
}

}  // namespace irqf::idxd
