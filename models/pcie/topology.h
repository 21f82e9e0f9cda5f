#pragma once
// The PCIe hierarchy (PCIe Base §1.3): a root complex on bus 0 with root ports, optional switches
// (an upstream port, an internal bus, downstream ports), root-complex integrated endpoints on bus 0
// and endpoints below ports. Bus numbers are assigned depth-first at enumerate(), as firmware does,
// and written into each bridge's Primary/Secondary/Subordinate Bus Number registers.
//
// Data path: every function's `upstream` socket is bound to root_complex::upstream_in (ports and
// switches forward upstream memory writes unchanged, so they are not separate TLM hops). The root
// complex sends writes to 0xFEE0_0000-0xFEEF_FFFF out of `ir_out` (absolute address, requester_ext
// intact: the IOMMU's interrupt-request input when present, else the APIC bus) and everything else
// out of `mem_out` (host memory).
//
// INTx (PCIe §2.2.8.1): Assert_INTx/Deassert_INTx virtual wires. Each bridge port wire-ORs the pins
// of the devices below it after the swizzle pin' = (device + pin) mod 4 (device = number of the
// sender on the port's secondary bus; Linux pci_common_swizzle, QEMU pci_swizzle). At bus 0 the root
// complex maps (slot, pin) to the IOAPIC input gsi = intx_gsi_base + (slot + pin) mod 4: a q35-like
// PIRQ A-D rotation onto GSIs 16-19 by default (QEMU q35 wires PIRQA-H to IOAPIC inputs 16-23,
// hw/pci-host/q35.c / hw/isa/lpc_ich9.c). Ledger ids folded into an INTx assertion travel with the
// wire to the IOAPIC.
#include <tlm_utils/multi_passthrough_target_socket.h>
#include <tlm_utils/simple_initiator_socket.h>

#include <array>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "fabric/context.h"
#include "fabric/params.h"
#include "models/pcie/function.h"

namespace irqf::pcie {

/// Receives INTx virtual-wire messages from the devices on its secondary bus (bridge ports) or on
/// bus 0 (the root complex). `dev` is the sender's device number, `pin` 0..3 = INTA..INTD.
class intx_node {
 public:
  virtual ~intx_node() = default;
  /// Assert_INTx (level=true) / Deassert_INTx (level=false) for (dev, pin).
  virtual void intx_level(uint8_t dev, uint8_t pin, bool level) = 0;
  /// Ledger ids travelling with the sender's asserted (or about to be asserted) pin.
  virtual void intx_events(uint8_t dev, uint8_t pin, std::span<const event_id> events) = 0;
};

/// The swizzle across one bridge (PCIe §2.2.8.1 table 2-20): pin 0..3, device 0..31.
constexpr uint8_t swizzle(uint8_t dev, uint8_t pin) { return uint8_t((dev + pin) % 4); }

/// A root port or a switch upstream/downstream port: a type-1 function that wire-ORs INTx.
class bridge_port : public pcie_function, public intx_node {
 public:
  bridge_port(sc_core::sc_module_name nm, sim_context& ctx, port_type t);
  void intx_level(uint8_t dev, uint8_t pin, bool level) override;
  void intx_events(uint8_t dev, uint8_t pin, std::span<const event_id> events) override;
  /// How many senders currently assert each of INTA..INTD on the upstream side of this port.
  unsigned asserted_count(uint8_t pin) const { return count_[pin]; }
  /// Secondary bus number (after enumerate()).
  uint8_t secondary_bus() const;

 private:
  std::array<unsigned, 4> count_{};
};

/// A switch: one upstream port and `n` downstream ports at device numbers 0..n-1 of its internal bus.
struct pcie_switch {
  bridge_port* upstream = nullptr;
  std::vector<bridge_port*> downstream;
};

class root_complex : public component, public intx_node {
 public:
  /// Upstream writes/reads from every function (bind each function's `upstream` here).
  tlm_utils::multi_passthrough_target_socket<root_complex> upstream_in;
  /// Interrupt writes (0xFEEx_xxxx), absolute addresses, requester_ext intact.
  tlm_utils::simple_initiator_socket<root_complex> ir_out;
  /// Everything else: host memory.
  tlm_utils::simple_initiator_socket<root_complex> mem_out;

