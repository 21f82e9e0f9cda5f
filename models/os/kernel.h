#pragma once
// CONTRACT (written by the lead; the implementer may add members but must keep these names and
// meanings — the scenario engine and the drivers call them).
//
// irqf::os::kernel — the SystemC face of the Linux interrupt-stack model. It owns irq_core (vector
// domain, INTEL-IR domain, matrix), the irq descriptors' flow handlers (handle_edge_irq,
// handle_fasteoi_irq), the PCI MSI/MSI-X/IMS API, and reaches hardware only as a kernel would
// (DESIGN §3): config space through ECAM, MMIO (MSI-X table, DSA BAR0/BAR2, VT-d registers, IOAPIC)
// and memory (IRT, invalidation queue, completion records) through the `mmio` socket bound to the
// host interconnect; each CPU's local APIC through its cpu_port_if; interrupt entry through
// os_entry_if, which every cpu_core calls.
//
// Time. Interrupt entry (vector_entry) runs in the dispatching core's context and returns the
// software time it took (loosely timed). Process-context work (driver probe, request_irq, vfio
// resize, affinity writes, hotplug) runs as a *task*: an SC_THREAD spawned by run_task(); every
// register access in a task advances simulated time by its latency plus the configured software
// step costs (wait() whenever the accumulated local time exceeds the quantum; quantum 0 = after
// every access), so hardware events interleave with a half-done software sequence exactly as on a
// real machine — this is what gives the legacy MSI-X resize its loss window.
#include <tlm_utils/simple_initiator_socket.h>

#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "fabric/bdf.h"
#include "fabric/context.h"
#include "fabric/cpu_if.h"
#include "fabric/params.h"
#include "models/os/irq/cpumask.h"
#include "models/os/irq/flow.h"
#include "models/os/irq/kernel_version.h"

namespace irqf::os {

class irq_core;
class pci_msi;
class ir_hw_qi;
class kernel_flow;
class kernel_core_hw;
class os_tracer;

// irqreturn and irq_handler (the irqaction handler type) are declared in models/os/irq/flow.h.

/// What firmware tells the kernel (ACPI MADT/DMAR/MCFG in a real machine).
struct firmware_info {
  std::vector<cpu_port_if*> cpus;        ///< index = Linux CPU number = APIC ID
  uint64_t ecam_base = 0xE000'0000;
  std::optional<uint64_t> iommu_base;    ///< VT-d register page (DMAR DRHD)
  uint64_t ioapic_base = 0xFEC0'0000;
  uint64_t kernel_memory_base = 0x1000'0000;  ///< where the kernel allocates IRT, QI, records
  std::vector<bdf> pci_functions;        ///< what an ECAM scan finds (the kernel re-reads IDs itself)
  /// Ledger device names of pci_functions (same order; "dsa0", "testdev0"): bookkeeping only, so
  /// the kernel can tell which irq an event was meant for ("<name>/<kind>/<index>"). Missing
  /// names can be given later with kernel::set_pci_name; without one, events are not checked for
  /// misrouting.
  std::vector<std::string> pci_names;
};

/// struct msi_map: the MSI index and the Linux irq number, or index < 0 = -errno.
struct msi_map {
  int index = -1;
  unsigned virq = 0;
};

/// The device template of an IMS domain (struct msi_domain_template): how to program one slot.
struct ims_template {
  std::function<void(unsigned index, const msi_msg&)> write_msg;
  std::function<void(unsigned index)> mask, unmask;
  unsigned hwsize = 0;
};

class kernel : public component, public os_entry_if {
 public:
  tlm_utils::simple_initiator_socket<kernel> mmio;

  static const component_schema& schema();
  kernel(sc_core::sc_module_name nm, sim_context& ctx, const param_values& p, firmware_info fw);
  ~kernel() override;

  // ---- process context ----
  /// Runs `fn` as a task (SC_THREAD) starting now; accesses inside it consume simulated time.
  void run_task(const std::string& name, std::function<void()> fn);
  /// Boot (called by the platform at time 0 as a task): CPUs online, IR enabled (IRTA, QI, IRE,
  /// CFI clear), x2APIC/EIM per parameters, PCI scan.
  void boot();

