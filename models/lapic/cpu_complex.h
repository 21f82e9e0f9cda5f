#pragma once
// The CPUs of a platform: one apic_bus plus N local_apic + cpu_core pairs built from parameters
// (cpus, APIC mode, logical destination model, costs, lowest-priority tie-break). APIC IDs are the
// CPU indices; more than 255 CPUs need x2APIC (xAPIC IDs are 8-bit and 0xFF is broadcast).
// Cheap at 1,024 CPUs: per CPU two small modules with one event each that fire only with work.
#include <memory>
#include <vector>

#include "fabric/context.h"
#include "fabric/params.h"
#include "models/lapic/apic_bus.h"
#include "models/lapic/cpu_core.h"
#include "models/lapic/local_apic.h"

namespace irqf::lapic {

class cpu_complex : public component {
 public:
  /// Own parameters (cpus, apic_mode, logical_mode, linux_boot_setup) plus every parameter of
  /// local_apic, cpu_core and apic_bus, passed through to each instance.
  static const component_schema& schema();

  /// Throws elaboration_error for xapic with more than 255 CPUs.
  cpu_complex(sc_core::sc_module_name nm, sim_context& ctx, const param_values& p);

  apic_bus& bus() { return *bus_; }
  cpu_core& core(unsigned i) { return *cores_.at(i); }
  local_apic& apic(unsigned i) { return *apics_.at(i); }
  unsigned size() const { return unsigned(cores_.size()); }

 private:
  /// The state Linux leaves an APIC in after boot (arch/x86/kernel/apic/apic.c setup_local_APIC,
  /// apic_flat_64.c / x2apic_cluster.c): mode per `apic_mode`, DFR/LDR per `logical_mode`, SVR
  /// enabled with spurious vector 0xFF, LVT error 0xFE, LINT0 masked, LINT1 NMI on CPU 0 only.
  void linux_setup(local_apic& a, unsigned i, bool x2, bool cluster);

  std::unique_ptr<apic_bus> bus_;
  std::vector<std::unique_ptr<local_apic>> apics_;
  std::vector<std::unique_ptr<cpu_core>> cores_;
};

}  // namespace irqf::lapic
