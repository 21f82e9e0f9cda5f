// Software access to the local APIC registers: xAPIC MMIO, x2APIC MSRs (SDM Vol.3A §11.12.1.2-3:
// RDMSR/WRMSR rules and #GP cases), IA32_APIC_BASE mode transitions (§11.12.5), and the
// register_view used by scenarios.
#include <cassert>

#include "models/lapic/apic_bus.h"
#include "models/lapic/cpu_core.h"
#include "models/lapic/local_apic.h"

namespace irqf::lapic {

using sc_core::sc_time;
using sc_core::SC_ZERO_TIME;

namespace {
bool in_range(reg r, reg first, reg last) { return idx(r) >= idx(first) && idx(r) <= idx(last); }
bool is_lvt(reg r) {
  return r == reg::LVT_CMCI || r == reg::LVT_TIMER || r == reg::LVT_THERMAL || r == reg::LVT_PERF ||
         r == reg::LVT_LINT0 || r == reg::LVT_LINT1 || r == reg::LVT_ERROR;
}
/// IA32_APIC_BASE bits that must be zero (bits 0-7, 9 and 52-63).
constexpr uint64_t apic_base_reserved = ~(apic_base::BSP.mask() | apic_base::EXTD.mask() |
                                          apic_base::EN.mask() | apic_base::BASE.mask());
}  // namespace

uint32_t local_apic::read_reg(reg r) {
  switch (r) {
    case reg::ID: return x2() ? x2apic_id_ : uint32_t(regs_.get(idx(reg::ID)));
    case reg::LDR: return x2() ? logical_id() : uint32_t(regs_.get(idx(reg::LDR)));
    case reg::PPR: return ppr();
    case reg::APR: return apr();
    case reg::EOI:
    case reg::SELF_IPI: return 0;
    case reg::TIMER_CURRENT_COUNT: return timer_current();
    default: break;
  }
  if (in_range(r, reg::ISR0, reg::ISR7)) return isr_.word(unsigned(idx(r) - idx(reg::ISR0)));
  if (in_range(r, reg::TMR0, reg::TMR7)) return tmr_.word(unsigned(idx(r) - idx(reg::TMR0)));
  if (in_range(r, reg::IRR0, reg::IRR7)) return irr_.word(unsigned(idx(r) - idx(reg::IRR0)));
  return uint32_t(regs_.get(idx(r)));
}

void local_apic::write_reg(reg r, uint64_t v, sc_time delay) {
  const size_t i = idx(r);
  switch (r) {
    case reg::ID:
      if (!x2()) {
        regs_.write(i, v);
        if (bus_) bus_->ids_changed();
      }
      return;
    case reg::TPR:
      regs_.write(i, v);
      if (core_) core_->kick(SC_ZERO_TIME);  // a lower TPR may open the window
      return;
    case reg::EOI: return eoi();
    case reg::LDR:
    case reg::DFR:
      if (!x2()) regs_.write(i, v);
      return;
    case reg::SVR: {
      // Without directed-EOI support (Version[24] = 0) SVR[12] is reserved and reads 0 (SDM §11.9).
      if (!directed_eoi_) v = svr::EOI_BCAST_SUPPRESSION.set(v, 0);
      regs_.write(i, v);
      if (!svr::APIC_SW_ENABLE.test(v)) {
        // Software disable masks every LVT entry (SDM §11.4.7.2).
        for (reg e : {reg::LVT_CMCI, reg::LVT_TIMER, reg::LVT_THERMAL, reg::LVT_PERF, reg::LVT_LINT0,
                      reg::LVT_LINT1, reg::LVT_ERROR})
          regs_.set(idx(e), lvt::MASK.set(regs_.get(idx(e)), 1));
        timer_schedule();
      }
      if (core_) core_->kick(SC_ZERO_TIME);
      return;
    }
    case reg::ESR:
      // Write-before-read: a write makes the errors gathered since the last write readable.
      regs_.set(i, esr_pending_);
      esr_pending_ = 0;
      return;
    case reg::ICR_LOW:
      regs_.write(i, v);
      return send_icr(regs_.get(i), uint32_t(icr::XAPIC_DESTINATION.get(regs_.get(idx(reg::ICR_HIGH)))), delay);
    case reg::ICR_HIGH: regs_.write(i, v); return;
    case reg::TIMER_INITIAL_COUNT:
      regs_.write(i, v);
      return timer_write_initial(uint32_t(v));
    case reg::TIMER_DIVIDE_CONFIG:
      timer_rebase();
      regs_.write(i, v);
      return timer_schedule();
    case reg::SELF_IPI: return self_ipi(uint8_t(SELF_IPI_VECTOR.get(v)), delay);
    default: break;
  }
  if (is_lvt(r)) {
    uint64_t old = regs_.get(i);
    uint64_t nv = regs_.write(i, v);
    if (!sw_enabled()) regs_.set(i, lvt::MASK.set(nv, 1));  // cannot be unmasked while disabled
    if (r == reg::LVT_TIMER) timer_write_lvt(old);
    if ((r == reg::LVT_LINT0 || r == reg::LVT_LINT1) && lvt::MASK.test(old) && !lvt::MASK.test(regs_.get(i))) {
      unsigned pin = r == reg::LVT_LINT1;
      if (lint_asserted(pin) && lvt::TRIGGER_MODE.test(regs_.get(i))) lint_evaluate(pin, true);  // still asserted
    }
  }
  // Everything else is read-only: the write is ignored.
}

uint32_t local_apic::mmio_read(uint32_t offset) {
  if (mode_ != apic_mode::xapic) return 0;  // the page does not decode (x2APIC or disabled)
  reg r = reg_at_offset(offset);
  if (r == reg::count_ || r == reg::SELF_IPI) {
    set_error(esr::ILLEGAL_REGISTER_ADDRESS);
    return 0;
  }
  return read_reg(r);
}

void local_apic::mmio_write(uint32_t offset, uint32_t value, sc_time delay) {
  if (mode_ != apic_mode::xapic) return;
  reg r = reg_at_offset(offset);
  if (r == reg::count_ || r == reg::SELF_IPI) {
    set_error(esr::ILLEGAL_REGISTER_ADDRESS);
    return;
  }
  write_reg(r, value, delay);
}

bool local_apic::rdmsr(uint32_t msr, uint64_t& value) {
  if (msr == IA32_APIC_BASE) return value = apic_base_, true;
  if (msr == IA32_TSC) return value = tsc(), true;
  if (msr == IA32_TSC_DEADLINE) return value = (timer_mode() == lvt::tsc_deadline ? tsc_deadline_ : 0), true;
  if (msr < x2apic_msr_base || msr > x2apic_msr_last || !x2()) return false;
  reg r = reg_at_offset((msr - x2apic_msr_base) << 4);
  switch (r) {
    case reg::count_:
    case reg::APR:       // no APR, RRD, DFR or ICR_HIGH in x2APIC mode (SDM Table 11-6)
    case reg::RRD:
    case reg::DFR:
    case reg::ICR_HIGH:
    case reg::EOI:       // write-only
    case reg::SELF_IPI:  // write-only
      return false;
    case reg::ICR_LOW:
      value = regs_.get(idx(reg::ICR_HIGH)) << 32 | regs_.get(idx(reg::ICR_LOW));
      return true;
    default: value = read_reg(r); return true;
  }
}

bool local_apic::wrmsr(uint32_t msr, uint64_t value, sc_time delay) {
  if (msr == IA32_APIC_BASE) return set_apic_base(value);
  if (msr == IA32_TSC_DEADLINE) return timer_write_deadline(value), true;
  if (msr < x2apic_msr_base || msr > x2apic_msr_last || !x2()) return false;
  reg r = reg_at_offset((msr - x2apic_msr_base) << 4);
  switch (r) {
    case reg::EOI:
      if (value != 0) return false;  // a non-zero EOI write faults in x2APIC mode
      eoi();
      return true;
    case reg::ESR:
      if (value != 0) return false;
      write_reg(r, 0, delay);
      return true;
    case reg::ICR_LOW: {
      const uint64_t low_ok = apic_reg_table()[idx(reg::ICR_LOW)].writable;  // bit 12 reserved here
      if (value & 0xFFFF'FFFFull & ~low_ok) return false;
      regs_.set(idx(reg::ICR_LOW), value & low_ok);
      regs_.set(idx(reg::ICR_HIGH), icr::X2APIC_DESTINATION.get(value));
      send_icr(value & low_ok, uint32_t(icr::X2APIC_DESTINATION.get(value)), delay);
      return true;
    }
    case reg::SVR:
      if (!directed_eoi_ && svr::EOI_BCAST_SUPPRESSION.test(value)) return false;  // reserved here: #GP
      [[fallthrough]];
    case reg::TPR:
    case reg::LVT_CMCI:
    case reg::LVT_TIMER:
    case reg::LVT_THERMAL:
    case reg::LVT_PERF:
    case reg::LVT_LINT0:
    case reg::LVT_LINT1:
    case reg::LVT_ERROR:
    case reg::TIMER_INITIAL_COUNT:
    case reg::TIMER_DIVIDE_CONFIG:
    case reg::SELF_IPI:
      if (value & ~apic_reg_table()[idx(r)].writable) return false;  // reserved bits set: #GP
      write_reg(r, value, delay);
      return true;
    default: return false;  // read-only or not present in x2APIC mode
  }
}

bool local_apic::set_apic_base(uint64_t v) {
  if (v & apic_base_reserved) return false;
  bool en = apic_base::EN.test(v), extd = apic_base::EXTD.test(v);
  if (!en && extd) return false;  // invalid state
  if (extd && !x2apic_supported_) return false;
  apic_mode next = !en ? apic_mode::disabled : extd ? apic_mode::x2apic : apic_mode::xapic;
  // x2APIC -> xAPIC and disabled -> x2APIC are illegal transitions (SDM Figure 11-27).
  if ((mode_ == apic_mode::x2apic && next == apic_mode::xapic) ||
      (mode_ == apic_mode::disabled && next == apic_mode::x2apic))
    return false;
  apic_base_ = apic_base::BSP.set(v, apic_base::BSP.get(apic_base_));  // BSP flag is hardware-set
  if (next == mode_) return true;
  apic_mode prev = mode_;
  mode_ = next;
  log->debug("IA32_APIC_BASE: {} -> {}", to_string(prev), to_string(next));
  if (next == apic_mode::disabled) {
    // Hardware disable: the APIC is as after power-up; anything it held is gone.
    discard_pending(loss_cause::apic_reset);
    hw_reset_registers();
  }
  // xAPIC -> x2APIC keeps register state; the ID and LDR now read in x2APIC form (§11.12.5.1).
  if (bus_) bus_->ids_changed();
  if (core_) core_->kick(SC_ZERO_TIME);
  return true;
}

// ---------------------------------------------------------------------------------------------
// register_view

std::vector<std::string> local_apic::register_names() const {
  std::vector<std::string> n;
  for (auto& d : apic_reg_table().defs()) n.push_back(d.name);
  n.push_back("ICR");
  n.push_back("APIC_BASE");
  n.push_back("TSC_DEADLINE");
  return n;
}

std::optional<uint64_t> local_apic::read_register(std::string_view name) {
  if (name == "APIC_BASE") return apic_base_;
  if (name == "TSC_DEADLINE") return tsc_deadline_;
  if (name == "ICR") return regs_.get(idx(reg::ICR_HIGH)) << 32 | regs_.get(idx(reg::ICR_LOW));
  auto i = apic_reg_table().by_name(name);
  if (!i) return std::nullopt;
  return read_reg(reg(*i));
}

bool local_apic::write_register(std::string_view name, uint64_t value) {
  sc_time d = SC_ZERO_TIME;
  bool ok = true;
  if (name == "APIC_BASE") {
    ok = set_apic_base(value);
  } else if (name == "TSC_DEADLINE") {
    timer_write_deadline(value);
  } else if (name == "ICR") {
    if (x2()) {
      ok = wrmsr(msr_of(OFF_ICR_LOW), value, d);
    } else {
      mmio_write(OFF_ICR_HIGH, uint32_t(value >> 32), d);
      mmio_write(OFF_ICR_LOW, uint32_t(value), d);
    }
  } else {
    auto i = apic_reg_table().by_name(name);
    if (!i) return false;
    const reg_def& def = apic_reg_table()[*i];
    if (x2())
      ok = wrmsr(msr_of(def.offset), value, d);
    else
      mmio_write(def.offset, uint32_t(value), d);
  }
  if (!ok) log->warn("register write {} = {:#x} faults (#GP) in {} mode: ignored", name, value, to_string(mode_));
  return true;
}

}  // namespace irqf::lapic
