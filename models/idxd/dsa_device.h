#pragma once
// A DSA/IDXD-like device (Intel Data Streaming Accelerator Architecture Specification; register
// layout Linux drivers/dma/idxd/registers.h; hardware.md §5): a PCIe function with
//  - BAR0: the registers of registers.h (GENCAP … SWERR, GRPCFG, WQCFG, MSI-X permissions), the
//    MSI-X table and PBA (decoded by pcie_function) and the IMS table (ims_table.h);
//  - BAR2: work-queue portals, 4 pages per WQ: +0x0000 unlimited/MSI-X, +0x1000 limited/MSI-X,
//    +0x2000 unlimited/IMS, +0x3000 limited/IMS (Linux idxd_get_wq_portal_full_offset).
//
// Submission. A 64-byte write to a portal is MOVDIR64B for a dedicated WQ (posted: when the WQ is
// disabled or full the descriptor is dropped, counted and logged) and ENQCMD/ENQCMDS for a shared
// WQ. ENQCMD's result (ZF=1 "retry") is reported through the TLM response: a rejected ENQCMD — WQ
// disabled, WQ full, or at/above WQCFG.wq_thresh through a limited portal — answers
// TLM_GENERIC_ERROR_RESPONSE (pcie_function::bar_write_block returning false); an accepted one
// answers TLM_OK_RESPONSE. submit() is the same path without MMIO, for workload generators.
// Without interrupt-handle support the portal's table (MSI-X or IMS pages) and the descriptor's
// int_handle (the entry index) select the completion interrupt; with it (parameter
// int_handle_support: GENCAP.cmd_cap=1, CMDCAP bits 1..14) the handle is looked up in the handle
// table filled by REQUEST_INT_HANDLE.
//
// Execution. Engines belong to groups (GRPCFG.ENGINES); a group serves its WQs (GRPCFG.WQS),
// highest WQCFG priority first, round-robin among equals. An engine takes
// descriptor_overhead_ns + bytes / engine_bytes_per_ns per descriptor (noop and drain: overhead
// only); a batch fetches its descriptors and runs them one after the other on the same engine. At
// completion the engine moves the data (memmove/fill/compare, when functional_data), DMA-writes the
// 32-byte completion record (posted, CRAV and RCR or an error), then — RCI set — raises the event in
// the ledger on the entry's source and hands it to the MSI-X or IMS store. PCIe posted ordering
// (pcie_function) keeps the record ahead of the interrupt.
//
// Misc interrupt: MSI-X entry 0, one event each time a cause is set in INTCAUSE (ERR when a
// software error is recorded and GENCTRL.softerr_int_en; CMD when a command written with int_req
// completes; OCCUPY; INT_HANDLE_REVOKED). Entries 1..N serve WQ completions.
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "fabric/params.h"
#include "fabric/regtable.h"
#include "models/idxd/descriptor.h"
#include "models/idxd/ims_table.h"
#include "models/idxd/int_handles.h"
#include "models/idxd/registers.h"
#include "models/pcie/function.h"

namespace irqf::idxd {

/// Result of a submission (portal write or submit()).
enum class submit_status : uint8_t {
  accepted,  ///< queued
  retry,     ///< ENQCMD rejected (ZF=1): shared WQ disabled, full or above the limited threshold
  dropped,   ///< MOVDIR64B to a disabled/full dedicated WQ, or a WQ index out of range
};

/// Which portal page of a WQ a submission used.
struct portal_kind {
  bool limited = false;  ///< limited portal (wq_thresh applies)
  bool ims = false;      ///< IMS portal (without handles: int_handle indexes the IMS table)
};

class dsa_device : public pcie::pcie_function {
 public:
  /// Parameters (kind "idxd"): see dsa_params.cpp for every default and its source.
  static const component_schema& schema();
  dsa_device(sc_core::sc_module_name nm, sim_context& ctx, const param_values& p);
  ~dsa_device() override;

  /// Workload entry point: exactly what a 64-byte write of `d` to WQ `wq`'s portal `k` does
  /// (MOVDIR64B or ENQCMD by WQ mode), without modelling the CPU store.
  submit_status submit(unsigned wq, const dsa_descriptor& d, portal_kind k = {});

  /// Device-initiated handle revocation (e.g. after a VF/FLR event in a scenario): every valid
  /// handle becomes revoked and INTCAUSE.INT_HANDLE_REVOKED is raised once. Returns the count.
  unsigned revoke_int_handles();
  /// Revokes one handle (raises INT_HANDLE_REVOKED); false if it was not valid.
  bool revoke_int_handle(uint16_t h);

  ims_table& ims() { return *ims_; }
  const dsa_layout& layout() const { return lay_; }
  const int_handle_table& handles() const { return handles_; }
  /// Raw register value by name from the BAR0 table (no side effects).
  uint64_t reg(const std::string& name) const;
  /// Descriptors waiting in WQ `wq` (not yet taken by an engine).
  unsigned wq_occupancy(unsigned wq) const;
  bool device_enabled() const;

