#pragma once
// The platform builder (DESIGN §3): elaborates one system from a scenario's `platform:` section —
// CPUs with their local APICs and the APIC bus, host memory, the host interconnect (memory, ECAM,
// BARs, IOMMU and IOAPIC registers), the interrupt path (root complex → IOMMU interrupt-remapping
// unit, or straight to the APIC bus), the IOAPIC, the PCIe hierarchy and its devices, and the OS
// model. Everything hangs off this object: no global state.
//
//   host side:   OS ──mmio──▶ host_bus ─▶ memory | ECAM windows | BARs | IOMMU regs | IOAPIC regs
//   upstream:    device ──▶ root complex ─┬▶ memory (DMA)
//                                         └▶ ir_mux ─▶ IOMMU.ir_in ─▶ apic_bus.msi_in ─▶ LAPICs
//                IOAPIC.irq_out ─▶ ir_mux          (no IOMMU: ir_mux ─▶ apic_bus.msi_in)
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "fabric/context.h"
#include "fabric/interconnect.h"
#include "fabric/memory.h"
#include "fabric/regtable.h"
#include "fabric/yaml_doc.h"

namespace irqf {
namespace lapic { class cpu_complex; }
namespace iommu { class vtd_unit; }
namespace ioapic { class ioapic; }
namespace pcie { class root_complex; class pcie_function; class bridge_port; }
namespace os { class kernel; }

/// Fixed addresses of the host map (q35-like; documented in README).
struct host_map {
  static constexpr uint64_t ioapic_base = 0xFEC0'0000, ioapic_size = 0x1000;
  static constexpr uint64_t iommu_base = 0xFED9'0000, iommu_size = 0x1000;
  static constexpr uint64_t bar_base = 0x38'0000'0000ull;  ///< 64-bit MMIO window for BARs
};

/// Schemas of the platform-level sections.
const component_schema& platform_schema();
const component_schema& pcie_topology_schema();
const component_schema& device_entry_schema();
/// platform.iommu: `enabled` plus every VT-d unit parameter.
const component_schema& iommu_section_schema();
/// Device kinds by `type:` name and their schemas.
std::vector<std::pair<std::string, const component_schema*>> device_kinds();
/// Validates `platform:` strictly (throws input_error); used by validate_scenario_body too.
void validate_platform(const yaml_doc& doc, const YAML::Node& platform);

class platform {
 public:
  /// Elaborates everything from `doc.root["platform"]`. Throws input_error (bad keys/values) or
  /// elaboration_error (inconsistent topology).
  platform(const yaml_doc& doc, uint64_t seed);
  ~platform();

  sim_context ctx;
  std::unique_ptr<sparse_memory> memory;
  std::unique_ptr<interconnect> host_bus;
  std::unique_ptr<interconnect> ir_mux;
  std::unique_ptr<lapic::cpu_complex> cpus;
  std::unique_ptr<iommu::vtd_unit> iommu;  ///< null when platform.iommu.enabled is false
  std::unique_ptr<ioapic::ioapic> ioapic;
  std::unique_ptr<pcie::root_complex> rc;
  std::unique_ptr<os::kernel> kernel;      ///< null until attach_os

  /// Devices by scenario name, in declaration order.
  struct device {
    std::string name, type;
    pcie::pcie_function* fn;
  };
  const std::vector<device>& devices() const { return devices_; }
  /// The device named `name` or nullptr.
  pcie::pcie_function* find_device(const std::string& name) const;
  /// Every register_view by component name ("dsa0", "iommu", "ioapic", "cpu3" ...).
  register_view* find_registers(const std::string& name) const;
  std::vector<std::string> register_owner_names() const;

 private:
  void build_pcie(const yaml_doc& doc, const YAML::Node& pcie_node, const YAML::Node& devs);
  std::vector<std::unique_ptr<pcie::pcie_function>> owned_devices_;
  std::vector<device> devices_;
  std::map<std::string, register_view*> regviews_;
};

}  // namespace irqf
