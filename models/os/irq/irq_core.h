#pragma once
// The generic irq layer on top of the domains (kernel/irq/{irqdesc,irqdomain,chip,manage,
// cpuhotplug}.c, arch/x86/kernel/irq.c fixup_irqs): virq allocation, the hierarchy of each irq
// (x86 vector domain, optionally INTEL-IR, and a top chip — a PCI MSI/MSI-X/IMS device chip),
// activation/deactivation, startup/shutdown as request_irq/free_irq drive them, user affinity
// changes (immediate with IR, deferred to the next interrupt without it, with the two-step MSI
// update of arch/x86/kernel/apic/msi.c), and CPU hotplug. Pure logic; the hardware effects go
// through irq_chip_top (device message writes, masks) and core_hw (IRR tests, IPIs).
#include <cstdint>
#include <memory>
#include <optional>
#include <vector>

#include "fabric/message.h"
#include "models/os/iommu/ir_domain.h"
#include "models/os/irq/vector_domain.h"

namespace irqf::os {

/// The device end of an irq (struct irq_chip of the top domain).
class irq_chip_top {
 public:
  virtual ~irq_chip_top() = default;
  /// irq_chip_write_msi_msg: program the device's message for `virq`.
  virtual void write_msg(unsigned virq, const msi_msg& m) = 0;
  virtual void mask(unsigned virq) = 0;
  virtual void unmask(unsigned virq) = 0;
  /// The message may be masked by the device (MSI-X always; MSI if per-vector masking).
  virtual bool can_mask(unsigned virq) const = 0;
};

/// What the core needs from the CPUs.
class core_hw {
 public:
  virtual ~core_hw() = default;
  /// lapic_vector_set_in_irr on `cpu`.
  virtual bool irr_pending(unsigned cpu, unsigned vector) = 0;
  /// apic_retrigger_irq: a self/other IPI with `vector` to `cpu`.
  virtual void send_ipi(unsigned cpu, unsigned vector) = 0;
  /// fixup_irqs on a dying CPU: `virq`'s old `vector` is pending in `cpu`'s IRR; the retrigger that
  /// follows carries whatever it held (default: nothing to hand over).
  virtual void hand_over_irr(unsigned cpu, unsigned vector, unsigned virq) { (void)cpu, (void)vector, (void)virq; }
};

/// The kernel's choice for non-remapped MSI affinity moves (linux-stack.md §3 caveat).
enum class msi_move_policy { by_version, two_step, direct };

/// One allocation request (what the MSI/IOAPIC layers pass down; struct irq_alloc_info + affinity).
struct irq_alloc_request {
  unsigned nr = 1;
  /// Per-irq affinity (irq_affinity_desc): empty = irq_default_affinity (all CPUs).
  std::vector<cpumask> affinity;
  std::vector<bool> managed;   ///< per irq (empty = none)
  bool remapped = false;       ///< stack INTEL-IR between the device and the vector domain
  uint16_t sid = 0;            ///< requester ID checked by the IRTE
  unsigned svt = svt_verify_sid_sq;
  bool contiguous = false;     ///< multi-MSI
  bool legacy = false;         ///< IOAPIC pin < 16 (keeps or clears its ISA vector)
  int fixed_virq = -1;         ///< IOAPIC: virq = GSI
  bool can_reserve = false;    ///< reservation mode (maskable PCI MSI/MSI-X)
  bool move_pcntxt = false;    ///< IRQD_MOVE_PCNTXT (IR: affinity applied in process context)
  irq_chip_top* top = nullptr;
};

class irq_core {
 public:
  struct params {
    kernel_version version;
    unsigned ncpus = 4;
    apic_dest_mode dest_mode = apic_dest_mode::flat_logical;
    bool intremap = true;
    bool x2apic = false;
    unsigned irte_max_handle_mask = 15;
    msi_move_policy msi_move = msi_move_policy::by_version;
    unsigned first_dynamic_virq = 24;  ///< gsi_top: IOAPIC GSIs below, MSI irqs above
  };

  irq_core(const params& p, os_tracer* tr, ir_hw* irhw, core_hw* hw);

  /// Boot: system vectors, CPU 0 online, ISA vectors. Then bring more CPUs up with cpu_up().
  void boot();

