#include "models/os/iommu/ir_hw_qi.h"

#include "models/iommu/vtd_regs.h"
#include "models/os/irq/irq_matrix.h"
#include "models/os/kernel.h"

namespace irqf::os {

namespace {
namespace vr = iommu::reg_off;
/// Linux drivers/iommu/intel/iommu.h: QI_LENGTH descriptors in one 4-KiB page (IQA.QS=0).
constexpr unsigned qi_length = 256;
/// qi->desc_status values (QI_FREE, QI_IN_USE, QI_DONE, QI_ABORT).
constexpr uint32_t qi_in_use = 1, qi_done = 2;
/// INTR_REMAP_TABLE_REG_SIZE: IRTA.S = 15, 2^(S+1) = 65,536 entries.
constexpr unsigned irta_size_field = 15;
/// Poll bounds (Linux panics after DMAR_OPERATION_TIMEOUT; the model logs and gives up).
constexpr unsigned max_polls = 100000;
}  // namespace

ir_hw_qi::ir_hw_qi(kernel& k, uint64_t reg_base) : k_(k), reg_(reg_base) {}

void ir_hw_qi::write_gcmd(uint32_t one_shot) { k_.writel(reg_ + vr::GCMD, gcmd_ | one_shot); }

bool ir_hw_qi::wait_gsts(uint64_t field_mask, bool want) {
  for (unsigned i = 0; i < max_polls; ++i) {
    bool set = (k_.readl(reg_ + vr::GSTS) & field_mask) != 0;
    if (set == want) return true;
    if (!k_.in_thread()) break;  // cannot spin without a task: the model's register writes are immediate
  }
  ++timeouts_;
  k_.log->error("DMAR hardware is malfunctioning: GSTS did not reach the expected state");
  return false;
}

bool ir_hw_qi::enable(bool x2apic) {
  const uint64_t cap = k_.readq(reg_ + vr::CAP);
  const uint64_t ecap = k_.readq(reg_ + vr::ECAP);
  if (!iommu::ecap::IR.test(ecap) || !iommu::ecap::QI.test(ecap)) {
    k_.log->warn("IOMMU without interrupt remapping / queued invalidation: IR stays off");
    return false;
  }
  eim_ = x2apic;
  if (x2apic && !iommu::ecap::EIM.test(ecap)) {
    k_.log->error("x2APIC needs ECAP.EIM for interrupt remapping: IR stays off");
    return false;
  }
  // intel_setup_irq_remapping: the table (INTR_REMAP_TABLE_ENTRIES x 16 bytes, page aligned).
  irt_ = k_.alloc_dma(uint64_t(intr_remap_table_entries) * 16, 4096);
  // dmar_enable_qi: a page of descriptors plus the status words qi_submit_sync waits on.
  iq_ = k_.alloc_dma(qi_length * iommu::qi_desc_size, 4096);
  status_ = k_.alloc_dma(qi_length * 4, 64);
  gcmd_ = uint32_t(k_.readl(reg_ + vr::GSTS)) & uint32_t(iommu::gsts::QIES.mask() | iommu::gsts::IRES.mask() |
                                                        iommu::gsts::CFIS.mask() | iommu::gsts::TES.mask());
  if (!iommu::gsts::QIES.test(gcmd_)) {
    free_head_ = 0;
    k_.writeq(reg_ + vr::IQT, 0);
    k_.writeq(reg_ + vr::IQA, iommu::iq::IQA_BASE.set(0, iq_ >> 12));  // DW=0, QS=0
    gcmd_ |= uint32_t(iommu::gcmd::QIE.mask());
    write_gcmd(0);
    if (!wait_gsts(iommu::gsts::QIES.mask(), true)) return false;
  }
  // iommu_set_irq_remapping.
  uint64_t irta = iommu::irta::IRTA_BASE.set(0, irt_ >> 12);
  irta = iommu::irta::EIME.set(irta, x2apic);
  irta = iommu::irta::S.set(irta, irta_size_field);
  k_.writeq(reg_ + vr::IRTA, irta);
  write_gcmd(uint32_t(iommu::gcmd::SIRTP.mask()));
  if (!wait_gsts(iommu::gsts::IRTPS.mask(), true)) return false;
  if (!iommu::cap::ESIRTPS.test(cap)) flush_iec_global();
  // iommu_enable_irq_remapping: IRE, then block compatibility-format MSIs.
  gcmd_ |= uint32_t(iommu::gcmd::IRE.mask());
  write_gcmd(0);
  if (!wait_gsts(iommu::gsts::IRES.mask(), true)) return false;
  if (k_.readl(reg_ + vr::GSTS) & iommu::gsts::CFIS.mask()) {
    gcmd_ &= ~uint32_t(iommu::gcmd::CFI.mask());
    write_gcmd(0);
    if (!wait_gsts(iommu::gsts::CFIS.mask(), false)) return false;
  }
  k_.log->info("Enabled IRQ remapping in {} mode", x2apic ? "x2apic" : "xapic");
  return true;
}

void ir_hw_qi::store_irte(unsigned index, const irte& e, bool atomic128) {
  ++irte_writes_;
  kernel::lookahead_section own_memory_only(k_);
  k_.charge(k_.irte_cost_);
  const uint64_t a = irt_ + uint64_t(index) * 16;
  if (atomic128) {
    uint64_t both[2] = {e.lo, e.hi};
    k_.memcpy_to(a, both, 16);
  } else {
    k_.writeq(a, e.lo);
    k_.writeq(a + 8, e.hi);
  }
}

void ir_hw_qi::flush_iec(unsigned index, unsigned mask) {
  if (skip_) {
    ++skipped_;
    return;
  }
  ++flushes_;
  iommu::qi_desc d = iommu::make_iec_index(uint16_t(index), uint8_t(mask));
  qi_submit_sync(&d, 1);
}

void ir_hw_qi::flush_iec_global() {
  ++flushes_;
  iommu::qi_desc d = iommu::make_iec_global();
  qi_submit_sync(&d, 1);
}

int ir_hw_qi::qi_submit_sync(const iommu::qi_desc* d, unsigned n) {
  kernel::lookahead_section own_memory_and_synchronised_mmio(k_);
  for (unsigned i = 0; i < n; ++i) {
    uint64_t raw[2] = {d[i].lo, d[i].hi};
    k_.memcpy_to(iq_ + uint64_t(free_head_) * iommu::qi_desc_size, raw, 16);
    free_head_ = (free_head_ + 1) % qi_length;
  }
  const unsigned wait_index = free_head_;
  const uint64_t status = status_ + uint64_t(wait_index) * 4;
  k_.memcpy_to(status, &qi_in_use, 4);
  iommu::qi_desc w = iommu::make_inv_wait(status, qi_done, true, false);
  uint64_t raw[2] = {w.lo, w.hi};
  k_.memcpy_to(iq_ + uint64_t(free_head_) * iommu::qi_desc_size, raw, 16);
  free_head_ = (free_head_ + 1) % qi_length;
  k_.writel(reg_ + vr::IQT, uint32_t(iommu::iq::QT.set(0, free_head_)));
  if (!k_.in_thread()) return 0;  // irq/method context cannot spin on the status in this model
  for (unsigned i = 0; i < max_polls; ++i) {
    uint32_t fsts = k_.readl(reg_ + vr::FSTS);  // qi_check_fault
    if (iommu::fsts::IQE.test(fsts)) {
      k_.log->error("invalidation queue error (FSTS.IQE)");
      k_.writel(reg_ + vr::FSTS, uint32_t(iommu::fsts::IQE.mask()));
      return -err::inval;
    }
    uint32_t st = 0;
    k_.memcpy_from(status, &st, 4);
    if (st == qi_done) return 0;
  }
  ++timeouts_;
  k_.log->error("queued invalidation did not complete");
  return -err::busy;
}

}  // namespace irqf::os
