#include "models/pcie/topology.h"

#include <algorithm>
#include <cassert>

#include "fabric/error.h"
#include "models/pcie/config_regs.h"

namespace irqf::pcie {

namespace {
function_config port_config(port_type t) {
  function_config c;
  c.bridge = true;
  c.type = t;
  c.class_code = 0x060400;  // PCI-to-PCI bridge
  c.interrupt_pin = 0;      // the ports' own interrupts (PME, hot-plug) are not modelled
  switch (t) {
    case port_type::root_port: c.vendor_id = 0x1B36; c.device_id = 0x000C; break;        // QEMU pcie-root-port
    case port_type::switch_upstream: c.vendor_id = 0x104C; c.device_id = 0x8232; break;  // XIO3130 upstream
    default: c.vendor_id = 0x104C; c.device_id = 0x8233; break;                          // XIO3130 downstream
  }
  return c;
}
}  // namespace

// ------------------------------------------------------------------ bridge_port

bridge_port::bridge_port(sc_core::sc_module_name nm, sim_context& c, port_type t)
    : pcie_function(nm, c, port_config(t)) {}

uint8_t bridge_port::secondary_bus() const {
  return uint8_t(const_cast<bridge_port*>(this)->config_regs().raw(cfgreg::SECONDARY_BUS, 1));
}

void bridge_port::intx_level(uint8_t dev, uint8_t pin, bool level) {
  const uint8_t p = swizzle(dev, pin);
  if (level) {
    if (count_[p]++ == 0 && intx_parent()) intx_parent()->intx_level(id().dev, p, true);
  } else {
    assert(count_[p] > 0 && "Deassert_INTx without Assert_INTx");
    if (--count_[p] == 0 && intx_parent()) intx_parent()->intx_level(id().dev, p, false);
  }
}

void bridge_port::intx_events(uint8_t dev, uint8_t pin, std::span<const event_id> events) {
  if (intx_parent()) intx_parent()->intx_events(id().dev, swizzle(dev, pin), events);
}

// ------------------------------------------------------------------ root_complex

struct root_complex::node {
  pcie_function* fn = nullptr;  // nullptr for bus 0 itself
  bridge_port* port = nullptr;
  bool multi_device_bus = true;  // false below a root/downstream port (device 0 only)
  uint8_t dev = 0, func = 0;
  std::vector<node*> children;
};

const component_schema& root_complex::schema() {
  static const component_schema s{
      "root_complex",
      "PCIe root complex: routes upstream writes (0xFEEx_xxxx to the interrupt path, the rest to "
      "memory) and maps INTx pins to IOAPIC inputs",
      {param_spec::integer("intx_gsi_base", "gsi", 16, 0, 252,
                           "IOAPIC input of PIRQ A; bus-0 (slot, pin) goes to base + (slot + pin) mod 4 "
                           "(QEMU q35 routes PIRQA-H to GSI 16-23, hw/isa/lpc_ich9.c)")}};
  return s;
}

root_complex::root_complex(sc_core::sc_module_name nm, sim_context& c, const param_values& p)
    : component(nm, c), upstream_in("upstream_in"), ir_out("ir_out"), mem_out("mem_out"),
      gsi_base_(unsigned(p.i("intx_gsi_base"))) {
  upstream_in.register_b_transport(this, &root_complex::b_transport);
  upstream_in.register_transport_dbg(this, &root_complex::transport_dbg);
  nodes_.push_back(std::make_unique<node>());
  root_ = nodes_.back().get();
  track_ = ctx.trace.add_track("device", name());
}

root_complex::~root_complex() = default;

bridge_port& root_complex::add_root_port(uint8_t dev, const std::string& nm) {
  owned_.push_back(std::make_unique<bridge_port>(nm.c_str(), ctx, port_type::root_port));
  bridge_port& p = *owned_.back();
  attach(p, nullptr, dev, 0);
  return p;
}

pcie_switch root_complex::add_switch(bridge_port& parent, unsigned downstream_ports, const std::string& nm) {
  pcie_switch s;
  owned_.push_back(std::make_unique<bridge_port>((nm + "_up").c_str(), ctx, port_type::switch_upstream));
  s.upstream = owned_.back().get();
  attach(*s.upstream, &parent, 0, 0);
  for (unsigned i = 0; i < downstream_ports; ++i) {
    owned_.push_back(std::make_unique<bridge_port>((nm + "_dn" + std::to_string(i)).c_str(), ctx,
                                                   port_type::switch_downstream));
    s.downstream.push_back(owned_.back().get());
    attach(*s.downstream.back(), s.upstream, uint8_t(i), 0);
  }
  return s;
}

void root_complex::attach(pcie_function& f, bridge_port* parent, uint8_t dev, uint8_t fn) {
  node* pn = root_;
  if (parent) {
    auto it = std::find_if(nodes_.begin(), nodes_.end(), [&](auto& n) { return n->port == parent; });
    if (it == nodes_.end()) throw elaboration_error(std::string(name()) + ": parent port not in this hierarchy");
    pn = it->get();
  }
  if (dev > 31 || fn > 7)
    throw elaboration_error(std::string(name()) + ": device/function out of range for " + f.name());
  if (!pn->multi_device_bus && dev != 0)
    throw elaboration_error(std::string(name()) + ": only device 0 exists below a root/downstream port (" +
                            f.name() + ")");
  for (node* c : pn->children)
    if (c->dev == dev && c->func == fn)
      throw elaboration_error(std::string(name()) + ": duplicate slot for " + f.name());
  nodes_.push_back(std::make_unique<node>());
  node* n = nodes_.back().get();
  n->fn = &f;
  n->port = dynamic_cast<bridge_port*>(&f);
  n->dev = dev;
  n->func = fn;
  n->multi_device_bus = n->port && f.config().type == port_type::switch_upstream;
  pn->children.push_back(n);
  if (!parent) f.make_rc_integrated();
  f.set_intx_parent(parent ? static_cast<intx_node*>(parent) : this);
  f.set_id(bdf{0, dev, fn});
  f.upstream.bind(upstream_in);
}

uint8_t root_complex::number(node& n, uint8_t bus, uint8_t& next_bus) {
  std::sort(n.children.begin(), n.children.end(),
            [](const node* a, const node* b) { return a->dev != b->dev ? a->dev < b->dev : a->func < b->func; });
  for (node* c : n.children) {
    c->fn->set_id(bdf{bus, c->dev, c->func});
    list_.push_back({c->fn->id(), c->fn});
    if (c->port) {
      config_space& cs = c->fn->config_regs();
      const uint8_t sec = next_bus++;
      cs.set_raw(cfgreg::PRIMARY_BUS, bus, 1);
      cs.set_raw(cfgreg::SECONDARY_BUS, sec, 1);
      const uint8_t sub = number(*c, sec, next_bus);
      cs.set_raw(cfgreg::SUBORDINATE_BUS, sub, 1);
    }
  }
  return uint8_t(next_bus - 1);
}

void root_complex::enumerate() {
  list_.clear();
  uint8_t next_bus = 1;
  number(*root_, 0, next_bus);
  for (auto& e : list_) log->debug("{} {}", e.id.str(), e.fn->name());
}

pcie_function* root_complex::find(bdf b) const {
  for (auto& e : list_)
    if (e.id == b) return e.fn;
  return nullptr;
}

bool root_complex::gsi_level(unsigned gsi) const {
  return gsi >= gsi_base_ && gsi < gsi_base_ + 4 && count_[gsi - gsi_base_] > 0;
}

void root_complex::intx_level(uint8_t dev, uint8_t pin, bool level) {
  const uint8_t g = swizzle(dev, pin);
  if (level) {
    if (count_[g]++ == 0) {
      event_list ids;
      ids.swap(stash_[g]);
      if (sink_) sink_(gsi_base_ + g, true, as_span(ids));
      else ctx.led.settle_lost(as_span(ids), loss_cause::intx_disabled, now_ps());
    }
  } else {
    assert(count_[g] > 0 && "Deassert_INTx without Assert_INTx");
    if (--count_[g] == 0 && sink_) sink_(gsi_base_ + g, false, {});
  }
}

void root_complex::intx_events(uint8_t dev, uint8_t pin, std::span<const event_id> events) {
  const uint8_t g = swizzle(dev, pin);
  if (count_[g] == 0) {  // the Assert_INTx that carries them follows
    stash_[g].insert(stash_[g].end(), events.begin(), events.end());
    return;
  }
  if (sink_) sink_(gsi_base_ + g, true, events);
  else ctx.led.settle_lost(events, loss_cause::intx_disabled, now_ps());
}

void root_complex::b_transport(int, tlm::tlm_generic_payload& gp, sc_core::sc_time& delay) {
  const uint64_t a = gp.get_address();
  if (in_msi_window(a)) {
    if (gp.is_write()) {
      ir_out->b_transport(gp, delay);
    } else {
      gp.set_response_status(tlm::TLM_ADDRESS_ERROR_RESPONSE);  // reads of the interrupt window: UR
    }
    return;
  }
  if (gp.is_write()) {
    requester_ext* e = ext_of(gp);
    if (e && !e->events.empty()) {
      // An interrupt message software pointed outside the MSI window is an ordinary memory write.
      log->warn("interrupt message from {} to {:#x} is outside 0xFEEx_xxxx: written to memory",
                bdf::from_rid(e->requester_id).str(), a);
      ctx.led.settle_lost(as_span(e->events), loss_cause::msi_bad_address, now_ps());
      if (ctx.trace.on()) ctx.trace.instant(track_, stage::drop, now_ps(), as_span(e->events), {{"addr", int64_t(a)}});
      e->events.clear();
    }
  }
  mem_out->b_transport(gp, delay);
}

unsigned root_complex::transport_dbg(int, tlm::tlm_generic_payload& gp) { return mem_out->transport_dbg(gp); }

}  // namespace irqf::pcie
