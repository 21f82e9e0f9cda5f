// dsa_core: bring-up, WQ enable/disable, submission and reaping shared by the DSA drivers.
#include "models/os/drivers/dsa_core.h"

#include <algorithm>

namespace irqf::os::dsa {

// ---- wq_ring ----------------------------------------------------------------------------------

void wq_ring::init(kernel& k, unsigned slots) {
  if (base_ == 0) {
    slots_ = slots;
    base_ = k.alloc_dma(uint64_t(slots) * idxd::completion_record_size, 64);
    img_.assign(size_t(slots) * idxd::completion_record_size, 0);
    k.memcpy_to(base_, img_.data(), unsigned(img_.size()));
    free_.reserve(slots);
    out_.reserve(slots);
    for (unsigned s = slots; s-- > 0;) free_.push_back(uint16_t(s));  // slot 0 on top
  }
}

std::optional<unsigned> wq_ring::take() {
  if (free_.empty()) return std::nullopt;
  const uint16_t s = free_.back();
  free_.pop_back();
  out_.push_back(s);
  return s;
}

void wq_ring::put_back(unsigned slot) {
  auto it = std::find(out_.begin(), out_.end(), uint16_t(slot));
  if (it == out_.end()) return;
  out_.erase(it);
  free_.push_back(uint16_t(slot));
}

void wq_ring::read_all(kernel& k) {
  // Only the span covering the outstanding slots is read.
  const auto [lo, hi] = std::minmax_element(out_.begin(), out_.end());
  const size_t off = size_t(*lo) * idxd::completion_record_size;
  const size_t len = size_t(*hi - *lo + 1) * idxd::completion_record_size;
  k.memcpy_from(base_ + off, img_.data() + off, unsigned(len));
}

unsigned wq_ring::count_completed(kernel& k) {
  if (out_.empty()) return 0;
  read_all(k);
  unsigned n = 0;
  for (uint16_t s : out_)
    if (img_[size_t(s) * idxd::completion_record_size] != idxd::st_none) ++n;
  return n;
}

// ---- dsa_core ---------------------------------------------------------------------------------

dsa_core::dsa_core(kernel& kk, bdf dev, idxd::dsa_device& h, unsigned size)
    : k(kk), hw(h), mmio(kk, dev), wq_size(size) {}

bool dsa_core::reset_and_read_caps() {
  if (k.pci_enable_device(mmio.dev()) < 0) {
    k.log->error("idxd {}: pci_enable_device failed", mmio.dev().str());
    return false;
  }
  const dsa_sw_caps& c = mmio.read_caps();
  wqs.resize(c.num_wqs);
  return mmio.exec(idxd::cmd_reset_device, 0).ok();
}

bool dsa_core::enable_device() {
  const dsa_sw_caps& c = mmio.caps();
  const uint64_t wqmask = c.num_wqs >= 64 ? ~0ull : ((1ull << c.num_wqs) - 1);
  const uint64_t engmask = c.num_engines >= 64 ? ~0ull : ((1ull << c.num_engines) - 1);
  mmio.write_group(0, wqmask, engmask);
  mmio.unmask_error_interrupts();
  return mmio.exec(idxd::cmd_enable_device, 0).ok();
}

bool dsa_core::enable_wq_hw(unsigned wq) {
  if (wq >= wqs.size() || wqs[wq].hw_enabled) return false;
  unsigned used = wq_size;
  for (auto& w : wqs) used += w.hw_enabled ? wq_size : 0;
  if (used > mmio.caps().total_wq_size) {  // Linux checks the total before writing WQCFG
    k.log->error("idxd {}: WQ {} of size {} exceeds WQCAP.total_wq_size {}", mmio.dev().str(), wq,
                 wq_size, mmio.caps().total_wq_size);
    return false;
  }
  mmio.write_wqcfg(wq, wq_size, 1, true);
  if (!mmio.exec(idxd::cmd_enable_wq, wq).ok()) return false;
  wqs[wq].ring.init(k, wq_size);
  wqs[wq].hw_enabled = true;
  return true;
}

bool dsa_core::disable_wq_hw(unsigned wq) {
  if (wq >= wqs.size() || !wqs[wq].hw_enabled) return false;
  wqs[wq].enabled = false;
  wqs[wq].hw_enabled = false;
  const uint32_t op = uint32_t(idxd::wq_mask_operand::BANK.set(
      idxd::wq_mask_operand::MASK.set(0, 1ull << (wq % 16)), wq / 16));
  return mmio.exec(idxd::cmd_disable_wq, op).ok();
}

bool dsa_core::assign_interrupt(unsigned wq, unsigned index, bool ims) {
  wq_state& w = wqs[wq];
  w.ims = ims;
  w.irq_index = index;
  w.handle_issued = false;
  if (mmio.caps().int_handles()) {
    auto h = mmio.request_int_handle(index, ims);
    if (!h) return false;
    w.handle = *h;
    w.handle_issued = true;
  } else {
    w.handle = uint16_t(index);
  }
  return true;
}

void dsa_core::release_interrupt(unsigned wq) {
  wq_state& w = wqs[wq];
  if (w.handle_issued) mmio.release_int_handle(w.handle, w.ims);
  w.handle_issued = false;
}

void dsa_core::ensure_buffers(uint32_t bytes) {
  if (bytes <= buf_bytes_) return;
  uint64_t n = 4096;
  while (n < bytes) n <<= 1;
  src_ = k.alloc_dma(n, 4096);
  dst_ = k.alloc_dma(n, 4096);
  buf_bytes_ = n;
}

bool dsa_core::submit(unsigned wq, uint32_t bytes) {
  if (wq >= wqs.size() || !wqs[wq].enabled) {
    ++st.rejected;
    return false;
  }
  wq_state& w = wqs[wq];
  auto slot = w.ring.take();
  if (!slot) {  // descriptor pool empty (Linux idxd_alloc_desc -EAGAIN)
    ++st.rejected;
    return false;
  }
  ensure_buffers(bytes);
  const uint64_t comp = w.ring.record_addr(*slot);
  const idxd::dsa_descriptor d = bytes == 0 ? idxd::make_noop(comp, true, w.handle)
                                            : idxd::make_memmove(src_, dst_, bytes, comp, true, w.handle);
  idxd::portal_kind pk;
  pk.ims = w.ims && !mmio.caps().int_handles();
  const idxd::submit_status s = hw.submit(wq, d, pk);
  if (s != idxd::submit_status::accepted) {
    // ENQCMD retry, or a MOVDIR64B the device dropped (the WQ went away under us): a real driver
    // would not learn about the drop; the model returns the slot so it cannot be stranded.
    w.ring.put_back(*slot);
    ++(s == idxd::submit_status::retry ? st.retried : st.rejected);
    return false;
  }
  ++st.submitted;
  return true;
}

bool dsa_core::resubmit(unsigned wq, unsigned slot) {
  wq_state& w = wqs[wq];
  if (!w.hw_enabled) return false;
  const idxd::dsa_descriptor d = idxd::make_noop(w.ring.record_addr(slot), true, w.handle);
  idxd::portal_kind pk;
  pk.ims = w.ims && !mmio.caps().int_handles();
  return hw.submit(wq, d, pk) == idxd::submit_status::accepted;
}

unsigned dsa_core::reap(unsigned wq, double per_record_ns) {

  ++st.interrupts;
  if (wq >= wqs.size()) {
    ++st.empty_interrupts;
    return 0;
  }
  unsigned reaped = 0;
  const unsigned seen = wqs[wq].ring.scan(k, [&](unsigned slot, uint8_t status) {
    if (status == idxd::st_int_handle_inval && resubmit(wq, slot)) {
      ++st.resubmitted;
      return false;
    }
    ++reaped;
    return true;
  });
  st.completions += seen;
  if (reaped) {
    ++st.reaped_on_time;
    st.delayed += reaped - 1;
    k.spend(per_record_ns * reaped);
  } else {
    ++st.empty_interrupts;
  }
  return reaped;
}

void dsa_core::flush(unsigned wq) {
  if (wq >= wqs.size()) return;
  const unsigned seen = wqs[wq].ring.scan(k, [](unsigned, uint8_t) { return true; });
  st.completions += seen;
  st.delayed += seen;
}

dsa_driver_stats dsa_core::finish() {
  if (!finished_) {
    finished_ = true;
    for (auto& w : wqs) {
      const unsigned n = w.ring.count_completed(k);
      st.stranded += n;
      st.completions += n;
    }
  }
  return st;
}

}  // namespace irqf::os::dsa
