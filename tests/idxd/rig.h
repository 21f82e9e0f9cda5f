#pragma once
// Test platform for the idxd block: a dsa_device (or nic_device) whose upstream writes go through
// an interconnect to a sparse memory and to an MSI sink that records every interrupt message (with
// whether a watched completion record was already in memory) and settles its events as handled,
// standing in for the CPU + OS side. The test drives BAR0/BAR2 through its own initiator sockets.
#include <tlm_utils/simple_initiator_socket.h>
#include <tlm_utils/simple_target_socket.h>

#include <cstring>
#include <vector>

#include "fabric/context.h"
#include "fabric/interconnect.h"
#include "fabric/memory.h"
#include "fabric/message.h"
#include "models/idxd/dsa_device.h"
#include "models/pcie/config_regs.h"

namespace irqf::idxd::test {

struct msi_rec {
  uint64_t t_ps;  // arrival (sim time + annotated delay)
  uint64_t addr;
  uint32_t data;
  std::vector<event_id> events;
  uint8_t watched_status;  // status byte at `watch` when the message arrived
};

class msi_sink : public component {
 public:
  tlm_utils::simple_target_socket<msi_sink> socket;
  msi_sink(sc_core::sc_module_name nm, sim_context& c, sparse_memory& m)
      : component(nm, c), socket("socket"), mem(m) {
    socket.register_b_transport(this, &msi_sink::b_transport);
  }
  std::vector<msi_rec> got;
  uint64_t watch = 0;
  bool settle = true;  // settle events as handled on arrival (the OS ran the handler)

 private:
  void b_transport(tlm::tlm_generic_payload& gp, sc_core::sc_time& delay) {
    msi_rec r{(sc_core::sc_time_stamp() + delay).value(), gp.get_address(), msi_data_of(gp), {}, 0};
    if (auto* e = ext_of(gp)) r.events.assign(e->events.begin(), e->events.end());
    r.watched_status = mem.load<uint8_t>(watch);
    if (settle && !r.events.empty()) ctx.led.settle_handled(r.events, now_ps());
    got.push_back(r);
    gp.set_response_status(tlm::TLM_OK_RESPONSE);
  }
  sparse_memory& mem;
};

inline param_values mem_params() {
  param_values p(sparse_memory::schema());
  p.set("size_bytes", int64_t(1) << 32);
  p.set("latency_ns", int64_t(0));
  return p;
}

/// A DSA platform. Construct in a TEST_CASE (elaboration), then drive with sc_start.
struct dsa_rig : sc_core::sc_module {
  sim_context ctx;
  sparse_memory mem;
  msi_sink sink;
  interconnect up;
  dsa_device dev;
  tlm_utils::simple_initiator_socket<dsa_rig> bar0{"bar0_init"}, bar2{"bar2_init"},
      cfg{"cfg_init"};

  static constexpr uint64_t msi_addr = 0xFEE00000;

  explicit dsa_rig(const param_values& p, sc_core::sc_module_name nm = "rig")
      : sc_core::sc_module(nm), mem("mem", ctx, mem_params()), sink("sink", ctx, mem),
        up("up", ctx, param_values(interconnect::schema())), dev("dsa0", ctx, p) {
    up.map(0, 0x8000'0000, mem.socket, "mem", false);
    up.map(msi_window_base, msi_window_size, sink.socket, "msi", false);
    dev.upstream.bind(up.in);
    bar0.bind(dev.mmio(0));
    bar2.bind(dev.mmio(2));
    cfg.bind(dev.cfg);
    dev.assign_bar(0, 0xF000'0000);
    dev.assign_bar(2, 0xF100'0000);
  }

  uint64_t rd(uint64_t off, unsigned len = 4) {
    uint64_t v = 0;
    sc_core::sc_time d;
    REQUIRE(bus_read(*bar0.operator->(), off, &v, len, d) == tlm::TLM_OK_RESPONSE);
    return v;
  }
  void wr(uint64_t off, uint64_t v, unsigned len = 4) {
    sc_core::sc_time d;
    REQUIRE(bus_write(*bar0.operator->(), off, &v, len, d) == tlm::TLM_OK_RESPONSE);
  }
  /// 64-byte portal write; returns the TLM response (ENQCMD retry = generic error).
  tlm::tlm_response_status portal(unsigned wq, unsigned page, const dsa_descriptor& d) {
    auto img = d.encode();
    sc_core::sc_time t;
    return bus_write(*bar2.operator->(), uint64_t(wq) * 0x4000 + page * 0x1000, img.data(), 64, t);
  }
  /// Writes CMD and runs until it completes; returns CMDSTS.
  uint32_t cmd(uint8_t c, uint32_t operand, bool int_req = false) {
    uint64_t v = cmd_reg::INT_REQ.set(cmd_reg::CMD.set(cmd_reg::OPERAND.set(0, operand), c), int_req);
    wr(reg_off::CMD, v);
    sc_core::sc_start(ns(5000));
    return uint32_t(rd(reg_off::CMDSTS));
  }
  void msix_enable() {
    const uint16_t mc = pcie::cfgreg::MSIX_CAP + 2;
    dev.config_write(mc, dev.config_read(mc, 2) | 0x8000, 2);
  }
  /// MSI-X entry i -> 0xFEE00000, data 0x40 + i, unmasked.
  void msix_program(unsigned i) {
    const uint64_t e = dev.layout().msix_table + 16 * i;
    wr(e + 0, msi_addr);
    wr(e + 4, 0);
    wr(e + 8, 0x40 + i);
    wr(e + 12, 0);
  }
  void ims_program(unsigned i, bool masked) {
    const uint64_t e = dev.layout().ims + 16 * i;
    wr(e + 0, msi_addr);
    wr(e + 4, 0);
    wr(e + 8, 0x80 + i);
    wr(e + 12, masked ? 1 : 0);
  }
  /// Group 0 = WQ `wq` + engine 0; WQ `wq` of `size`, dedicated or shared; device and WQ enabled.
  void basic_setup(unsigned wq = 0, unsigned size = 16, bool dedicated = true, bool engine = true) {
    const auto& l = dev.layout();
    msix_enable();
    for (unsigned i = 0; i < l.msix_entries; ++i) msix_program(i);
    wr(l.grpcfg + 0, uint64_t(1) << wq, 8);
    wr(l.grpcfg + 32, engine ? 1 : 0, 8);
    const uint64_t w = l.wqcfg + 32 * wq;
    wr(w + 0, size);
    wr(w + 4, size / 2);
    wr(w + 8, wqcfg::PRIORITY.set(wqcfg::MODE.set(0, dedicated), 1));
    wr(w + 12, wqcfg::MAX_BATCH_SHIFT.set(wqcfg::MAX_XFER_SHIFT.set(0, 20), 5));
    REQUIRE(cmd(cmd_enable_device, 0) == 0);
    REQUIRE(cmd(cmd_enable_wq, wq) == 0);
  }
  completion_record record(uint64_t addr) {
    uint8_t b[32];
    mem.read(addr, b, 32);
    return completion_record::decode(b);
  }
};

inline param_values dsa_params() { return param_values(dsa_device::schema()); }

}  // namespace irqf::idxd::test
