// The multi-queue NIC-like endpoint: one MSI-X vector per queue, ring entry before interrupt.
#include <catch2/catch.hpp>

#include "models/idxd/nic_device.h"
#include "rig.h"

using namespace irqf;
using namespace irqf::idxd;
using namespace irqf::idxd::test;

namespace {
struct nic_rig : sc_core::sc_module {
  sim_context ctx;
  sparse_memory mem;
  msi_sink sink;
  interconnect up;
  nic_device nic;
  tlm_utils::simple_initiator_socket<nic_rig> bar0{"bar0_init"}, cfg{"cfg_init"};
  nic_rig(const param_values& p, sc_core::sc_module_name nm = "rig")
      : sc_core::sc_module(nm), mem("mem", ctx, mem_params()), sink("sink", ctx, mem),
        up("up", ctx, param_values(interconnect::schema())), nic("nic0", ctx, p) {
    up.map(0, 0x8000'0000, mem.socket, "mem", false);
    up.map(msi_window_base, msi_window_size, sink.socket, "msi", false);
    nic.upstream.bind(up.in);
    bar0.bind(nic.mmio(0));
    cfg.bind(nic.cfg);
    nic.assign_bar(0, 0xF000'0000);
  }
  void wr(uint64_t off, uint64_t v, unsigned len = 4) {
    sc_core::sc_time d;
    REQUIRE(bus_write(*bar0.operator->(), off, &v, len, d) == tlm::TLM_OK_RESPONSE);
  }
  uint64_t rd(uint64_t off, unsigned len = 4) {
    uint64_t v = 0;
    sc_core::sc_time d;
    REQUIRE(bus_read(*bar0.operator->(), off, &v, len, d) == tlm::TLM_OK_RESPONSE);
    return v;
  }
};
}  // namespace

TEST_CASE("NIC with 2048 queues: ring entry by DMA, then an event on the queue's vector") {
  param_values p(nic_device::schema());
  p.set("queues", int64_t(2048));
  nic_rig r(p);
  const uint16_t mc = pcie::cfgreg::MSIX_CAP + 2;
  CHECK((r.nic.config_read(mc, 2) & 0x7ff) == 2047);
  r.nic.config_write(mc, r.nic.config_read(mc, 2) | 0x8000, 2);
  const uint64_t tbl = r.nic.msix_table_offset();
  CHECK(tbl == 0x9000);
  for (unsigned q : {5u, 7u, 1000u, 2047u}) {
    r.wr(tbl + 16 * q, 0xFEE00000);
    r.wr(tbl + 16 * q + 8, 0x30 + (q & 0xff));
    r.wr(tbl + 16 * q + 12, q == 7 ? 1 : 0);  // vector 7 stays masked
  }
  sc_core::sc_start(sc_core::SC_ZERO_TIME);  // finish elaboration (interconnect binding)
  r.wr(nic_reg::CTRL, 1);
  const uint64_t qb = nic_reg::QUEUE_BASE + 16 * 1000;
  r.wr(qb + nic_reg::Q_RING_BASE, 0x100000, 8);
  r.wr(qb + nic_reg::Q_RING_SIZE, 4);
  CHECK(r.rd(nic_reg::NUM_QUEUES) == 2048);
  r.sink.watch = 0x100010;  // entry 1's length byte
  r.nic.rx(1000);
  r.nic.rx(1000);
  r.nic.rx(5);
  r.nic.rx(2047);
  r.nic.rx(7);
  r.nic.rx(7);
  REQUIRE(r.sink.got.size() == 4);
  CHECK(r.sink.got[1].data == 0x30 + (1000 & 0xff));
  CHECK(r.sink.got[1].watched_status == (1500 & 0xff));  // entry 1 written before its MSI
  CHECK(r.sink.got[2].data == 0x35);
  CHECK(r.sink.got[3].data == 0x30 + 0xff);
  CHECK(r.nic.head(1000) == 2);
  CHECK(r.rd(qb + nic_reg::Q_HEAD) == 2);
  CHECK(r.mem.load<uint32_t>(0x100004) == 1u);        // DD, sequence 0
  CHECK(r.mem.load<uint32_t>(0x100014) == 3u);        // DD, sequence 1
  CHECK(r.nic.msix()->pending(7));
  CHECK(r.nic.read_register("RXQ[1000].RING_SIZE") == 4u);
  CHECK(r.nic.read_register("RXQ[1000].RING_BASE") == 0x100000u);
  r.wr(tbl + 16 * 7 + 12, 0);  // unmask: one message for both events
  REQUIRE(r.sink.got.size() == 5);
  CHECK(r.sink.got[4].events.size() == 2);
  auto t = r.ctx.led.totals();
  CHECK(t.raised == 6);
  CHECK(t.handled == 5);
  CHECK(t.merged == 1);
  CHECK(check_conservation(t).ok);
  CHECK(r.ctx.led.source_name(r.ctx.led.record(r.sink.got[3].events[0]).source) == "nic0/msix/2047");
}

TEST_CASE("idxd schemas list every parameter with a default") {
  const auto& s = dsa_device::schema();
  CHECK(s.kind == "idxd");
  for (const char* n : {"wq_count", "engines", "groups", "msix_entries", "ims_entries",
                        "total_wq_size", "engine_bytes_per_ns", "descriptor_overhead_ns",
                        "ims_masked_policy", "int_handle_support", "msix_disabled_policy"})
    CHECK(s.find(n) != nullptr);
  param_values p(s);
  CHECK(p.i("wq_count") == 8);
  CHECK(p.i("msix_entries") == 9);
  CHECK(p.i("ims_entries") == 2048);
  CHECK(p.s("ims_masked_policy") == "latch");
  CHECK_FALSE(p.b("int_handle_support"));
  CHECK(nic_device::schema().find("queues") != nullptr);
}
