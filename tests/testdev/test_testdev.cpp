// The test endpoint end to end: testdev below a root port, root complex, IOAPIC, recording sinks.
#include <catch2/catch.hpp>

#include "fabric/error.h"
#include "fabric/interconnect.h"
#include "fabric/memory.h"
#include "models/ioapic/ioapic.h"
#include "models/pcie/topology.h"
#include "models/testdev/testdev.h"
#include "tests/pcie/bench.h"

using namespace irqf;
using namespace irqf::test;
using testdev_t = irqf::testdev::testdev;

namespace {
struct bench {
  static constexpr uint64_t bar0 = 0xD000'0000, ioapic_base = 0xFEC0'0000;
  sim_context ctx;
  interconnect host{"host", ctx, param_values(interconnect::schema())};
  sparse_memory mem{"mem", ctx, param_values(sparse_memory::schema())};
  pcie::root_complex rc{"rc", ctx, param_values(pcie::root_complex::schema())};
  irqf::ioapic::ioapic io{"ioapic0", ctx, param_values(irqf::ioapic::ioapic::schema())};
  msi_sink sink{"sink", ctx};    // behind the root complex's interrupt path
  msi_sink isink{"isink", ctx};  // behind the IOAPIC
  cpu_port cpu{"cpu", ctx};
  std::unique_ptr<testdev_t> td;
  explicit bench(param_values p = param_values(testdev_t::schema())) {
    td = std::make_unique<testdev_t>("testdev0", ctx, p);
    pcie::bridge_port& rp = rc.add_root_port(1, "rp0");
    rc.attach(*td, &rp, 0);
    rc.enumerate();
    for (auto& e : rc.functions()) host.map_config(e.id, e.fn->cfg, std::string(e.fn->name()) + ".cfg");
    host.map(bar0, irqf::testdev::BAR0_SIZE, td->mmio(0), "testdev0.bar0", true);
    host.map(ioapic_base, 0x1000, io.mmio, "ioapic0", true);
    rc.ir_out.bind(sink.in);
    rc.mem_out.bind(mem.socket);
    io.irq_out.bind(isink.in);
    cpu.out.bind(host.in);
    rc.set_intx_sink([this](unsigned g, bool l, std::span<const event_id> ev) { io.set_intx(g, l, ev); });
    sc_core::sc_start(sc_core::SC_ZERO_TIME);
    td->assign_bar(0, bar0);
  }
  uint64_t cfg(uint16_t off) { return host.ecam_address(td->id(), off); }
  std::string src(event_id e) { return ctx.led.source_name(ctx.led.record(e).source); }
  void ioapic_rte(unsigned pin, uint64_t v) {
    cpu.wr(ioapic_base, 0x11 + 2 * pin);
    cpu.wr(ioapic_base + 0x10, uint32_t(v >> 32));
    cpu.wr(ioapic_base, 0x10 + 2 * pin);
    cpu.wr(ioapic_base + 0x10, uint32_t(v));
  }
};
}  // namespace