  struct counters {
    uint64_t submitted = 0, retried = 0, dropped = 0, completed = 0, records_written = 0,
             interrupts = 0, invalid_handle = 0, misc_interrupts = 0, swerrs = 0;
  };
  const counters& stats() const { return stats_; }

 protected:
  uint64_t bar_read(int bar, uint64_t off, unsigned len) override;
  void bar_write(int bar, uint64_t off, uint64_t val, unsigned len) override;
  bool bar_write_block(int bar, uint64_t off, const uint8_t* src, unsigned len) override;
  std::vector<std::string> device_register_names() const override;
  std::optional<uint64_t> device_register_read(std::string_view name) override;
  bool device_register_write(std::string_view name, uint64_t value) override;

 private:
  struct work_item {
    dsa_descriptor d;
    uint64_t seq = 0;
    uint16_t wq = 0;
    bool ims_portal = false;
    bool in_batch = false;
    bool has_pasid = false;  // DMA and interrupt checks use `pasid` (ENQCMD or WQCFG.pasid_en)
    uint32_t pasid = 0;
  };
  struct wq_rt {
    bool enabled = false, dedicated = false;
    unsigned size = 0, thresh = 0, priority = 0, max_xfer_shift = 0, max_batch_shift = 0;
    uint32_t pasid = 0;
    int group = -1;
    std::deque<work_item> q;
    unsigned inflight = 0;  // descriptors of this WQ taken by an engine, not yet completed
  };
  struct engine_rt;

  // registers (dsa_regs.cpp)
  uint64_t read_reg(size_t i);
  void write_reg(size_t i, uint64_t v);
  size_t wqcfg_index(unsigned wq, unsigned dw) const { return ri_.WQCFG0 + wq * wqcfg_regs + dw; }
  size_t grpcfg_index(unsigned g, unsigned r) const { return ri_.GRPCFG0 + g * grpcfg_regs + r; }
  bool named_register(std::string_view name, size_t& idx) const;
  // commands (dsa_commands.cpp)
  void start_command(uint32_t v);
  void command_done_check();
  void execute_command(uint8_t cmd, uint32_t operand);
  bool wq_quiet(unsigned wq) const;
  uint8_t enable_device();
  uint8_t enable_wq(unsigned wq);
  bool wq_mask(uint32_t operand, std::vector<unsigned>& out) const;
  void reset_config();
  void abort_wq(unsigned wq, std::optional<uint32_t> pasid = std::nullopt);
  // interrupts
  void raise_misc(uint32_t cause);
  void swerr(uint8_t error, const work_item* it, uint32_t invalid_flags = 0);
  // execution (dsa_engine.cpp)
  void kick(int group);
  void engine_fire(unsigned e);
  void start_next(unsigned e);
  bool pick(int group, work_item& out);
  uint64_t duration_ps(const dsa_descriptor& d) const;
  uint8_t execute(const work_item& it, completion_record& rec);
  void complete(const work_item& it, completion_record rec);
  bool resolve_interrupt(const work_item& it, message_store*& store, unsigned& entry,
                         source_id& src);
  void check_occupancy(unsigned wq);
  source_id handle_source(uint16_t h);
  void command_fire();
  void finish_command();

  dsa_layout lay_;
  dsa_caps caps_;
  dsa_reg_index ri_{};
  std::unique_ptr<reg_table> table_;
  std::unique_ptr<reg_file> regs_;
  std::unique_ptr<ims_table> ims_;
  int_handle_table handles_;
  std::vector<wq_rt> wqs_;
  std::vector<std::unique_ptr<engine_rt>> engines_;
  std::vector<unsigned> rr_;  // per group: next WQ for round-robin
  sc_core::sc_time overhead_;
  double bytes_per_ns_;
  sc_core::sc_time cmd_latency_;
  bool int_handles_, occupancy_int_, functional_;
  uint64_t seq_ = 0;
  // command in progress
  sc_core::sc_event cmd_ev_;
  bool cmd_active_ = false, cmd_waiting_ = false;
  uint32_t cmd_value_ = 0;
  uint8_t cmd_err_ = 0;
  uint16_t cmd_result_ = 0;
  std::vector<unsigned> cmd_wait_;  // WQs that must be quiet before the command completes
  uint8_t cmd_after_ = 0;           // follow-up applied when quiet (disable device/WQ)
  std::vector<uint8_t> buf_a_, buf_b_;
  counters stats_;
  bool warned_portal_ = false;
};

/// The PCIe identity and BAR/MSI-X layout of a DSA function (used by dsa_device's constructor).
pcie::function_config dsa_function_config(const param_values& p, const dsa_layout& l);

}  // namespace irqf::idxd
