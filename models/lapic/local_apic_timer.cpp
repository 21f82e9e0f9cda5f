// The APIC timer (SDM Vol.3A §11.5.4): a 32-bit down-counter clocked by the timer input clock
// divided per the Divide Configuration Register; one-shot, periodic and TSC-deadline
// (§11.5.4.1) modes. The count is kept arithmetically (value `base_count_` at `base_ps_`), so a
// timer costs one SystemC event per expiry and none while masked or stopped: a masked timer keeps
// counting but never delivers an interrupt.
#include "models/lapic/local_apic.h"

namespace irqf::lapic {

lvt::timer_mode local_apic::timer_mode() const {
  return lvt::timer_mode(lvt::TIMER_MODE.get(regs_.get(idx(reg::LVT_TIMER))));
}

uint64_t local_apic::tick_ps() const {
  return base_tick_ps_ * divide::divisor(regs_.get(idx(reg::TIMER_DIVIDE_CONFIG)));
}

uint64_t local_apic::tsc() const {
  return uint64_t((unsigned __int128)now_ps() * tsc_hz_ / 1'000'000'000'000ull);
}

uint64_t local_apic::deadline_ps(uint64_t tsc_value) const {
  // The first picosecond at which tsc() >= tsc_value.
  unsigned __int128 num = (unsigned __int128)tsc_value * 1'000'000'000'000ull;
  return uint64_t((num + tsc_hz_ - 1) / tsc_hz_);
}

uint32_t local_apic::timer_current() const {
  lvt::timer_mode m = timer_mode();
  if (m == lvt::tsc_deadline || base_count_ == 0) return 0;
  uint64_t ticks = (now_ps() - base_ps_) / tick_ps();
  if (ticks < base_count_) return uint32_t(base_count_ - ticks);
  if (m != lvt::periodic) return 0;
  uint64_t reload = regs_.get(idx(reg::TIMER_INITIAL_COUNT));
  if (reload == 0) return 0;
  return uint32_t(reload - (ticks - base_count_) % reload);
}

void local_apic::timer_rebase() {
  uint32_t cur = timer_current();
  base_ps_ = now_ps();
  base_count_ = cur;
}

void local_apic::timer_stop() {
  base_count_ = 0;
  tsc_deadline_ = 0;
  timer_ev_.cancel();
}

void local_apic::timer_write_initial(uint32_t count) {
  if (timer_mode() == lvt::tsc_deadline) return;  // ignored in TSC-deadline mode
  base_ps_ = now_ps();
  base_count_ = count;  // 0 stops the timer
  timer_schedule();
}

void local_apic::timer_write_lvt(uint64_t old_lvt) {
  auto old_mode = lvt::timer_mode(lvt::TIMER_MODE.get(old_lvt));
  if (old_mode != timer_mode() && (old_mode == lvt::tsc_deadline || timer_mode() == lvt::tsc_deadline)) {
    // Switching into or out of TSC-deadline mode disarms the timer (SDM §11.5.4.1).
    base_count_ = 0;
    tsc_deadline_ = 0;
    regs_.set(idx(reg::TIMER_INITIAL_COUNT), 0);
  }
  timer_schedule();
}

void local_apic::timer_write_deadline(uint64_t deadline) {
  if (timer_mode() != lvt::tsc_deadline) return;  // writes ignored in other modes
  tsc_deadline_ = deadline;                        // 0 disarms
  timer_schedule(true);
}

void local_apic::timer_schedule(bool late_fires) {
  timer_ev_.cancel();
  if (lvt::MASK.test(regs_.get(idx(reg::LVT_TIMER))) || !sw_enabled()) return;  // masked: never fires
  const uint64_t now = now_ps();
  if (timer_mode() == lvt::tsc_deadline) {
    if (tsc_deadline_ == 0) return;
    uint64_t t = deadline_ps(tsc_deadline_);
    if (t <= now && !late_fires) {  // expired while masked: disarmed without an interrupt
      tsc_deadline_ = 0;
      return;
    }
    timer_ev_.notify(sc_core::sc_time::from_value(t > now ? t - now : 0));
    return;
  }
  if (base_count_ == 0) return;
  uint64_t first = base_ps_ + base_count_ * tick_ps();
  uint64_t next = first;
  if (first < now) {
    if (timer_mode() != lvt::periodic) return;  // one-shot expired while masked: stays silent
    uint64_t period = regs_.get(idx(reg::TIMER_INITIAL_COUNT)) * tick_ps();
    if (period == 0) return;
    next = first + ((now - first + period - 1) / period) * period;
  }
  timer_ev_.notify(sc_core::sc_time::from_value(next - now));
}

void local_apic::on_timer() {
  if (lvt::MASK.test(regs_.get(idx(reg::LVT_TIMER))) || !sw_enabled()) return;
  if (timer_mode() == lvt::tsc_deadline) {
    if (tsc_deadline_ == 0) return;
    if (tsc() < tsc_deadline_) return timer_schedule(true);
    tsc_deadline_ = 0;  // the timer disarms itself when it fires
  } else {
    if (base_count_ == 0) return;
    if (timer_mode() == lvt::periodic) {
      base_ps_ = now_ps();
      base_count_ = regs_.get(idx(reg::TIMER_INITIAL_COUNT));
      timer_schedule();
    } else {
      base_ps_ = now_ps();
      base_count_ = 0;  // one-shot: the count stays at 0
    }
  }
  ++stats_.timer_fires;
  deliver_lvt(reg::LVT_TIMER, "timer", 0);
}

}  // namespace irqf::lapic
