#include "fabric/engine/timeline.h"

#include <sstream>

#include "fabric/engine/platform.h"
#include "fabric/engine/run_state.h"
#include "fabric/engine/live_metrics.h"
#include "fabric/error.h"
#include "models/idxd/dsa_device.h"
#include "models/os/kernel.h"
#include "models/testdev/testdev.h"

namespace irqf {

namespace {
using P = param_spec;

std::string device_of(platform& plat, const param_values& p, const char* want_type = nullptr) {
  const std::string& d = p.s("device");
  for (auto& dev : plat.devices())
    if (dev.name == d) {
      if (want_type && dev.type != want_type)
        throw input_error("key 'device': '" + d + "' is a " + dev.type + ", this action needs a " + want_type);
      return d;
    }
  throw input_error("key 'device': no device named '" + d + "'");
}

bdf bdf_of(platform& plat, const std::string& name) { return plat.find_device(name)->id(); }

os::cpumask parse_cpus(const std::string& s, unsigned ncpus) {
  os::cpumask m;
  std::stringstream ss(s);
  for (std::string part; std::getline(ss, part, ',');) {
    auto dash = part.find('-');
    unsigned a, b;
    try {
      a = unsigned(std::stoul(part.substr(0, dash)));
      b = dash == std::string::npos ? a : unsigned(std::stoul(part.substr(dash + 1)));
    } catch (...) {
      throw input_error("key 'cpus': '" + s + "' is not a CPU list like 0-3,6");
    }
    if (b < a || b >= ncpus) throw input_error("key 'cpus': '" + s + "' names a CPU outside 0.." + std::to_string(ncpus - 1));
    for (unsigned c = a; c <= b; ++c) m.set(c);
  }
  return m;
}

std::pair<register_view*, std::string> reg_of(platform& plat, const std::string& full) {
  auto dot = full.find('.');
  if (dot == std::string::npos) throw input_error("key 'reg': '" + full + "' is not <component>.<REGISTER>");
  register_view* rv = plat.find_registers(full.substr(0, dot));
  if (!rv) {
    std::string known;
    for (auto& n : plat.register_owner_names()) known += (known.empty() ? "" : ", ") + n;
    throw input_error("key 'reg': no component '" + full.substr(0, dot) + "' (known: " + known + ")");
  }
  return {rv, full.substr(dot + 1)};
}

os::irqreturn default_handler(unsigned, unsigned) { return os::irqreturn::handled; }

std::vector<action_kind> make_actions() {
  std::vector<action_kind> a;
  auto add = [&](std::string name, std::string desc, std::vector<param_spec> ps,
                 std::function<void(platform&, run_state&, const param_values&)> fn) {
    a.push_back({name, component_schema{"timeline." + name, std::move(desc), std::move(ps)}, std::move(fn)});
  };
  const P dev = P::string("device", "", "device name");

  add("mark", "start a named phase (report.json phases.<label>)", {},
      [](platform&, run_state&, const param_values&) {});

  add("driver.probe", "bind a driver to a DSA: native idxd, or vfio-pci pass-through to a guest",
      {dev, P::choice("driver", "idxd", {"idxd", "vfio"}, "idxd: host driver; vfio: pass-through"),
       P::choice("strategy", "dynamic", {"legacy", "dynamic", "ims"},
                 "vfio: how the host grows MSI-X (linux-stack.md §7)"),
       P::integer("wqs", "WQs", 1, 0, 64, "WQs enabled at probe"),
       P::boolean("ims", false, "idxd: IMS mode (handles from REQUEST_INT_HANDLE)"),
       P::integer("wq_size", "descriptors", 32, 1, 4096, "descriptors per WQ"),
       P::real("inject_ns", "ns", 2000, 0, 1e9, "vfio: host handler → guest handler (eventfd + KVM injection)"),
       P::real("guest_handler_ns", "ns", 500, 0, 1e9, "vfio: guest handler per completion record"),
       P::real("vfio_ioctl_ns", "ns", 5000, 0, 1e9, "vfio: VFIO_DEVICE_SET_IRQS software overhead per call"),
       P::real("handler_ns", "ns", 500, 0, 1e9, "idxd: completion handler per record")},
      [](platform& plat, run_state& rs, const param_values& p) {
        std::string d = device_of(plat, p, "dsa");
        auto& hw = *dynamic_cast<idxd::dsa_device*>(plat.find_device(d));
        if (rs.idxd.count(d) || rs.vfio.count(d)) throw input_error("key 'device': '" + d + "' already has a driver");
        unsigned wqs = unsigned(p.i("wqs"));
        if (p.s("driver") == "idxd") {
          os::idxd_driver::config c;
          c.use_ims = p.b("ims"), c.wq_size = unsigned(p.i("wq_size")), c.handler_ns = p.r("handler_ns");
          auto* drv = (rs.idxd[d] = std::make_unique<os::idxd_driver>(*plat.kernel, hw.id(), hw, c)).get();
          plat.kernel->run_task("idxd.probe." + d, [drv, wqs] {
            drv->probe();
            for (unsigned w = 0; w < wqs; ++w) drv->enable_wq(w);
          });
        } else {
          os::vfio_dsa::config c;
          const std::string& st = p.s("strategy");
          c.strategy = st == "legacy" ? os::vfio_resize::legacy : st == "ims" ? os::vfio_resize::ims : os::vfio_resize::dynamic;
          c.wq_size = unsigned(p.i("wq_size")), c.inject_ns = p.r("inject_ns");
          c.guest_handler_ns = p.r("guest_handler_ns"), c.vfio_ioctl_ns = p.r("vfio_ioctl_ns");
          auto* drv = (rs.vfio[d] = std::make_unique<os::vfio_dsa>(*plat.kernel, hw.id(), hw, c)).get();
          plat.kernel->run_task("vfio.probe." + d, [drv, wqs] { drv->guest_probe(wqs); });
        }
      });

  add("wq.enable", "enable a work queue (vfio: the guest enables it and unmasks its vector; the host grows)",
      {dev, P::integer("wq", "", 0, 0, 63, "work queue index")},
      [](platform& plat, run_state& rs, const param_values& p) {
        std::string d = device_of(plat, p, "dsa");
        unsigned wq = unsigned(p.i("wq"));
        if (auto it = rs.vfio.find(d); it != rs.vfio.end()) {
          auto* drv = it->second.get();
          plat.kernel->run_task("vfio.enable_wq." + d, [drv, wq] { drv->guest_enable_wq(wq); });
        } else if (auto jt = rs.idxd.find(d); jt != rs.idxd.end()) {
          auto* drv = jt->second.get();
          plat.kernel->run_task("idxd.enable_wq." + d, [drv, wq] { drv->enable_wq(wq); });
        } else {
          throw input_error("key 'device': '" + d + "' has no driver (driver.probe first)");
        }
      });

  add("pci.alloc_vectors", "pci_alloc_irq_vectors + request_irq of each with a counting handler",
      {dev, P::integer("min", "vectors", 1, 1, 2048, "minimum"), P::integer("max", "vectors", 1, 1, 2048, "maximum"),
       P::choice("type", "msix", {"msix", "msi", "intx", "any"}, "allowed interrupt types"),
       P::boolean("request", true, "request_irq every vector")},
      [](platform& plat, run_state&, const param_values& p) {
        std::string d = device_of(plat, p);
        bdf b = bdf_of(plat, d);
        const std::string& t = p.s("type");
        unsigned flags = t == "msix" ? os::kernel::PCI_IRQ_MSIX : t == "msi" ? os::kernel::PCI_IRQ_MSI
                       : t == "intx" ? os::kernel::PCI_IRQ_INTX
                       : os::kernel::PCI_IRQ_MSIX | os::kernel::PCI_IRQ_MSI | os::kernel::PCI_IRQ_INTX;
        unsigned mn = unsigned(p.i("min")), mx = unsigned(p.i("max"));
        bool req = p.b("request");
        auto* k = plat.kernel.get();
        k->run_task("pci.alloc." + d, [k, b, mn, mx, flags, req, d] {
          k->pci_enable_device(b);
          int n = k->pci_alloc_irq_vectors(b, mn, mx, flags);
          if (n < 0) k->log->warn("pci_alloc_irq_vectors({}) = {}", d, n);
          for (int i = 0; req && i < n; ++i) {
            int v = k->pci_irq_vector(b, unsigned(i));
            if (v > 0) k->request_irq(unsigned(v), default_handler, d + "-" + std::to_string(i));
          }
        });
      });

  add("pci.msix_alloc_at", "pci_msix_alloc_irq_at(index) + request_irq (dynamic MSI-X)",
      {dev, P::integer("index", "", -1, -1, 2047, "table slot; -1 = MSI_ANY_INDEX")},
      [](platform& plat, run_state&, const param_values& p) {
        std::string d = device_of(plat, p);
        bdf b = bdf_of(plat, d);
        int64_t idx = p.i("index");
        auto* k = plat.kernel.get();
        k->run_task("pci.msix_alloc_at." + d, [k, b, idx, d] {
          auto m = k->pci_msix_alloc_irq_at(b, idx < 0 ? ~0u : unsigned(idx));
          if (m.index < 0) k->log->warn("pci_msix_alloc_irq_at({}) = {}", d, m.index);
          else k->request_irq(m.virq, default_handler, d + "-dyn" + std::to_string(m.index));
        });
      });

  add("pci.ims_alloc",
      "IMS on a device's message table (testdev DMT or DSA IMS table): pci_create_ims_domain with a "
      "template writing the 16-byte slots through BAR0, then pci_ims_alloc_irq + request_irq, `count` times",
      {dev, P::integer("count", "entries", 1, 1, 65536, "entries to allocate")},
      [](platform& plat, run_state&, const param_values& p) {
        std::string d = device_of(plat, p);
        auto* fn = plat.find_device(d);
        uint64_t table_off = 0;
        unsigned hw = 0;
        if (auto* td = dynamic_cast<testdev::testdev*>(fn); td && td->dmt()) {
          table_off = testdev::DMT_BASE, hw = td->dmt()->vectors();
        } else if (auto* dsa = dynamic_cast<idxd::dsa_device*>(fn)) {
          table_off = dsa->layout().ims, hw = dsa->layout().ims_entries;
        } else {
          throw input_error("key 'device': '" + d + "' has no IMS-style message table");
        }
        bdf b = fn->id();
        unsigned count = unsigned(p.i("count"));
        auto* k = plat.kernel.get();
        k->run_task("pci.ims_alloc." + d, [k, b, count, hw, d, table_off] {
          k->pci_enable_device(b);
          uint64_t base = k->bar_address(b, 0) + table_off;
          os::ims_template t;
          t.hwsize = hw;
          // The slot layout of the DSA IMS / tglx's IMS RFC: addr lo, addr hi, data, control.
          t.write_msg = [k, base](unsigned i, const msi_msg& m) {
            k->writel(base + 16 * i, uint32_t(m.address));
            k->writel(base + 16 * i + 4, uint32_t(m.address >> 32));
            k->writel(base + 16 * i + 8, m.data);
          };
          t.mask = [k, base](unsigned i) { k->writel(base + 16 * i + 12, 1); };
          t.unmask = [k, base](unsigned i) { k->writel(base + 16 * i + 12, 0); };
          if (!k->pci_create_ims_domain(b, t)) {
            k->log->warn("pci_create_ims_domain({}) failed", d);
            return;
          }
          for (unsigned i = 0; i < count; ++i) {
            auto m = k->pci_ims_alloc_irq(b, i);
            if (m.index < 0) {
              k->log->warn("pci_ims_alloc_irq({}) = {} after {} entries", d, m.index, i);
              return;
            }
            k->request_irq(m.virq, default_handler, d + "-ims" + std::to_string(m.index));
          }
        });
      });

  add("pci.free_vectors", "free_irq every vector, then pci_free_irq_vectors", {dev},
      [](platform& plat, run_state&, const param_values& p) {
        std::string d = device_of(plat, p);
        bdf b = bdf_of(plat, d);
        auto* k = plat.kernel.get();
        k->run_task("pci.free." + d, [k, b] {
          for (unsigned i = 0;; ++i) {
            int v = k->pci_irq_vector(b, i);
            if (v <= 0) break;
            k->free_irq(unsigned(v));
          }
          k->pci_free_irq_vectors(b);
        });
      });

  add("irq.set_affinity", "write /proc/irq/N/smp_affinity_list for a device vector",
      {dev, P::integer("vector", "", 0, 0, 2047, "the device's vector index (pci_irq_vector nr)"),
       P::string("cpus", "0", "CPU list, e.g. 0-3,6")},
      [](platform& plat, run_state&, const param_values& p) {
        std::string d = device_of(plat, p);
        bdf b = bdf_of(plat, d);
        auto mask = parse_cpus(p.s("cpus"), plat.kernel->ncpus());
        unsigned nr = unsigned(p.i("vector"));
        auto* k = plat.kernel.get();
        k->run_task("irq.set_affinity." + d, [k, b, nr, mask, d] {
          int v = k->pci_irq_vector(b, nr);
          if (v <= 0) {
            k->log->warn("irq.set_affinity: {} has no vector {}", d, nr);
            return;
          }
          int r = k->irq_set_affinity(unsigned(v), mask);
          if (r) k->log->info("irq_set_affinity({}) = {}", v, r);
        });
      });

  for (const char* what : {"offline", "online"}) {
    bool off = std::string(what) == "offline";
    add(std::string("cpu.") + what, std::string("CPU hotplug: bring a CPU ") + what,
        {P::integer("cpu", "", 1, 0, 4095, "CPU number")},
        [off](platform& plat, run_state&, const param_values& p) {
          unsigned cpu = unsigned(p.i("cpu"));
          if (cpu >= plat.kernel->ncpus()) throw input_error("key 'cpu': no CPU " + std::to_string(cpu));
          auto* k = plat.kernel.get();
          k->run_task(off ? "cpu_down" : "cpu_up", [k, cpu, off] {
            int r = off ? k->cpu_down(cpu) : k->cpu_up(cpu);
            if (r) k->log->warn("cpu {} {} = {}", cpu, off ? "down" : "up", r);
          });
        });
  }

  add("reg.write", "write a model register by name (as software would; side effects included)",
      {P::string("reg", "", "<component>.<REGISTER>, e.g. dsa0.GENCTRL, iommu.FECTL, cpu0.TPR"),
       P::integer("value", "", 0, 0, INT64_MAX, "value")},
      [](platform& plat, run_state&, const param_values& p) {
        auto [rv, name] = reg_of(plat, p.s("reg"));
        if (!rv->write_register(name, p.u("value")))
          throw input_error("key 'reg': no register '" + name + "' in " + p.s("reg"));
      });

  add("testdev.raise", "raise events on a test endpoint's vector",
      {dev, P::choice("store", "msix", {"msix", "msi", "dmt"}, "message storage"),
       P::integer("vector", "", 0, 0, 2047, "vector index"), P::integer("count", "events", 1, 1, 1 << 20, "how many")},
      [](platform& plat, run_state&, const param_values& p) {
        auto* td = dynamic_cast<testdev::testdev*>(plat.find_device(device_of(plat, p, "testdev")));
        for (int64_t i = 0; i < p.i("count"); ++i) td->raise(p.s("store"), unsigned(p.i("vector")));
      });

  add("testdev.raw", "a raw upstream 4-byte write with any address, data and requester ID",
      {dev, P::integer("address", "", 0xFEE0'0000, 0, INT64_MAX, "address"),
       P::integer("data", "", 0, 0, 0xFFFF'FFFF, "data"),
       P::integer("requester_id", "", -1, -1, 0xFFFF, "forged requester ID; -1 = the device's own"),
       P::integer("from_msix_entry", "", -1, -1, 2047,
                  "take address and data from this MSI-X table entry (as the OS programmed it)")},
      [](platform& plat, run_state&, const param_values& p) {
        auto* td = dynamic_cast<testdev::testdev*>(plat.find_device(device_of(plat, p, "testdev")));
        int64_t rid = p.i("requester_id"), e = p.i("from_msix_entry");
        uint64_t addr = p.u("address");
        uint32_t data = uint32_t(p.u("data"));
        if (e >= 0) {
          std::string n = "MSIX[" + std::to_string(e) + "].";
          auto lo = td->read_register(n + "ADDR_LO"), hi = td->read_register(n + "ADDR_HI"),
               dt = td->read_register(n + "DATA");
          if (!lo || !hi || !dt) throw input_error("key 'from_msix_entry': no MSI-X entry " + std::to_string(e));
          addr = *lo | *hi << 32, data = uint32_t(*dt);
        }
        td->raw_write(addr, data, rid < 0 ? td->id().rid() : uint16_t(rid));
      });

  add("testdev.intx", "assert or deassert a test endpoint's INTx",
      {dev, P::boolean("asserted", true, "level")},
      [](platform& plat, run_state&, const param_values& p) {
        dynamic_cast<testdev::testdev*>(plat.find_device(device_of(plat, p, "testdev")))->intx(p.b("asserted"));
      });

  add("fault.skip_iec_invalidation",
      "fault injection: the OS model stops invalidating the interrupt-entry cache after IRTE updates",
      {P::boolean("enabled", true, "skip (true) or resume (false)")},
      [](platform& plat, run_state&, const param_values& p) { plat.kernel->set_skip_iec_invalidation(p.b("enabled")); });

  add("dsa.revoke_handles", "the device revokes every interrupt handle (INT_HANDLE_REVOKED)", {dev},
      [](platform& plat, run_state&, const param_values& p) {
        dynamic_cast<idxd::dsa_device*>(plat.find_device(device_of(plat, p, "dsa")))->revoke_int_handles();
      });
  return a;
}
}  // namespace

const std::vector<action_kind>& action_kinds() {
  static const std::vector<action_kind> a = make_actions();
  return a;
}

const action_kind* find_action(const std::string& name) {
  for (auto& a : action_kinds())
    if (a.name == name) return &a;
  return nullptr;
}

const component_schema& timeline_item_schema() {
  static const component_schema s{
      "timeline",
      "one timeline item: when it happens and which action (plus the action's own keys)",
      {P::real("at_us", "us", -1, -1, 1e12, "time of the action (omit when using `when`)"),
       P::string("when", "", "condition {that: METRIC, is: CONDITION} on live results (ledger.*)"),
       P::real("poll_us", "us", 1, 0.001, 1e9, "how often `when` is checked"),
       P::string("action", "", "the action kind (see timeline.* tables)"),
       P::string("label", "", "starts a phase with this name at the action's time"),
       P::string("name", "", "names the item so --set and variants can address it (timeline.<name>.<key>)")}};
  return s;
}

std::vector<timeline_item> parse_timeline(const yaml_doc& doc, const YAML::Node& node) {
  std::vector<timeline_item> out;
  if (!node.IsDefined() || node.IsNull()) return out;
  if (!node.IsSequence()) doc.fail(node, "timeline", "expected a list of actions");
  for (size_t i = 0; i < node.size(); ++i) {
    YAML::Node n = node[i];
    if (!n.IsMap()) doc.fail(n, "timeline", "each item is a map with action and at_us or when");
    timeline_item t;
    t.where = doc.where(n);
    if (!n["action"] || !n["action"].IsScalar()) doc.fail(n, "action", "missing action");
    std::string an = n["action"].Scalar();
    t.kind = find_action(an);
    if (!t.kind) {
      std::vector<std::string> names;
      for (auto& k : action_kinds()) names.push_back(k.name);
      doc.fail(n["action"], "action", "unknown action '" + an + "'" + suggest_key(an, names));
    }
    std::vector<std::string> common;
    for (auto& p : timeline_item_schema().params) common.push_back(p.name);
    t.params = param_values::bind(t.kind->schema, doc, n, common);
    param_values c = param_values::bind(timeline_item_schema(), doc, n, [&] {
      std::vector<std::string> own;
      for (auto& p : t.kind->schema.params) own.push_back(p.name);
      return own;
    }());
    t.at_us = c.r("at_us");
    t.poll_us = c.r("poll_us");
    t.label = c.s("label");
    if (an == "mark" && t.label.empty()) doc.fail(n, "label", "a mark needs a label");
    if (n["when"]) {
      YAML::Node one(YAML::NodeType::Sequence);
      one.push_back(n["when"]);
      auto e = parse_expectations(doc, one);
      t.when = e.at(0);
      if (t.at_us >= 0) doc.fail(n["when"], "when", "give either at_us or when, not both");
    } else if (t.at_us < 0) {
      doc.fail(n, "at_us", "missing: give at_us or when");
    }
    out.push_back(std::move(t));
  }
  return out;
}

timeline_runner::timeline_runner(sc_core::sc_module_name nm, sim_context& c, platform& plat, run_state& rs,
                                 std::vector<timeline_item> items)
    : component(nm, c), plat_(plat), rs_(rs), items_(std::move(items)) {
  fired_.assign(items_.size(), false);
  for (size_t i = 0; i < items_.size(); ++i) {
    sc_core::sc_spawn_options o;
    o.spawn_method();
    o.dont_initialize();
    auto* ev = new sc_core::sc_event;  // owned below
    events_.emplace_back(ev);
    o.set_sensitivity(ev);
    auto& it = items_[i];
    if (it.at_us >= 0) {
      sc_core::sc_spawn([this, i] { fire(i); }, sc_core::sc_gen_unique_name("at"), &o);
      ev->notify(sc_core::sc_time(it.at_us, sc_core::SC_US));
    } else {
      sc_core::sc_spawn([this, i, ev] {
        if (fired_[i]) return;
        poll(i);
        if (!fired_[i]) ev->notify(sc_core::sc_time(items_[i].poll_us, sc_core::SC_US));
      }, sc_core::sc_gen_unique_name("when"), &o);
      ev->notify(sc_core::SC_ZERO_TIME);
    }
  }
}

timeline_runner::~timeline_runner() = default;

void timeline_runner::poll(size_t i) {
  auto live = live_metrics(ctx.led);
  if (evaluate(*items_[i].when, live).passed) fire(i);
}

void timeline_runner::fire(size_t i) {
  fired_[i] = true;
  auto& it = items_[i];
  double now = double(now_ps()) / 1000.0;
  if (!it.label.empty()) rs_.phases.emplace_back(now, it.label);
  try {
    it.kind->run(plat_, rs_, it.params);
  } catch (const input_error& e) {
    // Exceptions must not cross the SystemC kernel: stop and let the runner report it (exit 2).
    if (rs_.error.empty()) rs_.error = it.where + ": " + e.what();
    sc_core::sc_stop();
    return;
  }
  done_.emplace_back(now, it.kind->name);
  if (log->should_log(spdlog::level::info)) log->info("{} ({})", it.kind->name, it.where);
}

}  // namespace irqf
