// The APIC timer: one-shot, periodic, TSC-deadline, divide configuration, and masking (a masked
// timer never fires). Timer clock 25 MHz (40 ns per tick before the divider), TSC 2000 MHz.
#include <catch2/catch.hpp>

#include <vector>

#include "tests/lapic/harness.h"

using namespace irqf;
using namespace irqf::lapic;
using namespace irqf::lapic::test;

namespace {
std::vector<uint64_t> fire_times(const cpu_core& c, uint8_t vector) {
  std::vector<uint64_t> t;
  for (auto& d : c.dispatches())
    if (d.vector == vector) t.push_back(d.time_ps);
  return t;
}
}  // namespace

TEST_CASE("One-shot timer: fires once after initial count x divisor x 40 ns - current count counts down") {
  bench b(1);
  b.build();
  bench::run(1);
  local_apic& a = b.apic(0);
  a.write_register("TIMER_DIVIDE_CONFIG", 0xB);  // divide by 1
  a.write_register("LVT_TIMER", 0x30);           // one-shot, vector 0x30
  uint64_t t0 = now_ps();
  a.write_register("TIMER_INITIAL_COUNT", 100);
  bench::run(1000);
  CHECK(*a.read_register("TIMER_CURRENT_COUNT") == 75);
  bench::run(10000);
  CHECK(fire_times(b.core(0), 0x30) == std::vector<uint64_t>{t0 + 4'000'000});
  CHECK(*a.read_register("TIMER_CURRENT_COUNT") == 0);
  const auto& d = b.core(0).dispatches().front();
  CHECK(b.ctx.led.source_name(b.ctx.led.record(d.events.at(0)).source) == "cpu0/timer/0");
  CHECK(b.ctx.led.totals().handled == 1);
  CHECK(b.conserved());
}

TEST_CASE("Periodic timer reloads: divide by 2, count 10 -> one interrupt every 800 ns") {
  bench b(1);
  b.build();
  bench::run(1);
  local_apic& a = b.apic(0);
  a.write_register("TIMER_DIVIDE_CONFIG", 0x0);  // divide by 2
  a.write_register("LVT_TIMER", 0x20031);        // periodic, vector 0x31
  uint64_t t0 = now_ps();
  a.write_register("TIMER_INITIAL_COUNT", 10);
  bench::run(4100);
  CHECK(fire_times(b.core(0), 0x31) ==
        std::vector<uint64_t>{t0 + 800'000, t0 + 1'600'000, t0 + 2'400'000, t0 + 3'200'000, t0 + 4'000'000});
  CHECK(*a.read_register("TIMER_CURRENT_COUNT") == 9);  // 100 ns into the period: 1 tick of 80 ns gone
  a.write_register("TIMER_INITIAL_COUNT", 0);  // a zero count stops the timer
  bench::run(5000);
  CHECK(fire_times(b.core(0), 0x31).size() == 5);
  CHECK(b.ctx.led.totals().handled == 5);
  CHECK(b.conserved());
}

TEST_CASE("A masked timer never fires - unmasked, a periodic timer resumes on its period boundary") {
  bench b(1);
  b.build();
  bench::run(1);
  local_apic& a = b.apic(0);
  a.write_register("TIMER_DIVIDE_CONFIG", 0x0);
  a.write_register("LVT_TIMER", 0x30031);  // periodic, masked
  uint64_t t0 = now_ps();
  a.write_register("TIMER_INITIAL_COUNT", 10);
  bench::run(10'050);
  CHECK(b.core(0).dispatches().empty());
  CHECK(b.ctx.led.totals().raised == 0);
  CHECK(a.stats().timer_fires == 0);
  CHECK(*a.read_register("TIMER_CURRENT_COUNT") == 10 - (10'050'000 % 800'000) / 80'000);  // still counts
  a.write_register("LVT_TIMER", 0x20031);  // unmask
  bench::run(1000);
  CHECK(fire_times(b.core(0), 0x31) == std::vector<uint64_t>{t0 + 10'400'000});
  CHECK(b.conserved());
}

TEST_CASE("A one-shot timer that expires while masked stays silent when unmasked") {
  bench b(1);
  b.build();
  bench::run(1);
  local_apic& a = b.apic(0);
  a.write_register("TIMER_DIVIDE_CONFIG", 0xB);
  a.write_register("LVT_TIMER", 0x10032);
  a.write_register("TIMER_INITIAL_COUNT", 10);  // expires after 400 ns
  bench::run(1000);
  a.write_register("LVT_TIMER", 0x32);
  bench::run(10'000);
  CHECK(b.core(0).dispatches().empty());
  CHECK(a.stats().timer_fires == 0);
  CHECK(b.ctx.led.totals().raised == 0);
}

TEST_CASE("TSC-deadline timer fires when the TSC reaches IA32_TSC_DEADLINE, then disarms") {
  bench b(1, "x2apic");
  b.build();
  bench::run(1);
  cpu_core& c = b.core(0);
  sc_core::sc_time d;
  CHECK(c.wrmsr(0x832, 0x40033, d));  // LVT timer: TSC-deadline, vector 0x33
  CHECK(c.wrmsr(0x838, 5, d));        // initial count ignored in TSC-deadline mode
  uint64_t tsc = 0;
  REQUIRE(c.rdmsr(0x10, tsc, d));
  CHECK(tsc == now_ps() / 500);  // 2000 MHz
  uint64_t t0 = now_ps();
  CHECK(c.wrmsr(0x6E0, tsc + 2000, d));  // 1 us ahead
  uint64_t v = 0;
  CHECK(c.rdmsr(0x6E0, v, d));
  CHECK(v == tsc + 2000);
  bench::run(2000);
  CHECK(fire_times(c, 0x33) == std::vector<uint64_t>{t0 + 1'000'000});
  CHECK(c.rdmsr(0x6E0, v, d));
  CHECK(v == 0);
  CHECK(c.rdmsr(0x839, v, d));
  CHECK(v == 0);  // current count reads 0 in TSC-deadline mode
  // Masked: the deadline passes without an interrupt.
  CHECK(c.wrmsr(0x832, 0x50033, d));
  REQUIRE(c.rdmsr(0x10, tsc, d));
  CHECK(c.wrmsr(0x6E0, tsc + 200, d));
  bench::run(1000);
  CHECK(c.wrmsr(0x832, 0x40033, d));  // unmask after the deadline passed
  bench::run(1000);
  CHECK(fire_times(c, 0x33).size() == 1);
  CHECK(b.ctx.led.totals().raised == 1);
  CHECK(b.conserved());
}

TEST_CASE("Changing the divider mid-count rescales the remaining count") {
  bench b(1);
  b.build();
  bench::run(1);
  local_apic& a = b.apic(0);
  a.write_register("TIMER_DIVIDE_CONFIG", 0xB);  // /1: 40 ns per count
  a.write_register("LVT_TIMER", 0x34);
  uint64_t t0 = now_ps();
  a.write_register("TIMER_INITIAL_COUNT", 100);
  bench::run(2000);                               // 50 counts left
  a.write_register("TIMER_DIVIDE_CONFIG", 0x0);  // /2: 80 ns per count
  bench::run(10'000);
  CHECK(fire_times(b.core(0), 0x34) == std::vector<uint64_t>{t0 + 2'000'000 + 50 * 80'000});
  CHECK(b.conserved());
}
