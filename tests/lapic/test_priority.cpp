// Pure logic of the local APIC: priorities (SDM Vol.3A §11.8.3.1, Figure 11-15), the 256-bit
// vector registers, the register map and the timer divider. No SystemC kernel needed.
#include <catch2/catch.hpp>

#include "models/lapic/apic_regs.h"
#include "models/lapic/priority.h"
#include "models/lapic/vec256.h"

using namespace irqf::lapic;

TEST_CASE("PPR is TPR unless the in-service class is higher, then ISRV[7:4]:0") {
  CHECK(compute_ppr(0x00, -1) == 0x00);
  CHECK(compute_ppr(0x35, -1) == 0x35);
  CHECK(compute_ppr(0x35, 0x31) == 0x35);   // same class: TPR (with its sub-class)
  CHECK(compute_ppr(0x35, 0x52) == 0x50);   // higher in-service class: class only
  CHECK(compute_ppr(0x5F, 0x52) == 0x5F);
  CHECK(compute_ppr(0x00, 0xFE) == 0xF0);
  // Exhaustive against the SDM formula.
  for (int t = 0; t < 256; ++t)
    for (int s = -1; s < 256; ++s) {
      int isrv_class = s < 0 ? 0 : s >> 4;
      int want = (t >> 4) >= isrv_class ? t : isrv_class << 4;
      REQUIRE(compute_ppr(uint8_t(t), s) == want);
    }
}

TEST_CASE("APR follows the SDM arbitration-priority rule") {
  CHECK(compute_apr(0x20, -1, -1) == 0x20);       // TPR above everything
  CHECK(compute_apr(0x20, -1, 0x25) == 0x20);     // TPR class >= IRRV class and > ISRV class
  CHECK(compute_apr(0x20, -1, 0x31) == 0x30);     // IRRV class above TPR
  CHECK(compute_apr(0x20, 0x41, 0x31) == 0x40);   // ISRV highest
  CHECK(compute_apr(0x27, 0x21, -1) == 0x20);     // TPR class not above ISRV class: class only
  CHECK(compute_apr(0x00, -1, -1) == 0x00);
}

TEST_CASE("dispatchable iff the vector's class is above PPR[7:4]") {
  int delivered = 0;
  for (int v = 16; v < 256; ++v)
    for (int p = 0; p < 256; ++p) {
      bool want = (v >> 4) > (p >> 4);
      REQUIRE(dispatchable(v, uint8_t(p)) == want);
      delivered += want;
    }
  CHECK(delivered == 30720);  // 256 TPR values x the vectors of the classes above theirs
  CHECK_FALSE(dispatchable(-1, 0));
  CHECK(illegal_vector(15));
  CHECK_FALSE(illegal_vector(16));
}

TEST_CASE("vec256 reads as eight 32-bit words and finds the highest vector") {
  vec256 r;
  CHECK(r.highest() == -1);
  r.set(0x21);
  r.set(0xFE);
  r.set(0x40);
  CHECK(r.highest() == 0xFE);
  CHECK(r.word(1) == (1u << 1));       // bits 32-63: vector 0x21
  CHECK(r.word(2) == 1u);              // vector 0x40
  CHECK(r.word(7) == (1u << 30));      // vector 0xFE
  CHECK(r.count() == 3);
  r.clear(0xFE);
  CHECK(r.highest() == 0x40);
  CHECK(r.test(0x21));
  CHECK_FALSE(r.test(0x22));
}

TEST_CASE("register map: xAPIC offsets, x2APIC MSR numbers, divide configuration") {
  CHECK(reg_at_offset(0x080) == reg::TPR);
  CHECK(reg_at_offset(0x0B0) == reg::EOI);
  CHECK(reg_at_offset(0x100) == reg::ISR0);
  CHECK(reg_at_offset(0x270) == reg::IRR7);
  CHECK(reg_at_offset(0x300) == reg::ICR_LOW);
  CHECK(reg_at_offset(0x3E0) == reg::TIMER_DIVIDE_CONFIG);
  CHECK(reg_at_offset(0x3F0) == reg::SELF_IPI);
  CHECK(reg_at_offset(0x000) == reg::count_);
  CHECK(reg_at_offset(0x084) == reg::count_);
  CHECK(reg_at_offset(0x400) == reg::count_);
  CHECK(msr_of(0x0B0) == 0x80B);
  CHECK(msr_of(0x300) == 0x830);
  CHECK(msr_of(0x3F0) == 0x83F);
  const auto& t = apic_reg_table();
  CHECK(t.size() == size_t(reg::count_));
  CHECK(t[*t.by_name("DFR")].reset == 0xFFFFFFFFu);
  CHECK(t[*t.by_name("SVR")].reset == 0xFFu);
  CHECK(t[*t.by_name("LVT_TIMER")].reset == 0x10000u);
  // DCR: 000b /2, 001b /4, 010b /8, 011b /16, 100b /32, 101b /64, 110b /128, 111b /1 (bits 3,1:0).
  CHECK(divide::divisor(0x0) == 2);
  CHECK(divide::divisor(0x1) == 4);
  CHECK(divide::divisor(0x2) == 8);
  CHECK(divide::divisor(0x3) == 16);
  CHECK(divide::divisor(0x8) == 32);
  CHECK(divide::divisor(0x9) == 64);
  CHECK(divide::divisor(0xA) == 128);
  CHECK(divide::divisor(0xB) == 1);
}
