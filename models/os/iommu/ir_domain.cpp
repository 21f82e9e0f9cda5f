#include "models/os/iommu/ir_domain.h"

#include "models/os/irq/vector_domain.h"

namespace irqf::os {

namespace {
/// Remappable-format MSI address (VT-d §5.1.5.2).
inline constexpr bitfield ADDR_HANDLE_LO{5, 15};
inline constexpr bitfield ADDR_IF{4, 1};
inline constexpr bitfield ADDR_SHV{3, 1};
inline constexpr bitfield ADDR_HANDLE_HI{2, 1};
inline constexpr bitfield HANDLE_BIT15{15, 1};
inline constexpr bitfield HANDLE_LO15{0, 15};
}  // namespace

ir_domain::ir_domain(vector_domain& parent, std::vector<irq_data>& descs, ir_hw* hw, os_tracer* tr,
                     unsigned max_handle_mask, bool x2apic)
    : parent_(parent), descs_(descs), hw_(hw), tr_(tr), max_handle_mask_(max_handle_mask), x2apic_(x2apic) {}

uint64_t ir_domain::remappable_address(unsigned index, bool shv) {
  uint64_t a = 0xFEE0'0000ull;
  a = ADDR_HANDLE_LO.set(a, HANDLE_LO15.get(index));
  a = ADDR_IF.set(a, 1);
  a = ADDR_SHV.set(a, shv);
  a = ADDR_HANDLE_HI.set(a, HANDLE_BIT15.get(index));
  return a;
}

int ir_domain::alloc(unsigned virq, unsigned nr, uint16_t sid, unsigned svt) {
  unsigned mask = 0;
  int index = alloc_.alloc(nr, max_handle_mask_, mask);
  if (index < 0) return -err::nospc;  // "IR%d: can't allocate an IRTE"
  if (ir_.size() < virq + nr) ir_.resize(virq + nr);
  for (unsigned i = 0; i < nr; ++i) {
    irq_2_iommu& d = ir_[virq + i];
    d = irq_2_iommu{};
    d.valid = true;
    d.irte_index = unsigned(index);
    d.sub_handle = i;
    d.irte_mask = mask;
    d.sid = sid;
    d.svt = svt;
  }
  return 0;
}

void ir_domain::free(unsigned virq, unsigned nr) {
  if (tr_ && tr_->on()) {
    trace_record r;
    r.event = "ir_free";
    r.f("virq", virq).f("nr", nr);
    tr_->kprobe(r);
  }
  for (unsigned i = 0; i < nr; ++i) {
    if (!has(virq + i)) continue;
    irq_2_iommu& d = ir_[virq + i];
    if (d.sub_handle == 0) {  // free_irte: only the owner of the block clears it
      for (unsigned k = 0; k < (1u << d.irte_mask); ++k)
        if (hw_) hw_->store_irte(d.irte_index + k, irte{}, false);
      if (hw_) hw_->flush_iec(d.irte_index, d.irte_mask);
      alloc_.free(d.irte_index, d.irte_mask);
    }
    d = irq_2_iommu{};
  }
}

irte ir_domain::entry_for(unsigned virq) const {
  const apic_chip_data& a = parent_.chip_data(virq);
  bool logical = parent_.dest_mode() != apic_dest_mode::physical;
  return prepare_irte(uint8_t(a.cfg_vector), a.cfg_dest_apicid, logical, x2apic_, ir_[virq].sid,
                      ir_[virq].svt);
}

void ir_domain::write(unsigned virq, const irte& e) {
  irq_2_iommu& d = ir_[virq];
  unsigned index = d.irte_index + d.sub_handle;
  if (tr_ && tr_->on()) {
    trace_record r;
    r.event = "modify_irte";
    r.f("idx", d.irte_index).f("sub", d.sub_handle).f("lo", int64_t(e.lo)).f("hi", int64_t(e.hi));
    tr_->kprobe(r);
  }
  bool atomic = d.posted;  // 128-bit cmpxchg only when the old or new entry is posted
  d.current = e;
  if (hw_) {
    hw_->store_irte(index, e, atomic);
    hw_->flush_iec(index, 0);
  }
}

void ir_domain::activate(unsigned virq, bool reserve) {
  if (tr_ && tr_->on()) {
    trace_record r;
    r.event = "ir_activate";
    r.f("irq", virq).f("reserve", reserve);
    tr_->kprobe(r);
  }
  write(virq, entry_for(virq));
}

void ir_domain::deactivate(unsigned virq) {
  if (tr_ && tr_->on()) {
    trace_record r;
    r.event = "ir_deactivate";
    r.f("irq", virq);
    tr_->kprobe(r);
  }
  write(virq, irte{});
}

int ir_domain::set_affinity(unsigned virq, const cpumask& mask, bool /*force*/) {
  if (tr_ && tr_->on()) {
    trace_record r;
    r.event = "ir_set_affinity";
    r.f("irq", virq).f("mask", int64_t(mask.low64()));
    tr_->kprobe(r);
  }
  int ret = parent_.set_affinity(virq, mask);
  if (ret < 0) return ret;
  // Atomically update the IRTE with the new destination and vector, flush the IEC, and the old
  // vector can go at once: the device can no longer target it.
  write(virq, entry_for(virq));
  parent_.schedule_cleanup(virq);
  return 0;
}

}  // namespace irqf::os
