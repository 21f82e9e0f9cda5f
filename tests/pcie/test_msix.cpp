// MSI-X (PCIe §7.7.2, §6.1.4.3-5): mask/unmask/pending, Function Mask, Enable-clear policies, PBA.
#include "tests/pcie/fixture.h"

using namespace irqf;
using namespace irqf::test;

TEST_CASE("msix: capability, table reset state and BAR decode") {
  fixture fx;
  CHECK(fx.cpu.rd(fx.cfg(0), 4) == 0x12348086u);
  CHECK(fx.cpu.rd(fx.cfg(0x34), 1) == 0x40);
  CHECK(fx.cpu.rd(fx.cfg(0xA0), 2) == 0x0011);          // MSI-X ID, end of list
  CHECK(fx.cpu.rd(fx.cfg(0xA2), 2) == 15);              // Table Size N-1
  CHECK(fx.cpu.rd(fx.cfg(0xA4), 4) == 0x0);             // table BIR 0 offset 0
  CHECK(fx.cpu.rd(fx.cfg(0xA8), 4) == 0x2000);          // PBA BIR 0 offset 0x2000
  for (unsigned i = 0; i < 16; ++i) CHECK(fx.cpu.rd(fx.bar0 + 16 * i + 12) == 1);  // masked at reset
  fx.cpu.wr(fx.bar0 + 0x3000, 0xABCD, 4);               // device register outside table/PBA
  CHECK(fx.f.scratch == 0xABCD);
  // BAR sizing and read-back
  CHECK(fx.cpu.rd(fx.cfg(0x10)) == 0xC000'0004u);       // 64-bit, assigned by firmware
  fx.cpu.wr(fx.cfg(0x10), 0xFFFF'FFFFu);
  CHECK(fx.cpu.rd(fx.cfg(0x10)) == 0xFFFF'C004u);       // 16 KiB
  fx.cpu.wr(fx.cfg(0x10), 0xC000'0000u);
  CHECK(fx.f.bar_address(0) == 0xC000'0000u);
  CHECK(fx.f.read_register("MSIX[3].VECTOR_CONTROL") == 1u);
  CHECK(fx.f.read_register("MSIX.MESSAGE_CONTROL") == 15u);
  CHECK_FALSE(fx.f.read_register("MSIX[16].DATA").has_value());
}

TEST_CASE("msix: masked entry latches pending, second event merges, unmask sends once and clears") {
  fixture fx;
  fx.program_entry(3, 2, 0x41, true);
  fx.msix_control(true, false);
  const event_id a = fx.raise_msix(3);
  CHECK(fx.sink.got.empty());
  CHECK(fx.pba() == 0x8);
  const event_id b = fx.raise_msix(3);
  CHECK(fx.pba() == 0x8);  // merged into the one pending bit
  CHECK(fx.f.msix()->pending_events(3).size() == 2);
  fx.cpu.wr(fx.bar0 + 16 * 3 + 12, 0);  // unmask
  REQUIRE(fx.sink.got.size() == 1);
  CHECK(fx.sink.got[0].addr == 0xFEE0'2000u);
  CHECK(fx.sink.got[0].data == 0x41);
  CHECK(fx.sink.got[0].rid == 0x0018);  // 00:03.0
  CHECK(fx.sink.got[0].events == std::vector<event_id>{a, b});
  CHECK(fx.pba() == 0);
  // unmasked now: an event goes straight out
  fx.raise_msix(3);
  CHECK(fx.sink.got.size() == 2);
  CHECK(fx.pba() == 0);
  auto t = fx.ctx.led.totals();
  CHECK(t.raised == 3);
  CHECK(t.handled == 2);
  CHECK(t.merged == 1);
  CHECK(check_conservation(t).ok);
}

TEST_CASE("msix: Function Mask masks all entries without touching their mask bits") {
  fixture fx;
  fx.program_entry(0, 0, 0x30, false);
  fx.program_entry(1, 0, 0x31, false);
  fx.program_entry(2, 0, 0x32, true);
  fx.msix_control(true, true);
  fx.raise_msix(0);
  fx.raise_msix(1);
  fx.raise_msix(2);
  CHECK(fx.sink.got.empty());
  CHECK(fx.pba() == 0x7);
  CHECK(fx.cpu.rd(fx.bar0 + 0 * 16 + 12) == 0);
  CHECK(fx.cpu.rd(fx.bar0 + 1 * 16 + 12) == 0);
  CHECK(fx.cpu.rd(fx.bar0 + 2 * 16 + 12) == 1);
  fx.msix_control(true, false);  // clear Function Mask: only entries unmasked per vector go out
  REQUIRE(fx.sink.got.size() == 2);
  CHECK(fx.sink.got[0].data == 0x30);
  CHECK(fx.sink.got[1].data == 0x31);
  CHECK(fx.pba() == 0x4);
  fx.cpu.wr(fx.bar0 + 2 * 16 + 12, 0);
  REQUIRE(fx.sink.got.size() == 3);
  CHECK(fx.sink.got[2].data == 0x32);
  CHECK(fx.pba() == 0);
  CHECK(fx.ctx.led.totals().handled == 3);
  CHECK(check_conservation(fx.ctx.led.totals()).ok);
}

TEST_CASE("msix: Enable clear with policy drop loses the event (msix_disabled), no PBA bit") {
  fixture fx;
  fx.program_entry(0, 0, 0x30, false);
  fx.raise_msix(0);
  CHECK(fx.pba() == 0);
  fx.msix_control(true, false);
  CHECK(fx.sink.got.empty());
  auto t = fx.ctx.led.totals();
  CHECK(t.lost == 1);
  CHECK(t.lost_by_cause["msix_disabled"] == 1);
  CHECK(check_conservation(t).ok);
}

TEST_CASE("msix: Enable clear with policy latch sets pending, sent after re-enable and unmask") {
  fixture fx;
  fx.f.msix()->set_disabled_policy(pcie::msix_disabled_policy::latch);
  fx.program_entry(0, 0, 0x30, false);
  fx.program_entry(1, 0, 0x31, true);
  fx.raise_msix(0);
  fx.raise_msix(1);
  fx.raise_msix(1);
  CHECK(fx.pba() == 0x3);
  fx.msix_control(true, false);  // entry 0 unmasked: released; entry 1 still masked
  REQUIRE(fx.sink.got.size() == 1);
  CHECK(fx.sink.got[0].data == 0x30);
  CHECK(fx.pba() == 0x2);
  fx.cpu.wr(fx.bar0 + 16 + 12, 0);
  REQUIRE(fx.sink.got.size() == 2);
  CHECK(fx.sink.got[1].events.size() == 2);
  auto t = fx.ctx.led.totals();
  CHECK(t.handled == 2);
  CHECK(t.merged == 1);
  CHECK(t.lost == 0);
  CHECK(check_conservation(t).ok);
}

TEST_CASE("msix: Enable clear with policy intx asserts INTx, or loses with intx_disabled") {
  fixture fx;
  fx.f.msix()->set_disabled_policy(pcie::msix_disabled_policy::intx);
  const event_id a = fx.raise_msix(5);
  REQUIRE(fx.pins.size() == 1);
  CHECK(fx.pins[0].gsi == 16 + (3 + 0) % 4);  // 00:03.0 INTA -> PIRQ D -> GSI 19
  CHECK(fx.pins[0].level);
  CHECK(fx.pins[0].events == std::vector<event_id>{a});
  CHECK((fx.cpu.rd(fx.cfg(6), 2) & 0x8) == 0x8);  // Status.Interrupt Status
  fx.f.raise_intx(false);                         // device acknowledges the cause
  REQUIRE(fx.pins.size() == 2);
  CHECK_FALSE(fx.pins[1].level);
  CHECK((fx.cpu.rd(fx.cfg(6), 2) & 0x8) == 0);
  fx.cpu.wr(fx.cfg(4), 0x0406, 2);  // INTx Disable
  fx.raise_msix(5);
  CHECK(fx.pins.size() == 2);
  auto t = fx.ctx.led.totals();
  CHECK(t.handled == 1);
  CHECK(t.lost_by_cause["intx_disabled"] == 1);
  CHECK(check_conservation(t).ok);
}

TEST_CASE("msix: PBA is read-only, a table write to an unmasked entry is used at once") {
  fixture fx;
  fx.program_entry(0, 0, 0x30, true);
  fx.msix_control(true, false);
  fx.raise_msix(0);
  fx.cpu.wr(fx.bar0 + 0x2000, 0, 8);
  CHECK(fx.pba() == 1);
  fx.cpu.wr(fx.bar0 + 12, 0);
  fx.cpu.wr(fx.bar0 + 8, 0x55);  // rewrite data while unmasked ("immediate" policy)
  fx.raise_msix(0);
  REQUIRE(fx.sink.got.size() == 2);
  CHECK(fx.sink.got[0].data == 0x30);
  CHECK(fx.sink.got[1].data == 0x55);
  // QWORD write of data + vector control applies the data before unmasking
  fx.cpu.wr(fx.bar0 + 12, 1);
  fx.raise_msix(0);
  fx.cpu.wr(fx.bar0 + 8, 0x0000'0000'0000'0066ull, 8);
  REQUIRE(fx.sink.got.size() == 3);
  CHECK(fx.sink.got[2].data == 0x66);
  CHECK(check_conservation(fx.ctx.led.totals()).ok);
}

TEST_CASE("msix: message with Bus Master Enable clear is dropped and explained") {
  fixture fx;
  fx.program_entry(0, 0, 0x30, false);
  fx.msix_control(true, false);
  fx.cpu.wr(fx.cfg(4), 0x0002, 2);  // memory space only
  fx.raise_msix(0);
  CHECK(fx.sink.got.empty());
  auto t = fx.ctx.led.totals();
  CHECK(t.lost_by_cause["msi_disabled"] == 1);
  CHECK(check_conservation(t).ok);
}