  // ---- interrupts (kernel/irq/manage.c) ----
  int request_irq(unsigned virq, irq_handler handler, const std::string& name);
  void free_irq(unsigned virq);
  void disable_irq(unsigned virq);
  void enable_irq(unsigned virq);
  int irq_set_affinity(unsigned virq, const cpumask& mask);
  int cpu_down(unsigned cpu);
  int cpu_up(unsigned cpu);

  // ---- PCI MSI/MSI-X/IMS API (drivers/pci/msi/api.c) ----
  static constexpr unsigned PCI_IRQ_INTX = 1, PCI_IRQ_MSI = 2, PCI_IRQ_MSIX = 4, PCI_IRQ_AFFINITY = 8;
  int pci_enable_device(bdf dev);  ///< Command: memory + bus master
  int pci_alloc_irq_vectors(bdf dev, unsigned min, unsigned max, unsigned flags);
  void pci_free_irq_vectors(bdf dev);
  int pci_irq_vector(bdf dev, unsigned nr);  ///< virq or -EINVAL
  bool pci_msix_can_alloc_dyn(bdf dev);
  msi_map pci_msix_alloc_irq_at(bdf dev, unsigned index, const cpumask* affinity = nullptr);
  void pci_msix_free_irq(bdf dev, msi_map map);
  bool pci_create_ims_domain(bdf dev, const ims_template& t);
  msi_map pci_ims_alloc_irq(bdf dev, uint64_t cookie, const cpumask* affinity = nullptr);
  void pci_ims_free_irq(bdf dev, msi_map map);

  // ---- raw accesses (timed; in a task they advance time, in irq context they add to entry time) ----
  uint32_t readl(uint64_t addr);
  void writel(uint64_t addr, uint32_t v);
  uint64_t readq(uint64_t addr);
  void writeq(uint64_t addr, uint64_t v);
  void memcpy_to(uint64_t addr, const void* src, unsigned len);   ///< e.g. MOVDIR64B / record init
  void memcpy_from(uint64_t addr, void* dst, unsigned len);
  uint32_t pci_read_config(bdf dev, uint16_t off, unsigned len);
  void pci_write_config(bdf dev, uint16_t off, uint32_t v, unsigned len);
  uint64_t bar_address(bdf dev, int bar);
  /// Kernel memory allocator (DMA-coherent, never freed in a run).
  uint64_t alloc_dma(uint64_t size, uint64_t align = 64);
  /// Charges `ns` of software time to the current context (a step with no hardware access).
  void spend(double ns);

  unsigned ncpus() const;
  /// Temporal-decoupling quantum of process-context tasks inside lookahead sections (0 = always
  /// synchronise after every access). See lookahead_section.
  void set_quantum(sc_core::sc_time q);

  /// RAII scope of process-context code whose only effects are on the kernel's own DMA memory
  /// (IRTEs, invalidation descriptors, status words) and step costs. Inside it, a task runs ahead
  /// of simulated time without a wait() while its local time stays within the quantum and before
  /// the next activity any other process has scheduled (sc_time_to_pending_activity): nothing
  /// else can run in that window, so nothing can tell. Any other access (MMIO, config, MSR)
  /// synchronises first, and the section synchronises when it ends (loosely-timed temporal
  /// decoupling, IEEE 1666-2011 §16.2.2 / §4.5.7 sc_time_to_pending_activity). Results match
  /// quantum 0 except where two processes act at the same picosecond (SystemC orders such ties by
  /// its event-heap history); checked on the headline by the quantum test.
  class lookahead_section {
   public:
    explicit lookahead_section(kernel& k) : k_(k) { ++k_.lookahead_; }
    ~lookahead_section() {
      if (--k_.lookahead_ == 0) k_.sync_local();
    }
    lookahead_section(const lookahead_section&) = delete;
    lookahead_section& operator=(const lookahead_section&) = delete;

