// Acceptance and dispatch on one CPU: TPR/PPR masking, priority order, ISR blocking, EOI broadcast,
// illegal vectors and ESR, IRR merging, software disable, the spurious vector.
#include <catch2/catch.hpp>

#include <vector>

#include "tests/lapic/harness.h"

using namespace irqf;
using namespace irqf::lapic;
using namespace irqf::lapic::test;

namespace {
struct eoi_recorder : eoi_listener_if {
  std::vector<uint8_t> vectors;
  void eoi_broadcast(uint8_t v) override { vectors.push_back(v); }
};
std::vector<uint8_t> vectors_of(const cpu_core& c) {
  std::vector<uint8_t> v;
  for (auto& d : c.dispatches()) v.push_back(d.vector);
  return v;
}
}  // namespace

TEST_CASE("TPR masks by class only: delivered iff vector class > TPR class, swept over all vectors and TPR values") {
  bench b(1);
  b.build();
  bench::run(1);
  local_apic& a = b.apic(0);
  cpu_core& c = b.core(0);
  uint64_t delivered_at_once = 0, mismatches = 0;
  for (int tpr = 0; tpr < 256; ++tpr) {
    for (int v = 16; v < 256; ++v) {
      a.write_register("TPR", uint64_t(tpr));
      size_t before = c.dispatches().size();
      b.dev->fixed(0, uint8_t(v));
      bench::run(1);
      bool got = c.dispatches().size() == before + 1;
      bool want = (v >> 4) > (tpr >> 4);
      if (got != want) ++mismatches;
      if (got) {
        ++delivered_at_once;
      } else {
        // Held in IRR; lowering TPR releases it.
        REQUIRE(a.irr().test(uint8_t(v)));
        a.write_register("TPR", 0);
        bench::run(1);
        REQUIRE(c.dispatches().size() == before + 1);
      }
      REQUIRE(c.dispatches().back().vector == v);
    }
  }
  CHECK(mismatches == 0);
  CHECK(delivered_at_once == 30720);
  auto t = b.ctx.led.totals();
  CHECK(t.raised == 61440);
  CHECK(t.handled == 61440);
  CHECK(b.conserved());
}

TEST_CASE("The higher of two pending same-class vectors goes first") {
  bench b(1);
  b.build();
  bench::run(1);
  b.core(0).set_interrupt_flag(false);
  b.dev->fixed(0, 0x41);
  b.dev->fixed(0, 0x45);
  b.dev->fixed(0, 0x38);
  bench::run(10);
  CHECK(b.core(0).dispatches().empty());
  b.core(0).set_interrupt_flag(true);
  bench::run(10);
  CHECK(vectors_of(b.core(0)) == std::vector<uint8_t>{0x45, 0x41, 0x38});
  CHECK(b.ctx.led.totals().handled == 3);
  CHECK(b.conserved());
}

TEST_CASE("An in-service vector blocks its class and lower until EOI") {
  bench b(1);
  b.build();
  bench::run(1);
  local_apic& a = b.apic(0);
  cpu_core& c = b.core(0);
  c.set_default_eoi(false);  // the test writes the EOIs
  b.dev->fixed(0, 0x55);
  bench::run(1);
  CHECK(vectors_of(c) == std::vector<uint8_t>{0x55});
  CHECK(*a.read_register("PPR") == 0x50);
  b.dev->fixed(0, 0x5A);  // same class, higher vector: blocked
  b.dev->fixed(0, 0x40);  // lower class: blocked
  b.dev->fixed(0, 0x61);  // higher class: nests
  bench::run(1);
  CHECK(vectors_of(c) == std::vector<uint8_t>{0x55, 0x61});
  CHECK(*a.read_register("PPR") == 0x60);
  CHECK(*a.read_register("ISR2") == (1u << (0x55 - 64)));
  CHECK(*a.read_register("ISR3") == (1u << (0x61 - 96)));
  a.write_register("EOI", 0);  // clears 0x61 (highest in service)
  bench::run(1);
  CHECK(vectors_of(c).size() == 2);  // 0x55 still blocks class 5
  CHECK(*a.read_register("PPR") == 0x50);
  a.write_register("EOI", 0);  // clears 0x55
  bench::run(1);
  CHECK(vectors_of(c) == std::vector<uint8_t>{0x55, 0x61, 0x5A});
  a.write_register("EOI", 0);
  bench::run(1);
  CHECK(vectors_of(c) == std::vector<uint8_t>{0x55, 0x61, 0x5A, 0x40});
  a.write_register("EOI", 0);
  CHECK(*a.read_register("PPR") == 0x00);
  CHECK_FALSE(a.isr().any());
  CHECK(b.ctx.led.totals().handled == 4);
  CHECK(b.conserved());
}

