#pragma once
// Test platform for the kernel component: CPUs with local APICs, memory, the host interconnect
// (memory, ECAM, BARs, VT-d registers), the interrupt path root complex → VT-d (optional) → APIC
// bus, one testdev behind a root port, and the kernel. A tap between the host bus and the testdev
// records every config-space and BAR access the function sees, in order.
#include <catch2/catch.hpp>
#include <tlm_utils/simple_initiator_socket.h>
#include <tlm_utils/simple_target_socket.h>

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "fabric/context.h"
#include "fabric/interconnect.h"
#include "fabric/memory.h"
#include "fabric/message.h"
#include "models/iommu/vtd_unit.h"
#include "models/lapic/cpu_complex.h"
#include "models/os/irq/irq_core.h"
#include "models/os/kernel.h"
#include "models/os/pci/pci_msi.h"
#include "models/pcie/topology.h"
#include "models/testdev/testdev.h"

namespace irqf::os::test {

/// One access the function saw.
struct bus_access {
  bool cfg;        ///< config space (else BAR0)
  bool write;
  uint64_t off;
  uint64_t value;
  unsigned len;
  uint64_t t_ps;
};

/// Pass-through recorder in front of one target socket.
struct tap : sc_core::sc_module {
  tlm_utils::simple_target_socket<tap> in{"in"};
  tlm_utils::simple_initiator_socket<tap> out{"out"};
  std::vector<bus_access>* log;
  bool cfg;
  tap(sc_core::sc_module_name n, std::vector<bus_access>* l, bool is_cfg) : sc_module(n), log(l), cfg(is_cfg) {
    in.register_b_transport(this, &tap::bt);
  }
  void bt(tlm::tlm_generic_payload& gp, sc_core::sc_time& d) {
    uint64_t v = 0;
    unsigned len = gp.get_data_length();
    if (gp.is_write()) std::memcpy(&v, gp.get_data_ptr(), std::min(len, 8u));
    out->b_transport(gp, d);
    if (gp.is_read()) std::memcpy(&v, gp.get_data_ptr(), std::min(len, 8u));
    log->push_back({cfg, gp.is_write(), gp.get_address(), v, len, now_ps()});
  }
};

struct kbench : sc_core::sc_module {
  static constexpr uint64_t iommu_base = 0xFED9'0000;
  static constexpr uint64_t bar_base = 0x38'0000'0000ull;

  sim_context ctx;
  std::vector<bus_access> seen;
  sparse_memory mem;
  interconnect host_bus, ir_mux;
  lapic::cpu_complex cpus;
  std::unique_ptr<iommu::vtd_unit> vtd;
  pcie::root_complex rc;
  testdev::testdev dev;
  tap cfg_tap, bar_tap;
  std::unique_ptr<kernel> k;
  uint64_t bar0 = 0;

  static param_values mem_params() {
    param_values p(sparse_memory::schema());
    p.set("size_bytes", int64_t(1) << 31);
    return p;
  }
  static param_values cpu_params(unsigned n, bool x2) {
    param_values p(lapic::cpu_complex::schema());
    p.set("cpus", int64_t(n));
    p.set("apic_mode", std::string(x2 ? "x2apic" : "xapic"));
    return p;
  }
  static param_values dev_params() { return param_values(testdev::testdev::schema()); }

  /// `iommu`: VT-d in the interrupt path; `kp`: kernel parameters (x2apic must match the CPUs).
  explicit kbench(param_values kp = param_values(kernel::schema()), unsigned ncpus = 2, bool iommu = true,
                  param_values devp = dev_params())
      : sc_core::sc_module(sc_core::sc_module_name("bench")),
        mem("memory", ctx, mem_params()),
        host_bus("host_bus", ctx, param_values(interconnect::schema())),
        ir_mux("ir_mux", ctx, param_values(interconnect::schema())),
        cpus("cpus", ctx, cpu_params(ncpus, kp.b("x2apic"))),
        rc("pcie", ctx, param_values(pcie::root_complex::schema())),
        dev("testdev0", ctx, devp),
        cfg_tap("cfg_tap", &seen, true),
        bar_tap("bar_tap", &seen, false) {
    host_bus.map(0, mem.size(), mem.socket, "dram", false);
    if (iommu) {
      vtd = std::make_unique<iommu::vtd_unit>("iommu", ctx, param_values(iommu::vtd_unit::schema()));
      vtd->mem.bind(mem.socket);
      vtd->irq_out.bind(cpus.bus().msi_in);
      ir_mux.map(msi_window_base, msi_window_size, vtd->ir_in, "iommu.ir_in", false);
      host_bus.map(iommu_base, 0x1000, vtd->regs, "iommu.regs");
    } else {
      ir_mux.map(msi_window_base, msi_window_size, cpus.bus().msi_in, "apic_bus.msi_in", false);
    }
    rc.ir_out.bind(ir_mux.in);
    rc.mem_out.bind(mem.socket);
    auto& rp = rc.add_root_port(1, "rp0");
    rc.attach(dev, &rp, 0);
    rc.enumerate();
    uint64_t next = bar_base;
    firmware_info fw;
    for (auto& e : rc.functions()) {
      if (e.fn == &dev) {
        cfg_tap.out.bind(dev.cfg);
        host_bus.map_config(e.id, cfg_tap.in, "testdev0.cfg");
      } else {
        host_bus.map_config(e.id, e.fn->cfg, e.fn->name());
      }
      for (auto& b : e.fn->bars()) {
        next = (next + b.size - 1) & ~(b.size - 1);
        e.fn->assign_bar(b.index, next);
        if (e.fn == &dev && b.index == 0) {
          bar0 = next;
          bar_tap.out.bind(dev.mmio(0));
          host_bus.map(next, b.size, bar_tap.in, "testdev0.bar0");
        } else {
          host_bus.map(next, b.size, e.fn->mmio(b.index), std::string(e.fn->name()) + ".bar");
        }
        next += b.size;
      }
      fw.pci_functions.push_back(e.id);
      fw.pci_names.push_back(e.fn == &dev ? "testdev0" : std::string(e.fn->basename()));
    }
    for (unsigned i = 0; i < cpus.size(); ++i) fw.cpus.push_back(&cpus.core(i));
    fw.ecam_base = host_bus.ecam_base();
    if (iommu) fw.iommu_base = iommu_base;
    k = std::make_unique<kernel>("os", ctx, kp, fw);
    k->mmio.bind(host_bus.in);
    for (unsigned i = 0; i < cpus.size(); ++i) cpus.core(i).set_os(k.get());
    k->boot();
  }

  bdf id() const { return dev.id(); }
  /// Runs `fn` as a kernel task after boot; then runs the simulation for `run_ns`.
  void task(std::function<void()> fn) { k->run_task("test", std::move(fn)); }
  void run(double run_ns) { sc_core::sc_start(ns(run_ns)); }
  /// Raises an event on MSI-X entry `i` now (from any context).
  event_id raise_msix(unsigned i) { return dev.raise(testdev::store_kind::msix, i); }
  /// Writes that reached the function, from index `from`.
  std::vector<bus_access> writes(size_t from = 0) const {
    std::vector<bus_access> v;
    for (size_t i = from; i < seen.size(); ++i)
      if (seen[i].write) v.push_back(seen[i]);
    return v;
  }
  ledger_totals totals() const { return ctx.led.totals(); }
};

inline param_values kparams(bool x2apic = true) {
  param_values p(kernel::schema());
  p.set("x2apic", x2apic);
  return p;
}

}  // namespace irqf::os::test
