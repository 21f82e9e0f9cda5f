#pragma once
// The Intel interrupt-remapping domain (drivers/iommu/intel/irq_remapping.c, "INTEL-IR"): per-irq
// irq_2_iommu (IRTE index, sub_handle, mask, source-id), alloc (parent first, then an aligned
// IRTE block), activate (program the IRTE from the vector domain's cfg), deactivate (zero IRTE),
// set_affinity (parent, then one atomic IRTE update and an immediate cleanup of the old vector)
// and free (zero the entries, flush the IEC). The IRTE write and the selective IEC invalidation
// go through `ir_hw` (the SystemC kernel writes table memory and submits a QI descriptor).
#include <cstdint>
#include <vector>

#include "models/os/iommu/irte.h"
#include "models/os/irq/irq_data.h"
#include "models/os/irq/trace_events.h"

namespace irqf::os {

/// What programming the remapping hardware means (modify_irte / qi_flush_iec).
class ir_hw {
 public:
  virtual ~ir_hw() = default;
  /// Stores `e` at `index` (128-bit atomically if `atomic128`, else two 64-bit stores).
  virtual void store_irte(unsigned index, const irte& e, bool atomic128) = 0;
  /// Selective interrupt-entry-cache invalidation of [index, index + 2^mask) through the
  /// invalidation queue, followed by a wait descriptor (VT-d §6.5.2.7, qi_flush_iec).
  virtual void flush_iec(unsigned index, unsigned mask) = 0;
};

/// irq_2_iommu.
struct irq_2_iommu {
  bool valid = false;
  unsigned irte_index = 0, sub_handle = 0, irte_mask = 0;
  uint16_t sid = 0;
  unsigned svt = svt_verify_sid_sq;
  bool posted = false;
  irte current;  ///< what was last written (the IRTE cache of the driver)
};

class vector_domain;

class ir_domain {
 public:
  /// `max_handle_mask`: ecap MHMV (VT-d §10.4.3). `x2apic`: EIM mode (32-bit destinations).
  ir_domain(vector_domain& parent, std::vector<irq_data>& descs, ir_hw* hw, os_tracer* tr,
            unsigned max_handle_mask = 15, bool x2apic = false);

  /// intel_irq_remapping_alloc after the parent succeeded: one IRTE block for [virq, virq+nr),
  /// sub_handle i for virq+i. Returns 0 or -ENOSPC ("can't allocate an IRTE"). `sid`: requester
  /// ID checked by the IRTE; `svt`: verification type.
  int alloc(unsigned virq, unsigned nr, uint16_t sid, unsigned svt = svt_verify_sid_sq);
  /// intel_irq_remapping_free: zeroes every entry of the block and flushes the IEC.
  void free(unsigned virq, unsigned nr);
  /// intel_irq_remapping_activate: programs the IRTE from the vector domain's cfg (0xef while reserved).
  void activate(unsigned virq, bool reserve);
  /// intel_irq_remapping_deactivate: writes a zero (not present) IRTE.
  void deactivate(unsigned virq);
  /// intel_ir_set_affinity: parent apic_set_affinity, then modify_irte + schedule the cleanup.
  int set_affinity(unsigned virq, const cpumask& mask, bool force);

  const irq_2_iommu& data(unsigned virq) const { return ir_[virq]; }
  bool has(unsigned virq) const { return virq < ir_.size() && ir_[virq].valid; }
  const irte_allocator& table() const { return alloc_; }
  /// The MSI message the device holds (remappable format: handle + SHV, data = sub_handle).
  static uint64_t remappable_address(unsigned index, bool shv);

 private:
  irte entry_for(unsigned virq) const;
  void write(unsigned virq, const irte& e);

  vector_domain& parent_;
  std::vector<irq_data>& descs_;
  ir_hw* hw_;
  os_tracer* tr_;
  unsigned max_handle_mask_;
  bool x2apic_;
  irte_allocator alloc_;
  std::vector<irq_2_iommu> ir_;
};

}  // namespace irqf::os
