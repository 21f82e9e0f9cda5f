// MSI (PCIe §7.7.1, §6.1.4.1): multi-message data bits, per-vector Mask/Pending, posted ordering,
// upstream routing.
#include <cstring>

#include "tests/pcie/fixture.h"

using namespace irqf;
using namespace irqf::test;

namespace {
// 64-bit MSI with PVM at 0x80: control +2, addr +4, upper +8, data +0xC, mask +0x10, pending +0x14.
void program_msi(fixture& fx, unsigned mme, uint32_t data) {
  fx.cpu.wr(fx.cfg(0x84), 0xFEE0'1000u);
  fx.cpu.wr(fx.cfg(0x88), 0);
  fx.cpu.wr(fx.cfg(0x8C), data, 2);
  fx.cpu.wr(fx.cfg(0x82), (mme << 4) | 1, 2);
}
}  // namespace

TEST_CASE("msi: capability layout and MME clamped to MMC") {
  fixture fx;
  CHECK(fx.cpu.rd(fx.cfg(0x80), 2) == 0xA005);          // MSI, next = MSI-X at 0xA0
  CHECK(fx.cpu.rd(fx.cfg(0x82), 2) == (3 << 1 | 1 << 7 | 1 << 8));  // MMC=3 (8), 64-bit, PVM
  fx.cpu.wr(fx.cfg(0x82), 5 << 4, 2);
  CHECK((fx.cpu.rd(fx.cfg(0x82), 2) >> 4 & 7) == 3);
  CHECK(fx.cpu.rd(fx.cfg(0x42), 2) == 0x0092);          // PCIe cap v2, RCiEP (on bus 0, §7.5.3.2)
  CHECK(fx.cpu.rd(fx.cfg(0x40), 2) == 0x8010);
  // Device Control (§7.5.3.4): Initiate FLR reads 0, Phantom Functions / Aux Power are hardwired 0.
  CHECK(fx.cpu.rd(fx.cfg(0x48), 2) == 0x2810);
  fx.cpu.wr(fx.cfg(0x48), 0xFFFF, 2);
  CHECK(fx.cpu.rd(fx.cfg(0x48), 2) == 0x79FF);
}

TEST_CASE("msi: multi-message ORs the vector into the low MME data bits") {
  fixture fx;
  program_msi(fx, 2, 0x4020);  // 4 vectors granted; base data 0x4020
  fx.raise_msi(3);
  fx.raise_msi(1);
  fx.raise_msi(6);  // beyond the 4 granted: vector 0
  REQUIRE(fx.sink.got.size() == 3);
  CHECK(fx.sink.got[0].data == 0x4023);
  CHECK(fx.sink.got[1].data == 0x4021);
  CHECK(fx.sink.got[2].data == 0x4020);
  CHECK(fx.sink.got[0].addr == 0xFEE0'1000u);
  // software must align the data; the function replaces the low MME bits
  program_msi(fx, 3, 0x0047);
  fx.raise_msi(2);
  CHECK(fx.sink.got[3].data == 0x0042);
  CHECK(check_conservation(fx.ctx.led.totals()).ok);
  CHECK(fx.ctx.led.totals().handled == 4);
}

TEST_CASE("msi: per-vector mask latches Pending, unmask sends and clears it") {
  fixture fx;
  program_msi(fx, 3, 0x50);
  fx.cpu.wr(fx.cfg(0x90), 0x02);  // mask vector 1
  const event_id a = fx.raise_msi(1);
  const event_id b = fx.raise_msi(1);
  CHECK(fx.sink.got.empty());
  CHECK(fx.cpu.rd(fx.cfg(0x94)) == 0x02);
  fx.cpu.wr(fx.cfg(0x94), 0);  // Pending is read-only
  CHECK(fx.cpu.rd(fx.cfg(0x94)) == 0x02);
  fx.cpu.wr(fx.cfg(0x90), 0x00);
  REQUIRE(fx.sink.got.size() == 1);
  CHECK(fx.sink.got[0].data == 0x51);
  CHECK(fx.sink.got[0].events == std::vector<event_id>{a, b});
  CHECK(fx.cpu.rd(fx.cfg(0x94)) == 0);
  auto t = fx.ctx.led.totals();
  CHECK(t.handled == 1);
  CHECK(t.merged == 1);
  CHECK(check_conservation(t).ok);
}

TEST_CASE("msi: disabled MSI falls back to INTx, INTx is off while MSI is enabled") {
  fixture fx;
  fx.raise_msi(0);
  REQUIRE(fx.pins.size() == 1);
  CHECK(fx.pins[0].level);
  program_msi(fx, 0, 0x60);  // enabling MSI deasserts INTx (condition stays in Status)
  REQUIRE(fx.pins.size() == 2);
  CHECK_FALSE(fx.pins[1].level);
  CHECK((fx.cpu.rd(fx.cfg(6), 2) & 0x8) == 0x8);
  fx.cpu.wr(fx.cfg(0x82), 0, 2);  // disable MSI: the still-present condition asserts again
  REQUIRE(fx.pins.size() == 3);
  CHECK(fx.pins[2].level);
  fx.f.raise_intx(false);
  fx.cpu.wr(fx.cfg(4), 0x0406, 2);  // INTx Disable + MSI off: nowhere to go
  fx.raise_msi(0);
  auto t = fx.ctx.led.totals();
  CHECK(t.lost_by_cause["msi_disabled"] == 1);
  CHECK(check_conservation(t).ok);
}

TEST_CASE("msi: an MSI never overtakes the function's earlier DMA writes") {
  fixture fx;
  program_msi(fx, 0, 0x70);
  bool record_visible = false;
  fx.sink.hook = [&](const msi_sink::rec&) { record_visible = fx.mem.load<uint64_t>(0x10'0000) == 0xC0FFEEull; };
  const uint64_t rec = 0xC0FFEEull;
  fx.f.dma_write(0x10'0000, &rec, 8);
  fx.raise_msi(0);
  REQUIRE(fx.sink.got.size() == 1);
  CHECK(record_visible);
  // the MSI is annotated no earlier than the DMA write's completion (80 ns memory latency)
  CHECK(fx.sink.got[0].delay == sc_core::sc_time(80, sc_core::SC_NS));
  CHECK(check_conservation(fx.ctx.led.totals()).ok);
}

TEST_CASE("msi: posted writes pipeline on the link and the MSI waits for the last one") {
  // 4 KiB of DMA = 64 writes of 64 bytes at 25 B/ns (2.56 ns each on the link), each then taking
  // the 80 ns memory latency: the last starts at 63 * 2.56 ns and is visible at 241.28 ns, and the
  // MSI after it is annotated exactly then (PCIe §2.4.1), not 64 * 80 ns as a serialised model says.
  fixture fx;
  program_msi(fx, 0, 0x70);
  unsigned char buf[4096] = {};
  fx.f.dma_write(0x20'0000, buf, sizeof buf);
  fx.raise_msi(0);
  REQUIRE(fx.sink.got.size() == 1);
  CHECK(fx.sink.got[0].delay == sc_core::sc_time(241280, sc_core::SC_PS));
  CHECK(check_conservation(fx.ctx.led.totals()).ok);
}

TEST_CASE("msi: a timing-only DMA transfer orders the MSI exactly like the real one") {
  // dma_write_timing (devices with functional data off) moves no bytes but occupies the link the same.
  unsigned char buf[64] = {};
  fixture fy;
  const uint64_t canary = 0xA5A5'A5A5'A5A5'A5A5ull;
  for (uint64_t a = 0x20'0000 + 64; a < 0x20'0000 + 4096; a += 8) fy.mem.write(a, &canary, 8);
  program_msi(fy, 0, 0x70);
  fy.f.dma_write(0x20'0000, buf, 64);  // one real write: 2.56 + 80 ns
  fy.f.dma_write_timing(4096 - 64);    // 63 more TLPs' worth on the link
  fy.raise_msi(0);
  REQUIRE(fy.sink.got.size() == 1);
  CHECK(fy.sink.got[0].delay == sc_core::sc_time(241280, sc_core::SC_PS));
  CHECK(fy.mem.load<uint64_t>(0x20'0000 + 64) == canary);  // nothing written past the real 64 bytes
  CHECK(fy.mem.load<uint64_t>(0x20'0000 + 4088) == canary);
  CHECK(check_conservation(fy.ctx.led.totals()).ok);
}

TEST_CASE("msi: upstream routing by address, requester ID, misdirected message") {
  fixture fx;
  unsigned char buf[100];
  for (unsigned i = 0; i < 100; ++i) buf[i] = uint8_t(i);
  fx.f.dma_write(0x2000, buf, 100);
  CHECK(fx.mem.load<uint8_t>(0x2000 + 99) == 99);
  unsigned char back[100] = {};
  CHECK(fx.f.dma_read(0x2000, back, 100));
  CHECK(std::memcmp(buf, back, 100) == 0);
  CHECK(fx.sink.got.empty());
  // software points an MSI-X entry at ordinary memory: a memory write, the event is lost
  fx.cpu.wr(fx.bar0 + 0, 0x0000'3000u);
  fx.cpu.wr(fx.bar0 + 8, 0xAB);
  fx.cpu.wr(fx.bar0 + 12, 0);
  fx.msix_control(true, false);
  fx.raise_msix(0);
  CHECK(fx.mem.load<uint32_t>(0x3000) == 0xAB);
  CHECK(fx.sink.got.empty());
  auto t = fx.ctx.led.totals();
  CHECK(t.lost_by_cause["msi_bad_address"] == 1);
  // forged write with any requester ID
  fx.f.send_raw(0xFEE0'0000u, 0x31, 0xBEEF, {});
  REQUIRE(fx.sink.got.size() == 1);
  CHECK(fx.sink.got[0].rid == 0xBEEF);
  CHECK(check_conservation(fx.ctx.led.totals()).ok);
}