   private:
    kernel& k_;
  };
  /// Observer of every interrupt entry (cpu, kind, vector), e.g. to record the ordered deliveries
  /// on a CPU for a scenario's `deliveries.cpuN` expectation. Empty by default (no cost).
  std::function<void(unsigned cpu, entry_kind kind, uint8_t vector)> on_entry;
  /// Process-context tasks not yet finished (benchmarks wait for set-up to end).
  unsigned tasks_running() const;
  /// Vectors currently allocated in the matrix over all CPUs (non-managed + managed).
  unsigned allocated_vectors() const;
  /// Fault injection (scenario action fault.skip_iec_invalidation): while set, IRTE updates are
  /// written to memory but no IEC invalidation is queued, so the IOMMU keeps using stale entries.
  void set_skip_iec_invalidation(bool skip);

  // ---- extensions (implementation-specific; scenarios and tests) ----
  /// os_entry_if: per-CPU vector_irq → irq descriptor → flow handler (linux-stack.md §2, §8).
  sc_core::sc_time vector_entry(unsigned cpu, entry_kind kind, uint8_t vector,
                                std::span<const event_id> events) override;
  /// The CPU process-context tasks run on (local_irq_save clears its IF). Default 0.
  void set_task_cpu(unsigned cpu) { task_cpu_ = cpu; }
  unsigned task_cpu() const { return task_cpu_; }
  /// Ledger device name of a PCI function (see firmware_info::pci_names).
  void set_pci_name(bdf dev, const std::string& name);
  /// The ledger device name of `dev` ("" when unknown).
  std::string pci_name(bdf dev) const;
  bool booted() const { return booted_; }
  /// Notified when boot() has finished (tasks started with run_task wait for it).
  const sc_core::sc_event& boot_done_event() const { return boot_done_; }
  /// True while the caller runs in hard-irq context (inside vector_entry or a deferred flow).
  bool in_irq() const { return in_irq_ > 0; }
  /// local_irq_save / local_irq_restore on the task CPU (nests).
  void local_irq_disable();
  void local_irq_enable();
  /// Whether interrupt remapping was enabled at boot.
  bool intremap_enabled() const { return ir_enabled_; }
  const kernel_version& version() const { return kv_; }
  irq_core& core() { return *core_; }
  /// The irq descriptor (flow state, kstat) of `virq`, or nullptr.
  const irq_desc* desc(unsigned virq) const;
  pci_msi& pci() { return *pci_; }
  /// The remapping-hardware driver (null without an IOMMU).
  ir_hw_qi* ir_hw() { return irhw_.get(); }
  /// A new irq descriptor for `virq` (alloc_desc: disabled, masked, depth 1) whose events are
  /// expected from ledger source `source_name` ("" = not checked). Called by the MSI layer.
  void init_irq_desc(unsigned virq, const std::string& source_name);
  /// The descriptor goes away (events still held are settled pending_cleared).
  void free_irq_desc(unsigned virq);
  /// The tracepoint emitter of the irq core (attach a trace_sink to record irq_matrix /
  /// irq_vectors events).
  os_tracer& os_trace() { return *ostr_; }

  /// Counters of the entry path (Linux: /proc/interrupts SPU and friends).
  struct entry_stats {
    uint64_t entries = 0;          ///< vector entries
    uint64_t spurious = 0;         ///< SPU: APIC spurious entries and the 0xff vector
    uint64_t no_irq_handler = 0;   ///< UNUSED vectors ("No irq handler for vector")
    uint64_t shutdown_vectors = 0; ///< SHUTDOWN/RETRIGGERED placeholders, silently EOI'd
    uint64_t misrouted = 0;        ///< events that ran another irq's handler
    uint64_t no_action = 0;        ///< events on an irq without an action
    uint64_t spurious_runs = 0;    ///< handler returned IRQ_NONE with no event behind it
    uint64_t eois = 0, ipis = 0, reruns = 0, cleanups = 0;
  };
  const entry_stats& stats() const { return st_; }
  /// Software time (ps) of the current context: sim time plus the accumulated local time.
  uint64_t sw_now_ps() const;

