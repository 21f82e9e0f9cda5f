// IPIs through the ICR (xAPIC MMIO and x2APIC MSR), shorthands, delivery modes, delivery status,
// SELF IPI, illegal vectors, INIT / SIPI.
#include <catch2/catch.hpp>

#include <vector>

#include "tests/lapic/harness.h"

using namespace irqf;
using namespace irqf::lapic;
using namespace irqf::lapic::test;

namespace {
void icr_xapic(cpu_core& c, uint32_t high, uint32_t low) {
  sc_core::sc_time d;
  c.apic_mmio_write(0x310, high, d);
  c.apic_mmio_write(0x300, low, d);
}
constexpr uint32_t SH_SELF = 1u << 18, SH_ALL = 2u << 18, SH_OTHERS = 3u << 18;
}  // namespace

TEST_CASE("xAPIC IPIs: physical, logical, and every destination shorthand") {
  bench b(4);
  b.build();
  bench::run(1);
  cpu_core& c0 = b.core(0);
  icr_xapic(c0, 2u << 24, 0x40);              // fixed, physical, CPU 2
  icr_xapic(c0, 0x06u << 24, 0x800 | 0x41);   // logical flat: CPUs 1, 2
  icr_xapic(c0, 0, SH_SELF | 0x42);
  icr_xapic(c0, 0, SH_ALL | 0x43);
  icr_xapic(c0, 0, SH_OTHERS | 0x44);
  bench::run(1);
  CHECK(takers(b, 0x40) == std::vector<unsigned>{2});
  CHECK(takers(b, 0x41) == std::vector<unsigned>{1, 2});
  CHECK(takers(b, 0x42) == std::vector<unsigned>{0});
  CHECK(takers(b, 0x43) == std::vector<unsigned>{0, 1, 2, 3});
  CHECK(takers(b, 0x44) == std::vector<unsigned>{1, 2, 3});
  // CPU 2 got 0x40, 0x41, 0x43 and 0x44 in one go: the highest first.
  const auto& ds = b.core(2).dispatches();
  REQUIRE(ds.size() == 4);
  CHECK(ds[0].vector == 0x44);
  CHECK(ds[3].vector == 0x40);
  const auto& d = ds[3];
  REQUIRE(d.events.size() == 1);
  CHECK(b.ctx.led.source_name(b.ctx.led.record(d.events[0]).source) == "cpu0/ipi/64");
  auto t = b.ctx.led.totals();
  CHECK(t.raised == 11);
  CHECK(t.handled == 11);
  CHECK(b.conserved());
}

TEST_CASE("x2APIC IPIs: one 64-bit ICR write, 32-bit destination, SELF IPI MSR") {
  bench b(4, "x2apic");
  b.build();
  bench::run(1);
  sc_core::sc_time d;
  cpu_core& c1 = b.core(1);
  CHECK(c1.wrmsr(0x830, uint64_t(3) << 32 | 0x45, d));
  CHECK(c1.wrmsr(0x83F, 0x46, d));
  uint64_t v = 0;
  CHECK(c1.rdmsr(0x830, v, d));
  CHECK(v == (uint64_t(3) << 32 | 0x45));
  CHECK_FALSE(c1.rdmsr(0x83F, v, d));              // SELF IPI is write-only
  CHECK_FALSE(c1.wrmsr(0x830, 1u << 12 | 0x47, d)); // delivery status is reserved in x2APIC
  CHECK_FALSE(c1.wrmsr(0x83F, 0x147, d));          // SELF IPI reserved bits
  CHECK_FALSE(c1.wrmsr(0x831, 0, d));              // no ICR_HIGH in x2APIC
  bench::run(1);
  CHECK(takers(b, 0x45) == std::vector<unsigned>{3});
  CHECK(takers(b, 0x46) == std::vector<unsigned>{1});
  CHECK(takers(b, 0x47).empty());
  CHECK(b.ctx.led.totals().handled == 2);
  CHECK(b.conserved());
}