  /// irq_domain_alloc_irqs: returns the first virq or -errno (-ENOSPC no IRTE / no managed bits).
  int alloc_irqs(const irq_alloc_request& rq);
  /// irq_domain_free_irqs (the irqs must be shut down).
  void free_irqs(unsigned virq, unsigned nr);
  /// irq_domain_activate_irq (bottom-up: vector, IR, device message).
  int activate(unsigned virq, bool reserve);
  /// irq_domain_deactivate_irq (top-down: zero message, zero IRTE, vector).
  void deactivate(unsigned virq);
  /// msi_init_virq after allocation: activate with reserve (early activation), then clear
  /// IRQD_ACTIVATED if the irq can use reservation mode, so request_irq activates for real.
  int init_virq(unsigned virq);
  /// irq_startup from request_irq: activation and the initial affinity setup, then unmask.
  /// Managed irqs with no online CPU in their mask stay shut down (returns 0).
  int startup(unsigned virq);
  /// irq_shutdown_and_deactivate from free_irq: mask, deactivate.
  void shutdown(unsigned virq);

  /// Writing /proc/irq/N/smp_affinity: -EIO for managed irqs, -EINVAL for a mask with no online
  /// CPU; with IR (IRQD_MOVE_PCNTXT) the move happens now; otherwise it is deferred to the next
  /// interrupt's ack (returns 0 with move pending).
  int set_affinity(unsigned virq, const cpumask& mask);
  /// irq_do_set_affinity (chip level), `exec_cpu` is where the code runs (the two-step path must
  /// run on the current target CPU).
  int do_set_affinity(unsigned virq, const cpumask& mask, bool force);
  /// irq_move_irq in the ack of an interrupt taken on `cpu`: applies a pending affinity change.
  void move_pending(unsigned virq, unsigned cpu);

  /// CPU offline, run on the dying CPU: fixup_irqs — migrate non-managed irqs (breaking affinity
  /// if needed), shut down managed irqs whose mask has no online CPU left, retrigger vectors still
  /// pending in the dying CPU's IRR on their new targets, reset its vector_irq; then lapic_offline.
  /// Returns -ENOSPC when lapic_can_unplug_cpu refuses (the others cannot take its vectors).
  int cpu_down(unsigned cpu);
  /// CPU online, run on the new CPU: lapic_online, restart managed irqs of its mask.
  void cpu_up(unsigned cpu);

  irq_data& desc(unsigned virq) { return descs_[virq]; }
  const irq_data& desc(unsigned virq) const { return descs_[virq]; }
  bool exists(unsigned virq) const { return virq < descs_.size() && descs_[virq].in_use; }
  vector_domain& vectors() { return vd_; }
  const vector_domain& vectors() const { return vd_; }
  ir_domain* ir() { return ir_.get(); }
  bool remapped(unsigned virq) const { return virq < st_.size() && st_[virq].remapped; }
  const cpumask& online() const { return online_; }
  os_tracer* tracer() { return tr_; }
  unsigned ncpus() const { return p_.ncpus; }
  const params& config() const { return p_; }
  /// The message the device must hold for `virq` now (compose_msi_msg through the hierarchy).
  msi_msg compose_msg(unsigned virq) const;
  /// The irqs affected by the non-remapped two-step path so far (for tests).
  unsigned two_step_moves() const { return two_step_moves_; }
  unsigned retriggers() const { return retriggers_; }
  /// The device chip of `virq` (nullptr when none).
  irq_chip_top* chip(unsigned virq) const { return virq < st_.size() ? st_[virq].top : nullptr; }
  /// A deferred (non-remapped) affinity change waits for the next interrupt's ack.
  bool move_is_pending(unsigned virq) const { return virq < st_.size() && st_[virq].move_pending; }
  /// Whether the direct single write applies to a non-remapped MSI of `virq` (linux-stack.md §3).
  bool msi_direct_predicate(unsigned virq) const;

 private:
  struct core_state {
    bool remapped = false, move_pcntxt = false, move_pending = false, can_reserve = false;
    shared_cpumask pending_mask;
    irq_chip_top* top = nullptr;
  };
  void set_exec(unsigned cpu) { if (tr_) tr_->exec_cpu = cpu; }
  int chip_set_affinity(unsigned virq, const cpumask& mask, bool force);
  void write_msg(unsigned virq);

  params p_;
  os_tracer* tr_;
  core_hw* hw_;
  cpumask online_;
  std::vector<irq_data> descs_;
  std::vector<core_state> st_;
  vector_domain vd_;
  std::unique_ptr<ir_domain> ir_;
  unsigned two_step_moves_ = 0, retriggers_ = 0;
  unsigned first_free_ = 0;  ///< no descriptor below this is free (search hint for alloc_irqs)
  shared_cpumask all_cpus_;  ///< the default affinity (irq_default_affinity), shared by the descriptors
};

}  // namespace irqf::os
