// Register access rules: IA32_APIC_BASE mode transitions, x2APIC MSR #GP cases, xAPIC MMIO,
// register_view names and computed registers.
#include <catch2/catch.hpp>

#include <algorithm>

#include "tests/lapic/harness.h"

using namespace irqf;
using namespace irqf::lapic;
using namespace irqf::lapic::test;

TEST_CASE("IA32_APIC_BASE: legal and illegal mode transitions") {
  bench b(2);
  b.p.set("linux_boot_setup", false);
  b.build();
  bench::run(1);
  cpu_core& c = b.core(1);
  sc_core::sc_time d;
  uint64_t base = 0;
  REQUIRE(c.rdmsr(0x1B, base, d));
  CHECK(base == 0xFEE00800u);  // EN, xAPIC, not the BSP
  uint64_t bsp = 0;
  REQUIRE(b.core(0).rdmsr(0x1B, bsp, d));
  CHECK(bsp == 0xFEE00900u);   // BSP flag on CPU 0
  CHECK_FALSE(c.wrmsr(0x1B, 0xFEE00400u, d));  // EN=0, EXTD=1: invalid
  CHECK_FALSE(c.wrmsr(0x1B, 0xFEE00801u, d));  // reserved bit
  CHECK(c.wrmsr(0x1B, 0xFEE00C00u, d));        // xAPIC -> x2APIC
  CHECK(b.apic(1).mode() == apic_mode::x2apic);
  CHECK_FALSE(c.wrmsr(0x1B, 0xFEE00800u, d));  // x2APIC -> xAPIC: #GP
  CHECK(c.wrmsr(0x1B, 0xFEE00000u, d));        // x2APIC -> disabled
  CHECK(b.apic(1).mode() == apic_mode::disabled);
  CHECK_FALSE(c.wrmsr(0x1B, 0xFEE00C00u, d));  // disabled -> x2APIC: #GP
  CHECK(c.wrmsr(0x1B, 0xFEE00800u, d));        // disabled -> xAPIC
  CHECK(b.apic(1).mode() == apic_mode::xapic);
}

TEST_CASE("x2APIC MSR rules: #GP outside x2APIC mode, on absent, read-only and write-only registers") {
  bench b(1, "x2apic");
  b.p.set("linux_boot_setup", false);
  b.build();
  bench::run(1);
  cpu_core& c = b.core(0);
  sc_core::sc_time d;
  uint64_t v = 0;
  CHECK_FALSE(c.rdmsr(0x808, v, d));  // TPR MSR while still in xAPIC mode
  CHECK(c.apic_mmio_read(0x030, d) == 0x01060014u);
  REQUIRE(c.wrmsr(0x1B, 0xFEE00D00u, d));
  CHECK(c.apic_mmio_read(0x030, d) == 0);  // MMIO page no longer decodes
  REQUIRE(c.rdmsr(0x803, v, d));
  CHECK(v == 0x01060014u);  // version 0x14, 7 LVT entries, EOI-broadcast suppression
  CHECK_FALSE(c.rdmsr(0x809, v, d));  // APR absent
  CHECK_FALSE(c.rdmsr(0x80C, v, d));  // RRD absent
  CHECK_FALSE(c.rdmsr(0x80B, v, d));  // EOI write-only
  CHECK_FALSE(c.rdmsr(0x804, v, d));  // reserved MSR
  CHECK_FALSE(c.wrmsr(0x80B, 1, d));  // non-zero EOI
  CHECK(c.wrmsr(0x80B, 0, d));
  CHECK_FALSE(c.wrmsr(0x828, 1, d));  // ESR: only zero may be written
  CHECK_FALSE(c.wrmsr(0x80A, 0, d));  // PPR read-only
  CHECK_FALSE(c.wrmsr(0x808, 0x100, d));  // TPR reserved bits
  CHECK(c.wrmsr(0x808, 0x20, d));
  REQUIRE(c.rdmsr(0x80A, v, d));
  CHECK(v == 0x20);
  REQUIRE(c.rdmsr(0x80F, v, d));
  CHECK(v == 0xFF);  // SVR reset value
}

TEST_CASE("xAPIC MMIO: illegal register addresses set ESR bit 7 - read-only registers ignore writes") {
  bench b(1);
  b.build();
  bench::run(1);
  cpu_core& c = b.core(0);
  local_apic& a = b.apic(0);
  a.write_register("LVT_ERROR", 0x100FE);
  sc_core::sc_time d;
  CHECK(c.apic_mmio_read(0x040, d) == 0);  // reserved
  c.apic_mmio_write(0x3F0, 0x40, d);        // SELF IPI does not exist in xAPIC mode
  c.apic_mmio_write(0x0A0, 0x55, d);        // PPR: read-only, ignored
  c.apic_mmio_write(0x080, 0x35, d);
  CHECK(c.apic_mmio_read(0x0A0, d) == 0x35);
  c.apic_mmio_write(0x280, 0, d);
  CHECK(c.apic_mmio_read(0x280, d) == 0x80);
  bench::run(1);
  CHECK(b.core(0).dispatches().empty());
  CHECK(b.ctx.led.totals().raised == 0);
}

TEST_CASE("register_view exposes the SDM names - PPR and APR are computed") {
  bench b(1);
  b.build();
  bench::run(1);
  local_apic& a = b.apic(0);
  auto names = a.register_names();
  for (const char* n : {"ID", "VERSION", "TPR", "APR", "PPR", "EOI", "LDR", "DFR", "SVR", "ISR0", "ISR7", "TMR0",
                        "TMR7", "IRR0", "IRR7", "ESR", "ICR_LOW", "ICR_HIGH", "LVT_TIMER", "LVT_LINT0", "LVT_LINT1",
                        "LVT_ERROR", "TIMER_INITIAL_COUNT", "TIMER_CURRENT_COUNT", "TIMER_DIVIDE_CONFIG", "ICR",
                        "APIC_BASE"})
    CHECK(std::find(names.begin(), names.end(), n) != names.end());
  CHECK_FALSE(a.read_register("NOPE").has_value());
  CHECK_FALSE(a.write_register("NOPE", 1));
  b.core(0).set_default_eoi(false);
  a.write_register("TPR", 0x35);
  b.dev->fixed(0, 0x52);
  bench::run(1);
  CHECK(*a.read_register("PPR") == 0x50);
  CHECK(*a.read_register("ISR2") == 1u << (0x52 - 64));
  b.dev->fixed(0, 0x41, false, true);  // blocked, level: TMR set
  CHECK(*a.read_register("IRR2") == 1u << (0x41 - 64));
  CHECK(*a.read_register("TMR2") == 1u << (0x41 - 64));
  CHECK(*a.read_register("APR") == 0x50);
  CHECK(*a.read_register("SVR") == 0x1FF);
  CHECK(*a.read_register("ID") == 0);
}
