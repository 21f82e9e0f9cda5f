#pragma once
// Test platform for the DSA drivers (models/os/drivers): a small q35-like machine built by hand —
// CPUs with local APICs, 2 GiB of memory, the host interconnect (memory, ECAM, BARs, VT-d and
// IOAPIC registers), VT-d interrupt remapping in the interrupt path, an IOAPIC, a root complex with
// one root port and a DSA below it, and the kernel model. A workload thread submits descriptors at
// a fixed period.
#include <catch2/catch.hpp>

#include <functional>
#include <memory>
#include <string>

#include "fabric/context.h"
#include "fabric/interconnect.h"
#include "fabric/memory.h"
#include "fabric/message.h"
#include "models/idxd/dsa_device.h"
#include "models/ioapic/ioapic.h"
#include "models/iommu/vtd_unit.h"
#include "models/lapic/cpu_complex.h"
#include "models/os/drivers/drivers.h"
#include "models/os/kernel.h"
#include "models/pcie/topology.h"

namespace irqf::os::test {

struct drv_bench : sc_core::sc_module {
  static constexpr uint64_t iommu_base = 0xFED9'0000, ioapic_base = 0xFEC0'0000;
  static constexpr uint64_t bar_base = 0x38'0000'0000ull;

  sim_context ctx;
  sparse_memory mem;
  interconnect host_bus, ir_mux;
  lapic::cpu_complex cpus;
  iommu::vtd_unit iommu;
  ioapic::ioapic io;
  pcie::root_complex rc;
  idxd::dsa_device dsa;
  std::unique_ptr<kernel> k;

  static param_values mem_params() {
    param_values p(sparse_memory::schema());
    p.set("size_bytes", int64_t(1) << 31);
    return p;
  }
  static param_values cpu_params(unsigned n) {
    param_values p(lapic::cpu_complex::schema());
    p.set("cpus", int64_t(n));
    return p;
  }

  /// `dsa_p`: DSA parameters (defaults: 8 WQs, 9 MSI-X entries, msix_disabled_policy drop).
  drv_bench(const param_values& dsa_p, const param_values& kernel_p = param_values(kernel::schema()),
            unsigned ncpus = 2, sc_core::sc_module_name nm = "bench")
      : sc_core::sc_module(nm),
        mem("memory", ctx, mem_params()),
        host_bus("host_bus", ctx, param_values(interconnect::schema())),
        ir_mux("ir_mux", ctx, param_values(interconnect::schema())),
        cpus("cpus", ctx, cpu_params(ncpus)),
        iommu("iommu", ctx, param_values(iommu::vtd_unit::schema())),
        io("ioapic", ctx, param_values(ioapic::ioapic::schema())),
        rc("pcie", ctx, param_values(pcie::root_complex::schema())),
        dsa("dsa0", ctx, dsa_p) {
    host_bus.map(0, mem.size(), mem.socket, "dram", false);
    iommu.mem.bind(mem.socket);
    iommu.irq_out.bind(cpus.bus().msi_in);
    ir_mux.map(msi_window_base, msi_window_size, iommu.ir_in, "iommu.ir_in", false);
    host_bus.map(iommu_base, 0x1000, iommu.regs, "iommu.regs");
    io.irq_out.bind(ir_mux.in);
    cpus.bus().add_eoi_listener(&io);
    host_bus.map(ioapic_base, 0x1000, io.mmio, "ioapic.mmio");
    rc.ir_out.bind(ir_mux.in);
    rc.mem_out.bind(mem.socket);
    rc.set_intx_sink([this](unsigned g, bool l, std::span<const event_id> e) { io.set_intx(g, l, e); });
    auto& rp = rc.add_root_port(1, "rp0");
    rc.attach(dsa, &rp, 0);
    rc.enumerate();
    uint64_t next = bar_base;
    for (auto& e : rc.functions()) {
      host_bus.map_config(e.id, e.fn->cfg, e.fn->name());
      for (auto& b : e.fn->bars()) {
        next = (next + b.size - 1) & ~(b.size - 1);
        e.fn->assign_bar(b.index, next);
        host_bus.map(next, b.size, e.fn->mmio(b.index), std::string(e.fn->name()) + ".bar" +
                                                            std::to_string(b.index));
        next += b.size;
      }
    }
    firmware_info fw;
    for (unsigned i = 0; i < cpus.size(); ++i) fw.cpus.push_back(&cpus.core(i));
    fw.ecam_base = host_bus.ecam_base();
    fw.iommu_base = iommu_base;
    fw.ioapic_base = ioapic_base;
    for (auto& e : rc.functions()) {
      fw.pci_functions.push_back(e.id);
      fw.pci_names.push_back(e.fn->device_name());
    }
    k = std::make_unique<kernel>("os", ctx, kernel_p, fw);
    k->mmio.bind(host_bus.in);
    for (unsigned i = 0; i < cpus.size(); ++i) cpus.core(i).set_os(k.get());
  }

  /// Boots the kernel (time 0) and runs `fn` as a task once boot is done.
  void boot_then(std::function<void()> fn) {
    k->boot();
    k->run_task("setup", std::move(fn));
  }

  /// Starts a thread at `t0_ns` that calls submit() every `period_ns`, `count` times.
  void workload(double t0_ns, double period_ns, unsigned count, std::function<bool()> submit) {
    sc_core::sc_spawn_options o;
    sc_core::sc_spawn(
        [=] {
          sc_core::wait(ns(t0_ns));
          for (unsigned i = 0; i < count; ++i) {
            submit();
            sc_core::wait(ns(period_ns));
          }
        },
        nullptr, &o);
  }

  bdf dsa_bdf() const { return dsa.id(); }
};

inline param_values dsa_params() { return param_values(idxd::dsa_device::schema()); }

}  // namespace irqf::os::test
