// The cpu_complex and the core's contract with the OS model: entry/exit costs, the returned handler
// time, IF, LINT pins, 1,024 CPUs.
#include <catch2/catch.hpp>

#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "fabric/error.h"
#include "tests/lapic/harness.h"

using namespace irqf;
using namespace irqf::lapic;
using namespace irqf::lapic::test;

namespace {
/// An OS model stand-in: settles, EOIs through the CPU port, and takes 200 ns per handler.
struct fake_os : os_entry_if {
  cpu_complex* cpus = nullptr;
  sim_context* ctx = nullptr;
  struct entry {
    unsigned cpu;
    entry_kind kind;
    uint8_t vector;
    uint64_t t_ps;
    bool if_inside;
  };
  std::vector<entry> log;
  sc_core::sc_time vector_entry(unsigned cpu, entry_kind kind, uint8_t vector,
                                std::span<const event_id> events) override {
    cpu_core& c = cpus->core(cpu);
    log.push_back({cpu, kind, vector, now_ps(), c.interrupt_flag()});
    ctx->led.settle_handled(events, now_ps());
    sc_core::sc_time d;
    if (kind == entry_kind::vector) c.wrmsr(0x80B, 0, d);
    return sc_core::sc_time(200, sc_core::SC_NS);
  }
};
}  // namespace

