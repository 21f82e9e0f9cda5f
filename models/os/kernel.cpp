// irqf::os::kernel — construction, parameters, the timing of software steps and register
// accesses, tasks, boot, and the local-APIC accesses (EOI, IRR, ICR) made through cpu_port_if.
#include "models/os/kernel.h"
#include "models/os/kernel_impl.h"

#include <cstring>

#include "models/lapic/apic_regs.h"
#include "models/os/iommu/ir_hw_qi.h"
#include "models/os/irq/irq_core.h"
#include "models/os/pci/pci_msi.h"

namespace irqf::os {

using sc_core::sc_time;
using sc_core::SC_ZERO_TIME;

namespace {
constexpr source_id no_source = ~0u;
namespace apic = lapic;
/// xAPIC register offsets the kernel touches (SDM Vol.3A Table 11-1).
constexpr uint32_t APIC_TPR = 0x080, APIC_LDR = 0x0D0, APIC_DFR = 0x0E0, APIC_SVR = 0x0F0, APIC_IRR = 0x200;
constexpr uint32_t SPURIOUS_APIC_VECTOR = 0xFF;
}  // namespace

const component_schema& kernel::schema() {
  static const component_schema s{
      "os",
      "The Linux x86 interrupt stack (irq core, vector domain, INTEL-IR, PCI MSI/MSI-X/IMS, flow handlers)",
      {param_spec::choice("kernel_version", "6.6", {"6.1", "6.6", "6.10"},
                          "Linux version whose rules apply where kernels differ (vector range, cleanup by "
                          "IPI before 6.6 / timer since, the non-remapped affinity predicate)"),
       param_spec::boolean("intremap", true,
                           "enable interrupt remapping when firmware reports an IOMMU (Linux default "
                           "intremap=on, drivers/iommu/intel/irq_remapping.c)"),
       param_spec::boolean("x2apic", true,
                           "run the local APICs in x2APIC mode (cluster logical destinations) and the IRT in "
                           "EIM mode; Linux enables x2APIC when IR is available (arch/x86/kernel/apic/apic.c)"),
       param_spec::choice("msi_move", "by_version", {"by_version", "two_step", "direct"},
                          "non-remapped MSI affinity change: the version's predicate, always Linux's "
                          "two-step intermediate-vector write, or a single direct write "
                          "(arch/x86/kernel/apic/msi.c msi_set_affinity)"),
       param_spec::real("mmio_access_ns", "ns", 30, 0, 1e6,
                        "software cost of one register access on top of the fabric's annotated latency "
                        "(instruction, serialisation; the uncached path itself — ~0.5-1 us for a PCIe "
                        "read, Neugebauer et al., SIGCOMM 2018 — comes from the fabric)"),
       param_spec::real("irq_entry_ns", "ns", 150, 0, 1e6,
                        "software interrupt entry (common_interrupt, irq_enter, vector_irq lookup); a few "
                        "hundred ns per interrupt (Tsafrir, ExpCS 2007; Linux irq overhead measurements)"),
       param_spec::real("irq_exit_ns", "ns", 100, 0, 1e6, "software interrupt exit (irq_exit, softirq check)"),
       param_spec::real("handler_default_ns", "ns", 100, 0, 1e6,
                        "per handler call: handle_irq_event and action dispatch; the driver's own body "
                        "charges its time with kernel::spend"),
       param_spec::real("request_irq_ns", "ns", 2000, 0, 1e8,
                        "request_irq software (irqaction allocation, locks, /proc entries); a few us "
                        "(assumption)"),
       param_spec::real("irte_update_ns", "ns", 100, 0, 1e6,
                        "modify_irte software (irq_2_ir_lock, cmpxchg/stores, cache flush) before the "
                        "invalidation (assumption)"),
       param_spec::real("quantum_ns", "ns", 0, 0, 1e9,
                        "temporal-decoupling quantum of process-context tasks inside lookahead sections "
                        "(IRTE stores, queued invalidation): a task runs ahead at most this far and never "
                        "past another process's next event (0 = wait after every access)"),
       param_spec::real("tick_ns", "ns", 4e6, 1e3, 1e9,
                        "one jiffy, the vector-cleanup timer delay since 6.6 (CONFIG_HZ_250, the "
                        "kernel/Kconfig.hz default)")}};
  return s;
}

kernel::kernel(sc_core::sc_module_name nm, sim_context& c, const param_values& p, firmware_info fw)
    : component(nm, c), mmio("mmio"), fw_(std::move(fw)) {
  SC_HAS_PROCESS(kernel);
  kernel_version::parse(p.s("kernel_version"), kv_);
  want_intremap_ = p.b("intremap") && fw_.iommu_base.has_value();
  x2apic_ = p.b("x2apic");
  mmio_cost_ = ns(p.r("mmio_access_ns"));
  entry_cost_ = ns(p.r("irq_entry_ns"));
  exit_cost_ = ns(p.r("irq_exit_ns"));
  handler_cost_ = ns(p.r("handler_default_ns"));
  request_cost_ = ns(p.r("request_irq_ns"));
  irte_cost_ = ns(p.r("irte_update_ns"));
  quantum_ = ns(p.r("quantum_ns"));
  tick_ = ns(p.r("tick_ns"));
  next_dma_ = fw_.kernel_memory_base;
  const unsigned n = ncpus();

  ostr_ = std::make_unique<os_tracer>();
  corehw_ = std::make_unique<kernel_core_hw>(*this);
  if (want_intremap_) irhw_ = std::make_unique<ir_hw_qi>(*this, *fw_.iommu_base);
  irq_core::params cp;
  cp.version = kv_;
  cp.ncpus = n ? n : 1;
  cp.dest_mode = x2apic_ ? apic_dest_mode::x2apic_cluster
                         : (n <= 8 ? apic_dest_mode::flat_logical : apic_dest_mode::physical);
  cp.intremap = want_intremap_;
  cp.x2apic = x2apic_;
  const std::string& mv = p.s("msi_move");
  cp.msi_move = mv == "two_step" ? msi_move_policy::two_step
                                 : (mv == "direct" ? msi_move_policy::direct : msi_move_policy::by_version);
  core_ = std::make_unique<irq_core>(cp, ostr_.get(), irhw_.get(), corehw_.get());
  pci_ = std::make_unique<pci_msi>(*this);
  flow_ = make_flow();
  for (size_t i = 0; i < fw_.pci_functions.size() && i < fw_.pci_names.size(); ++i)
    set_pci_name(fw_.pci_functions[i], fw_.pci_names[i]);
  cleanup_due_.assign(n, 0);
  no_handler_logged_.assign(size_t(n) * nr_vectors, 0);
  track_ = ctx.trace.add_track("os", name());

  SC_METHOD(run_reruns);
  sensitive << rerun_ev_;
  dont_initialize();
  SC_METHOD(run_cleanup_timer);
  sensitive << cleanup_ev_;
  dont_initialize();
}

kernel::~kernel() = default;

unsigned kernel::ncpus() const { return unsigned(fw_.cpus.size()); }

void kernel::set_quantum(sc_time q) { quantum_ = q; }

unsigned kernel::tasks_running() const { return tasks_active_; }

unsigned kernel::allocated_vectors() const { return core_->vectors().matrix().total_allocated(); }

void kernel::set_skip_iec_invalidation(bool skip) {
  skip_iec_ = skip;
  if (irhw_) irhw_->set_skip_iec_invalidation(skip);
}

void kernel::set_pci_name(bdf dev, const std::string& nm) {
  for (auto& [b, s] : names_)
    if (b == dev) {
      s = nm;
      return;
    }
  names_.emplace_back(dev, nm);
}

std::string kernel::pci_name(bdf dev) const {
  for (auto& [b, s] : names_)
    if (b == dev) return s;
  return {};
}

// ---------------------------------------------------------------------------------------------
// time

bool kernel::in_thread() const {
  sc_core::sc_process_handle h = sc_core::sc_get_current_process_handle();
  return h.valid() && (h.proc_kind() == sc_core::SC_THREAD_PROC_ || h.proc_kind() == sc_core::SC_CTHREAD_PROC_);
}

uint64_t kernel::sw_now_ps() const { return now_ps() + (in_irq_ ? irq_time_ : task_local_).value(); }

void kernel::charge(const sc_time& t) {
  if (in_irq_) {
    irq_time_ += t;
    return;
  }
  if (!in_thread()) return;  // elaboration or method context: untimed
  task_local_ += t;
  // Run ahead only where no other process can observe it (see lookahead_section).
  // (Never consulted at quantum 0: sc_time_to_pending_activity() also drops cancelled events from
  // the event heap, which must not differ from a run without lookahead.)
  if (lookahead_ && quantum_ > SC_ZERO_TIME && task_local_ <= quantum_ &&
      task_local_ < sc_core::sc_time_to_pending_activity())
    return;
  sync_local();
}

void kernel::sync_local() {
  if (in_irq_ || !in_thread() || task_local_ == SC_ZERO_TIME) return;
  sc_time w = task_local_;
  task_local_ = SC_ZERO_TIME;
  sc_core::wait(w);
}

void kernel::spend(double nsec) { charge(ns(nsec)); }

uint64_t kernel::alloc_dma(uint64_t size, uint64_t align) {
  if (align == 0) align = 1;
  uint64_t a = (next_dma_ + align - 1) / align * align;
  next_dma_ = a + size;
  return a;
}

void kernel::run_task(const std::string& nm, std::function<void()> fn) {
  std::string pname = std::string(basename()) + "_" + nm + "_" + std::to_string(task_seq_++);
  for (char& ch : pname)
    if (ch == '.' || ch == ' ') ch = '_';
  sc_core::sc_spawn_options o;
  ++tasks_active_;
  sc_core::sc_spawn(
      [this, fn = std::move(fn)]() {
        if (booting_ && !booted_) sc_core::wait(boot_done_);
        task_lock_.lock();
        fn();
        sync_local();
        task_lock_.unlock();
        --tasks_active_;
      },
      pname.c_str(), &o);
}

// ---------------------------------------------------------------------------------------------
// bus accesses

void kernel::bus_rd(uint64_t addr, void* dst, unsigned len) {
  sync_for(addr);
  sc_time start = in_irq_ ? irq_time_ : task_local_;
  sc_time d = start;
  if (bus_read(mmio, addr, dst, len, d) != tlm::TLM_OK_RESPONSE) {
    std::memset(dst, 0xFF, len);  // master abort: all ones
    log->warn("read of {} bytes at 0x{:x} failed", len, addr);
  }
  charge(d - start + mmio_cost_);
}

void kernel::bus_wr(uint64_t addr, const void* src, unsigned len) {
  sync_for(addr);
  sc_time start = in_irq_ ? irq_time_ : task_local_;
  sc_time d = start;
  if (bus_write(mmio, addr, src, len, d) != tlm::TLM_OK_RESPONSE)
    log->warn("write of {} bytes at 0x{:x} failed", len, addr);
  charge(d - start + mmio_cost_);
}

uint32_t kernel::readl(uint64_t addr) {
  uint32_t v = 0;
  bus_rd(addr, &v, 4);
  return v;
}
void kernel::writel(uint64_t addr, uint32_t v) { bus_wr(addr, &v, 4); }
uint64_t kernel::readq(uint64_t addr) {
  uint64_t v = 0;
  bus_rd(addr, &v, 8);
  return v;
}
void kernel::writeq(uint64_t addr, uint64_t v) { bus_wr(addr, &v, 8); }
void kernel::memcpy_to(uint64_t addr, const void* src, unsigned len) { bus_wr(addr, src, len); }
void kernel::memcpy_from(uint64_t addr, void* dst, unsigned len) { bus_rd(addr, dst, len); }

uint32_t kernel::pci_read_config(bdf dev, uint16_t off, unsigned len) {
  uint32_t v = 0;
  bus_rd(fw_.ecam_base + (uint64_t(dev.rid()) << 12) + off, &v, len);
  return len == 4 ? v : v & ((1u << (8 * len)) - 1);
}

void kernel::pci_write_config(bdf dev, uint16_t off, uint32_t v, unsigned len) {
  bus_wr(fw_.ecam_base + (uint64_t(dev.rid()) << 12) + off, &v, len);
}

uint64_t kernel::bar_address(bdf dev, int bar) {
  // pci_resource_start as the BAR registers hold it (PCIe §7.5.1.2.1; 64-bit BARs take two).
  const uint16_t off = uint16_t(0x10 + 4 * bar);
  uint32_t lo = pci_read_config(dev, off, 4);
  uint64_t a = lo & 0xFFFF'FFF0u;
  if ((lo & 0x6) == 0x4) a |= uint64_t(pci_read_config(dev, off + 4, 4)) << 32;
  return a;
}

int kernel::pci_enable_device(bdf dev) { return pci_->enable_device(dev); }
int kernel::pci_alloc_irq_vectors(bdf dev, unsigned min, unsigned max, unsigned flags) {
  return pci_->alloc_irq_vectors(dev, min, max, flags);
}
void kernel::pci_free_irq_vectors(bdf dev) {
  pci_->free_irq_vectors(dev);
  arm_all_cleanups();
}
int kernel::pci_irq_vector(bdf dev, unsigned nr) { return pci_->irq_vector(dev, nr); }
bool kernel::pci_msix_can_alloc_dyn(bdf dev) { return pci_->msix_can_alloc_dyn(dev); }
msi_map kernel::pci_msix_alloc_irq_at(bdf dev, unsigned index, const cpumask* affinity) {
  return pci_->msix_alloc_irq_at(dev, index, affinity);
}
void kernel::pci_msix_free_irq(bdf dev, msi_map map) {
  pci_->msix_free_irq(dev, map);
  arm_all_cleanups();
}
bool kernel::pci_create_ims_domain(bdf dev, const ims_template& t) { return pci_->create_ims_domain(dev, t); }
msi_map kernel::pci_ims_alloc_irq(bdf dev, uint64_t cookie, const cpumask* affinity) {
  return pci_->ims_alloc_irq(dev, cookie, affinity);
}
void kernel::pci_ims_free_irq(bdf dev, msi_map map) {
  pci_->ims_free_irq(dev, map);
  arm_all_cleanups();
}

// ---------------------------------------------------------------------------------------------
// local APIC (x2APIC MSRs or the xAPIC page of the CPU the code runs on)

uint32_t kernel::apic_read(unsigned cpu, uint32_t off) {
  if (lookahead_) sync_local();
  sc_time d = SC_ZERO_TIME;
  uint32_t v = 0;
  cpu_port_if* c = fw_.cpus[cpu];
  if (x2apic_) {
    uint64_t q = 0;
    if (!c->rdmsr(apic::msr_of(off), q, d)) log->warn("rdmsr 0x{:x} faulted on cpu{}", apic::msr_of(off), cpu);
    v = uint32_t(q);
  } else {
    v = c->apic_mmio_read(off, d);
  }
  charge(d + mmio_cost_);
  return v;
}

void kernel::apic_write(unsigned cpu, uint32_t off, uint64_t v) {
  if (lookahead_) sync_local();
  sc_time d = SC_ZERO_TIME;
  cpu_port_if* c = fw_.cpus[cpu];
  if (x2apic_) {
    if (!c->wrmsr(apic::msr_of(off), v, d)) log->warn("wrmsr 0x{:x} faulted on cpu{}", apic::msr_of(off), cpu);
  } else {
    c->apic_mmio_write(off, uint32_t(v), d);
  }
  charge(d + mmio_cost_);
}

void kernel::apic_eoi(unsigned cpu) {
  ++st_.eois;
  apic_write(cpu, apic::OFF_EOI, 0);  // x2APIC MSR 0x80B / xAPIC 0xB0
}

bool kernel::lapic_irr(unsigned cpu, unsigned vector) {
  if (cpu >= ncpus()) return false;
  uint32_t irr = apic_read(cpu, APIC_IRR + 0x10 * (vector / 32));
  return irr >> (vector % 32) & 1;
}

void kernel::send_ipi(unsigned from, unsigned to, unsigned vector) {
  if (from >= ncpus() || to >= ncpus()) return;
  ++st_.ipis;
  // Fixed delivery, physical destination = APIC ID (= CPU number on this platform), edge.
  uint64_t icr = apic::icr::VECTOR.set(0, vector);
  if (x2apic_) {
    apic_write(from, apic::OFF_ICR_LOW, apic::icr::X2APIC_DESTINATION.set(icr, to));
  } else {
    apic_write(from, apic::OFF_ICR_HIGH, apic::icr::XAPIC_DESTINATION.set(0, to));
    apic_write(from, apic::OFF_ICR_LOW, icr);
  }
}

void kernel::setup_local_apic(unsigned cpu) {
  cpu_port_if* c = fw_.cpus[cpu];
  sc_time d = SC_ZERO_TIME;
  uint64_t base = 0;
  c->rdmsr(apic::IA32_APIC_BASE, base, d);
  const bool extd = apic::apic_base::EXTD.test(base);
  if (x2apic_ && !extd) {
    // x2apic_enable: EN and EXTD together (SDM §11.12.5).
    base = apic::apic_base::EN.set(base, 1);
    if (!c->wrmsr(apic::IA32_APIC_BASE, apic::apic_base::EXTD.set(base, 1), d))
      log->error("cpu{}: enabling x2APIC faulted", cpu);
  } else if (!x2apic_ && extd) {
    log->error("cpu{}: firmware left x2APIC on but the kernel runs xAPIC (set os.x2apic)", cpu);
  }
  charge(d + mmio_cost_);
  if (!x2apic_ && core_->vectors().dest_mode() == apic_dest_mode::flat_logical) {
    // apic_flat init_apic_ldr: flat model, one logical bit per CPU.
    apic_write(cpu, APIC_DFR, 0xFFFF'FFFFu);
    apic_write(cpu, APIC_LDR, apic::XAPIC_LDR_ID.set(0, 1u << cpu));
  }
  apic_write(cpu, APIC_TPR, 0);
  uint32_t svr = apic_read(cpu, APIC_SVR);
  svr = uint32_t(apic::svr::VECTOR.set(svr, SPURIOUS_APIC_VECTOR));
  apic_write(cpu, APIC_SVR, apic::svr::APIC_SW_ENABLE.set(svr, 1));
}

void kernel::local_irq_disable() {
  if (in_irq_ || task_cpu_ >= ncpus()) return;
  if (irq_off_depth_++ == 0) {
    irq_off_saved_ = fw_.cpus[task_cpu_]->interrupt_flag();
    fw_.cpus[task_cpu_]->set_interrupt_flag(false);
  }
}

void kernel::local_irq_enable() {
  if (in_irq_ || task_cpu_ >= ncpus() || irq_off_depth_ == 0) return;
  // An offline CPU never turns interrupts on again (play_dead).
  if (--irq_off_depth_ == 0 && irq_off_saved_ && core_->online().test(task_cpu_))
    fw_.cpus[task_cpu_]->set_interrupt_flag(true);
}

// ---------------------------------------------------------------------------------------------
// boot

void kernel::boot() {
  if (booted_ || booting_) return;
  booting_ = true;
  auto body = [this] {
    // Interrupt remapping first: x2APIC depends on it (enable_IR_x2apic).
    if (want_intremap_ && irhw_) ir_enabled_ = irhw_->enable(x2apic_);
    core_->boot();  // system vectors, CPU 0 online, ISA vectors
    for (unsigned cpu = 0; cpu < ncpus(); ++cpu) {
      if (cpu && !fw_.cpus[cpu]->running()) continue;
      setup_local_apic(cpu);
      if (cpu) core_->cpu_up(cpu);
    }
    for (bdf f : fw_.pci_functions) pci_->scan(f);
    sync_local();
    booted_ = true;
    booting_ = false;
    boot_done_.notify(SC_ZERO_TIME);
    log->info("booted: {} CPUs online, interrupt remapping {}", core_->online().weight(),
              ir_enabled_ ? "on" : "off");
  };
  if (in_thread()) {
    body();
    return;
  }
  std::string pname = std::string(basename()) + "_boot";
  sc_core::sc_spawn_options o;
  sc_core::sc_spawn(body, pname.c_str(), &o);
}

}  // namespace irqf::os
