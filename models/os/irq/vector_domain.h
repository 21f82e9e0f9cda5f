#pragma once
// The x86 vector domain (arch/x86/kernel/apic/vector.c): per-interrupt apic_chip_data, the
// per-CPU vector_irq[256] tables, reservation mode, managed reservations, activation and
// deactivation, affinity changes with move_in_progress/prev_vector, and the cleanup of the old
// vector (IPI on 0x20 before v6.6, a per-CPU timer since) — linux-stack.md §2. It fires the
// irq_vectors tracepoints with Linux's names and fields. Pure logic: the caller (irq_core, the
// SystemC kernel) supplies the IRR test for the cleanup and performs the hardware side effects.
#include <array>
#include <cstdint>
#include <functional>
#include <vector>

#include "models/os/irq/irq_data.h"
#include "models/os/irq/irq_matrix.h"
#include "models/os/irq/kernel_version.h"

namespace irqf::os {

/// vector_irq[] sentinel values (arch/x86/include/asm/hw_irq.h). Non-negative entries are virqs.
inline constexpr int32_t vector_unused = -1;
inline constexpr int32_t vector_shutdown = -2;
inline constexpr int32_t vector_retriggered = -3;

/// How destinations are encoded (apic->calc_dest_apicid): flat logical (1 << cpu, <= 8 CPUs in
/// xAPIC mode, as the shared trace), physical (APIC ID = cpu), x2APIC cluster.
enum class apic_dest_mode { flat_logical, physical, x2apic_cluster };

/// apic_chip_data.
struct apic_chip_data {
  unsigned irq = 0;
  unsigned vector = 0, cpu = 0, prev_vector = 0, prev_cpu = 0;
  unsigned cfg_vector = 0;        ///< hw_irq_cfg.vector (0xef while reserved/shut down)
  uint32_t cfg_dest_apicid = 0;   ///< hw_irq_cfg.dest_apicid
  bool move_in_progress = false, is_managed = false, can_reserve = false, has_reserved = false;
  bool is_legacy = false;
  bool in_cleanup = false;        ///< on a CPU's cleanup list (clist hashed)
  bool exists = false;
};

/// Allocation request (struct irq_alloc_info, the parts the vector domain reads).
struct vector_alloc_info {
  const cpumask* mask = nullptr;  ///< explicit mask: assign immediately (not reservation mode)
  bool contiguous = false;        ///< X86_IRQ_ALLOC_CONTIGUOUS_VECTORS (multi-MSI without IR)
  bool legacy = false;            ///< X86_IRQ_ALLOC_LEGACY (IOAPIC pins 0-15)
};

class vector_domain {
 public:
  /// `descs` is the irq core's irq_data table (indexed by virq); `online` is cpu_online_mask.
  vector_domain(kernel_version kv, unsigned ncpus, apic_dest_mode mode, std::vector<irq_data>& descs,
                const cpumask& online, os_tracer* tr);

  irq_matrix& matrix() { return matrix_; }
  const irq_matrix& matrix() const { return matrix_; }

  /// Boot: the system vectors (lapic_assign_system_vectors), CPU 0 online, the ISA vectors of
  /// legacy irqs 0..15 (not 2) taken on CPU 0 and recorded as their current vectors.
  void boot(unsigned nr_legacy = nr_legacy_irqs);
  /// lapic_online / lapic_offline (matrix online/offline, vector_irq of the CPU reset).
  void lapic_online(unsigned cpu);
  void lapic_offline(unsigned cpu);
  /// fixup_irqs' last step: every vector_irq entry of the dead CPU becomes UNUSED.
  void reset_vector_irq(unsigned cpu);

  /// x86_vector_alloc_irqs for [virq, virq+nr). Returns 0, -ENXIO, -ENOSYS (contiguous with nr>1),
  /// -ENOSPC (managed reservation failed).
  int alloc(unsigned virq, unsigned nr, const vector_alloc_info& info);
  /// x86_vector_free_irqs.
  void free(unsigned virq, unsigned nr);
  /// x86_vector_activate / deactivate.
  int activate(unsigned virq, bool reserve);
  void deactivate(unsigned virq);
  /// apic_set_affinity: the vector part of an affinity change (dest already ∩ online by caller or
  /// not). Returns 0, -EBUSY (move or cleanup pending), -ENOSPC, -EIO (not activated).
  int set_affinity(unsigned virq, const cpumask& dest);

