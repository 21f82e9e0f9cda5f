#pragma once
// One endpoint ("dev0", MSI with 8 vectors + 64-bit + per-vector masking, MSI-X with 16 entries
// in BAR0: table at 0x0, PBA at 0x2000) as a root-complex integrated endpoint at 00:03.0, host
// interconnect with ECAM and BAR0 at 0xC000_0000, memory, and a recording interrupt sink.
#include <catch2/catch.hpp>

#include <tuple>
#include <vector>

#include "fabric/interconnect.h"
#include "fabric/memory.h"
#include "models/pcie/config_regs.h"
#include "models/pcie/topology.h"
#include "tests/pcie/bench.h"

namespace irqf::test {

struct dut : pcie::pcie_function {
  using pcie_function::pcie_function;
  uint64_t scratch = 0;
  uint64_t bar_read(int, uint64_t off, unsigned) override { return off == 0x3000 ? scratch : 0; }
  void bar_write(int, uint64_t off, uint64_t v, unsigned) override {
    if (off == 0x3000) scratch = v;
  }
};

inline pcie::function_config dut_config() {
  pcie::function_config c;
  c.device_id = 0x1234;
  c.bars = {{0, 0x4000, true, false}};
  c.msi = pcie::msi_config{8, true, true};
  c.msix = pcie::msix_config{16, 0, 0, 0, 0x2000, pcie::msix_disabled_policy::drop};
  return c;
}

struct pin_event {
  unsigned gsi;
  bool level;
  std::vector<event_id> events;
};

struct fixture {
  static constexpr uint64_t bar0 = 0xC000'0000;
  sim_context ctx;
  interconnect host{"host", ctx, param_values(interconnect::schema())};
  sparse_memory mem{"mem", ctx, param_values(sparse_memory::schema())};
  pcie::root_complex rc{"rc", ctx, param_values(pcie::root_complex::schema())};
  msi_sink sink{"sink", ctx};
  cpu_port cpu{"cpu", ctx};
  dut f{"dev0", ctx, dut_config()};
  std::vector<pin_event> pins;

  fixture() {
    rc.attach(f, nullptr, 3);
    rc.enumerate();
    rc.ir_out.bind(sink.in);
    rc.mem_out.bind(mem.socket);
    cpu.out.bind(host.in);
    host.map_config(f.id(), f.cfg, "dev0.cfg");
    host.map(bar0, 0x4000, f.mmio(0), "dev0.bar0", true);
    rc.set_intx_sink([this](unsigned g, bool l, std::span<const event_id> ev) {
      pins.push_back({g, l, {ev.begin(), ev.end()}});
      if (!ev.empty()) ctx.led.settle_handled(ev, now_ps());
    });
    sc_core::sc_start(sc_core::SC_ZERO_TIME);
    f.assign_bar(0, bar0);
  }
  uint64_t cfg(uint16_t off) { return host.ecam_address(f.id(), off); }
  event_id raise_msix(unsigned i) {
    const event_id ev = ctx.led.raise(f.msix()->source(i), now_ps());
    f.msix()->event(i, ev);
    return ev;
  }
  event_id raise_msi(unsigned i) {
    const event_id ev = ctx.led.raise(f.msi()->source(i), now_ps());
    f.msi()->event(i, ev);
    return ev;
  }
  // MSI-X entry i programmed through BAR0 (address 0xFEE0_0000 | dest << 12, data = vector).
  void program_entry(unsigned i, uint8_t dest, uint32_t data, bool masked) {
    cpu.wr(bar0 + 16 * i + 0, 0xFEE0'0000u | uint32_t(dest) << 12);
    cpu.wr(bar0 + 16 * i + 4, 0);
    cpu.wr(bar0 + 16 * i + 8, data);
    cpu.wr(bar0 + 16 * i + 12, masked ? 1 : 0);
  }
  void msix_control(bool enable, bool fmask) {
    cpu.wr(cfg(pcie::cfgreg::MSIX_CAP + 2), (enable ? 0x8000 : 0) | (fmask ? 0x4000 : 0), 2);
  }
  uint64_t pba() { return cpu.rd(bar0 + 0x2000, 8); }
};

}  // namespace irqf::test
