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
#include <string>
#include <vector>

#include "fabric/bdf.h"
#include "fabric/context.h"
#include "fabric/cpu_if.h"
#include "fabric/params.h"
#include "models/os/irq/cpumask.h"

namespace irqf::os {

/// irqreturn_t.
enum class irqreturn { none, handled, wake_thread };
/// An irqaction handler: runs in hard-irq context on `cpu`; returns whether the device was the
/// source. It may do MMIO through the kernel (kernel::readl/writel... in irq context add to the
/// entry's software time).
using irq_handler = std::function<irqreturn(unsigned virq, unsigned cpu)>;

/// What firmware tells the kernel (ACPI MADT/DMAR/MCFG in a real machine).
struct firmware_info {
  std::vector<cpu_port_if*> cpus;        ///< index = Linux CPU number = APIC ID
  uint64_t ecam_base = 0xE000'0000;
  std::optional<uint64_t> iommu_base;    ///< VT-d register page (DMAR DRHD)
  uint64_t ioapic_base = 0xFEC0'0000;
  uint64_t kernel_memory_base = 0x1000'0000;  ///< where the kernel allocates IRT, QI, records
  std::vector<bdf> pci_functions;        ///< what an ECAM scan finds (the kernel re-reads IDs itself)
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
  /// Temporal-decoupling quantum of process-context tasks (0 = synchronise after every access).
  void set_quantum(sc_core::sc_time q);
  /// Fault injection (scenario action fault.skip_iec_invalidation): while set, IRTE updates are
  /// written to memory but no IEC invalidation is queued, so the IOMMU keeps using stale entries.
  void set_skip_iec_invalidation(bool skip);
};

}  // namespace irqf::os
