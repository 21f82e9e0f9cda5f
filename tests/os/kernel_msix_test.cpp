// The kernel component on a hand-built platform: boot (IR enable through the VT-d registers), the
// MSI-X enable/disable register sequences, dynamic MSI-X allocation (linux-stack.md §9 items 7, 8),
// reservation mode, and an end-to-end interrupt testdev → VT-d → LAPIC → handler.
#include <catch2/catch.hpp>

#include "models/iommu/vtd_regs.h"
#include "models/os/iommu/ir_domain.h"
#include "models/os/iommu/ir_hw_qi.h"
#include "tests/os/kernel_bench.h"

using namespace irqf;
using namespace irqf::os;
using irqf::os::test::bus_access;
using irqf::os::test::kbench;
using irqf::os::test::kparams;

namespace {
constexpr uint16_t MSIX_CTRL = 0xA2;  // testdev: MSI-X capability at 0xA0, Message Control at +2
constexpr uint64_t VC = 0xC;          // Vector Control within a table entry
irqreturn handled(unsigned, unsigned) { return irqreturn::handled; }
}  // namespace

TEST_CASE("kernel boot enables interrupt remapping through the VT-d registers", "[os][kernel]") {
  kbench b;
  b.run(200'000);
  REQUIRE(b.k->booted());
  REQUIRE(b.k->intremap_enabled());
  auto reg = [&](const char* n) { return *b.vtd->read_register(n); };
  using namespace iommu;
  CHECK(gsts::IRES.test(reg("GSTS")));
  CHECK(gsts::QIES.test(reg("GSTS")));
  CHECK(gsts::IRTPS.test(reg("GSTS")));
  CHECK_FALSE(gsts::CFIS.test(reg("GSTS")));
  uint64_t irta = reg("IRTA");
  CHECK(irta::S.get(irta) == 15);
  CHECK(irta::EIME.test(irta));
  CHECK((irta::IRTA_BASE.get(irta) << 12) == b.k->ir_hw()->irt_base());
  CHECK(b.vtd->stats().iec_global_invalidations == 1);
  CHECK(b.vtd->stats().inv_waits == 1);
  CHECK(b.k->core().online().weight() == 2);
  CHECK(check_conservation(b.totals()).ok);
}

TEST_CASE("MSI-X enable follows msix_capability_init's register order", "[os][kernel][msix]") {
  kbench b;
  int nvec = 0;
  size_t mark = 0;
  std::vector<unsigned> virqs;
  b.task([&] {
    REQUIRE(b.k->pci_enable_device(b.id()) == 0);
    mark = b.seen.size();
    nvec = b.k->pci_alloc_irq_vectors(b.id(), 1, 4, kernel::PCI_IRQ_MSIX);
    for (int i = 0; i < nvec; ++i) virqs.push_back(unsigned(b.k->pci_irq_vector(b.id(), unsigned(i))));
  });
  b.run(500'000);
  REQUIRE(nvec == 4);
  auto w = b.writes(mark);
  // ENABLE|MASKALL; 4 reserved messages (3 dwords each); INTx off; all 8 entries masked; MASKALL off.
  REQUIRE(w.size() == 1 + 4 * 3 + 1 + 8 + 1);
  CHECK(w[0].cfg);
  CHECK(w[0].off == MSIX_CTRL);
  CHECK(w[0].value == 0xC007);
  for (unsigned i = 0; i < 4; ++i) {
    const irq_2_iommu& ir = b.k->core().ir()->data(virqs[i]);
    CHECK(!w[1 + 3 * i].cfg);
    CHECK(w[1 + 3 * i].off == 16 * i + 0);
    CHECK(w[1 + 3 * i].value == ir_domain::remappable_address(ir.irte_index, true));
    CHECK(w[2 + 3 * i].off == 16 * i + 4);
    CHECK(w[2 + 3 * i].value == 0);
    CHECK(w[3 + 3 * i].off == 16 * i + 8);
    CHECK(w[3 + 3 * i].value == ir.sub_handle);
  }
  CHECK(w[13].cfg);
  CHECK(w[13].off == 0x04);  // Command: INTx Disable set, memory + bus master kept
  CHECK(w[13].value == 0x0406);
  for (unsigned i = 0; i < 8; ++i) {
    CHECK(!w[14 + i].cfg);
    CHECK(w[14 + i].off == 16 * i + VC);
    CHECK(w[14 + i].value == 1);
  }
  CHECK(w[22].cfg);
  CHECK(w[22].off == MSIX_CTRL);
  CHECK(w[22].value == 0x8007);
  // Reservation mode: no real vector yet, the IRTE points at 0xef, one global reservation each.
  for (unsigned v : virqs) CHECK(b.k->core().vectors().chip_data(v).cfg_vector == managed_irq_shutdown_vector);
  CHECK(b.k->core().vectors().matrix().global_reserved() == 4);
  CHECK(b.dev.msix()->enabled());
  CHECK(check_conservation(b.totals()).ok);
}

TEST_CASE("MSI-X disable masks each entry, clears Enable, turns INTx back on", "[os][kernel][msix]") {
  kbench b;
  size_t mark = 0;
  b.task([&] {
    b.k->pci_alloc_irq_vectors(b.id(), 2, 2, kernel::PCI_IRQ_MSIX);
    mark = b.seen.size();
    b.k->pci_free_irq_vectors(b.id());
  });
  b.run(500'000);
  auto w = b.writes(mark);
  REQUIRE(w.size() == 2 + 1 + 1);
  CHECK(w[0].off == 0 * 16 + VC);
  CHECK(w[0].value == 1);
  CHECK(w[1].off == 1 * 16 + VC);
  CHECK(w[2].cfg);
  CHECK(w[2].off == MSIX_CTRL);
  CHECK(w[2].value == 0x0007);
  CHECK(w[3].cfg);
  CHECK(w[3].off == 0x04);
  CHECK(w[3].value == 0x0006);
  CHECK_FALSE(b.dev.msix()->enabled());
  CHECK(b.k->core().vectors().matrix().global_reserved() == 0);
  CHECK(check_conservation(b.totals()).ok);
}

TEST_CASE("pci_msix_alloc_irq_at: lowest free slot, errors, no other entry written", "[os][kernel][msix]") {
  kbench b;
  msi_map before{}, any{}, at5{}, dup{}, range{}, full{};
  std::vector<bus_access> dyn_writes;
  b.task([&] {
    before = b.k->pci_msix_alloc_irq_at(b.id(), msi_any_index);
    REQUIRE(b.k->pci_msix_can_alloc_dyn(b.id()));
    b.k->pci_alloc_irq_vectors(b.id(), 1, 1, kernel::PCI_IRQ_MSIX);
    size_t mark = b.seen.size();
    any = b.k->pci_msix_alloc_irq_at(b.id(), msi_any_index);
    dyn_writes = b.writes(mark);
    at5 = b.k->pci_msix_alloc_irq_at(b.id(), 5);
    dup = b.k->pci_msix_alloc_irq_at(b.id(), 5);
    range = b.k->pci_msix_alloc_irq_at(b.id(), 8);
    for (int i = 0; i < 5; ++i) b.k->pci_msix_alloc_irq_at(b.id(), msi_any_index);
    full = b.k->pci_msix_alloc_irq_at(b.id(), msi_any_index);
  });
  b.run(1'000'000);
  CHECK(before.index == -err::notsupp);
  CHECK(any.index == 1);
  CHECK(any.virq == 25);  // entry 0 took the first dynamic virq (24, after the IOAPIC GSIs)
  // Only entry 1's message: address low, high, data — no Vector Control, no other entry.
  REQUIRE(dyn_writes.size() == 3);
  for (auto& a : dyn_writes) {
    CHECK_FALSE(a.cfg);
    CHECK(a.off >= 0x10);
    CHECK(a.off < 0x1C);
  }
  CHECK(b.dev.msix()->entry_masked(1));
  CHECK(at5.index == 5);
  CHECK(dup.index == -err::busy);
  CHECK(range.index == -err::range);
  CHECK(full.index == -err::busy);
  CHECK(check_conservation(b.totals()).ok);
}

TEST_CASE("pci_msix_free_irq after free_irq: masked, zero message, IRTE cleared, slot reusable",
          "[os][kernel][msix]") {
  kbench b;
  msi_map m{}, again{};
  unsigned irte_index = 0;
  uint64_t inv_before = 0, inv_after = 0, irte_after = 1;
  uint32_t entry_after[4] = {9, 9, 9, 9};
  bool enabled_after = false;
  b.task([&] {
    b.k->pci_alloc_irq_vectors(b.id(), 1, 1, kernel::PCI_IRQ_MSIX);
    m = b.k->pci_msix_alloc_irq_at(b.id(), msi_any_index);
    REQUIRE(b.k->request_irq(m.virq, handled, "dyn") == 0);
    CHECK_FALSE(b.dev.msix()->entry_masked(1));
    irte_index = b.k->core().ir()->data(m.virq).irte_index;
    b.k->free_irq(m.virq);
    inv_before = b.vtd->stats().iec_index_invalidations;
    b.k->pci_msix_free_irq(b.id(), m);
    irte_after = b.mem.load<uint64_t>(b.k->ir_hw()->irt_base() + 16ull * irte_index);
    for (unsigned w = 0; w < 4; ++w) entry_after[w] = b.dev.msix()->table_word(1, w);
    enabled_after = b.dev.msix()->enabled();
    inv_after = b.vtd->stats().iec_index_invalidations;
    again = b.k->pci_msix_alloc_irq_at(b.id(), unsigned(m.index));
  });
  b.run(1'000'000);
  REQUIRE(m.index == 1);
  // free_irq masked the entry and wrote a zero message; the free cleared the IRTE and flushed it.
  CHECK(entry_after[0] == 0);
  CHECK(entry_after[1] == 0);
  CHECK(entry_after[2] == 0);
  CHECK(entry_after[3] == 1);
  CHECK(irte_after == 0);
  CHECK(inv_after == inv_before + 1);
  CHECK(enabled_after);
  CHECK(again.index == 1);
  CHECK(b.dev.msix()->entry_masked(1));
  CHECK(check_conservation(b.totals()).ok);
}

TEST_CASE("end to end: testdev MSI-X → VT-d → LAPIC → handler, ledger balanced", "[os][kernel][e2e]") {
  kbench b;
  unsigned runs = 0, ran_on = 99, virq = 0;
  b.task([&] {
    b.k->pci_alloc_irq_vectors(b.id(), 2, 2, kernel::PCI_IRQ_MSIX);
    virq = unsigned(b.k->pci_irq_vector(b.id(), 0));
    REQUIRE(b.k->request_irq(virq, [&](unsigned, unsigned cpu) {
      ++runs;
      ran_on = cpu;
      return irqreturn::handled;
    }, "testdev0-0") == 0);
    sc_core::wait(ns(1000));
    b.raise_msix(0);
  });
  b.run(1'000'000);
  CHECK(runs == 1);
  CHECK(ran_on == b.k->core().vectors().chip_data(virq).cpu);
  CHECK(b.k->desc(virq)->kstat == 1);
  auto t = b.totals();
  CHECK(t.raised == 1);
  CHECK(t.handled == 1);
  CHECK(t.lost == 0);
  CHECK(check_conservation(t).ok);
  CHECK(b.vtd->stats().remapped == 1);
}

TEST_CASE("multi-message MSI under IR: one IRTE block, MME set, each vector its own irq", "[os][kernel][msi]") {
  kbench b;
  int n = 0;
  unsigned base = 0;
  std::vector<unsigned> runs(4, 0);
  b.task([&] {
    n = b.k->pci_alloc_irq_vectors(b.id(), 1, 4, kernel::PCI_IRQ_MSI);
    base = unsigned(b.k->pci_irq_vector(b.id(), 0));
    for (unsigned i = 0; i < 4; ++i)
      REQUIRE(b.k->request_irq(base + i, [&runs, i](unsigned, unsigned) {
        ++runs[i];
        return irqreturn::handled;
      }, "msi") == 0);
    sc_core::wait(ns(1000));
    b.dev.raise(testdev::store_kind::msi, 2);
    sc_core::wait(ns(5000));
  });
  b.run(1'000'000);
  REQUIRE(n == 4);
  CHECK(b.k->pci_irq_vector(b.id(), 3) == int(base + 3));
  CHECK(b.dev.msi()->enabled());
  CHECK(b.dev.msi()->granted() == 4);
  const irq_2_iommu& ir0 = b.k->core().ir()->data(base);
  CHECK(ir0.irte_mask == 2);  // an aligned block of four IRTEs
  CHECK(b.k->core().ir()->data(base + 2).sub_handle == 2);
  CHECK(runs == std::vector<unsigned>{0, 0, 1, 0});
  auto t = b.totals();
  CHECK(t.handled == 1);
  CHECK(check_conservation(t).ok);
}

TEST_CASE("without IR, multi-MSI falls back to one vector", "[os][kernel][msi]") {
  kbench b(kparams(true), 2, /*iommu=*/false);
  int n = 0;
  b.task([&] { n = b.k->pci_alloc_irq_vectors(b.id(), 1, 4, kernel::PCI_IRQ_MSI); });
  b.run(500'000);
  CHECK_FALSE(b.k->intremap_enabled());
  CHECK(n == 1);
  CHECK(b.dev.msi()->granted() == 1);
  CHECK(check_conservation(b.totals()).ok);
}
