#include "fabric/engine/platform.h"

#include <set>

#include "fabric/error.h"
#include "models/idxd/dsa_device.h"
#include "models/ioapic/ioapic.h"
#include "models/iommu/vtd_unit.h"
#include "models/lapic/cpu_complex.h"
#include "models/pcie/topology.h"
#include "models/testdev/testdev.h"
#if __has_include("models/idxd/nic_device.h")
#include "models/idxd/nic_device.h"
#define IRQF_HAVE_NIC 1
#endif
#include "models/os/kernel.h"

namespace irqf {

const component_schema& platform_schema() {
  static const component_schema s{
      "platform",
      "the machine: each key is a section with its own parameters (see the component tables)",
      {param_spec::string("cpus", "", "map: `cpus` parameters (count, APIC mode, costs)"),
       param_spec::string("memory", "", "map: `memory` parameters"),
       param_spec::string("host_bus", "", "map: `interconnect` parameters of the host bus"),
       param_spec::string("iommu", "", "map: `enabled` plus `vtd` parameters"),
       param_spec::string("ioapic", "", "map: `ioapic` parameters"),
       param_spec::string("pcie", "", "map: `pcie` topology and `root_complex` parameters"),
       param_spec::string("os", "", "map: `os` (kernel model) parameters"),
       param_spec::string("devices", "", "list: one map per device, see `device`")}};
  return s;
}

const component_schema& pcie_topology_schema() {
  static const component_schema s = [] {
    component_schema c{"pcie",
                       "PCIe hierarchy: root ports rp0..rpN-1 at 00:(1+i).0, optional switches",
                       {param_spec::integer("root_ports", "ports", 4, 0, 30, "root ports on bus 0"),
                        param_spec::string("switches", "",
                                           "list of {name, at: rpN|<switch>.dnK, downstream: N}")}};
    for (auto& p : pcie::root_complex::schema().params) c.params.push_back(p);
    return c;
  }();
  return s;
}

const component_schema& device_entry_schema() {
  static const component_schema s{
      "device",
      "one entry of platform.devices (plus the parameters of its type)",
      {param_spec::string("name", "", "unique device name (ledger sources are <name>/<store>/<index>)"),
       param_spec::choice("type", "testdev", {"testdev", "dsa", "nic"}, "device model"),
       param_spec::string("at", "rp0",
                          "where it sits: rpN (root port N), <switch>.dnK, or bus0 (integrated)"),
       param_spec::integer("slot", "device", 0, 0, 31, "device number on bus 0 when at: bus0")}};
  return s;
}

namespace {
const component_schema* kind_schema(const std::string& t) {
  if (t == "testdev") return &testdev::testdev::schema();
  if (t == "dsa") return &idxd::dsa_device::schema();
#ifdef IRQF_HAVE_NIC
  if (t == "nic") return &idxd::nic_device::schema();
#endif
  return nullptr;
}

const std::vector<std::string> device_skip = {"name", "type", "at", "slot"};
}  // namespace

const component_schema& iommu_section_schema() {
  static const component_schema s = [] {
    component_schema c{"iommu", "VT-d unit (interrupt remapping) at 0xFED90000",
                       {param_spec::boolean("enabled", true, "instantiate the IOMMU")}};
    for (auto& p : iommu::vtd_unit::schema().params) c.params.push_back(p);
    return c;
  }();
  return s;
}

namespace {

param_values section(const component_schema& s, const yaml_doc& doc, const YAML::Node& plat,
                     const char* key, std::vector<std::string> skip = {}) {
  return param_values::bind(s, doc, plat[key], std::move(skip));
}

/// Component parameters out of a section that adds keys of its own.
param_values subset(const component_schema& target, const param_values& from) {
  param_values out(target);
  for (auto& p : target.params) {
    switch (p.type) {
      case param_type::boolean: out.set(p.name, from.b(p.name)); break;
      case param_type::integer: out.set(p.name, from.i(p.name)); break;
      case param_type::real: out.set(p.name, from.r(p.name)); break;
      default: out.set(p.name, from.s(p.name)); break;
    }
  }
  return out;
}
}  // namespace

std::vector<std::pair<std::string, const component_schema*>> device_kinds() {
  std::vector<std::pair<std::string, const component_schema*>> v;
  for (const char* t : {"testdev", "dsa", "nic"})
    if (auto* s = kind_schema(t)) v.emplace_back(t, s);
  return v;
}

void validate_platform(const yaml_doc& doc, const YAML::Node& plat) {
  if (!plat.IsDefined() || plat.IsNull()) return;
  if (!plat.IsMap()) doc.fail(plat, "platform", "expected a map");
  std::vector<std::string> known;
  for (auto& p : platform_schema().params) known.push_back(p.name);
  for (auto it : plat) {
    std::string k = it.first.Scalar();
    if (!platform_schema().find(k)) doc.fail(it.first, k, "unknown platform section" + suggest_key(k, known));
  }
  section(lapic::cpu_complex::schema(), doc, plat, "cpus");
  section(sparse_memory::schema(), doc, plat, "memory");
  section(interconnect::schema(), doc, plat, "host_bus");
  section(iommu_section_schema(), doc, plat, "iommu");
  section(ioapic::ioapic::schema(), doc, plat, "ioapic");
  section(pcie_topology_schema(), doc, plat, "pcie", {"switches"});  // switches: a list, read by build_pcie
  section(os::kernel::schema(), doc, plat, "os");
  const YAML::Node& devs = plat["devices"];
  if (devs.IsDefined() && !devs.IsNull()) {
    if (!devs.IsSequence()) doc.fail(devs, "devices", "expected a list of device maps");
    std::set<std::string> names;
    for (size_t i = 0; i < devs.size(); ++i) {
      YAML::Node d = devs[i];
      if (!d.IsMap()) doc.fail(d, "devices", "each device is a map with name and type");
      if (!d["name"] || !d["name"].IsScalar()) doc.fail(d, "name", "device without a name");
      if (!names.insert(d["name"].Scalar()).second) doc.fail(d["name"], "name", "duplicate device name");
      std::string type = d["type"] ? d["type"].Scalar() : "";
      const component_schema* ks = kind_schema(type);
      if (!ks) {
        std::vector<std::string> kinds;
        for (auto& [n, s] : device_kinds()) kinds.push_back(n);
        doc.fail(d["type"] ? d["type"] : d, "type", "unknown device type '" + type + "'" + suggest_key(type, kinds));
      }
      param_values::bind(*ks, doc, d, device_skip);
    }
  }
}

platform::platform(const yaml_doc& doc, uint64_t seed) {
  ctx.seed = seed;
  const YAML::Node plat = doc.root["platform"];
  validate_platform(doc, plat);
  memory = std::make_unique<sparse_memory>("memory", ctx, section(sparse_memory::schema(), doc, plat, "memory"));
  host_bus = std::make_unique<interconnect>("host_bus", ctx, section(interconnect::schema(), doc, plat, "host_bus"));
  param_values mux_p(interconnect::schema());
  ir_mux = std::make_unique<interconnect>("ir_mux", ctx, mux_p);
  cpus = std::make_unique<lapic::cpu_complex>("cpus", ctx, section(lapic::cpu_complex::schema(), doc, plat, "cpus"));

  for (auto& [base, size] : memory->ranges())
    host_bus->map(base, size, memory->socket, base ? "dram-high" : "dram-low", false);

  param_values iop = section(iommu_section_schema(), doc, plat, "iommu");
  if (iop.b("enabled")) {
    iommu = std::make_unique<iommu::vtd_unit>("iommu", ctx, subset(iommu::vtd_unit::schema(), iop));
    iommu->mem.bind(memory->socket);
    iommu->irq_out.bind(cpus->bus().msi_in);
    ir_mux->map(msi_window_base, msi_window_size, iommu->ir_in, "iommu.ir_in", false);
    host_bus->map(host_map::iommu_base, host_map::iommu_size, iommu->regs, "iommu.regs");
    regviews_["iommu"] = iommu.get();
  } else {
    ir_mux->map(msi_window_base, msi_window_size, cpus->bus().msi_in, "apic_bus.msi_in", false);
  }

  ioapic = std::make_unique<ioapic::ioapic>("ioapic", ctx, section(ioapic::ioapic::schema(), doc, plat, "ioapic"));
  ioapic->irq_out.bind(ir_mux->in);
  cpus->bus().add_eoi_listener(ioapic.get());
  host_bus->map(host_map::ioapic_base, host_map::ioapic_size, ioapic->mmio, "ioapic.mmio");
  regviews_["ioapic"] = ioapic.get();
  for (unsigned i = 0; i < cpus->size(); ++i) regviews_["cpu" + std::to_string(i)] = &cpus->apic(i);

  build_pcie(doc, plat["pcie"], plat["devices"]);

  os::firmware_info fw;
  for (unsigned i = 0; i < cpus->size(); ++i) fw.cpus.push_back(&cpus->core(i));
  fw.ecam_base = host_bus->ecam_base();
  if (iommu) fw.iommu_base = host_map::iommu_base;
  fw.ioapic_base = host_map::ioapic_base;
  for (auto& e : rc->functions()) {
    fw.pci_functions.push_back(e.id);
    fw.pci_names.push_back(e.fn->device_name());
  }
  kernel = std::make_unique<os::kernel>("os", ctx, section(os::kernel::schema(), doc, plat, "os"), fw);
  kernel->mmio.bind(host_bus->in);
  for (unsigned i = 0; i < cpus->size(); ++i) cpus->core(i).set_os(kernel.get());
}

void platform::build_pcie(const yaml_doc& doc, const YAML::Node& pn, const YAML::Node& devs) {
  param_values pp = param_values::bind(pcie_topology_schema(), doc, pn, {"switches"});
  rc = std::make_unique<pcie::root_complex>("pcie", ctx, subset(pcie::root_complex::schema(), pp));
  rc->ir_out.bind(ir_mux->in);
  rc->mem_out.bind(memory->socket);
  rc->set_intx_sink([this](unsigned gsi, bool level, std::span<const event_id> evs) {
    ioapic->set_intx(gsi, level, evs);
  });
  std::map<std::string, pcie::bridge_port*> ports;
  for (int i = 0; i < pp.i("root_ports"); ++i)
    ports["rp" + std::to_string(i)] = &rc->add_root_port(uint8_t(1 + i), "rp" + std::to_string(i));
  if (pn && pn["switches"]) {
    const YAML::Node sw = pn["switches"];
    if (!sw.IsSequence()) doc.fail(sw, "switches", "expected a list of {name, at, downstream}");
    for (size_t i = 0; i < sw.size(); ++i) {
      YAML::Node s = sw[i];
      if (!s.IsMap() || !s["name"] || !s["at"]) doc.fail(s, "switches", "each switch needs name and at");
      for (auto it : s) {
        std::string k = it.first.Scalar();
        if (k != "name" && k != "at" && k != "downstream")
          doc.fail(it.first, k, "unknown switch key (known keys: name, at, downstream)");
      }
      auto parent = ports.find(s["at"].Scalar());
      if (parent == ports.end()) doc.fail(s["at"], "at", "no port named '" + s["at"].Scalar() + "'");
      unsigned n = s["downstream"] ? s["downstream"].as<unsigned>() : 4;
      if (n == 0 || n > 32) doc.fail(s["downstream"], "downstream", "must be 1..32");
      std::string name = s["name"].Scalar();
      auto made = rc->add_switch(*parent->second, n, name);
      for (unsigned k = 0; k < n; ++k) ports[name + ".dn" + std::to_string(k)] = made.downstream[k];
    }
  }
  if (devs.IsDefined() && devs.IsSequence()) {
    for (size_t i = 0; i < devs.size(); ++i) {
      YAML::Node d = devs[i];
      std::string name = d["name"].Scalar(), type = d["type"].Scalar();
      param_values p = param_values::bind(*kind_schema(type), doc, d, device_skip);
      std::unique_ptr<pcie::pcie_function> f;
      if (type == "testdev") f = std::make_unique<testdev::testdev>(name.c_str(), ctx, p);
      else if (type == "dsa") f = std::make_unique<idxd::dsa_device>(name.c_str(), ctx, p);
#ifdef IRQF_HAVE_NIC
      else if (type == "nic") f = std::make_unique<idxd::nic_device>(name.c_str(), ctx, p);
#endif
      std::string at = d["at"] ? d["at"].Scalar() : "rp0";
      if (at == "bus0") {
        uint8_t slot = d["slot"] ? d["slot"].as<uint8_t>() : uint8_t(16 + i);
        rc->attach(*f, nullptr, slot);
      } else {
        auto port = ports.find(at);
        if (port == ports.end()) doc.fail(d["at"], "at", "no port named '" + at + "'");
        rc->attach(*f, port->second, 0);
      }
      devices_.push_back({name, type, f.get()});
      regviews_[name] = f.get();
      owned_devices_.push_back(std::move(f));
    }
  }
  rc->enumerate();
  uint64_t next_bar = host_map::bar_base;
  for (auto& e : rc->functions()) {
    host_bus->map_config(e.id, e.fn->cfg, e.fn->name());
    for (auto& b : e.fn->bars()) {
      next_bar = (next_bar + b.size - 1) & ~(b.size - 1);  // naturally aligned, as BARs must be
      e.fn->assign_bar(b.index, next_bar);
      host_bus->map(next_bar, b.size, e.fn->mmio(b.index), std::string(e.fn->name()) + ".bar" + std::to_string(b.index));
      next_bar += b.size;
    }
  }
}

platform::~platform() = default;

pcie::pcie_function* platform::find_device(const std::string& name) const {
  for (auto& d : devices_)
    if (d.name == name) return d.fn;
  return nullptr;
}

register_view* platform::find_registers(const std::string& name) const {
  auto it = regviews_.find(name);
  return it == regviews_.end() ? nullptr : it->second;
}

std::vector<std::string> platform::register_owner_names() const {
  std::vector<std::string> v;
  for (auto& [k, r] : regviews_) v.push_back(k);
  return v;
}

}  // namespace irqf