TEST_CASE("MSI-X event through the root complex with its requester ID and ledger source") {
  bench b;
  CHECK(b.td->id().str() == "01:00.0");
  CHECK(b.cpu.rd(b.cfg(0)) == 0x0005'1B36u);
  b.cpu.wr(b.bar0 + 2 * 16 + 0, 0xFEE0'3000u);
  b.cpu.wr(b.bar0 + 2 * 16 + 8, 0x45);
  b.cpu.wr(b.bar0 + 2 * 16 + 12, 0);
  b.cpu.wr(b.cfg(0xA2), 0x8000, 2);
  const event_id e = b.td->raise("msix", 2);
  REQUIRE(b.sink.got.size() == 1);
  CHECK(b.sink.got[0].addr == 0xFEE0'3000u);
  CHECK(b.sink.got[0].data == 0x45);
  CHECK(b.sink.got[0].rid == 0x0100);
  CHECK(b.sink.got[0].events == std::vector<event_id>{e});
  CHECK(b.src(e) == "testdev0/msix/2");
  CHECK_THROWS_AS(b.td->raise("msix", 8), input_error);
  CHECK_THROWS_AS(b.td->raise("foo", 0), input_error);
  CHECK(check_conservation(b.ctx.led.totals()).ok);
}

TEST_CASE("DMT masked latch, unmask sends with PASID, drop policy loses ims_masked_drop") {
  bench b;
  const uint64_t ent = b.bar0 + irqf::testdev::DMT_BASE + 16 * 3;
  b.cpu.wr(ent + 0, 0xFEE0'1000u);
  b.cpu.wr(ent + 8, 0x66);
  b.td->raise("dmt", 3);
  b.td->raise("dmt", 3);
  CHECK(b.cpu.rd(ent + 12) == 0x3);  // Mask + Pending
  CHECK(b.sink.got.empty());
  b.cpu.wr(ent + 12, 0x0000'5008u);  // PASID 5, PASID enable, unmask
  REQUIRE(b.sink.got.size() == 1);
  CHECK(b.sink.got[0].data == 0x66);
  CHECK(b.sink.got[0].has_pasid);
  CHECK(b.sink.got[0].pasid == 5);
  CHECK(b.sink.got[0].events.size() == 2);
  CHECK(b.cpu.rd(ent + 12) == 0x0000'5008u);
  CHECK(b.src(b.sink.got[0].events[0]) == "testdev0/ims/3");
  // TRIGGER doorbell: kind 2 (dmt) index 3
  b.cpu.wr(b.bar0 + irqf::testdev::REG_TRIGGER, (2u << 16) | 3);
  CHECK(b.sink.got.size() == 2);
  auto t = b.ctx.led.totals();
  CHECK(t.handled == 2);
  CHECK(t.merged == 1);
  CHECK(check_conservation(t).ok);

  // policy drop (dmt_masked_policy=drop): a second store on the same function, masked at reset
  irqf::pcie::ims_table drop_store(b.ctx, *b.td, "testdev0-drop", 2, irqf::pcie::ims_masked_policy::drop,
                                   b.td->track());
  const event_id d = b.ctx.led.raise(drop_store.source(0), now_ps());
  drop_store.event(0, d);
  CHECK(b.ctx.led.totals().lost_by_cause["ims_masked_drop"] == 1);
  CHECK(check_conservation(b.ctx.led.totals()).ok);
}

TEST_CASE("raw writes with forged requester IDs, DMA before MSI") {
  bench b;
  const event_id e = b.td->raw_write(0xFEE0'0000u, 0x0000'0031u, 0xABCD);
  REQUIRE(b.sink.got.size() == 1);
  CHECK(b.sink.got[0].rid == 0xABCD);
  CHECK(b.sink.got[0].data == 0x31);
  CHECK(b.src(e) == "testdev0/raw/0");
  CHECK(b.td->raw_write(0x5000, 0x1234'5678u, 0xABCD) == 0);
  CHECK(b.mem.load<uint32_t>(0x5000) == 0x1234'5678u);
  // DMA then MSI: the completion record is in memory when the MSI arrives
  b.cpu.wr(b.cfg(0x84), 0xFEE0'0000u);
  b.cpu.wr(b.cfg(0x8C), 0x51, 2);
  b.cpu.wr(b.cfg(0x82), 1, 2);
  uint32_t seen = 0;
  b.sink.hook = [&](const msi_sink::rec&) { seen = b.mem.load<uint32_t>(0x8000); };
  const uint8_t rec[4] = {0xEF, 0xBE, 0xAD, 0xDE};
  b.td->dma_write(0x8000, rec);
  b.td->raise("msi", 0);
  REQUIRE(b.sink.got.size() == 2);
  CHECK(seen == 0xDEAD'BEEFu);
  CHECK(b.sink.got[1].data == 0x51);
  CHECK(check_conservation(b.ctx.led.totals()).ok);
}

TEST_CASE("INTx through root port swizzle to the IOAPIC, level re-delivery, acknowledge") {
  bench b;
  // 01:00.0 INTA -> root port 00:01.0 pin A -> GSI 16 + (1 + 0) % 4 = 17 (active low, level)
  b.ioapic_rte(17, (1u << 15) | (1u << 13) | 0x61);
  b.td->intx(true);
  REQUIRE(b.isink.got.size() == 1);
  CHECK(b.isink.got[0].data == 0xC061u);
  CHECK(b.isink.got[0].rid == 0xF0F8);
  CHECK(b.src(b.isink.got[0].events[0]) == "ioapic0/pin/17");
  b.io.eoi_broadcast(0x61);  // handler did not acknowledge the device: delivered again
  CHECK(b.isink.got.size() == 2);
  b.cpu.wr(b.bar0 + irqf::testdev::REG_INTX, 0);  // driver acknowledges
  CHECK_FALSE(b.rc.gsi_level(17));
  b.io.eoi_broadcast(0x61);
  CHECK(b.isink.got.size() == 2);
  auto t = b.ctx.led.totals();
  CHECK(t.raised == 2);
  CHECK(t.handled == 2);
  CHECK(check_conservation(t).ok);
}

TEST_CASE("msix_disabled_policy=intx carries the MSI-X event to the IOAPIC") {
  param_values p(testdev_t::schema());
  p.set("msix_disabled_policy", std::string("intx"));
  bench b(p);
  b.ioapic_rte(17, (1u << 15) | (1u << 13) | 0x62);
  const event_id e = b.td->raise("msix", 1);
  REQUIRE(b.isink.got.size() == 1);
  CHECK(b.isink.got[0].events == std::vector<event_id>{e});
  CHECK(b.src(e) == "testdev0/msix/1");
  auto t = b.ctx.led.totals();
  CHECK(t.raised == 1);
  CHECK(t.handled == 1);
  CHECK(check_conservation(t).ok);
}
