#pragma once
// One VT-d remapping hardware unit, interrupt-remapping side (Intel VT-d Architecture Specification
// ch. 5 "Interrupt Remapping", ch. 6.4-6.5 "Interrupt Entry Cache" / "Queued Invalidation", ch. 7
// "Fault recording", ch. 9.10-9.12 IRTE and posted-interrupt descriptor, ch. 10.4 registers).
//
// Sockets:
//   regs    target, the 4-KiB register page (offsets relative to the unit's base, 4/8-byte accesses)
//   ir_in   target, interrupt requests: 4-byte writes at absolute 0xFEEx_xxxx carrying requester_ext
//   mem     initiator, host memory: IRTE reads, PID updates, invalidation-queue fetches, status writes
//   irq_out initiator, the APIC bus: remapped requests (with apic_irq_ext), compatibility pass-through
//           (forwarded unchanged), posted-interrupt notifications, the unit's own fault / invalidation
//           completion MSIs
//
// Ledger: a blocked request is settled lost with ir_fault_0xNN; a posted request is parked with its
// PIR bit (see take_pir_events); everything else is forwarded with its ids intact. The unit's own
// MSIs raise events on sources "<basename>/fault/0" and "<basename>/inv/0" (e.g. "dmar0/fault/0").
#include <tlm_utils/simple_initiator_socket.h>
#include <tlm_utils/simple_target_socket.h>

#include <array>
#include <unordered_map>
#include <vector>

#include "fabric/apic_msg.h"
#include "fabric/context.h"
#include "fabric/message.h"
#include "fabric/params.h"
#include "fabric/regtable.h"
#include "models/iommu/iec.h"
#include "models/iommu/irte.h"
#include "models/iommu/qi_desc.h"
#include "models/iommu/vtd_regs.h"

namespace irqf::iommu {

/// Counters for reports.
struct vtd_stats {
  uint64_t requests = 0;          ///< interrupt writes received
  uint64_t passthrough = 0;       ///< forwarded unchanged (IRE=0, or compatibility format with CFIS=1)
  uint64_t remapped = 0;          ///< remapped-format IRTE → APIC bus
  uint64_t posted = 0;            ///< posted-format IRTE → PIR
  uint64_t blocked = 0;           ///< dropped with a fault reason
  uint64_t iec_hits = 0, iec_misses = 0, iec_evictions = 0;
  std::array<uint64_t, 8> faults{};  ///< blocked requests by reason 0x20..0x27 (index reason-0x20)
  uint64_t faults_recorded = 0;       ///< written to an FRCD
  uint64_t faults_suppressed_fpd = 0; ///< not recorded: FPD=1 and a qualified reason
  uint64_t faults_overflowed = 0;     ///< not recorded: PFO set or next FRCD still full
  uint64_t pi_notifications = 0;      ///< notification events sent
  uint64_t pi_no_notification = 0;    ///< PIR bit set without notification (ON set, or SN and !URG)
  uint64_t pi_merged = 0;             ///< PIR bit was already set
  uint64_t qi_descriptors = 0, iec_global_invalidations = 0, iec_index_invalidations = 0;
  uint64_t inv_waits = 0;
  uint64_t fault_events = 0, inv_events = 0;  ///< MSIs the unit sent for itself
  uint64_t fault(uint8_t reason) const { return faults[reason - 0x20u]; }
};

class vtd_unit : public component, public register_view {
 public:
  tlm_utils::simple_target_socket<vtd_unit> regs;
  tlm_utils::simple_target_socket<vtd_unit> ir_in;
  tlm_utils::simple_initiator_socket<vtd_unit> mem;
  tlm_utils::simple_initiator_socket<vtd_unit> irq_out;

  /// Parameters: fault_records, iec_entries, iec_policy, remap_latency_ns, iec_miss_latency_ns,
  /// qi_desc_ns, eim, pi (see the descriptions for defaults and their sources).
  static const component_schema& schema();
  vtd_unit(sc_core::sc_module_name nm, sim_context& ctx, const param_values& p);

  // register_view: names as VT-d §10.4 (CAP, ECAP, GCMD, GSTS, FSTS, ..., IRTA, FRCD0_LO, FRCD0_HI...).
  std::vector<std::string> register_names() const override;
  std::optional<uint64_t> read_register(std::string_view name) override;
  bool write_register(std::string_view name, uint64_t value) override;