TEST_CASE("EOI of a level vector broadcasts to IOAPICs unless SVR[12] suppresses it") {
  bench b(1);
  b.build();
  eoi_recorder io;
  b.cpus->bus().add_eoi_listener(&io);
  bench::run(1);
  local_apic& a = b.apic(0);
  b.dev->fixed(0, 0x60, false, true);  // level
  bench::run(1);
  CHECK(io.vectors == std::vector<uint8_t>{0x60});
  b.dev->fixed(0, 0x61, false, false);  // edge: no broadcast
  bench::run(1);
  CHECK(io.vectors == std::vector<uint8_t>{0x60});
  CHECK((*a.read_register("VERSION") >> 24 & 1) == 1);  // directed EOI supported
  a.write_register("SVR", 0x11FF);                      // enable + suppress EOI broadcast
  b.dev->fixed(0, 0x62, false, true);
  bench::run(1);
  CHECK(io.vectors == std::vector<uint8_t>{0x60});
  CHECK(a.stats().eois == 3);
  CHECK(a.stats().eoi_broadcasts == 1);
  a.write_register("SVR", 0x1FF);
  b.dev->fixed(0, 0x63, false, true);
  bench::run(1);
  CHECK(io.vectors == std::vector<uint8_t>{0x60, 0x63});
  CHECK(b.conserved());
}

namespace {
/// One platform per process (SystemC elaborates once), so each mode is its own TEST_CASE.
void svr12_reserved_without_directed_eoi(const std::string& mode) {
  bench b(1, mode);
  b.p.set("directed_eoi", false);
  b.build();
  eoi_recorder io;
  b.cpus->bus().add_eoi_listener(&io);
  bench::run(1);
  local_apic& a = b.apic(0);
  CHECK((*a.read_register("VERSION") >> 24 & 1) == 0);
  sc_core::sc_time d = sc_core::SC_ZERO_TIME;
  if (mode == "xapic") {
    a.write_register("SVR", 0x11FF);
    CHECK(*a.read_register("SVR") == 0x1FF);
  } else {
    CHECK_FALSE(a.wrmsr(0x80F, 0x11FF, d));  // SVR with the reserved bit: #GP, nothing written
    CHECK(a.wrmsr(0x80F, 0x1FF, d));
    CHECK(*a.read_register("SVR") == 0x1FF);
  }
  b.dev->fixed(0, 0x60, false, true);  // level: its EOI is broadcast, nothing suppresses it
  bench::run(1);
  CHECK(io.vectors == std::vector<uint8_t>{0x60});
  CHECK(b.conserved());
}
}  // namespace

TEST_CASE("Without directed EOI, SVR[12] is reserved and reads 0 (xAPIC, SDM §11.9)") {
  svr12_reserved_without_directed_eoi("xapic");
}

TEST_CASE("Without directed EOI, setting SVR[12] by WRMSR is #GP (x2APIC, SDM §11.12.1.2)") {
  svr12_reserved_without_directed_eoi("x2apic");
}

TEST_CASE("An illegal vector sets ESR Receive Illegal Vector and is not accepted (write-before-read)") {
  bench b(1);
  b.build();
  bench::run(1);
  local_apic& a = b.apic(0);
  a.write_register("LVT_ERROR", 0x10000 | 0xFE);  // error interrupt masked for this test
  for (uint8_t v : {0, 5, 15}) b.dev->fixed(0, v);
  bench::run(1);
  CHECK_FALSE(a.irr().any());
  CHECK(b.core(0).dispatches().empty());
  CHECK(*a.read_register("ESR") == 0);  // not yet latched
  a.write_register("ESR", 0);
  CHECK(*a.read_register("ESR") == 0x40);  // bit 6
  a.write_register("ESR", 0);
  CHECK(*a.read_register("ESR") == 0);
  b.dev->fixed(0, 16);  // lowest legal vector
  bench::run(1);
  CHECK(b.core(0).dispatches().size() == 1);
  auto t = b.ctx.led.totals();
  CHECK(t.lost == 3);
  CHECK(t.lost_by_cause["illegal_vector"] == 3);
  CHECK(t.handled == 1);
  CHECK(b.conserved());
}

TEST_CASE("An illegal vector raises the LVT error interrupt when it is unmasked") {
  bench b(1);
  b.build();
  bench::run(1);
  b.dev->fixed(0, 3);  // the Linux boot setup unmasks LVT error with vector 0xFE
  bench::run(1);
  auto& d = b.core(0).dispatches();
  REQUIRE(d.size() == 1);
  CHECK(d[0].vector == 0xFE);
  auto t = b.ctx.led.totals();
  CHECK(t.raised == 2);
  CHECK(t.lost_by_cause["illegal_vector"] == 1);
  CHECK(t.handled == 1);
  CHECK(b.conserved());
}

