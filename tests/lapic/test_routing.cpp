// The route stage: MSI decode, physical / logical flat / logical cluster / x2APIC destinations,
// broadcast, no destination, lowest-priority arbitration and its tie-breaks.
#include <catch2/catch.hpp>

#include <vector>

#include "tests/lapic/harness.h"

using namespace irqf;
using namespace irqf::lapic;
using namespace irqf::lapic::test;


TEST_CASE("Compatibility MSI decode: destination ID, RH, DM, vector, delivery mode, level, trigger") {
  apic_irq r = decode_compat_msi(0xFEE0'300C, 0x0000'C131);
  CHECK(r.dest == 0x03);
  CHECK(r.redirection_hint);
  CHECK(r.logical);
  CHECK(r.vector == 0x31);
  CHECK(r.mode == delivery_mode::lowest);
  CHECK(r.level_assert);
  CHECK(r.level_trigger);
}

TEST_CASE("xAPIC physical destinations, broadcast 0xFF, and no destination") {
  bench b(4);
  b.build();
  bench::run(1);
  b.dev->fixed(3, 0x40);
  b.dev->fixed(0xFF, 0x41);
  event_id lost = b.dev->fixed(9, 0x42);
  bench::run(1);
  CHECK(takers(b, 0x40) == std::vector<unsigned>{3});
  CHECK(takers(b, 0x41) == std::vector<unsigned>{0, 1, 2, 3});
  CHECK(takers(b, 0x42).empty());
  CHECK(b.ctx.led.record(lost).cause == loss_cause::no_destination);
  auto t = b.ctx.led.totals();
  CHECK(t.raised == 6);  // 3 sent + 3 extra deliveries of the broadcast
  CHECK(t.handled == 5);
  CHECK(t.lost_by_cause["no_destination"] == 1);
  CHECK(b.conserved());
}

TEST_CASE("xAPIC logical flat: the destination is a bitmap over LDR") {
  bench b(4);
  b.p.set("logical_mode", std::string("flat"));
  b.build();
  bench::run(1);
  CHECK(*b.apic(2).read_register("LDR") == 0x04000000u);
  CHECK(*b.apic(2).read_register("DFR") == 0xFFFFFFFFu);
  b.dev->fixed(0x05, 0x40, true);
  b.dev->fixed(0x08, 0x41, true);
  b.dev->fixed(0x30, 0x42, true);  // no CPU has these bits
  bench::run(1);
  CHECK(takers(b, 0x40) == std::vector<unsigned>{0, 2});
  CHECK(takers(b, 0x41) == std::vector<unsigned>{3});
  auto t = b.ctx.led.totals();
  CHECK(t.handled == 3);
  CHECK(t.lost_by_cause["no_destination"] == 1);
  CHECK(b.conserved());
}

TEST_CASE("xAPIC logical cluster: cluster in [7:4] (0xF = all clusters), member bitmap in [3:0]") {
  bench b(8);
  b.p.set("logical_mode", std::string("cluster"));
  b.build();
  bench::run(1);
  CHECK(*b.apic(5).read_register("LDR") == 0x12000000u);  // cluster 1, member bit 1
  CHECK(*b.apic(5).read_register("DFR") == 0x0FFFFFFFu);
  b.dev->fixed(0x12, 0x40, true);  // cluster 1, member 1 -> CPU 5
  b.dev->fixed(0x03, 0x41, true);  // cluster 0, members 0,1 -> CPUs 0, 1
  b.dev->fixed(0xF1, 0x42, true);  // every cluster, member 0 -> CPUs 0, 4
  b.dev->fixed(0x21, 0x43, true);  // cluster 2 does not exist
  bench::run(1);
  CHECK(takers(b, 0x40) == std::vector<unsigned>{5});
  CHECK(takers(b, 0x41) == std::vector<unsigned>{0, 1});
  CHECK(takers(b, 0x42) == std::vector<unsigned>{0, 4});
  CHECK(takers(b, 0x43).empty());
  CHECK(b.ctx.led.totals().lost_by_cause["no_destination"] == 1);
  CHECK(b.conserved());
}

