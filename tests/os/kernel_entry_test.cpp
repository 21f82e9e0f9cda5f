// The kernel's interrupt entry on a hand-built platform: stray vectors (no_irq_handler), and the
// edge cases of linux-stack.md §9 item 10 — N events while disabled → one replay, an event while
// the handler runs elsewhere → one re-run, IRR bits pending on an offlining CPU → retriggered.
#include <catch2/catch.hpp>

#include "models/os/iommu/ir_hw_qi.h"
#include "tests/os/kernel_bench.h"

using namespace irqf;
using namespace irqf::os;
using irqf::os::test::kbench;
using irqf::os::test::kparams;

TEST_CASE("an MSI on a vector unmapped on its CPU is lost with no_irq_handler", "[os][kernel][entry]") {
  param_values kp = kparams(true);
  kbench b(kp, 2, /*iommu=*/false);
  b.task([&] {
    // Compatibility-format MSI: physical destination APIC 0, vector 0x99 (nothing allocated there).
    b.dev.raw_write(0xFEE0'0000ull, 0x99, b.id().rid());
  });
  b.run(200'000);
  auto t = b.totals();
  CHECK(t.raised == 1);
  CHECK(t.lost == 1);
  CHECK(t.lost_by_cause["no_irq_handler"] == 1);
  CHECK(b.k->stats().no_irq_handler == 1);
  CHECK(b.k->stats().eois == 1);  // the unhandled vector is still acknowledged (ack_APIC_irq)
  CHECK(check_conservation(t).ok);
}

TEST_CASE("N events while disabled: one replay on enable (kstat +1)", "[os][kernel][entry]") {
  kbench b;
  unsigned virq = 0, runs = 0;
  b.task([&] {
    b.k->pci_alloc_irq_vectors(b.id(), 1, 1, kernel::PCI_IRQ_MSIX);
    virq = unsigned(b.k->pci_irq_vector(b.id(), 0));
    REQUIRE(b.k->request_irq(virq, [&](unsigned, unsigned) {
      ++runs;
      return irqreturn::handled;
    }, "t") == 0);
    b.k->set_task_cpu(b.k->core().vectors().chip_data(virq).cpu);  // enable_irq runs on the target
    b.k->disable_irq(virq);
    for (int i = 0; i < 3; ++i) {
      b.raise_msix(0);
      sc_core::wait(ns(5000));
    }
    CHECK(runs == 0);
    CHECK(b.k->desc(virq)->pending);
    CHECK(b.dev.msix()->pending(0));  // masked by the first edge: the device latched the others
    b.k->enable_irq(virq);
    sc_core::wait(ns(20000));
  });
  b.run(1'000'000);
  CHECK(runs == 1);
  CHECK(b.k->desc(virq)->kstat == 1);
  CHECK(b.k->desc(virq)->resends == 1);
  auto t = b.totals();
  // Three device events (the first held by IRQS_PENDING, two latched in the PBA and sent on unmask)
  // and the resend IPI, all folded into one IRR bit on the target CPU: one handler run.
  CHECK(t.raised == 4);
  CHECK(t.handled == 1);
  CHECK(t.merged == 3);
  CHECK(t.lost == 0);
  CHECK(check_conservation(t).ok);
}

TEST_CASE("an event while the handler runs on another CPU: one re-run", "[os][kernel][entry]") {
  kbench b;
  unsigned virq = 0, runs = 0;
  std::vector<unsigned> cpus;
  b.task([&] {
    b.k->pci_alloc_irq_vectors(b.id(), 1, 1, kernel::PCI_IRQ_MSIX);
    virq = unsigned(b.k->pci_irq_vector(b.id(), 0));
    REQUIRE(b.k->irq_set_affinity(virq, cpumask{0}) == 0);
    REQUIRE(b.k->request_irq(virq, [&](unsigned, unsigned cpu) {
      ++runs;
      cpus.push_back(cpu);
      b.k->spend(20'000);  // a long handler body
      return irqreturn::handled;
    }, "t") == 0);
    b.raise_msix(0);           // handler on CPU 0 for ~20 us
    sc_core::wait(ns(2000));
    REQUIRE(b.k->irq_set_affinity(virq, cpumask{1}) == 0);  // IR: one IRTE update, effective now
    sc_core::wait(ns(2000));
    b.raise_msix(0);           // lands on CPU 1 while CPU 0 still runs the handler
    sc_core::wait(ns(60'000));
  });
  b.run(1'000'000);
  CHECK(runs == 2);
  REQUIRE(cpus.size() == 2);
  CHECK(cpus[0] == 0);
  CHECK(cpus[1] == 0);  // the re-run happens in CPU 0's handler loop
  CHECK(b.k->desc(virq)->kstat == 1);
  CHECK(b.k->stats().reruns == 1);
  auto t = b.totals();
  CHECK(t.handled == 2);
  CHECK(check_conservation(t).ok);
}

TEST_CASE("a vector pending in the IRR of an offlining CPU is retriggered on the new target",
          "[os][kernel][entry]") {
  kbench b;
  unsigned virq = 0, runs = 0, ran_on = 99;
  int down = -1;
  b.task([&] {
    b.k->pci_alloc_irq_vectors(b.id(), 1, 1, kernel::PCI_IRQ_MSIX);
    virq = unsigned(b.k->pci_irq_vector(b.id(), 0));
    REQUIRE(b.k->irq_set_affinity(virq, cpumask{1}) == 0);
    REQUIRE(b.k->request_irq(virq, [&](unsigned, unsigned cpu) {
      ++runs;
      ran_on = cpu;
      return irqreturn::handled;
    }, "t") == 0);
    b.k->set_task_cpu(1);
    b.k->local_irq_disable();  // CPU 1 does not take it: the vector stays in its IRR
    b.raise_msix(0);
    sc_core::wait(ns(1000));
    CHECK(runs == 0);
    down = b.k->cpu_down(1);
    b.k->local_irq_enable();
    b.k->set_task_cpu(0);
    sc_core::wait(ns(20'000));
  });
  b.run(3'000'000);  // cpu_down includes fixup_irqs' 1 ms wait
  CHECK(down == 0);
  CHECK(b.k->core().retriggers() == 1);
  CHECK(runs == 1);
  CHECK(ran_on == 0);
  // The dying CPU's IRR bit is handed over to the retrigger: its ledger id is settled with the
  // retrigger IPI's (one handled, one merged) and nothing stays on the dead CPU.
  auto t = b.totals();
  CHECK(t.pending == 0);
  CHECK(t.handled == 1);
  CHECK(t.merged == 1);
  CHECK(check_conservation(t).ok);
}

TEST_CASE("fault injection: a skipped IEC invalidation sends an irq to another irq's handler",
          "[os][kernel][entry]") {
  kbench b;
  unsigned a = 0, bv = 0, runs_a = 0, runs_b = 0, vec_a = 0;
  b.task([&] {
    b.k->pci_alloc_irq_vectors(b.id(), 2, 2, kernel::PCI_IRQ_MSIX);
    a = unsigned(b.k->pci_irq_vector(b.id(), 0));
    bv = unsigned(b.k->pci_irq_vector(b.id(), 1));
    REQUIRE(b.k->irq_set_affinity(a, cpumask{0}) == 0);
    REQUIRE(b.k->irq_set_affinity(bv, cpumask{0}) == 0);
    REQUIRE(b.k->request_irq(a, [&](unsigned, unsigned) { ++runs_a; return irqreturn::handled; }, "a") == 0);
    vec_a = b.k->core().vectors().chip_data(a).vector;
    b.raise_msix(0);  // the IOMMU caches A's IRTE
    sc_core::wait(ns(5000));
    b.k->set_skip_iec_invalidation(true);
    REQUIRE(b.k->irq_set_affinity(a, cpumask{1}) == 0);  // IRTE rewritten, IEC not invalidated
    sc_core::wait(ns(5e6));                                // the old vector is cleaned up on CPU 0
    REQUIRE(b.k->request_irq(bv, [&](unsigned, unsigned) { ++runs_b; return irqreturn::handled; }, "b") == 0);
    CHECK(b.k->core().vectors().chip_data(bv).vector == vec_a);  // B reuses A's old vector on CPU 0
    b.raise_msix(0);  // the stale IEC entry still says (CPU 0, vec_a)
    sc_core::wait(ns(5000));
  });
  b.run(10e6);
  CHECK(runs_a == 1);
  CHECK(runs_b == 1);
  CHECK(b.k->ir_hw()->iec_flushes_skipped() == 3);  // A's shutdown, B's allocation and activation
  auto t = b.totals();
  CHECK(t.handled == 1);
  CHECK(t.lost_by_cause["misrouted"] == 1);
  CHECK(check_conservation(t).ok);
}
