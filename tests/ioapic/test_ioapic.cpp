// IOAPIC (82093AA §3.2, ICH9 §13.5, VT-d §5.1.5.1): registers, edge and level delivery, Remote IRR,
// EOI re-delivery, masking, polarity and wiring, remappable entries, ids carried by INTx lines.
#include <catch2/catch.hpp>

#include "fabric/interconnect.h"
#include "models/ioapic/ioapic.h"
#include "tests/pcie/bench.h"

using namespace irqf;
using namespace irqf::test;
using ioapic_t = irqf::ioapic::ioapic;
namespace rte = irqf::ioapic::rte;

namespace {
struct bench {
  static constexpr uint64_t base = 0xFEC0'0000;
  sim_context ctx;
  interconnect host{"host", ctx, param_values(interconnect::schema())};
  ioapic_t io{"ioapic0", ctx, param_values(ioapic_t::schema())};
  msi_sink sink{"sink", ctx};
  cpu_port cpu{"cpu", ctx};
  bench() {
    cpu.out.bind(host.in);
    host.map(base, 0x1000, io.mmio, "ioapic0", true);
    io.irq_out.bind(sink.in);
    sc_core::sc_start(sc_core::SC_ZERO_TIME);
  }
  uint32_t rd(uint8_t idx) {
    cpu.wr(base + 0x00, idx);
    return uint32_t(cpu.rd(base + 0x10));
  }
  void wr(uint8_t idx, uint32_t v) {
    cpu.wr(base + 0x00, idx);
    cpu.wr(base + 0x10, v);
  }
  void rte(unsigned pin, uint64_t v) {
    wr(uint8_t(0x10 + 2 * pin + 1), uint32_t(v >> 32));
    wr(uint8_t(0x10 + 2 * pin), uint32_t(v));
  }
  uint64_t rte(unsigned pin) { return uint64_t(rd(uint8_t(0x11 + 2 * pin))) << 32 | rd(uint8_t(0x10 + 2 * pin)); }
};
constexpr uint64_t LEVEL = 1u << 15, LOW = 1u << 13, MASKED = 1u << 16, RIRR = 1u << 14;
}  // namespace