  static const component_schema& schema();
  /// `p`: intx_gsi_base.
  root_complex(sc_core::sc_module_name nm, sim_context& ctx, const param_values& p);
  ~root_complex() override;

  // ---- topology (elaboration only) ----
  /// A root port at 00:dev.0 (owned by the root complex; module name `name`).
  bridge_port& add_root_port(uint8_t dev, const std::string& name);
  /// A switch below `parent` (a root port or a switch downstream port) with `downstream_ports`
  /// downstream ports; module names "<name>_up", "<name>_dn<i>".
  pcie_switch add_switch(bridge_port& parent, unsigned downstream_ports, const std::string& name);
  /// Attaches function `f` (owned by the caller) at device `dev`, function `fn` of the secondary bus
  /// of `parent`, or of bus 0 when `parent` is nullptr (root-complex integrated endpoint). Binds
  /// f.upstream to upstream_in and wires its INTx. Below a port only device 0 exists (PCIe §7.3.1,
  /// no ARI): `dev` must be 0 there. Throws elaboration_error on a duplicate slot.
  void attach(pcie_function& f, bridge_port* parent, uint8_t dev, uint8_t fn = 0);
  /// Assigns bus numbers depth-first and every function's BDF. Call once, after the topology is
  /// complete and before mapping config windows.
  void enumerate();

  struct entry {
    bdf id;
    pcie_function* fn;
  };
  /// Every function (ports included) in enumeration order, after enumerate().
  const std::vector<entry>& functions() const { return list_; }
  /// The function at `b`, or nullptr.
  pcie_function* find(bdf b) const;

  /// Where INTx lines end: `sink(gsi, asserted, events)`, `asserted` being the logical level of
  /// the wire. The platform binds it to ioapic::set_intx (which applies the active-low wiring of
  /// PCI GSIs), e.g. rc.set_intx_sink([&](unsigned g, bool a, auto ev) { io.set_intx(g, a, ev); }).
  /// Without a sink, ids carried by an assertion are settled lost (intx_disabled).
  using intx_sink = std::function<void(unsigned gsi, bool level, std::span<const event_id> events)>;
  void set_intx_sink(intx_sink s) { sink_ = std::move(s); }
  /// The IOAPIC input of (bus-0 slot, pin 0..3).
  unsigned gsi_of(uint8_t slot, uint8_t pin) const { return gsi_base_ + swizzle(slot, pin); }
  /// Current level of the INTx input `gsi - intx_gsi_base` (0..3) as the root complex drives it.
  bool gsi_level(unsigned gsi) const;

  // intx_node (bus 0)
  void intx_level(uint8_t dev, uint8_t pin, bool level) override;
  void intx_events(uint8_t dev, uint8_t pin, std::span<const event_id> events) override;

 private:
  struct node;
  void b_transport(int id, tlm::tlm_generic_payload& gp, sc_core::sc_time& delay);
  unsigned transport_dbg(int id, tlm::tlm_generic_payload& gp);
  uint8_t number(node& n, uint8_t bus, uint8_t& next_bus);

  unsigned gsi_base_;
  std::vector<std::unique_ptr<bridge_port>> owned_;
  std::vector<std::unique_ptr<node>> nodes_;
  node* root_ = nullptr;
  std::vector<entry> list_;
  std::array<unsigned, 4> count_{};       // wire-OR per GSI input
  std::array<event_list, 4> stash_;       // ids waiting for their input to rise
  intx_sink sink_;
  track_id track_ = 0;
};

}  // namespace irqf::pcie