TEST_CASE("x2APIC: LDR derived from the ID, read-only ID/LDR, cluster delivery with 32-bit IDs") {
  bench b(40, "x2apic");
  b.build();
  bench::run(1);
  sc_core::sc_time d;
  uint64_t v = 0;
  REQUIRE(b.core(37).rdmsr(0x80D, v, d));
  CHECK(v == ((37u >> 4) << 16 | 1u << (37 & 15)));  // 0x00020020
  CHECK(v == 0x00020020u);
  REQUIRE(b.core(37).rdmsr(0x802, v, d));
  CHECK(v == 37);
  CHECK_FALSE(b.core(37).wrmsr(0x80D, 1, d));  // LDR read-only: #GP
  CHECK_FALSE(b.core(37).wrmsr(0x802, 1, d));  // ID read-only: #GP
  CHECK_FALSE(b.core(37).rdmsr(0x80E, v, d));  // no DFR in x2APIC mode
  // Remapped request with a 32-bit logical destination: cluster 2, members 0 and 5.
  apic_irq irq;
  irq.logical = true;
  irq.dest = 0x0002'0021;
  irq.vector = 0x44;
  b.dev->send_remapped(irq);
  irq.logical = false;
  irq.dest = 39;
  irq.vector = 0x45;
  b.dev->send_remapped(irq);
  bench::run(1);
  CHECK(takers(b, 0x44) == std::vector<unsigned>{32, 37});
  CHECK(takers(b, 0x45) == std::vector<unsigned>{39});
  CHECK(b.conserved());
}

TEST_CASE("x2APIC physical IDs above 255 and 32-bit broadcast through remapped requests") {
  bench b(300, "x2apic");
  b.build();
  bench::run(1);
  apic_irq irq;
  irq.dest = 299;
  irq.vector = 0x50;
  b.dev->send_remapped(irq);
  irq.dest = 0xFF;  // an x2APIC ID, not a broadcast, in a remapped (32-bit) request
  irq.vector = 0x51;
  b.dev->send_remapped(irq);
  irq.dest = 0xFFFF'FFFF;
  irq.vector = 0x52;
  b.dev->send_remapped(irq);
  bench::run(1);
  CHECK(takers(b, 0x50) == std::vector<unsigned>{299});
  CHECK(takers(b, 0x51) == std::vector<unsigned>{255});
  CHECK(takers(b, 0x52).size() == 300);
  // A compatibility-format (8-bit) 0xFF is a broadcast for x2APIC-mode APICs.
  b.dev->fixed(0xFF, 0x53);
  bench::run(1);
  CHECK(takers(b, 0x53).size() == 300);
  auto t = b.ctx.led.totals();
  CHECK(t.raised == 602);
  CHECK(t.handled == 602);
  CHECK(b.conserved());
}

TEST_CASE("Lowest priority picks the CPU with the lowest arbitration priority") {
  bench b(4);
  b.build();
  bench::run(1);
  const uint8_t tprs[4] = {0x30, 0x10, 0x20, 0x40};
  for (unsigned i = 0; i < 4; ++i) b.apic(i).write_register("TPR", tprs[i]);
  CHECK(*b.apic(1).read_register("APR") == 0x10);
  b.dev->fixed(0x0F, 0x60, true, false, delivery_mode::lowest);
  bench::run(1);
  CHECK(takers(b, 0x60) == std::vector<unsigned>{1});
  // RH=1 with a fixed logical message also arbitrates (SDM §11.11.1).
  apic_irq r;
  r.dest = 0x0D;  // CPUs 0, 2, 3
  r.logical = true;
  r.redirection_hint = true;
  r.vector = 0x61;
  msi_msg m = encode_compat_msi(r);
  b.dev->send(m.address, m.data);
  bench::run(1);
  CHECK(takers(b, 0x61) == std::vector<unsigned>{2});
  auto t = b.ctx.led.totals();
  CHECK(t.raised == 2);
  CHECK(t.handled == 2);
  CHECK(b.conserved());
}