  /// Posted interrupts: the ledger ids parked with PIR bit `vector` of the descriptor at
  /// `pid_address`, handed over and forgotten. The consumer that drains that PIR bit (OS/VMM model)
  /// calls this and settles them: the first handled, the rest merged (ledger::settle_handled) when
  /// the guest handler runs, or lost with a cause. Ids not taken stay open ("pending" at the end).
  std::vector<event_id> take_pir_events(uint64_t pid_address, uint8_t vector);
  /// Number of ids parked in PIR bits.
  size_t pir_events_parked() const;

  const vtd_stats& stats() const { return stats_; }
  const interrupt_entry_cache& iec() const { return iec_; }
  /// Ledger sources of the unit's own MSIs.
  source_id fault_source() const { return fault_src_; }
  source_id inv_source() const { return inv_src_; }

 private:
  // registers (vtd_mmio.cpp)
  void regs_b_transport(tlm::tlm_generic_payload& gp, sc_core::sc_time& delay);
  uint64_t mmio_read(uint32_t off, unsigned len) const;
  void mmio_write(uint32_t off, unsigned len, uint64_t value, sc_core::sc_time& delay);
  void write_reg(size_t i, uint64_t mask, uint64_t data, sc_core::sc_time& delay);
  void gcmd_write(uint32_t v);
  bool test(size_t reg, const bitfield& f) const { return f.test(regs_.get(reg)); }
  void set_field(size_t reg, const bitfield& f, uint64_t v) { regs_.set(reg, f.set(regs_.get(reg), v)); }

  // requests (vtd_remap.cpp)
  void ir_b_transport(tlm::tlm_generic_payload& gp, sc_core::sc_time& delay);
  void forward_unchanged(tlm::tlm_generic_payload& gp, std::span<const event_id> evs, sc_core::sc_time& delay);
  void block(uint8_t reason, uint16_t rid, uint32_t index, bool fpd, std::span<const event_id> evs,
             sc_core::sc_time& delay);
  void deliver_remapped(const irte& e, uint32_t index, const requester_ext& x, sc_core::sc_time& delay);
  void deliver_posted(const irte& e, uint32_t index, const requester_ext& x, sc_core::sc_time& delay);
  void park_pir_events(uint64_t pid, uint8_t vector, std::span<const event_id> evs);
  void send_apic(const apic_irq& a, uint16_t rid, std::span<const event_id> evs,
                 std::optional<uint32_t> pasid, sc_core::sc_time& delay);

  // faults and the unit's own events (vtd_fault.cpp)
  void record_fault(uint8_t reason, uint16_t sid, uint32_t index, sc_core::sc_time& delay);
  void fault_condition(sc_core::sc_time& delay);
  void update_fault_ip(sc_core::sc_time& delay);
  void inv_condition(sc_core::sc_time& delay);
  static std::span<const event_id> span_of(const event_list& l) { return {l.data(), l.size()}; }
  void send_own_msi(size_t ctl, size_t data, size_t addr, size_t uaddr, event_list& evs, sc_core::sc_time& delay);
  void recompute_ppf();

  // invalidation queue (vtd_qi.cpp)
  void schedule_qi(const sc_core::sc_time& delay);
  void qi_step();
  bool qi_execute(const qi_desc& d, sc_core::sc_time& delay);

  tlm::tlm_fw_transport_if<>& memif() { return *mem.operator->(); }

  vtd_caps caps_;
  reg_table table_;
  reg_file regs_;
  interrupt_entry_cache iec_;
  sc_core::sc_time remap_latency_, miss_latency_, qi_desc_time_;
  track_id track_ = 0;
  source_id fault_src_, inv_src_;

  // latched state (GSTS / IRTA at SIRTP)
  bool ire_ = false, cfis_ = false, qies_ = false;
  bool eime_ = false;
  uint64_t irt_base_ = 0;
  uint32_t irt_entries_ = 2;
  unsigned next_fri_ = 0;  // next fault-recording register hardware writes

  // QI engine
  sc_core::sc_event qi_ev_;
  bool qi_scheduled_ = false;

  // pending own-event ids while the interrupt is held by IM (FECTL.IP / IECTL.IP)
  event_list fault_ip_events_, inv_ip_events_;

  // posted interrupts: ids parked per (PID, vector)
  std::unordered_map<uint64_t, event_list> pir_events_;

  upstream_write remap_out_;  // remapped requests and notifications (carries apic_ext_)
  upstream_write own_out_;    // fault / invalidation completion MSIs
  apic_irq_ext apic_ext_, own_ext_;
  requester_ext no_ext_;  // stands in when a request arrives without a requester_ext
  std::array<bool, 8> logged_{};  // one log line per fault reason (DESIGN §4)
  vtd_stats stats_;
};

}  // namespace irqf::iommu
