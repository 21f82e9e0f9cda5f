#pragma once
// The route stage (DESIGN §1): the system bus / APIC bus that turns an interrupt message into
// deliveries to local APICs. It takes MSIs as 4-byte writes to 0xFEEx_xxxx (SDM Vol.3A §11.11),
// decoding the compatibility format or using the apic_irq_ext the IOMMU attached after remapping,
// and IPIs from the local APICs' ICRs (§11.6.1). Destination decode: physical (8-bit xAPIC IDs,
// 32-bit x2APIC IDs), logical flat and cluster (xAPIC DFR), x2APIC cluster (§11.12.10), broadcast;
// lowest-priority arbitration (§11.6.2.4) with a pluggable tie-break. EOI broadcasts go to every
// registered IOAPIC (§11.8.5).
#include <tlm>
#include <tlm_utils/simple_target_socket.h>

#include <cstdint>
#include <span>
#include <unordered_map>
#include <vector>

#include "fabric/apic_msg.h"
#include "fabric/context.h"
#include "fabric/cpu_if.h"
#include "fabric/message.h"
#include "fabric/params.h"
#include "models/lapic/local_apic.h"

namespace irqf::lapic {

/// How lowest-priority delivery chooses among the APICs with the lowest arbitration priority.
enum class tie_break : uint8_t { lowest_id, round_robin, focus };

class apic_bus : public component {
 public:
  /// 4-byte interrupt writes at absolute addresses 0xFEEx_xxxx (offsets below 1 MiB are taken as
  /// relative to 0xFEE0_0000) carrying a requester_ext; other commands/lengths get an error
  /// response and their events are lost (unsupported_delivery).
  tlm_utils::simple_target_socket<apic_bus> msi_in;

  /// Parameters: lowest_priority_tiebreak (lowest_id|round_robin|focus), ipi_latency_ns.
  static const component_schema& schema();
  apic_bus(sc_core::sc_module_name nm, sim_context& ctx, const param_values& p);

  /// Puts a local APIC on the bus (elaboration).
  void attach(local_apic& apic);
  /// An IOAPIC that wants EOI broadcasts.
  void add_eoi_listener(eoi_listener_if* l) { eoi_listeners_.push_back(l); }

  /// The route stage for a decoded message: finds the destination set (`shorthand` as in the ICR,
  /// `from` the sending APIC for shorthands), arbitrates lowest priority, and hands each target
  /// its ledger ids (the first target the original ids, every further target fresh ids raised with
  /// the same source and raise time, so the ledger counts one event per delivery). No target:
  /// events lost with no_destination.
  void route(const apic_irq& irq, dest_width width, std::span<const event_id> events,
             sc_core::sc_time delay, uint8_t shorthand = 0, local_apic* from = nullptr);
  /// An IPI from `from`'s ICR; with ipi_latency_ns > 0 it is queued and the sender's delivery
  /// status stays "send pending" until it is routed.
  void send_ipi(local_apic& from, const apic_irq& irq, dest_width width, uint8_t shorthand,
                std::span<const event_id> events, sc_core::sc_time delay);
  /// EOI broadcast of `vector` to every IOAPIC listener.
  void eoi_broadcast(uint8_t vector);
  /// An APIC's physical ID or mode changed (software ID write, IA32_APIC_BASE).
  void ids_changed();

  size_t size() const { return apics_.size(); }
  local_apic& apic(size_t i) { return *apics_[i]; }
  tie_break policy() const { return tie_; }
  struct counters {
    uint64_t messages = 0, ipis = 0, no_destination = 0, multicast_clones = 0, arbitrations = 0;
  };
  const counters& stats() const { return stats_; }

 private:
  void b_transport(tlm::tlm_generic_payload& gp, sc_core::sc_time& delay);
  void collect(const apic_irq& irq, dest_width width, uint8_t shorthand, local_apic* from);
  void collect_physical(uint32_t dest, bool wide);
  void collect_logical(uint32_t dest, bool wide);
  void add_all(local_apic* except);
  /// The enabled APIC with physical ID `id` (rebuilds the ID index after a change), or nullptr.
  local_apic* find_id(uint32_t id);
  local_apic* arbitrate(uint8_t vector);
  bool wide_for(dest_width w);
  void on_ipi_due();

  std::vector<local_apic*> apics_;
  std::vector<eoi_listener_if*> eoi_listeners_;
  std::vector<int32_t> dense_ids_;                     // physical ID -> index (IDs <= 0xFFFF)
  std::unordered_map<uint32_t, uint32_t> sparse_ids_;  // larger IDs
  unsigned x2apic_count_ = 0;
  bool index_dirty_ = true;
  std::vector<local_apic*> targets_;  // scratch
  event_list clone_;                  // scratch
  tie_break tie_;
  size_t rr_next_ = 0;
  sc_core::sc_time ipi_latency_;
  struct queued_ipi {
    uint64_t due_ps;
    uint64_t seq;
    local_apic* from;
    apic_irq irq;
    dest_width width;
    uint8_t shorthand;
    std::vector<event_id> events;
  };
  std::vector<queued_ipi> ipi_q_;  // min-heap on (due_ps, seq)
  uint64_t ipi_seq_ = 0;
  sc_core::sc_event ipi_ev_;
  counters stats_;
  track_id track_;
};

}  // namespace irqf::lapic
