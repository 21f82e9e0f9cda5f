#include "fabric/engine/validate.h"

#include "fabric/engine/platform.h"
#include "fabric/engine/scenario.h"
#include "fabric/engine/timeline.h"
#include "fabric/engine/workload.h"
#include <set>

#include "fabric/error.h"
#include "models/idxd/dsa_device.h"
#include "models/ioapic/ioapic.h"
#include "models/iommu/vtd_unit.h"
#include "models/lapic/cpu_complex.h"
#include "models/os/kernel.h"
#include "models/pcie/topology.h"
#include "models/testdev/testdev.h"

namespace irqf {

void validate_scenario_body(const yaml_doc& d) {
  param_values::bind(sim_schema(), d, d.root["sim"]);
  const YAML::Node l = d.root["log"];
  if (l && !l.IsNull()) {
    if (!l.IsMap()) d.fail(l, "log", "expected a map component.path: level");
    static const char* levels[] = {"trace", "debug", "info", "warn", "error", "critical", "off"};
    for (auto it : l) {
      bool ok = false;
      for (auto* lv : levels) ok |= it.second.IsScalar() && it.second.Scalar() == lv;
      if (!ok) d.fail(it.second, it.first.Scalar(), "log level must be one of trace|debug|info|warn|error|critical|off");
    }
  }
  validate_platform(d, d.root["platform"]);
  // Device names referenced by workload items must exist.
  std::set<std::string> names;
  const YAML::Node plat = d.root["platform"];
  const YAML::Node devs = plat && plat.IsMap() ? plat["devices"] : YAML::Node();
  if (devs && devs.IsSequence())
    for (size_t i = 0; i < devs.size(); ++i) names.insert(devs[i]["name"].Scalar());
  for (auto& w : parse_workload(d, d.root["workload"]))
    if (!names.count(w.device)) throw input_error(w.where + ": key 'device': no device named '" + w.device + "'");
  auto items = parse_timeline(d, d.root["timeline"]);
  const YAML::Node tl = d.root["timeline"];
  for (size_t i = 0; i < items.size(); ++i)
    if (items[i].kind->schema.find("device") && !names.count(items[i].params.s("device")))
      d.fail(tl[i]["device"] ? tl[i]["device"] : tl[i], "device",
             "no device named '" + items[i].params.s("device") + "'");
}

std::vector<const component_schema*> all_schemas() {
  std::vector<const component_schema*> v{&scenario_schema(), &sim_schema(), &platform_schema(),
                                         &lapic::cpu_complex::schema(), &sparse_memory::schema(),
                                         &interconnect::schema(), &iommu_section_schema(),
                                         &ioapic::ioapic::schema(), &pcie_topology_schema(),
                                         &os::kernel::schema(), &device_entry_schema()};
  for (auto& [n, s] : device_kinds()) v.push_back(s);
  v.push_back(&workload_schema());
  v.push_back(&timeline_item_schema());
  for (auto& a : action_kinds()) v.push_back(&a.schema);
  return v;
}

}  // namespace irqf