  /// irq_complete_move: an interrupt was taken on (cpu, vector) for `virq`: when it is the new
  /// vector of a move in progress, queue the old one for cleanup on prev_cpu.
  void complete_move(unsigned virq, unsigned cpu, unsigned vector);
  /// irq_force_complete_move (CPU offline): frees the previous vector now.
  void force_complete_move(unsigned virq);
  /// send_cleanup_vector / vector_schedule_cleanup: queue prev_vector for cleanup now (IR path).
  void schedule_cleanup(unsigned virq);
  /// CPUs with a non-empty cleanup list (the IPI or timer must run there).
  bool cleanup_pending(unsigned cpu) const { return !cleanup_[cpu].empty(); }
  /// The CPUs whose cleanup list is not empty (kept in step with the lists).
  const cpumask& cleanup_cpus() const { return cleanup_cpus_; }
  /// __vector_cleanup on `cpu`: frees every queued old vector whose bit is not pending in the
  /// CPU's IRR (`irr_pending(vector)`; null = no check). Returns true if some stay queued.
  bool run_cleanup(unsigned cpu, const std::function<bool(unsigned)>& irr_pending);

  const apic_chip_data& chip_data(unsigned virq) const { return apicd_[virq]; }
  int32_t vector_irq(unsigned cpu, unsigned vector) const { return vector_irq_[cpu][vector]; }
  void set_vector_irq(unsigned cpu, unsigned vector, int32_t v) { vector_irq_[cpu][vector] = v; }
  /// calc_dest_apicid for `cpu` in this domain's mode.
  uint32_t dest_apicid(unsigned cpu) const;
  apic_dest_mode dest_mode() const { return mode_; }
  const kernel_version& version() const { return kv_; }
  /// "Affinity broken due to vector space exhaustion" warnings so far.
  unsigned affinity_broken_warnings() const { return broken_warnings_; }

 private:
  void ensure(unsigned virq);
  int assign_vector_locked(unsigned virq, const cpumask& dest);
  int assign_irq_vector_any_locked(unsigned virq);
  int assign_managed_vector(unsigned virq, const cpumask& dest);
  int activate_managed(unsigned virq);
  int activate_reserved(unsigned virq);
  void reserve_irq_vector_locked(unsigned virq);
  int reserve_managed_vector(unsigned virq);
  void vector_assign_managed_shutdown(unsigned virq);
  void apic_update_irq_cfg(unsigned virq, unsigned vector, unsigned cpu);
  void apic_update_vector(unsigned virq, unsigned newvec, unsigned newcpu);
  void clear_irq_vector(unsigned virq);
  void free_moved_vector(unsigned virq);
  void trace(trace_record r) {
    if (tr_ && tr_->on()) tr_->tracepoint(r);
  }

  kernel_version kv_;
  apic_dest_mode mode_;
  std::vector<irq_data>& descs_;
  const cpumask& online_;
  os_tracer* tr_;
  irq_matrix matrix_;
  std::vector<apic_chip_data> apicd_;
  std::vector<std::array<int32_t, nr_vectors>> vector_irq_;
  std::vector<std::vector<unsigned>> cleanup_;  // per-CPU cleanup list (virqs)
  cpumask cleanup_cpus_;                         // CPUs whose list is not empty
  std::vector<shared_cpumask> single_;           // {cpu} masks shared by the effective affinities
  const shared_cpumask& single_cpu(unsigned cpu) {
    if (single_.size() <= cpu) single_.resize(cpu + 1);
    if (single_[cpu]->empty()) single_[cpu] = cpumask{cpu};
    return single_[cpu];
  }
  void note_cleanup(unsigned cpu) {
    if (cleanup_[cpu].empty()) cleanup_cpus_.clear(cpu); else cleanup_cpus_.set(cpu);
  }
  unsigned broken_warnings_ = 0;
};

}  // namespace irqf::os