TEST_CASE("Arrivals for a vector already in IRR merge: one dispatch carries every id") {
  bench b(1);
  b.build();
  bench::run(1);
  b.core(0).set_interrupt_flag(false);
  event_id e1 = b.dev->fixed(0, 0x50);
  event_id e2 = b.dev->fixed(0, 0x50);
  event_id e3 = b.dev->fixed(0, 0x50);
  bench::run(1);
  CHECK(b.apic(0).irr_events(0x50) == std::vector<event_id>{e1, e2, e3});
  CHECK(b.apic(0).stats().merged == 2);
  b.core(0).set_interrupt_flag(true);
  bench::run(1);
  REQUIRE(b.core(0).dispatches().size() == 1);
  CHECK(b.core(0).dispatches()[0].events == std::vector<event_id>{e1, e2, e3});
  auto t = b.ctx.led.totals();
  CHECK(t.handled == 1);
  CHECK(t.merged == 2);
  CHECK(b.ctx.led.record(e1).state == ev_state::handled);
  CHECK(b.ctx.led.record(e3).state == ev_state::merged);
  CHECK(b.conserved());
}

TEST_CASE("A vector may be pending in IRR and in service at once") {
  bench b(1);
  b.build();
  bench::run(1);
  b.core(0).set_default_eoi(false);
  b.dev->fixed(0, 0x70);
  bench::run(1);
  b.dev->fixed(0, 0x70);
  bench::run(1);
  CHECK(b.apic(0).isr().test(0x70));
  CHECK(b.apic(0).irr().test(0x70));
  CHECK(b.core(0).dispatches().size() == 1);
  b.apic(0).write_register("EOI", 0);
  bench::run(1);
  CHECK(b.core(0).dispatches().size() == 2);
  CHECK(b.ctx.led.totals().handled == 2);
  CHECK(b.conserved());
}

TEST_CASE("A software-disabled APIC drops fixed interrupts, takes NMI, and keeps its LVTs masked") {
  bench b(1);
  b.build();
  bench::run(1);
  local_apic& a = b.apic(0);
  a.write_register("SVR", 0x0FF);  // APIC software disable
  CHECK((*a.read_register("LVT_ERROR") >> 16 & 1) == 1);
  a.write_register("LVT_TIMER", 0x40);  // try to unmask
  CHECK(*a.read_register("LVT_TIMER") == 0x10040);
  b.dev->fixed(0, 0x50);
  b.dev->fixed(0, 0, false, false, delivery_mode::nmi);
  bench::run(1);
  auto& d = b.core(0).dispatches();
  REQUIRE(d.size() == 1);
  CHECK(d[0].kind == entry_kind::nmi);
  CHECK_FALSE(a.irr().any());
  auto t = b.ctx.led.totals();
  CHECK(t.lost_by_cause["apic_disabled"] == 1);
  CHECK(t.handled == 1);
  CHECK(b.conserved());
}

TEST_CASE("TPR raised between recognition and acknowledge gives the spurious vector") {
  bench b(1);
  b.p.set("ack_delay_ns", 10.0);
  b.build();
  bench::run(1);
  local_apic& a = b.apic(0);
  a.write_register("SVR", 0x1EF);  // spurious vector 0xEF
  event_id e = b.dev->fixed(0, 0x50);
  bench::run(5);                   // recognised, not yet acknowledged
  a.write_register("TPR", 0x60);
  bench::run(20);
  auto& d = b.core(0).dispatches();
  REQUIRE(d.size() == 1);
  CHECK(d[0].kind == entry_kind::spurious);
  CHECK(d[0].vector == 0xEF);
  CHECK(d[0].events.empty());
  CHECK(a.irr().test(0x50));  // still pending, ISR untouched
  CHECK_FALSE(a.isr().any());
  a.write_register("TPR", 0);
  bench::run(20);
  REQUIRE(d.size() == 2);
  CHECK(d[1].kind == entry_kind::vector);
  CHECK(d[1].vector == 0x50);
  CHECK(d[1].events == std::vector<event_id>{e});
  auto t = b.ctx.led.totals();
  CHECK(t.spurious == 1);
  CHECK(t.handled == 1);
  CHECK(b.conserved());
}

TEST_CASE("NMI bypasses IRR/ISR and IF - a second NMI while one is pending merges") {
  bench b(1);
  b.build();
  bench::run(1);
  b.core(0).set_interrupt_flag(false);
  event_id n1 = b.dev->fixed(0, 0, false, false, delivery_mode::nmi);
  event_id n2 = b.dev->fixed(0, 0, false, false, delivery_mode::nmi);
  bench::run(1);
  auto& d = b.core(0).dispatches();
  REQUIRE(d.size() == 1);
  CHECK(d[0].kind == entry_kind::nmi);
  CHECK(d[0].events == std::vector<event_id>{n1, n2});
  CHECK_FALSE(b.apic(0).irr().any());
  CHECK_FALSE(b.apic(0).isr().any());
  CHECK(b.ctx.led.totals().merged == 1);
  CHECK(b.conserved());
}
