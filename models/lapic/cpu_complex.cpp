#include "models/lapic/cpu_complex.h"

#include <string>

#include "fabric/error.h"

namespace irqf::lapic {

namespace {

/// Copies every parameter `child` declares from `all` (the complex's values).
param_values subset(const component_schema& child, const param_values& all) {
  param_values v(child);
  for (const param_spec& s : child.params) {
    switch (s.type) {
      case param_type::boolean: v.set(s.name, all.b(s.name)); break;
      case param_type::integer: v.set(s.name, all.i(s.name)); break;
      case param_type::real: v.set(s.name, all.r(s.name)); break;
      case param_type::string:
      case param_type::choice: v.set(s.name, all.s(s.name)); break;
    }
  }
  return v;
}

}  // namespace

const component_schema& cpu_complex::schema() {
  static const component_schema s = [] {
    component_schema c{"cpus",
                       "The CPUs: apic_bus + one local APIC and CPU core per CPU (Intel SDM Vol.3A ch.11)",
                       {param_spec::integer("cpus", "", 4, 1, 4096, "number of CPUs; APIC ID = CPU index"),
                        param_spec::choice("apic_mode", "x2apic", {"xapic", "x2apic"},
                                           "APIC mode at start; Linux enables x2APIC when interrupt "
                                           "remapping is available (arch/x86/kernel/apic/apic.c)"),
                        param_spec::choice("logical_mode", "flat", {"flat", "cluster"},
                                           "xAPIC logical destination model (DFR) set up at boot; "
                                           "x2APIC logical mode is always cluster"),
                        param_spec::boolean("linux_boot_setup", true,
                                            "start with the APICs as Linux's setup_local_APIC leaves "
                                            "them (software-enabled, SVR vector 0xFF, LDR/DFR set); "
                                            "false: power-up state (software-disabled)")}};
    for (const component_schema* k : {&local_apic::schema(), &cpu_core::schema(), &apic_bus::schema()})
      c.params.insert(c.params.end(), k->params.begin(), k->params.end());
    return c;
  }();
  return s;
}

cpu_complex::cpu_complex(sc_core::sc_module_name nm, sim_context& c, const param_values& p)
    : component(nm, c) {
  const unsigned n = unsigned(p.i("cpus"));
  const bool x2 = p.s("apic_mode") == "x2apic";
  const bool cluster = p.s("logical_mode") == "cluster";
  if (!x2 && n > 255)
    throw elaboration_error(std::string(name()) + ": " + std::to_string(n) +
                            " CPUs need x2APIC (xAPIC IDs are 8-bit, 0xFF is broadcast)");
  if (x2 && !p.b("x2apic_supported"))
    throw elaboration_error(std::string(name()) + ": apic_mode x2apic needs x2apic_supported");
  bus_ = std::make_unique<apic_bus>("bus", c, subset(apic_bus::schema(), p));
  const param_values ap = subset(local_apic::schema(), p);
  const param_values cp = subset(cpu_core::schema(), p);
  apics_.reserve(n);
  cores_.reserve(n);
  for (unsigned i = 0; i < n; ++i) {
    apics_.push_back(std::make_unique<local_apic>(("lapic" + std::to_string(i)).c_str(), c, ap, i, i, bus_.get()));
    cores_.push_back(std::make_unique<cpu_core>(("core" + std::to_string(i)).c_str(), c, cp, *apics_.back()));
    if (p.b("linux_boot_setup")) linux_setup(*apics_.back(), i, x2, cluster);
  }
}

void cpu_complex::linux_setup(local_apic& a, unsigned i, bool x2, bool cluster) {
  if (x2) {
    bool ok = a.write_register("APIC_BASE", a.apic_base() | apic_base::EXTD.mask());
    (void)ok;
  } else if (cluster) {
    // Cluster model: four CPUs per cluster, cluster number in LDR[31:28].
    a.write_register("DFR", DFR_MODEL.set(0xFFFF'FFFF, DFR_MODEL_CLUSTER));
    a.write_register("LDR", XAPIC_LDR_ID.set(0, CLUSTER_ID.set(0, i / 4) | CLUSTER_MEMBERS.set(0, 1u << (i % 4))));
  } else {
    // Flat model: one bit per CPU for the first eight (apic_flat_64.c).
    a.write_register("DFR", 0xFFFF'FFFF);
    a.write_register("LDR", i < 8 ? XAPIC_LDR_ID.set(0, 1u << i) : 0);
  }
  a.write_register("SVR", svr::APIC_SW_ENABLE.set(svr::VECTOR.set(0, 0xFF), 1));
  a.write_register("LVT_ERROR", lvt::VECTOR.set(0, 0xFE));
  a.write_register("LVT_LINT0", lvt::MASK.set(lvt::DELIVERY_MODE.set(0, uint64_t(delivery_mode::extint)), 1));
  a.write_register("LVT_LINT1", lvt::MASK.set(lvt::DELIVERY_MODE.set(0, uint64_t(delivery_mode::nmi)), i != 0));
  a.write_register("TPR", 0);
}

}  // namespace irqf::lapic