TEST_CASE("ICR delivery status reads send-pending until the IPI is on its way") {
  bench b(2);
  b.p.set("ipi_latency_ns", 50.0);
  b.build();
  bench::run(1);
  uint64_t t0 = now_ps();
  icr_xapic(b.core(0), 1u << 24, 0x40);
  CHECK((*b.apic(0).read_register("ICR_LOW") >> 12 & 1) == 1);
  bench::run(40);
  CHECK((*b.apic(0).read_register("ICR_LOW") >> 12 & 1) == 1);
  CHECK(b.core(1).dispatches().empty());
  bench::run(20);
  CHECK((*b.apic(0).read_register("ICR_LOW") >> 12 & 1) == 0);
  REQUIRE(b.core(1).dispatches().size() == 1);
  CHECK(b.core(1).dispatches()[0].time_ps == t0 + 50'000);
  CHECK(b.conserved());
}

TEST_CASE("Invalid ICR programming: illegal vector sets ESR Send Illegal Vector - bad combinations are not sent") {
  bench b(2);
  b.build();
  bench::run(1);
  local_apic& a = b.apic(0);
  a.write_register("LVT_ERROR", 0x100FE);  // keep the error interrupt out of this test
  icr_xapic(b.core(0), 1u << 24, 0x05);                      // illegal vector
  icr_xapic(b.core(0), 0, SH_SELF | 0x400);                  // NMI to self: invalid
  icr_xapic(b.core(0), 0, SH_ALL | 0x100 | 0x50);            // lowest priority to all incl. self: invalid
  icr_xapic(b.core(0), 1u << 24, 0x300 | 0x50);              // reserved delivery mode 011
  bench::run(1);
  a.write_register("ESR", 0);
  CHECK(*a.read_register("ESR") == 0x20);  // bit 5
  CHECK(*b.apic(1).read_register("ESR") == 0);
  auto t = b.ctx.led.totals();
  CHECK(t.raised == 4);
  CHECK(t.lost_by_cause["illegal_vector"] == 1);
  CHECK(t.lost_by_cause["unsupported_delivery"] == 3);
  CHECK(b.core(1).dispatches().empty());
  CHECK(b.conserved());
}

TEST_CASE("NMI IPI bypasses IRR/ISR") {
  bench b(2);
  b.build();
  bench::run(1);
  b.core(1).set_interrupt_flag(false);
  icr_xapic(b.core(0), 1u << 24, 0x400);
  bench::run(1);
  REQUIRE(b.core(1).dispatches().size() == 1);
  CHECK(b.core(1).dispatches()[0].kind == entry_kind::nmi);
  CHECK_FALSE(b.apic(1).irr().any());
  CHECK_FALSE(b.apic(1).isr().any());
  CHECK(b.conserved());
}

TEST_CASE("INIT puts the CPU in wait-for-SIPI with its APIC reset - SIPI starts it - a second SIPI is ignored") {
  bench b(2);
  b.build();
  bench::run(1);
  cpu_core& c1 = b.core(1);
  CHECK(c1.running());
  c1.set_interrupt_flag(false);
  b.dev->fixed(1, 0x55);  // held in IRR: lost by the INIT reset
  bench::run(1);
  icr_xapic(b.core(0), 1u << 24, 0xC500);  // INIT, level assert (as Linux sends it)
  icr_xapic(b.core(0), 1u << 24, 0x8500);  // INIT level de-assert: not sent, no event
  bench::run(1);
  CHECK_FALSE(c1.running());
  CHECK(c1.state() == cpu_core::run_state::wait_for_sipi);
  CHECK(*b.apic(1).read_register("SVR") == 0xFF);  // software-disabled after INIT
  CHECK(*b.apic(1).read_register("ID") == 0x01000000u);
  REQUIRE(c1.dispatches().size() == 1);
  CHECK(c1.dispatches()[0].kind == entry_kind::init);
  b.dev->fixed(1, 0x56);  // APIC software-disabled: dropped
  icr_xapic(b.core(0), 1u << 24, 0x4600 | 0x9A);  // STARTUP, vector 0x9A (start page 0x9A000)
  bench::run(1);
  CHECK(c1.running());
  CHECK_FALSE(c1.interrupt_flag());
  REQUIRE(c1.dispatches().size() == 2);
  CHECK(c1.dispatches()[1].kind == entry_kind::sipi);
  CHECK(c1.dispatches()[1].vector == 0x9A);
  icr_xapic(b.core(0), 1u << 24, 0x4600 | 0x9A);  // second SIPI: the CPU is running
  bench::run(1);
  CHECK(c1.dispatches().size() == 2);
  auto t = b.ctx.led.totals();
  CHECK(t.raised == 5);  // 2 MSIs, INIT, 2 SIPIs
  CHECK(t.handled == 2);
  CHECK(t.lost_by_cause["apic_reset"] == 1);
  CHECK(t.lost_by_cause["apic_disabled"] == 1);
  CHECK(t.lost_by_cause["sipi_ignored"] == 1);
  CHECK(b.conserved());
}

TEST_CASE("Level-triggered IPIs: an assert is sent as edge (no TMR), a de-assert is not sent") {
  bench b(2);
  b.build();
  bench::run(1);
  cpu_core& c0 = b.core(0);
  icr_xapic(c0, 1u << 24, (1u << 15) | (1u << 14) | 0x50);  // fixed, level, assert -> CPU 1
  bench::run(1);
  CHECK(takers(b, 0x50) == std::vector<unsigned>{1});
  CHECK_FALSE(b.apic(1).tmr().test(0x50));  // edge at the target: its EOI broadcasts nothing
  icr_xapic(c0, 1u << 24, (1u << 15) | 0x51);  // fixed, level, de-assert: ignored
  bench::run(1);
  CHECK(takers(b, 0x51).empty());
  // "All including self" takes Fixed only: an NMI with it is not sent.
  icr_xapic(c0, 0, SH_ALL | (4u << 8));
  bench::run(1);
  auto t = b.ctx.led.totals();
  CHECK(t.raised == 2);  // the fixed assert and the refused NMI; the de-assert raised nothing
  CHECK(t.handled == 1);
  CHECK(t.lost_by_cause["unsupported_delivery"] == 1);
  CHECK(b.conserved());
}
