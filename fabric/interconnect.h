#pragma once
// A TLM-2.0 router with an address map (DESIGN §3 "interconnect and address map"). Initiators bind
// to `in`, targets are attached with map(); a request is forwarded to the one target whose range
// holds its address, with the address made relative to the range base (or kept absolute), and the
// hop latency added to the annotated delay. Overlapping ranges are rejected at elaboration.
// Config space is routed by BDF the ECAM way (PCIe Base §7.2.2): the 4 KiB function window at
// ecam_base + (bus << 20 | dev << 15 | fn << 12) goes to the function's config target.
#include <tlm_utils/multi_passthrough_initiator_socket.h>
#include <tlm_utils/multi_passthrough_target_socket.h>

#include <boost/icl/interval_map.hpp>
#include <string>
#include <vector>

#include "fabric/bdf.h"
#include "fabric/context.h"
#include "fabric/params.h"

namespace irqf {

/// Any TLM-2.0 target socket of the default width/protocol (simple, passthrough, multi-passthrough).
using target_socket_ref =
    tlm::tlm_base_target_socket_b<32, tlm::tlm_fw_transport_if<>, tlm::tlm_bw_transport_if<>>;

class interconnect : public component {
 public:
  tlm_utils::multi_passthrough_target_socket<interconnect> in;
  tlm_utils::multi_passthrough_initiator_socket<interconnect> out;

  static const component_schema& schema();

  /// `p` from schema(): hop_latency_ns, ecam_base.
  interconnect(sc_core::sc_module_name nm, sim_context& ctx, const param_values& p);

  /// Maps [base, base+size) to `target`. `relative`: forward base-relative offsets (MMIO regions)
  /// or absolute addresses (memory, interrupt windows). Throws elaboration_error when the range
  /// overlaps one already mapped or size is 0. Call during elaboration only.
  void map(uint64_t base, uint64_t size, target_socket_ref& target, const std::string& name,
           bool relative = true);
  /// Maps the ECAM window of `f` to `target` (offsets 0..4095 = config register offsets).
  void map_config(bdf f, target_socket_ref& target, const std::string& name);
  uint64_t ecam_base() const { return ecam_base_; }
  /// Address of config register `off` of function `f` in the ECAM window.
  uint64_t ecam_address(bdf f, uint16_t off) const {
    return ecam_base_ + (uint64_t(f.rid()) << 12) + off;
  }

  struct region {
    uint64_t base, size;
    std::string name;
    bool relative;
    int port;
  };
  const std::vector<region>& regions() const { return regions_; }
  /// The region holding `addr`, or nullptr.
  const region* find(uint64_t addr) const;

 private:
  void b_transport(int id, tlm::tlm_generic_payload& gp, sc_core::sc_time& delay);
  unsigned transport_dbg(int id, tlm::tlm_generic_payload& gp);
  std::vector<region> regions_;
  boost::icl::interval_map<uint64_t, int> map_;  // address -> index in regions_ + 1
  std::vector<target_socket_ref*> bound_;
  sc_core::sc_time hop_;
  uint64_t ecam_base_;
  mutable const region* last_ = nullptr;  // one-entry lookup cache
};

}  // namespace irqf
