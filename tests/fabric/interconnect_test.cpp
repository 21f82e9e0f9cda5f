// A message through the interconnect into a recording sink keeps its requester ID and ledger ids;
// overlapping ranges are rejected at elaboration; memory is sparse and zero-filled.
#include <catch2/catch.hpp>
#include <tlm_utils/simple_initiator_socket.h>
#include <tlm_utils/simple_target_socket.h>

#include "fabric/error.h"
#include "fabric/interconnect.h"
#include "fabric/memory.h"
#include "fabric/message.h"

using namespace irqf;

namespace {
struct sink : sc_core::sc_module {
  tlm_utils::simple_target_socket<sink> socket{"socket"};
  std::vector<uint64_t> addrs;
  std::vector<uint32_t> data;
  std::vector<requester_ext> exts;
  explicit sink(sc_core::sc_module_name n) : sc_module(n) {
    socket.register_b_transport(this, &sink::bt);
  }
  void bt(tlm::tlm_generic_payload& gp, sc_core::sc_time&) {
    addrs.push_back(gp.get_address());
    data.push_back(msi_data_of(gp));
    exts.push_back(*gp.get_extension<requester_ext>());
    gp.set_response_status(tlm::TLM_OK_RESPONSE);
  }
};
struct source : sc_core::sc_module {
  tlm_utils::simple_initiator_socket<source> socket{"socket"};
  explicit source(sc_core::sc_module_name n) : sc_module(n) {}
};
}  // namespace

TEST_CASE("an interrupt message crosses the interconnect with requester ID and ledger ids intact") {
  sim_context ctx;
  interconnect bus("bus", ctx, param_values(interconnect::schema()));
  sink s("sink");
  sparse_memory mem("mem", ctx, param_values(sparse_memory::schema()));
  source src("src");
  src.socket.bind(bus.in);
  bus.map(msi_window_base, msi_window_size, s.socket, "msi", /*relative=*/false);
  bus.map(0, 1ull << 30, mem.socket, "dram");
  sc_core::sc_start(sc_core::SC_ZERO_TIME);  // multi-sockets complete their binding at elaboration end

  auto sid = ctx.led.add_source("testdev0/raw/0");
  event_id e1 = ctx.led.raise(sid, 0), e2 = ctx.led.raise(sid, 0);
  upstream_write w;
  event_id evs[] = {e1, e2};
  auto& gp = w.msi({0xFEE0'1000, 0x4021}, bdf{3, 0, 1}.rid(), evs, 7u);
  sc_core::sc_time d = sc_core::SC_ZERO_TIME;
  src.socket->b_transport(gp, d);
  CHECK(gp.is_response_ok());
  REQUIRE(s.addrs.size() == 1);
  CHECK(s.addrs[0] == 0xFEE0'1000);  // absolute: the APIC decodes address bits
  CHECK(s.data[0] == 0x4021);
  CHECK(s.exts[0].requester_id == 0x0301);
  CHECK(s.exts[0].has_pasid);
  CHECK(s.exts[0].pasid == 7);
  CHECK(std::vector<event_id>(s.exts[0].events.begin(), s.exts[0].events.end()) == std::vector<event_id>{e1, e2});

  // DMA goes to memory; unwritten memory reads zero.
  uint32_t v = 0xdeadbeef, r = 1;
  src.socket->b_transport(w.dma(0x1000, &v, 4, 0x0301), d);
  CHECK(bus_read(src.socket, 0x1000, &r, 4, d) == tlm::TLM_OK_RESPONSE);
  CHECK(r == 0xdeadbeef);
  CHECK(bus_read(src.socket, 0x5000, &r, 4, d) == tlm::TLM_OK_RESPONSE);
  CHECK(r == 0);
  CHECK(mem.pages() == 1);
  // Unmapped addresses get an address error, not a crash.
  CHECK(bus_read(src.socket, 0xF000'0000, &r, 4, d) == tlm::TLM_ADDRESS_ERROR_RESPONSE);
  ctx.led.settle_handled(evs, 1);
  CHECK(check_conservation(ctx.led.totals()).ok);
}

TEST_CASE("overlapping address ranges are rejected at elaboration") {
  sim_context ctx;
  interconnect bus("bus", ctx, param_values(interconnect::schema()));
  sink a("a"), b("b");
  bus.map(0x1000, 0x1000, a.socket, "a");
  CHECK_THROWS_AS(bus.map(0x1800, 0x1000, b.socket, "b"), elaboration_error);
  CHECK_THROWS_WITH(bus.map(0x0, 0x1001, b.socket, "b"), Catch::Contains("overlaps 'a'"));
  bus.map(0x2000, 0x1000, b.socket, "b");  // adjacent is fine
  CHECK(bus.find(0x2fff)->name == "b");
  CHECK(bus.find(0x3000) == nullptr);
}

TEST_CASE("config space is routed by BDF through the ECAM window") {
  sim_context ctx;
  interconnect bus("bus", ctx, param_values(interconnect::schema()));
  sink f0("f0"), f1("f1");
  source src("src");
  src.socket.bind(bus.in);
  bus.map_config(bdf{0, 2, 0}, f0.socket, "f0");
  bus.map_config(bdf{1, 0, 3}, f1.socket, "f1");
  sc_core::sc_start(sc_core::SC_ZERO_TIME);
  CHECK(bus.ecam_address(bdf{1, 0, 3}, 0x10) == 0xE010'3010);
  uint32_t v = 0;
  sc_core::sc_time d;
  upstream_write w;
  src.socket->b_transport(w.dma(bus.ecam_address(bdf{1, 0, 3}, 0x44), &v, 4, 0), d);
  REQUIRE(f1.addrs.size() == 1);
  CHECK(f1.addrs[0] == 0x44);
  CHECK(f0.addrs.empty());
  CHECK(ctx.led.totals().raised == 0);  // config writes raise no interrupt event
  CHECK(check_conservation(ctx.led.totals()).ok);
}
