#pragma once
// Test neighbours for the pcie/ioapic/testdev unit tests: a recording interrupt sink (stands in
// for the IOMMU / APIC bus, settling what it receives as handled) and a CPU-side MMIO initiator.
#include <tlm_utils/simple_initiator_socket.h>
#include <tlm_utils/simple_target_socket.h>

#include <functional>
#include <vector>

#include "fabric/context.h"
#include "fabric/message.h"

namespace irqf::test {

/// Records every interrupt write it receives; settles the events as handled unless `settle` is off.
struct msi_sink : component {
  struct rec {
    uint64_t addr;
    uint32_t data;
    uint16_t rid;
    std::vector<event_id> events;
    bool has_pasid;
    uint32_t pasid;
    uint64_t t_ps;
    sc_core::sc_time delay;
  };
  tlm_utils::simple_target_socket<msi_sink> in;
  std::vector<rec> got;
  std::function<void(const rec&)> hook;
  bool settle = true;

  msi_sink(sc_core::sc_module_name nm, sim_context& c) : component(nm, c), in("in") {
    in.register_b_transport(this, &msi_sink::b_transport);
  }
  void b_transport(tlm::tlm_generic_payload& gp, sc_core::sc_time& delay) {
    requester_ext* e = ext_of(gp);
    rec r{gp.get_address(), msi_data_of(gp), uint16_t(e ? e->requester_id : 0xFFFF), {},
          e && e->has_pasid, e ? e->pasid : 0, now_ps(), delay};
    if (e) r.events.assign(e->events.begin(), e->events.end());
    if (hook) hook(r);
    if (settle && !r.events.empty()) ctx.led.settle_handled(r.events, now_ps());
    got.push_back(std::move(r));
    gp.set_response_status(tlm::TLM_OK_RESPONSE);
  }
};

/// Software's view: 1/2/4/8-byte MMIO and config accesses through the host interconnect.
struct cpu_port : component {
  tlm_utils::simple_initiator_socket<cpu_port> out;
  explicit cpu_port(sc_core::sc_module_name nm, sim_context& c) : component(nm, c), out("out") {}
  uint64_t rd(uint64_t addr, unsigned len = 4) {
    uint64_t v = 0;
    sc_core::sc_time d;
    REQUIRE_OK(bus_read(*out.operator->(), addr, &v, len, d));
    return v;
  }
  void wr(uint64_t addr, uint64_t v, unsigned len = 4) {
    sc_core::sc_time d;
    REQUIRE_OK(bus_write(*out.operator->(), addr, &v, len, d));
  }
  static void REQUIRE_OK(tlm::tlm_response_status s) {
    if (s != tlm::TLM_OK_RESPONSE) throw std::runtime_error("bus error");
  }
};

/// Initiators for BARs a test leaves unmapped (every target socket must be bound).
struct bar_stub : sc_core::sc_module {
  sc_core::sc_vector<tlm_utils::simple_initiator_socket<bar_stub>> out;
  bar_stub(sc_core::sc_module_name nm, unsigned n) : sc_core::sc_module(nm), out("out", n) {}
};

}  // namespace irqf::test