TEST_CASE("identification and redirection reset state") {
  bench b;
  CHECK(b.rd(0x01) == 0x0017'0020u);  // version 0x20, 24 entries
  CHECK(b.rd(0x00) == 0);
  b.wr(0x00, 0xFFFF'FFFFu);
  CHECK(b.rd(0x00) == 0x0F00'0000u);
  CHECK(b.rd(0x02) == 0x0F00'0000u);
  for (unsigned p = 0; p < 24; ++p) CHECK(b.rte(p) == MASKED);
  b.rte(3, 0xFFFF'FFFF'FFFF'FFFFull);  // RO bits (Delivery Status, Remote IRR, reserved) stay 0
  CHECK(b.rte(3) == 0xFFFF'0000'0001'AFFFull);
  CHECK(b.io.read_register("IOREDTBL[3]") == 0xFFFF'0000'0001'AFFFull);
  CHECK(b.io.read_register("IOAPICVER") == 0x0017'0020u);
  CHECK(b.rd(0x40) == 0);  // beyond the table
}

TEST_CASE("edge delivery, compatibility format, and edges on a masked pin are lost") {
  bench b;
  b.rte(4, 0x0200'0000'0000'0000ull | 0x31);  // dest 2, physical, fixed, edge, active high
  b.io.set_pin(4, true);
  REQUIRE(b.sink.got.size() == 1);
  CHECK(b.sink.got[0].addr == 0xFEE0'2000u);
  CHECK(b.sink.got[0].data == 0x31);
  CHECK(b.sink.got[0].rid == 0xF0F8);
  REQUIRE(b.sink.got[0].events.size() == 1);
  CHECK(b.ctx.led.source_name(b.ctx.led.record(b.sink.got[0].events[0]).source) == "ioapic0/pin/4");
  b.io.set_pin(4, true);  // no edge
  CHECK(b.sink.got.size() == 1);
  b.io.set_pin(4, false);
  b.io.set_pin(4, true);
  CHECK(b.sink.got.size() == 2);
  b.rte(4, MASKED | 0x31);
  b.io.set_pin(4, false);
  b.io.set_pin(4, true);
  CHECK(b.sink.got.size() == 2);
  auto t = b.ctx.led.totals();
  CHECK(t.raised == 3);
  CHECK(t.lost_by_cause["ioapic_masked"] == 1);
  CHECK(check_conservation(t).ok);
}

TEST_CASE("level line, Remote IRR, one delivery per EOI while asserted") {
  bench b;
  b.rte(16, 0x0100'0000'0000'0000ull | LEVEL | LOW | 0x41);  // PCI pin: level, active low
  CHECK(b.sink.got.empty());  // idle active-low line is not asserted
  b.io.set_intx(16, true);
  REQUIRE(b.sink.got.size() == 1);
  CHECK(b.sink.got[0].data == 0xC041u);  // trigger level + assert
  CHECK((b.rte(16) & RIRR) == RIRR);
  // line changes while Remote IRR is set: no delivery
  b.io.set_intx(16, false);
  b.io.set_intx(16, true);
  b.io.set_intx(16, false);
  b.io.set_intx(16, true);
  CHECK(b.sink.got.size() == 1);
  b.io.eoi_broadcast(0x42);  // other vector: nothing
  CHECK((b.rte(16) & RIRR) == RIRR);
  b.io.eoi_broadcast(0x41);  // still asserted: delivered again
  CHECK(b.sink.got.size() == 2);
  CHECK((b.rte(16) & RIRR) == RIRR);
  b.io.set_intx(16, false);
  b.cpu.wr(b.base + 0x40, 0x41);  // EOI register
  CHECK((b.rte(16) & RIRR) == 0);
  CHECK(b.sink.got.size() == 2);
  auto t = b.ctx.led.totals();
  CHECK(t.raised == 2);
  CHECK(t.handled == 2);
  CHECK(check_conservation(t).ok);
}

TEST_CASE("masked level line is delivered on unmask, switching to edge clears Remote IRR") {
  bench b;
  b.rte(17, MASKED | LEVEL | LOW | 0x50);
  b.io.set_intx(17, true);
  CHECK(b.sink.got.empty());
  b.rte(17, LEVEL | LOW | 0x50);
  REQUIRE(b.sink.got.size() == 1);
  CHECK((b.rte(17) & RIRR) == RIRR);
  b.rte(17, LOW | 0x50);  // edge
  CHECK((b.rte(17) & RIRR) == 0);
  CHECK(check_conservation(b.ctx.led.totals()).ok);
}

TEST_CASE("polarity is applied to the wiring (wrong polarity = stuck line)") {
  bench b;
  b.rte(18, LEVEL | 0x60);  // active high programmed on an active-low PCI pin: idle line looks asserted
  REQUIRE(b.sink.got.size() == 1);
  b.io.set_intx(18, true);  // the device asserting drives the line low: deasserted to the IOAPIC
  CHECK_FALSE(b.io.line_asserted(18));
  b.io.eoi_broadcast(0x60);
  CHECK(b.sink.got.size() == 1);
  CHECK(check_conservation(b.ctx.led.totals()).ok);
}

TEST_CASE("remappable-format entry becomes a remappable MSI") {
  bench b;
  const uint64_t index = 0x9234;  // index[15] in bit 11, index[14:0] in bits 63:49
  uint64_t e = rte::INTERRUPT_FORMAT.set(0, 1);
  e = rte::INTERRUPT_INDEX.set(e, index & 0x7FFF);
  e = rte::DEST_MODE.set(e, index >> 15);
  e |= 0x55;
  b.rte(5, e);
  b.io.set_pin(5, true);
  REQUIRE(b.sink.got.size() == 1);
  CHECK(b.sink.got[0].addr == (0xFEE0'0000u | (0x1234u << 5) | 0x10u | 0x4u));
  CHECK(b.sink.got[0].data == 0x55);
  CHECK(check_conservation(b.ctx.led.totals()).ok);
}

TEST_CASE("ids carried by an INTx line are delivered instead of new ones, or lost on deassert") {
  bench b;
  b.rte(19, LEVEL | LOW | 0x70);
  const source_id s = b.ctx.led.add_source("dev/msix/0");
  const event_id a = b.ctx.led.raise(s, 0);
  b.io.set_intx(19, true, {&a, 1});
  REQUIRE(b.sink.got.size() == 1);
  CHECK(b.sink.got[0].events == std::vector<event_id>{a});
  // more ids while Remote IRR is set wait for the EOI re-delivery
  const event_id c = b.ctx.led.raise(s, 0);
  b.io.set_intx(19, true, {&c, 1});
  CHECK(b.sink.got.size() == 1);
  b.io.eoi_broadcast(0x70);
  REQUIRE(b.sink.got.size() == 2);
  CHECK(b.sink.got[1].events == std::vector<event_id>{c});
  // masked: ids wait; deassert before delivery loses them
  b.io.set_intx(19, false);
  b.io.eoi_broadcast(0x70);
  b.rte(19, MASKED | LEVEL | LOW | 0x70);
  const event_id d = b.ctx.led.raise(s, 0);
  b.io.set_intx(19, true, {&d, 1});
  b.io.set_intx(19, false);
  auto t = b.ctx.led.totals();
  CHECK(t.raised == 3);
  CHECK(t.handled == 2);
  CHECK(t.lost_by_cause["intx_deasserted"] == 1);
  CHECK(check_conservation(t).ok);
}

TEST_CASE("an NMI entry is edge whatever its Trigger Mode: no Remote IRR, an edge message, no EOI wait") {
  bench b;
  b.rte(5, 0x0100'0000'0000'0000ull | LEVEL | (4u << 8));  // dest 1, NMI, trigger mode level
  b.io.set_pin(5, true);
  REQUIRE(b.sink.got.size() == 1);
  CHECK(b.sink.got[0].data == 0x400);           // delivery mode NMI, edge (bits 14-15 clear)
  CHECK((b.rte(5) & RIRR) == 0);                 // no Remote IRR to wait for an EOI that never comes
  b.io.set_pin(5, true);                         // still high: an edge entry sends nothing more
  CHECK(b.sink.got.size() == 1);
  b.io.set_pin(5, false);
  b.io.set_pin(5, true);                         // the next rising edge goes out
  CHECK(b.sink.got.size() == 2);
  CHECK(b.ctx.led.totals().raised == 2);
  CHECK(check_conservation(b.ctx.led.totals()).ok);
}
