#include "models/lapic/apic_regs.h"

#include <array>
#include <cassert>
#include <string>

namespace irqf::lapic {

namespace {

reg_def r(std::string name, uint32_t off, uint64_t reset, uint64_t writable, std::string desc,
          std::vector<reg_field_def> fields = {}) {
  return reg_def{std::move(name), off, 4, reset, writable, 0, std::move(desc), std::move(fields)};
}

const std::vector<reg_field_def> lvt_fields = {
    {"VECTOR", lvt::VECTOR, "interrupt vector"},
    {"DELIVERY_MODE", lvt::DELIVERY_MODE, "000 Fixed, 010 SMI, 100 NMI, 101 INIT, 111 ExtINT"},
    {"DELIVERY_STATUS", lvt::DELIVERY_STATUS, "1 = send pending (read-only)"},
    {"MASK", lvt::MASK, "1 = masked"}};

std::vector<reg_def> build() {
  std::vector<reg_def> d;
  d.push_back(r("ID", 0x020, 0, XAPIC_ID.mask(),
                "Local APIC ID; xAPIC: ID in [31:24] (writable, model specific); x2APIC: 32-bit, read-only",
                {{"APIC_ID", XAPIC_ID, "xAPIC ID"}}));
  d.push_back(r("VERSION", 0x030,
                version::VERSION.set(0, apic_version_value) | version::MAX_LVT_ENTRY.set(0, apic_max_lvt_entry),
                0, "Local APIC Version (read-only)",
                {{"VERSION", version::VERSION, "0x14"},
                 {"MAX_LVT_ENTRY", version::MAX_LVT_ENTRY, "LVT entries - 1"},
                 {"EOI_BCAST_SUPPRESSION", version::EOI_BCAST_SUPPRESSION, "SVR[12] supported"}}));
  d.push_back(r("TPR", 0x080, 0, TPR_VALUE.mask(), "Task Priority Register",
                {{"CLASS", PRIO_CLASS, "task-priority class"}, {"SUBCLASS", PRIO_SUBCLASS, "sub-class"}}));
  d.push_back(r("APR", 0x090, 0, 0, "Arbitration Priority Register (read-only; not in x2APIC)"));
  d.push_back(r("PPR", 0x0A0, 0, 0, "Processor Priority Register (read-only)"));
  d.push_back(r("EOI", 0x0B0, 0, 0, "EOI Register (write-only)"));
  d.push_back(r("RRD", 0x0C0, 0, 0, "Remote Read Register (read-only; not in x2APIC)"));
  d.push_back(r("LDR", 0x0D0, 0, XAPIC_LDR_ID.mask(),
                "Logical Destination Register; x2APIC: read-only, derived from the x2APIC ID",
                {{"LOGICAL_APIC_ID", XAPIC_LDR_ID, "xAPIC logical ID"}}));
  d.push_back(r("DFR", 0x0E0, 0xFFFF'FFFF, DFR_MODEL.mask(),
                "Destination Format Register (xAPIC only): model 1111b flat, 0000b cluster",
                {{"MODEL", DFR_MODEL, "flat (0xF) or cluster (0x0)"}}));
  d.push_back(r("SVR", 0x0F0, 0xFF,
                svr::VECTOR.mask() | svr::APIC_SW_ENABLE.mask() | svr::FOCUS_CHECKING_DISABLE.mask() |
                    svr::EOI_BCAST_SUPPRESSION.mask(),
                "Spurious-Interrupt Vector Register",
                {{"VECTOR", svr::VECTOR, "spurious vector"},
                 {"APIC_SW_ENABLE", svr::APIC_SW_ENABLE, "APIC software enable"},
                 {"FOCUS_CHECKING_DISABLE", svr::FOCUS_CHECKING_DISABLE, "focus processor checking off"},
                 {"EOI_BCAST_SUPPRESSION", svr::EOI_BCAST_SUPPRESSION, "suppress EOI broadcast (directed EOI)"}}));
  for (int i = 0; i < 8; ++i)
    d.push_back(r("ISR" + std::to_string(i), 0x100 + 0x10 * i, 0, 0,
                  "In-Service Register bits " + std::to_string(32 * i) + "-" + std::to_string(32 * i + 31)));
  for (int i = 0; i < 8; ++i)
    d.push_back(r("TMR" + std::to_string(i), 0x180 + 0x10 * i, 0, 0,
                  "Trigger Mode Register bits " + std::to_string(32 * i) + "-" + std::to_string(32 * i + 31)));
  for (int i = 0; i < 8; ++i)
    d.push_back(r("IRR" + std::to_string(i), 0x200 + 0x10 * i, 0, 0,
                  "Interrupt Request Register bits " + std::to_string(32 * i) + "-" + std::to_string(32 * i + 31)));
  d.push_back(r("ESR", 0x280, 0, 0, "Error Status Register (write to latch, then read)",
                {{"SEND_ILLEGAL_VECTOR", esr::SEND_ILLEGAL_VECTOR, ""},
                 {"RECEIVE_ILLEGAL_VECTOR", esr::RECEIVE_ILLEGAL_VECTOR, ""},
                 {"ILLEGAL_REGISTER_ADDRESS", esr::ILLEGAL_REGISTER_ADDRESS, ""}}));
  const uint64_t lvt_vm = lvt::VECTOR.mask() | lvt::DELIVERY_MODE.mask() | lvt::MASK.mask();
  d.push_back(r("LVT_CMCI", 0x2F0, lvt::masked_reset, lvt_vm, "LVT CMCI", lvt_fields));
  d.push_back(r("ICR_LOW", 0x300, 0,
                icr::VECTOR.mask() | icr::DELIVERY_MODE.mask() | icr::DESTINATION_MODE.mask() |
                    icr::LEVEL.mask() | icr::TRIGGER_MODE.mask() | icr::DESTINATION_SHORTHAND.mask(),
                "Interrupt Command Register [31:0]; a write sends the IPI",
                {{"VECTOR", icr::VECTOR, ""},
                 {"DELIVERY_MODE", icr::DELIVERY_MODE, ""},
                 {"DESTINATION_MODE", icr::DESTINATION_MODE, "1 = logical"},
                 {"DELIVERY_STATUS", icr::DELIVERY_STATUS, "1 = send pending"},
                 {"LEVEL", icr::LEVEL, ""},
                 {"TRIGGER_MODE", icr::TRIGGER_MODE, "1 = level"},
                 {"DESTINATION_SHORTHAND", icr::DESTINATION_SHORTHAND, ""}}));
  d.push_back(r("ICR_HIGH", 0x310, 0, icr::XAPIC_DESTINATION.mask(),
                "Interrupt Command Register [63:32] (xAPIC only)",
                {{"DESTINATION", icr::XAPIC_DESTINATION, ""}}));
  d.push_back(r("LVT_TIMER", 0x320, lvt::masked_reset,
                lvt::VECTOR.mask() | lvt::MASK.mask() | lvt::TIMER_MODE.mask(), "LVT Timer",
                {{"VECTOR", lvt::VECTOR, ""},
                 {"MASK", lvt::MASK, ""},
                 {"TIMER_MODE", lvt::TIMER_MODE, "00 one-shot, 01 periodic, 10 TSC-deadline"}}));
  d.push_back(r("LVT_THERMAL", 0x330, lvt::masked_reset, lvt_vm, "LVT Thermal Sensor", lvt_fields));
  d.push_back(r("LVT_PERF", 0x340, lvt::masked_reset, lvt_vm, "LVT Performance Monitoring Counters", lvt_fields));
  const uint64_t lint_w = lvt_vm | lvt::PIN_POLARITY.mask() | lvt::TRIGGER_MODE.mask();
  d.push_back(r("LVT_LINT0", 0x350, lvt::masked_reset, lint_w, "LVT LINT0", lvt_fields));
  d.push_back(r("LVT_LINT1", 0x360, lvt::masked_reset, lint_w, "LVT LINT1", lvt_fields));
  d.push_back(r("LVT_ERROR", 0x370, lvt::masked_reset, lvt::VECTOR.mask() | lvt::MASK.mask(), "LVT Error",
                lvt_fields));
  d.push_back(r("TIMER_INITIAL_COUNT", 0x380, 0, 0xFFFF'FFFF, "Initial Count Register (timer)"));
  d.push_back(r("TIMER_CURRENT_COUNT", 0x390, 0, 0, "Current Count Register (timer, read-only)"));
  d.push_back(r("TIMER_DIVIDE_CONFIG", 0x3E0, 0, divide::LOW.mask() | divide::HIGH.mask(),
                "Divide Configuration Register (timer)"));
  d.push_back(r("SELF_IPI", 0x3F0, 0, SELF_IPI_VECTOR.mask(), "SELF IPI (x2APIC only, write-only)"));
  assert(d.size() == idx(reg::count_));
  return d;
}

}  // namespace

const reg_table& apic_reg_table() {
  static const reg_table t(build());  // immutable after first use
  return t;
}

reg reg_at_offset(uint32_t off) {
  // One slot per 16-byte register of the 1 KiB register area.
  static const std::array<reg, 64> by_slot = [] {
    std::array<reg, 64> a;
    a.fill(reg::count_);
    const reg_table& t = apic_reg_table();
    for (size_t i = 0; i < t.size(); ++i) a[t[i].offset >> 4] = reg(i);
    return a;
  }();
  if ((off & 0xF) || off >= 0x400) return reg::count_;
  return by_slot[off >> 4];
}

}  // namespace irqf::lapic