 private:
  friend class kernel_flow;
  friend class kernel_core_hw;
  friend class ir_hw_qi;
  // timing
  void charge(const sc_core::sc_time& t);
  bool in_thread() const;
  void sync_local();
  /// The kernel's own DMA memory ([kernel_memory_base, end of alloc_dma)).
  bool own_memory(uint64_t addr) const { return addr >= fw_.kernel_memory_base && addr < next_dma_; }
  /// Before an access with effects outside the kernel's memory: catch simulated time up.
  void sync_for(uint64_t addr) {
    if (lookahead_ && !own_memory(addr)) sync_local();
  }
  unsigned lookahead_ = 0;  ///< open lookahead_section scopes
  void bus_rd(uint64_t addr, void* dst, unsigned len);
  void bus_wr(uint64_t addr, const void* src, unsigned len);
  // local APIC through cpu_port_if
  uint32_t apic_read(unsigned cpu, uint32_t off);
  void apic_write(unsigned cpu, uint32_t off, uint64_t v);
  void apic_eoi(unsigned cpu);
  void send_ipi(unsigned from, unsigned to, unsigned vector);
  bool lapic_irr(unsigned cpu, unsigned vector);
  void setup_local_apic(unsigned cpu);
  unsigned exec_cpu() const { return in_irq_ ? irq_cpu_ : task_cpu_; }
  // entry path (kernel_irq.cpp)
  void handle_vector(unsigned cpu, uint8_t vector, std::span<const event_id> events);
  void handle_system_vector(unsigned cpu, uint8_t vector, std::span<const event_id> events);
  irq_desc& fdesc(unsigned virq);
  void arm_cleanup(unsigned cpu);
  void arm_all_cleanups();
  void run_reruns();
  void run_cleanup_timer();
  void cleanup_on(unsigned cpu);
  void enter_irq(unsigned cpu, uint8_t vector);
  std::unique_ptr<kernel_flow> make_flow();
  /// The event was born as an IPI ("cpuN/ipi/V": retrigger, resend, cleanup), not by a device.
  bool is_ipi_source(source_id s);
  void exit_irq();

  firmware_info fw_;
  kernel_version kv_;
  bool want_intremap_ = true, x2apic_ = true;
  sc_core::sc_time mmio_cost_, entry_cost_, exit_cost_, handler_cost_, request_cost_, irte_cost_,
      quantum_, tick_;
  std::unique_ptr<os_tracer> ostr_;
  std::unique_ptr<kernel_core_hw> corehw_;
  std::unique_ptr<ir_hw_qi> irhw_;
  std::unique_ptr<irq_core> core_;
  std::unique_ptr<pci_msi> pci_;
  std::unique_ptr<kernel_flow> flow_;
  track_id track_ = 0;
  std::vector<irq_desc> descs_;
  std::vector<source_id> irq_src_;  // expected ledger source per virq (no_source: unchecked)
  std::vector<std::pair<bdf, std::string>> names_;
  uint64_t next_dma_ = 0;
  unsigned task_cpu_ = 0;
  unsigned task_seq_ = 0;
  unsigned tasks_active_ = 0;
  /// Process-context tasks run one at a time (they stand for work under Linux's sleeping locks —
  /// cpu_hotplug_lock, the irq descriptor and MSI mutexes, the QI lock — and share task_local_).
  sc_core::sc_mutex task_lock_;
  unsigned irq_off_depth_ = 0;
  bool irq_off_saved_ = false;
  bool booted_ = false, booting_ = false, ir_enabled_ = false;
  bool skip_iec_ = false;
  sc_core::sc_event boot_done_;
  // current context
  int in_irq_ = 0;
  unsigned irq_cpu_ = 0;
  uint8_t irq_vector_ = 0;
  sc_core::sc_time irq_time_;     // irq context: accumulated software time
  sc_core::sc_time task_local_;   // task context: local time not yet waited
  // deferred work: edge re-runs and the per-CPU vector cleanup timer
  struct rerun {
    uint64_t due_ps;
    unsigned virq, cpu;
  };
  std::vector<rerun> reruns_;
  sc_core::sc_event rerun_ev_;
  std::vector<uint64_t> cleanup_due_;  // per CPU, 0 = not armed
  sc_core::sc_event cleanup_ev_;
  std::vector<uint8_t> no_handler_logged_;  // per (cpu, vector)
  std::vector<int8_t> ipi_src_;             // per ledger source: -1 unknown, 0 device, 1 IPI
  entry_stats st_;
};

}  // namespace irqf::os
