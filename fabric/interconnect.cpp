#include "fabric/interconnect.h"

#include <cstdio>

#include "fabric/error.h"

namespace irqf {

const component_schema& interconnect::schema() {
  static const component_schema s{
      "interconnect",
      "address-map router between initiators and targets (host bus, upstream fabric)",
      {param_spec::integer("hop_latency_ns", "ns", 0, 0, 1'000'000,
                           "latency added per traversal (0: the hop is folded into the endpoints' "
                           "own latencies)"),
       param_spec::integer("ecam_base", "address", 0xE000'0000, 0, 0xFFFF'FFFF'F000'0000,
                           "base of the ECAM config window (q35 uses 0xE0000000; PCIe §7.2.2)")}};
  return s;
}

interconnect::interconnect(sc_core::sc_module_name nm, sim_context& ctx, const param_values& p)
    : component(nm, ctx),
      in("in"),
      out("out"),
      hop_(sc_core::sc_time(double(p.i("hop_latency_ns")), sc_core::SC_NS)),
      ecam_base_(p.u("ecam_base")) {
  in.register_b_transport(this, &interconnect::b_transport);
  in.register_transport_dbg(this, &interconnect::transport_dbg);
}

void interconnect::map(uint64_t base, uint64_t size, target_socket_ref& target,
                       const std::string& name, bool relative) {
  if (size == 0) throw elaboration_error(std::string(this->name()) + ": region '" + name + "' has size 0");
  if (base + size - 1 < base)
    throw elaboration_error(std::string(this->name()) + ": region '" + name + "' wraps the address space");
  auto iv = boost::icl::interval<uint64_t>::right_open(base, base + size);
  auto hit = map_.find(iv);
  if (hit != map_.end()) {
    const region& o = regions_[size_t(hit->second - 1)];
    char b[256];
    std::snprintf(b, sizeof b, "%s: region '%s' [0x%llx, 0x%llx) overlaps '%s' [0x%llx, 0x%llx)",
                  this->name(), name.c_str(), (unsigned long long)base,
                  (unsigned long long)(base + size), o.name.c_str(), (unsigned long long)o.base,
                  (unsigned long long)(o.base + o.size));
    throw elaboration_error(b);
  }
  // One initiator port per distinct target socket.
  int port = -1;
  for (size_t i = 0; i < bound_.size(); ++i)
    if (bound_[i] == &target) port = int(i);
  if (port < 0) {
    port = int(bound_.size());
    bound_.push_back(&target);
    out.bind(target);
  }
  regions_.push_back({base, size, name, relative, port});
  map_.add(std::make_pair(iv, int(regions_.size())));
  last_ = nullptr;
}

void interconnect::map_config(bdf f, target_socket_ref& target, const std::string& name) {
  map(ecam_address(f, 0), 4096, target, name + " config " + f.str(), true);
}

const interconnect::region* interconnect::find(uint64_t addr) const {
  if (last_ && addr - last_->base < last_->size) return last_;
  auto it = map_.find(addr);
  if (it == map_.end()) return nullptr;
  return &regions_[size_t(it->second - 1)];
}

void interconnect::b_transport(int, tlm::tlm_generic_payload& gp, sc_core::sc_time& delay) {
  uint64_t a = gp.get_address();
  const region* r = find(a);
  if (!r || a + gp.get_data_length() > r->base + r->size) {
    gp.set_response_status(tlm::TLM_ADDRESS_ERROR_RESPONSE);
    if (log->should_log(spdlog::level::debug))
      log->debug("no target for {} of {} bytes at {:#x}", gp.is_write() ? "write" : "read",
                 gp.get_data_length(), a);
    return;
  }
  last_ = r;
  delay += hop_;
  if (r->relative) gp.set_address(a - r->base);
  out[r->port]->b_transport(gp, delay);
  gp.set_address(a);
}

unsigned interconnect::transport_dbg(int, tlm::tlm_generic_payload& gp) {
  uint64_t a = gp.get_address();
  const region* r = find(a);
  if (!r) return 0;
  if (r->relative) gp.set_address(a - r->base);
  unsigned n = out[r->port]->transport_dbg(gp);
  gp.set_address(a);
  return n;
}

}  // namespace irqf