TEST_CASE("Lowest priority tie-break: lowest APIC ID - a pending vector raises APR") {
  bench b(4);
  b.build();
  bench::run(1);
  for (int k = 0; k < 3; ++k) {
    b.dev->fixed(0x0E, uint8_t(0x60 + k), true, false, delivery_mode::lowest);
    bench::run(1);  // handled and EOI'd before the next: every APR is back to 0
  }
  CHECK(takers(b, 0x60) == std::vector<unsigned>{1});
  CHECK(takers(b, 0x61) == std::vector<unsigned>{1});
  CHECK(takers(b, 0x62) == std::vector<unsigned>{1});
  // Back to back: the first lands in CPU 1's IRR, raising its APR to 0x70, so the next goes to CPU 2...
  for (int k = 0; k < 3; ++k) b.dev->fixed(0x0E, uint8_t(0x70 + k), true, false, delivery_mode::lowest);
  CHECK(*b.apic(1).read_register("APR") == 0x70);
  bench::run(1);
  CHECK(takers(b, 0x70) == std::vector<unsigned>{1});
  CHECK(takers(b, 0x71) == std::vector<unsigned>{2});
  CHECK(takers(b, 0x72) == std::vector<unsigned>{3});
  CHECK(b.ctx.led.totals().handled == 6);
  CHECK(b.conserved());
}

TEST_CASE("Lowest priority tie-break: round robin rotates over equal-priority CPUs") {
  bench b(4);
  b.p.set("lowest_priority_tiebreak", std::string("round_robin"));
  b.build();
  bench::run(1);
  for (int k = 0; k < 5; ++k) {
    b.dev->fixed(0x0F, uint8_t(0x60 + k), true, false, delivery_mode::lowest);
    bench::run(1);
  }
  CHECK(takers(b, 0x60) == std::vector<unsigned>{0});
  CHECK(takers(b, 0x61) == std::vector<unsigned>{1});
  CHECK(takers(b, 0x62) == std::vector<unsigned>{2});
  CHECK(takers(b, 0x63) == std::vector<unsigned>{3});
  CHECK(takers(b, 0x64) == std::vector<unsigned>{0});
  CHECK(b.conserved());
}

TEST_CASE("Lowest priority tie-break: the focus processor (vector pending or in service) wins") {
  bench b(4);
  b.p.set("lowest_priority_tiebreak", std::string("focus"));
  b.build();
  bench::run(1);
  b.core(2).set_interrupt_flag(false);
  b.dev->fixed(2, 0x70);  // pending on CPU 2: CPU 2 is the focus for 0x70
  bench::run(1);
  b.dev->fixed(0x0F, 0x70, true, false, delivery_mode::lowest);
  bench::run(1);
  CHECK(b.apic(2).irr_events(0x70).size() == 2);  // merged into CPU 2's IRR bit
  CHECK(takers(b, 0x70).empty());
  b.core(2).set_interrupt_flag(true);
  bench::run(1);
  CHECK(takers(b, 0x70) == std::vector<unsigned>{2});
  auto t = b.ctx.led.totals();
  CHECK(t.handled == 1);
  CHECK(t.merged == 1);
  CHECK(b.conserved());
}

TEST_CASE("Messages outside a DWORD write are not interrupts") {
  bench b(1);
  b.build();
  bench::run(1);
  upstream_write w;
  event_id id = b.ctx.led.raise(b.dev->src, now_ps());
  event_id ev[1] = {id};
  auto& gp = w.msi({0xFEE0'0000, 0x40}, 0, ev);
  gp.set_data_length(2);
  sc_core::sc_time d;
  b.dev->out->b_transport(gp, d);
  CHECK(gp.get_response_status() == tlm::TLM_BURST_ERROR_RESPONSE);
  CHECK(b.ctx.led.record(id).cause == loss_cause::unsupported_delivery);
  CHECK(b.conserved());
}
