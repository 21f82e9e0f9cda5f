#pragma once
// The local APIC register map, declared once (SDM Vol.3A §11.4.1 Table 11-1 "Local APIC Register
// Address Map" and §11.12.1.2 Table 11-6 "Local APIC Register Address Map Supported by x2APIC";
// chapter 10 in older editions). Offsets are those of the xAPIC MMIO page; the x2APIC MSR of a
// register is 0x800 + offset/16. Field constants are named after the SDM's field names.
#include <cstdint>

#include "fabric/regtable.h"

namespace irqf::lapic {

/// The register table (xAPIC offsets, 4-byte registers; SELF_IPI exists only in x2APIC mode).
const reg_table& apic_reg_table();

/// Register indices into apic_reg_table(), in table order.
enum class reg : uint8_t {
  ID, VERSION, TPR, APR, PPR, EOI, RRD, LDR, DFR, SVR,
  ISR0, ISR1, ISR2, ISR3, ISR4, ISR5, ISR6, ISR7,
  TMR0, TMR1, TMR2, TMR3, TMR4, TMR5, TMR6, TMR7,
  IRR0, IRR1, IRR2, IRR3, IRR4, IRR5, IRR6, IRR7,
  ESR, LVT_CMCI, ICR_LOW, ICR_HIGH, LVT_TIMER, LVT_THERMAL, LVT_PERF, LVT_LINT0, LVT_LINT1,
  LVT_ERROR, TIMER_INITIAL_COUNT, TIMER_CURRENT_COUNT, TIMER_DIVIDE_CONFIG, SELF_IPI,
  count_
};
inline constexpr size_t idx(reg r) { return size_t(r); }

/// The register at xAPIC offset `off` (16-byte aligned, 0x000-0x3F0), or reg::count_.
reg reg_at_offset(uint32_t off);
/// x2APIC MSR numbers (SDM Table 11-6).
inline constexpr uint32_t x2apic_msr_base = 0x800;
inline constexpr uint32_t x2apic_msr_last = 0x8FF;
inline constexpr uint32_t msr_of(uint32_t offset) { return x2apic_msr_base + (offset >> 4); }
inline constexpr uint32_t IA32_APIC_BASE = 0x1B;
inline constexpr uint32_t IA32_TSC = 0x10;
inline constexpr uint32_t IA32_TSC_DEADLINE = 0x6E0;
/// xAPIC offsets used by behaviour code.
inline constexpr uint32_t OFF_ICR_LOW = 0x300, OFF_ICR_HIGH = 0x310, OFF_EOI = 0x0B0;

/// IA32_APIC_BASE (SDM §11.4.4, Figure 11-5; §11.12.1 x2APIC enable).
namespace apic_base {
inline constexpr bitfield BSP{8, 1};
inline constexpr bitfield EXTD{10, 1};  ///< x2APIC mode enable
inline constexpr bitfield EN{11, 1};    ///< APIC global enable
inline constexpr bitfield BASE{12, 40}; ///< APIC base page, bits [51:12]
inline constexpr uint64_t default_base = 0xFEE0'0000ull;
}  // namespace apic_base

/// Local APIC Version register (SDM §11.4.8, Figure 11-7).
namespace version {
inline constexpr bitfield VERSION{0, 8};
inline constexpr bitfield MAX_LVT_ENTRY{16, 8};
inline constexpr bitfield EOI_BCAST_SUPPRESSION{24, 1};  ///< directed EOI supported
}  // namespace version

/// xAPIC ID and LDR fields (SDM §11.4.6, §11.6.2.2) and DFR (§11.6.2.2).
inline constexpr bitfield XAPIC_ID{24, 8};
inline constexpr bitfield XAPIC_LDR_ID{24, 8};
inline constexpr bitfield DFR_MODEL{28, 4};
inline constexpr uint64_t DFR_MODEL_FLAT = 0xF, DFR_MODEL_CLUSTER = 0x0;
/// Logical destination in xAPIC cluster model (SDM §11.6.2.2): cluster [7:4], member bitmap [3:0].
inline constexpr bitfield CLUSTER_ID{4, 4};
inline constexpr bitfield CLUSTER_MEMBERS{0, 4};
/// x2APIC logical ID (SDM §11.12.10.2): cluster ID [31:16], member bitmap [15:0].
inline constexpr bitfield X2_LDR_CLUSTER{16, 16};
inline constexpr bitfield X2_LDR_MEMBERS{0, 16};
/// The bits of an x2APIC ID that select the cluster ([19:4]) and the member ([3:0]).
inline constexpr bitfield X2_ID_CLUSTER{4, 16};
inline constexpr bitfield X2_ID_MEMBER{0, 4};

/// Task/processor/arbitration priority (SDM §11.8.3.1): class [7:4], sub-class [3:0].
inline constexpr bitfield PRIO_CLASS{4, 4};
inline constexpr bitfield PRIO_SUBCLASS{0, 4};
inline constexpr bitfield TPR_VALUE{0, 8};

/// Spurious-Interrupt Vector Register (SDM §11.9, Figure 11-23).
namespace svr {
inline constexpr bitfield VECTOR{0, 8};
inline constexpr bitfield APIC_SW_ENABLE{8, 1};
inline constexpr bitfield FOCUS_CHECKING_DISABLE{9, 1};
inline constexpr bitfield EOI_BCAST_SUPPRESSION{12, 1};
}  // namespace svr

/// Error Status Register bits (SDM §11.5.3, Figure 11-9).
namespace esr {
inline constexpr bitfield SEND_CHECKSUM{0, 1};
inline constexpr bitfield RECEIVE_CHECKSUM{1, 1};
inline constexpr bitfield SEND_ACCEPT{2, 1};
inline constexpr bitfield RECEIVE_ACCEPT{3, 1};
inline constexpr bitfield REDIRECTABLE_IPI{4, 1};
inline constexpr bitfield SEND_ILLEGAL_VECTOR{5, 1};
inline constexpr bitfield RECEIVE_ILLEGAL_VECTOR{6, 1};
inline constexpr bitfield ILLEGAL_REGISTER_ADDRESS{7, 1};
}  // namespace esr

/// Interrupt Command Register (SDM §11.6.1, Figure 11-12; x2APIC §11.12.9 Figure 11-28).
namespace icr {
inline constexpr bitfield VECTOR{0, 8};
inline constexpr bitfield DELIVERY_MODE{8, 3};
inline constexpr bitfield DESTINATION_MODE{11, 1};  ///< 1 = logical
inline constexpr bitfield DELIVERY_STATUS{12, 1};   ///< xAPIC only: 1 = send pending
inline constexpr bitfield LEVEL{14, 1};
inline constexpr bitfield TRIGGER_MODE{15, 1};      ///< 1 = level
inline constexpr bitfield DESTINATION_SHORTHAND{18, 2};
inline constexpr bitfield XAPIC_DESTINATION{24, 8};  ///< in ICR_HIGH
inline constexpr bitfield X2APIC_DESTINATION{32, 32};  ///< in the 64-bit x2APIC ICR
enum shorthand : uint8_t { no_shorthand = 0, self = 1, all_including_self = 2, all_excluding_self = 3 };
}  // namespace icr

/// Local Vector Table entries (SDM §11.5.1, Figure 11-8).
namespace lvt {
inline constexpr bitfield VECTOR{0, 8};
inline constexpr bitfield DELIVERY_MODE{8, 3};
inline constexpr bitfield DELIVERY_STATUS{12, 1};
inline constexpr bitfield PIN_POLARITY{13, 1};
inline constexpr bitfield REMOTE_IRR{14, 1};
inline constexpr bitfield TRIGGER_MODE{15, 1};
inline constexpr bitfield MASK{16, 1};
inline constexpr bitfield TIMER_MODE{17, 2};
enum timer_mode : uint8_t { one_shot = 0, periodic = 1, tsc_deadline = 2 };
inline constexpr uint64_t masked_reset = 0x0001'0000ull;
}  // namespace lvt

/// Divide Configuration Register (SDM §11.5.4, Figure 11-10): bits 3 and 1:0.
namespace divide {
inline constexpr bitfield LOW{0, 2};
inline constexpr bitfield HIGH{3, 1};
/// The divisor (1..128) of a DCR value.
inline constexpr uint32_t divisor(uint64_t dcr) {
  uint32_t code = uint32_t(HIGH.get(dcr) << 2 | LOW.get(dcr));
  return code == 7 ? 1u : 2u << code;
}
}  // namespace divide

/// SELF IPI register (x2APIC only, SDM §11.12.11).
inline constexpr bitfield SELF_IPI_VECTOR{0, 8};

/// Local APIC version reported (SDM §11.4.8: 0x1X for integrated APICs; 0x14 on current Intel
/// processors), and the highest LVT index (CMCI, timer, thermal, perf, LINT0, LINT1, error: 7
/// entries, MAX_LVT_ENTRY = 6).
inline constexpr uint32_t apic_version_value = 0x14;
inline constexpr uint32_t apic_max_lvt_entry = 6;

}  // namespace irqf::lapic
