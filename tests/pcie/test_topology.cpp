// Topology: depth-first bus numbering, bridge bus registers, requester IDs, INTx swizzle and
// wire-OR (PCIe §2.2.8.1; Linux pci_common_swizzle).
#include "tests/pcie/fixture.h"

using namespace irqf;
using namespace irqf::test;

namespace {
pcie::function_config ep_config(uint8_t pin) {
  pcie::function_config c;
  c.device_id = 0x0BAD;
  c.interrupt_pin = pin;
  c.bars = {{0, 0x1000, false, false}};
  return c;
}

struct topo {
  sim_context ctx;
  sparse_memory mem{"mem", ctx, param_values(sparse_memory::schema())};
  interconnect host{"host", ctx, param_values(interconnect::schema())};
  pcie::root_complex rc{"rc", ctx, param_values(pcie::root_complex::schema())};
  msi_sink sink{"sink", ctx};
  pcie::pcie_function a{"epa", ctx, ep_config(1)};   // INTA, below switch downstream port 1
  pcie::pcie_function c{"epc", ctx, ep_config(2)};   // INTB, below switch downstream port 0
  pcie::pcie_function b{"epb", ctx, ep_config(2)};   // INTB, below root port 2
  pcie::pcie_function r{"rcie", ctx, ep_config(1)};  // INTA, integrated at 00:05.0
  pcie::bridge_port* rp0 = nullptr;
  pcie::bridge_port* rp1 = nullptr;
  pcie::pcie_switch sw;
  std::vector<pin_event> pins;
  bar_stub stub{"stub", 5};  // 4 BARs + the host interconnect's initiator
  topo() {
    rp0 = &rc.add_root_port(1, "rp0");
    rp1 = &rc.add_root_port(2, "rp1");
    sw = rc.add_switch(*rp0, 2, "sw");
    rc.attach(a, sw.downstream[1], 0);
    rc.attach(c, sw.downstream[0], 0);
    rc.attach(b, rp1, 0);
    rc.attach(r, nullptr, 5);
    rc.enumerate();
    for (auto& e : rc.functions()) host.map_config(e.id, e.fn->cfg, std::string(e.fn->name()) + ".cfg");
    rc.ir_out.bind(sink.in);
    rc.mem_out.bind(mem.socket);
    unsigned k = 0;
    for (pcie::pcie_function* f : {&a, &b, &c, &r}) {
      stub.out[k++].bind(f->mmio(0));  // BARs unmapped in this test
      f->config_write(pcie::cfgreg::COMMAND, 0x6, 2);
    }
    stub.out[4].bind(host.in);
    rc.set_intx_sink([this](unsigned g, bool l, std::span<const event_id> ev) {
      pins.push_back({g, l, {ev.begin(), ev.end()}});
    });
    sc_core::sc_start(sc_core::SC_ZERO_TIME);
  }
};
}  // namespace

TEST_CASE("topology: depth-first bus numbers, bridge registers and requester IDs") {
  topo t;
  CHECK(t.rp0->id().str() == "00:01.0");
  CHECK(t.sw.upstream->id().str() == "01:00.0");
  CHECK(t.sw.downstream[0]->id().str() == "02:00.0");
  CHECK(t.sw.downstream[1]->id().str() == "02:01.0");
  CHECK(t.c.id().str() == "03:00.0");
  CHECK(t.a.id().str() == "04:00.0");
  CHECK(t.rp1->id().str() == "00:02.0");
  CHECK(t.b.id().str() == "05:00.0");
  CHECK(t.r.id().str() == "00:05.0");
  auto bus = [](pcie::pcie_function* f) { return f->config_read(0x18, 4) & 0xFFFFFF; };
  CHECK(bus(t.rp0) == 0x040100u);            // primary 0, secondary 1, subordinate 4
  CHECK(bus(t.sw.upstream) == 0x040201u);
  CHECK(bus(t.sw.downstream[0]) == 0x030302u);
  CHECK(bus(t.sw.downstream[1]) == 0x040402u);
  CHECK(bus(t.rp1) == 0x050500u);
  CHECK(t.rp0->config_read(0x0E, 1) == 1);   // type 1 header
  CHECK(t.rp0->config_read(0x42, 2) == 0x42);  // root port, cap version 2
  // Device/Port Type (PCIe §7.5.3.2): endpoints below ports are 0000b, one on bus 0 is an RCiEP
  // (1001b), switch ports are 0101b/0110b.
  CHECK(t.a.config_read(0x42, 2) == 0x02);
  CHECK(t.b.config_read(0x42, 2) == 0x02);
  CHECK(t.r.config_read(0x42, 2) == 0x92);
  CHECK(t.r.config().type == pcie::port_type::rc_integrated);
  CHECK(t.sw.upstream->config_read(0x42, 2) == 0x52);
  CHECK(t.sw.downstream[0]->config_read(0x42, 2) == 0x62);
  CHECK(t.rc.functions().size() == 9);
  CHECK(t.rc.find(bdf{4, 0, 0}) == &t.a);
  uint32_t v = 7;
  t.a.dma_write(0x100, &v, 4);
  t.a.send_raw(0xFEE0'0000u, 0x40, t.a.id().rid(), {});
  REQUIRE(t.sink.got.size() == 1);
  CHECK(t.sink.got[0].rid == 0x0400);
  CHECK(t.mem.load<uint32_t>(0x100) == 7);
  CHECK(t.ctx.led.totals().raised == 0);  // a raw message carries no ledger event
  CHECK(check_conservation(t.ctx.led.totals()).ok);
}

TEST_CASE("topology: INTx swizzle across bridges and wire-OR per pin") {
  topo t;
  // epa 04:00.0 INTA -> dn1(slot 1): INTB -> up(slot 0): INTB -> rp0 slot 1 pin B -> 16+(1+1)%4
  t.a.raise_intx(true);
  REQUIRE(t.pins.size() == 1);
  CHECK(t.pins[0].gsi == 18);
  CHECK(t.pins[0].level);
  // epc 03:00.0 INTB -> dn0(slot 0): INTB -> up: INTB: same wire as epa -> no new message
  t.c.raise_intx(true);
  CHECK(t.pins.size() == 1);
  CHECK(t.sw.upstream->asserted_count(1) == 2);
  t.a.raise_intx(false);
  CHECK(t.pins.size() == 1);  // still held by epc
  t.c.raise_intx(false);
  REQUIRE(t.pins.size() == 2);
  CHECK_FALSE(t.pins[1].level);
  // epb 05:00.0 INTB -> rp1 slot 2 pin B -> 16+(2+1)%4 = 19
  t.b.raise_intx(true);
  CHECK(t.pins.back().gsi == 19);
  // integrated 00:05.0 INTA -> 16+(5+0)%4 = 17
  t.r.raise_intx(true);
  CHECK(t.pins.back().gsi == 17);
  CHECK(t.rc.gsi_level(17));
  CHECK_FALSE(t.rc.gsi_level(18));
  // INTx Disable deasserts; Interrupt Status keeps the condition
  t.r.config_write(pcie::cfgreg::COMMAND, 0x406, 2);
  CHECK(t.pins.back().gsi == 17);
  CHECK_FALSE(t.pins.back().level);
  CHECK((t.r.config_read(6, 2) & 8) == 8);
  CHECK(t.ctx.led.totals().raised == 0);  // raise_intx without event ids: wires only
  CHECK(check_conservation(t.ctx.led.totals()).ok);
}