TEST_CASE("The core stays busy for entry + handler + exit - IF is clear inside the handler and restored by IRET") {
  bench b(2, "x2apic");
  b.p.set("entry_cost_ns", 100.0);
  b.p.set("exit_cost_ns", 50.0);
  b.build();
  fake_os os;
  os.cpus = b.cpus.get();
  os.ctx = &b.ctx;
  b.core(1).set_os(&os);
  bench::run(1);
  uint64_t t0 = now_ps();
  b.dev->fixed(1, 0x40);
  b.dev->fixed(1, 0x30);
  bench::run(1000);
  REQUIRE(os.log.size() == 2);
  CHECK(os.log[0].vector == 0x40);
  CHECK(os.log[0].t_ps == t0 + 100'000);                  // after the entry cost
  CHECK(os.log[1].vector == 0x30);
  CHECK(os.log[1].t_ps == t0 + 100'000 + 200'000 + 50'000 + 100'000);  // busy 350 ns, then entry
  CHECK_FALSE(os.log[0].if_inside);
  CHECK(b.core(1).interrupt_flag());
  CHECK(b.core(1).stats().vectors == 2);
  CHECK(b.ctx.led.totals().handled == 2);
  CHECK(b.conserved());
}

TEST_CASE("With IF clear nothing is dispatched - STI opens the window") {
  bench b(1);
  b.build();
  bench::run(1);
  b.core(0).set_interrupt_flag(false);
  b.dev->fixed(0, 0x40);
  bench::run(100);
  CHECK(b.core(0).dispatches().empty());
  CHECK(b.apic(0).irr().test(0x40));
  b.core(0).set_interrupt_flag(true);
  bench::run(1);
  CHECK(b.core(0).dispatches().size() == 1);
  CHECK(b.conserved());
}

TEST_CASE("LINT1 programmed for NMI (Linux boot setup on CPU 0) delivers an NMI on a rising edge") {
  bench b(2);
  b.build();
  bench::run(1);
  b.apic(0).set_lint(1, true);
  b.apic(0).set_lint(1, true);  // no new edge
  b.apic(1).set_lint(1, true);  // masked on CPU 1: nothing
  bench::run(1);
  REQUIRE(b.core(0).dispatches().size() == 1);
  CHECK(b.core(0).dispatches()[0].kind == entry_kind::nmi);
  CHECK(b.core(1).dispatches().empty());
  CHECK(b.ctx.led.totals().raised == 1);
  CHECK(b.conserved());
}

TEST_CASE("A level-triggered fixed LINT0 sets Remote IRR and fires again after EOI while still asserted") {
  bench b(1);
  b.build();
  bench::run(1);
  local_apic& a = b.apic(0);
  b.core(0).set_default_handler_time(sc_core::sc_time(10, sc_core::SC_NS));
  a.write_register("LVT_LINT0", 0x8000 | 0x3A);  // fixed, level, unmasked
  a.set_lint(0, true);
  CHECK((*a.read_register("LVT_LINT0") >> 14 & 1) == 1);
  CHECK(a.tmr().test(0x3A));
  bench::run(5);
  // The handler's EOI cleared Remote IRR while the pin was high: it fired again (now in IRR).
  CHECK(a.irr().test(0x3A));
  a.set_lint(0, false);
  bench::run(50);
  CHECK(b.core(0).dispatches().size() == 2);
  CHECK((*a.read_register("LVT_LINT0") >> 14 & 1) == 0);
  CHECK(b.ctx.led.totals().handled == 2);
  CHECK(b.conserved());
}

TEST_CASE("1,024 CPUs in x2APIC mode: every CPU reachable by its 32-bit x2APIC ID") {  // cost: tools/bench
  bench b(1024, "x2apic");
  b.build();
  bench::run(1);
  CHECK(b.cpus->size() == 1024);
  CHECK(b.cpus->bus().size() == 1024);
  for (unsigned i = 0; i < 1024; i += 97) {
    apic_irq irq;
    irq.dest = i;
    irq.vector = 0x80;
    b.dev->send_remapped(irq);
  }
  sc_core::sc_time d;
  CHECK(b.core(5).wrmsr(0x830, uint64_t(1023) << 32 | 0x81, d));
  bench::run(1);
  for (unsigned i = 0; i < 1024; ++i) {
    size_t want = (i % 97 == 0 ? 1 : 0) + (i == 1023 ? 1 : 0);
    REQUIRE(b.core(i).dispatches().size() == want);
  }
  CHECK(b.ctx.led.totals().handled == 12);
  CHECK(b.conserved());
}

TEST_CASE("More than 255 CPUs in xAPIC mode is an elaboration error") {
  sim_context ctx;
  param_values p(cpu_complex::schema());
  p.set("cpus", int64_t(256));
  p.set("apic_mode", std::string("xapic"));
  CHECK_THROWS_AS(cpu_complex("cpus", ctx, p), elaboration_error);
}

TEST_CASE("Every route, acceptance, merge, drop, dispatch and EOI reaches the trace") {
  const std::string path = "/tmp/irqf_lapic_trace_" + std::to_string(::getpid()) + ".json";
  bench b(1);
  b.ctx.trace.open(path);
  b.build();
  bench::run(1);
  b.apic(0).write_register("LVT_ERROR", 0x100FE);
  b.core(0).set_interrupt_flag(false);
  b.dev->fixed(0, 0x50, false, true);
  b.dev->fixed(0, 0x50, false, true);
  b.dev->fixed(0, 0x05);
  bench::run(1);
  b.core(0).set_interrupt_flag(true);
  bench::run(1);
  b.ctx.trace.close();
  std::ifstream f(path);
  std::stringstream ss;
  ss << f.rdbuf();
  const std::string text = ss.str();
  std::remove(path.c_str());
  auto count = [&](const std::string& stage) {
    const std::string key = "\"name\":\"" + stage + "\"";
    size_t n = 0;
    for (size_t p = text.find(key); p != std::string::npos; p = text.find(key, p + 1)) ++n;
    return n;
  };
  CHECK(count("route") == 3);
  CHECK(count("accept") == 1);
  CHECK(count("merge") == 1);
  CHECK(count("drop") == 1);
  CHECK(count("dispatch") == 1);
  CHECK(count("eoi") == 2);  // the local EOI and the broadcast on the bus
  auto t = b.ctx.led.totals();
  CHECK(t.handled == 1);
  CHECK(t.merged == 1);
  CHECK(t.lost == 1);
  CHECK(b.conserved());
}

TEST_CASE("An active-low LINT0 (polarity 1) is asserted by a low level, not a high one") {
  bench b(1);
  b.build();
  bench::run(1);
  local_apic& a = b.apic(0);
  a.write_register("LVT_LINT0", 0x2000 | 0x3B);  // fixed, edge, active low (bit 13), unmasked
  a.set_lint(0, true);                            // electrically high: de-asserted
  bench::run(1);
  CHECK(b.core(0).dispatches().empty());
  a.set_lint(0, false);  // falling electrical edge = assertion
  bench::run(1);
  REQUIRE(b.core(0).dispatches().size() == 1);
  CHECK(b.core(0).dispatches()[0].vector == 0x3B);
  a.set_lint(0, true);   // de-assertion: nothing
  bench::run(1);
  CHECK(b.core(0).dispatches().size() == 1);
  CHECK(b.ctx.led.totals().raised == 1);
  CHECK(b.conserved());
}
