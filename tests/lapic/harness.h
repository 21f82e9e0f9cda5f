#pragma once
#include <vector>
// Test bench for the lapic block: a cpu_complex plus a device-like initiator that raises ledger
// events and sends interrupt messages to the apic_bus as 4-byte writes.
#include <tlm_utils/simple_initiator_socket.h>

#include <memory>
#include <string>

#include "fabric/apic_msg.h"
#include "fabric/context.h"
#include "fabric/message.h"
#include "models/lapic/cpu_complex.h"

namespace irqf::lapic::test {

struct msi_source : sc_core::sc_module {
  tlm_utils::simple_initiator_socket<msi_source> out{"out"};
  upstream_write w;
  sim_context& ctx;
  source_id src;
  msi_source(sc_core::sc_module_name nm, sim_context& c) : sc_core::sc_module(nm), ctx(c) {
    src = ctx.led.add_source("testdev0/raw/0");
  }
  /// Raises an event and sends it as a compatibility-format MSI; returns the event id.
  event_id send(uint64_t address, uint32_t data) {
    event_id id = ctx.led.raise(src, now_ps());
    event_id ev[1] = {id};
    auto& gp = w.msi({address, data}, 0x0100, ev);
    sc_core::sc_time d = sc_core::SC_ZERO_TIME;
    out->b_transport(gp, d);
    return id;
  }
  /// Sends a decoded request (as the IOMMU does after remapping) with an apic_irq_ext attached.
  event_id send_remapped(const apic_irq& irq) {
    event_id id = ctx.led.raise(src, now_ps());
    event_id ev[1] = {id};
    auto& gp = w.msi({msi_window_base | 0x10, 0}, 0x0100, ev);
    apic_irq_ext ext;
    ext.irq = irq;
    gp.set_extension(&ext);
    sc_core::sc_time d = sc_core::SC_ZERO_TIME;
    out->b_transport(gp, d);
    gp.clear_extension(&ext);
    return id;
  }
  /// Fixed, edge, physical MSI to `dest` with `vector`.
  event_id fixed(uint32_t dest, uint8_t vector, bool logical = false, bool level = false,
                 delivery_mode mode = delivery_mode::fixed) {
    apic_irq r;
    r.dest = dest;
    r.vector = vector;
    r.logical = logical;
    r.level_trigger = level;
    r.mode = mode;
    msi_msg m = encode_compat_msi(r);
    return send(m.address, m.data);
  }
};

struct bench {
  sim_context ctx;
  param_values p;
  std::unique_ptr<cpu_complex> cpus;
  std::unique_ptr<msi_source> dev;

  explicit bench(unsigned n, const std::string& mode = "xapic") : p(cpu_complex::schema()) {
    p.set("cpus", int64_t(n));
    p.set("apic_mode", std::string(mode));
    p.set("entry_cost_ns", 0.0);
    p.set("exit_cost_ns", 0.0);
  }
  /// Builds the platform (after the test adjusted `p`).
  void build() {
    cpus = std::make_unique<cpu_complex>("cpus", ctx, p);
    dev = std::make_unique<msi_source>("dev", ctx);
    dev->out.bind(cpus->bus().msi_in);
  }
  cpu_core& core(unsigned i) { return cpus->core(i); }
  local_apic& apic(unsigned i) { return cpus->apic(i); }
  /// Runs `t_ns` of simulated time.
  static void run(double t_ns) { sc_core::sc_start(sc_core::sc_time(t_ns, sc_core::SC_NS)); }
  bool conserved() const { return check_conservation(ctx.led.totals()).ok; }
};

/// CPUs that took `vector` (default dispatch record), in CPU order.
inline std::vector<unsigned> takers(bench& b, uint8_t vector) {
  std::vector<unsigned> r;
  for (unsigned i = 0; i < b.cpus->size(); ++i)
    for (auto& d : b.core(i).dispatches())
      if (d.kind == entry_kind::vector && d.vector == vector) r.push_back(i);
  return r;
}

}  // namespace irqf::lapic::test
