#pragma once
// The Intel interrupt-remapping hardware as Linux drives it (drivers/iommu/intel/irq_remapping.c
// intel_setup_irq_remapping, iommu_set_irq_remapping, iommu_enable_irq_remapping, modify_irte,
// qi_flush_iec; drivers/iommu/intel/dmar.c dmar_enable_qi, qi_submit_sync): every step is a
// register access to the VT-d page or a memory access to the IRT / invalidation queue through the
// kernel's `mmio` socket, so it costs what the fabric says and interleaves with device traffic.
#include <cstdint>

#include "models/iommu/qi_desc.h"
#include "models/os/iommu/ir_domain.h"

namespace irqf::os {

class kernel;

class ir_hw_qi : public ir_hw {
 public:
  /// `reg_base`: the VT-d register page (DMAR DRHD address).
  ir_hw_qi(kernel& k, uint64_t reg_base);

  /// Boot: reads CAP/ECAP, allocates the 65,536-entry IRT and a 4-KiB invalidation queue, enables
  /// QI (IQT=0, IQA, GCMD.QIE, poll GSTS.QIES), sets the table (IRTA with S=15 and EIME when
  /// `x2apic`, GCMD.SIRTP, poll GSTS.IRTPS), flushes the IEC globally, sets IRE (poll IRES) and
  /// clears CFI (poll CFIS clear). Returns false (IR stays off) when ECAP.IR or ECAP.QI is missing,
  /// or x2APIC is wanted without ECAP.EIM.
  bool enable(bool x2apic);

  // ir_hw
  /// modify_irte: one 16-byte store when `atomic128` (cmpxchg16b), else the low then the high
  /// quadword; charges the irte_update_ns software step.
  void store_irte(unsigned index, const irte& e, bool atomic128) override;
  /// qi_flush_iec: an index-selective IEC descriptor + an invalidation wait with status write,
  /// submitted and polled as qi_submit_sync does. Skipped while the fault injection is on.
  void flush_iec(unsigned index, unsigned mask) override;
  /// qi_global_iec.
  void flush_iec_global();

  void set_skip_iec_invalidation(bool on) { skip_ = on; }
  bool skip_iec_invalidation() const { return skip_; }

  uint64_t irt_base() const { return irt_; }
  uint64_t queue_base() const { return iq_; }
  bool eim() const { return eim_; }
  uint64_t irte_writes() const { return irte_writes_; }
  uint64_t iec_flushes() const { return flushes_; }
  uint64_t iec_flushes_skipped() const { return skipped_; }
  uint64_t qi_timeouts() const { return timeouts_; }

 private:
  /// qi_submit_sync: `n` descriptors, then a wait descriptor writing QI_DONE to its status slot;
  /// IQT advanced once; polls the status (and FSTS for a queue error) when the context can wait.
  int qi_submit_sync(const iommu::qi_desc* d, unsigned n);
  /// IOMMU_WAIT_OP on GSTS: polls until (GSTS & field) == want.
  bool wait_gsts(uint64_t field_mask, bool want);
  void write_gcmd(uint32_t one_shot);

  kernel& k_;
  uint64_t reg_;
  uint64_t irt_ = 0, iq_ = 0, status_ = 0;
  uint32_t gcmd_ = 0;  // persistent enables (iommu->gcmd)
  unsigned free_head_ = 0;
  bool eim_ = false, skip_ = false;
  uint64_t irte_writes_ = 0, flushes_ = 0, skipped_ = 0, timeouts_ = 0;
};

}  // namespace irqf::os
