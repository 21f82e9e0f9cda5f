#include "models/os/pci/pci_msi.h"

#include <bit>

#include "models/pcie/config_regs.h"
#include "models/pcie/msi.h"
#include "models/pcie/msix.h"

namespace irqf::os {

namespace {
namespace cfg = pcie::cfgreg;
namespace mx = pcie::msix_fields;
namespace mc = pcie::msi_fields_ctl;
/// MSI-X capability layout (PCIe §7.7.2): Message Control at +2, Table Offset/BIR at +4.
constexpr uint16_t MSIX_FLAGS = 2, MSIX_TABLE = 4;
/// MSI capability layout (PCIe §7.7.1).
constexpr uint16_t MSI_FLAGS = 2, MSI_ADDRESS_LO = 4, MSI_ADDRESS_HI = 8, MSI_DATA_32 = 8, MSI_DATA_64 = 0xC,
                   MSI_MASK_32 = 0xC, MSI_MASK_64 = 0x10;
constexpr uint32_t msix_maskbit = uint32_t(mx::VC_MASK.mask());
constexpr unsigned max_cap_walk = 48;  // PCI_FIND_CAP_TTL

const char* kind_name(msi_kind k) {
  switch (k) {
    case msi_kind::msi: return "msi";
    case msi_kind::msix: return "msix";
    case msi_kind::ims: return "ims";
  }
  return "?";
}
}  // namespace

/// The device chips of the three per-device domains (pci_msi_domain_write_msg/pci_msi_mask/unmask
/// for PCI-MSI and PCI-MSIX, the template callbacks for IMS).
class msi_chip_impl : public irq_chip_top {
 public:
  msi_chip_impl(pci_msi& p, msi_kind k) : p_(p), k_(k) {}

  void write_msg(unsigned virq, const msi_msg& m) override {
    pci_msi::owner* o = p_.owner_of(virq);
    if (!o) return;
    pci_dev& d = *o->dev;
    kernel& kn = p_.k_;
    switch (k_) {
      case msi_kind::msix: {
        msi_desc* desc = d.msi_descs.find(o->index);
        if (!desc) return;
        desc->msg = m;
        if (desc->is_virtual || !d.msix_base) return;
        const uint64_t base = p_.msix_entry(d, o->index);
        const bool unmasked = !(desc->msix_ctrl & msix_maskbit);
        // The entry must be masked while its message changes (PCIe §6.1.4.2).
        if (unmasked) kn.writel(base + mx::ENTRY_VECTOR_CONTROL, desc->msix_ctrl | msix_maskbit);
        kn.writel(base + mx::ENTRY_ADDR_LO, uint32_t(m.address));
        kn.writel(base + mx::ENTRY_ADDR_HI, uint32_t(m.address >> 32));
        kn.writel(base + mx::ENTRY_DATA, m.data);
        if (unmasked) kn.writel(base + mx::ENTRY_VECTOR_CONTROL, desc->msix_ctrl);
        (void)kn.readl(base + mx::ENTRY_DATA);  // make the writes visible in the device
        return;
      }
      case msi_kind::msi: {
        msi_desc* desc = d.msi_descs.find(0);
        if (!desc || o->sub != 0) return;  // only the first irq of a multi-MSI block writes
        desc->msg = m;
        const uint16_t pos = d.msi_cap;
        uint16_t ctl = uint16_t(kn.pci_read_config(d.id, pos + MSI_FLAGS, 2));
        unsigned multiple = unsigned(std::bit_width(std::bit_ceil(desc->nvec_used)) - 1);
        ctl = uint16_t(mc::MME.set(ctl, multiple));
        kn.pci_write_config(d.id, pos + MSI_FLAGS, ctl, 2);
        kn.pci_write_config(d.id, pos + MSI_ADDRESS_LO, uint32_t(m.address), 4);
        const bool is64 = mc::ADDR64.test(ctl);
        if (is64) {
          kn.pci_write_config(d.id, pos + MSI_ADDRESS_HI, uint32_t(m.address >> 32), 4);
          kn.pci_write_config(d.id, pos + MSI_DATA_64, m.data & 0xFFFF, 2);
        } else {
          kn.pci_write_config(d.id, pos + MSI_DATA_32, m.data & 0xFFFF, 2);
        }
        (void)kn.pci_read_config(d.id, pos + MSI_FLAGS, 2);
        return;
      }
      case msi_kind::ims:
        if (msi_desc* desc = d.ims_descs ? d.ims_descs->find(o->index) : nullptr) desc->msg = m;
        if (d.ims.write_msg) d.ims.write_msg(o->index, m);
        return;
    }
  }

  void mask(unsigned virq) override { set_mask(virq, true); }
  void unmask(unsigned virq) override { set_mask(virq, false); }

  bool can_mask(unsigned virq) const override {
    pci_msi::owner* o = p_.owner_of(virq);
    if (!o || k_ != msi_kind::msi) return true;
    const msi_desc* desc = o->dev->msi_descs.find(0);
    return desc && desc->can_mask;
  }

 private:
  void set_mask(unsigned virq, bool m) {
    pci_msi::owner* o = p_.owner_of(virq);
    if (!o) return;
    pci_dev& d = *o->dev;
    kernel& kn = p_.k_;
    switch (k_) {
      case msi_kind::msix: {  // pci_msix_mask / pci_msix_unmask
        msi_desc* desc = d.msi_descs.find(o->index);
        if (!desc || !desc->can_mask || !d.msix_base) return;
        desc->msix_ctrl = m ? desc->msix_ctrl | msix_maskbit : desc->msix_ctrl & ~msix_maskbit;
        const uint64_t base = p_.msix_entry(d, o->index);
        kn.writel(base + mx::ENTRY_VECTOR_CONTROL, desc->msix_ctrl);
        if (m) (void)kn.readl(base);  // flush the posted write
        return;
      }
      case msi_kind::msi: {  // pci_msi_mask / pci_msi_unmask (per-vector masking only)
        msi_desc* desc = d.msi_descs.find(0);
        if (!desc || !desc->can_mask) return;
        uint32_t bit = 1u << o->sub;
        desc->msi_mask = m ? desc->msi_mask | bit : desc->msi_mask & ~bit;
        const bool is64 = mc::ADDR64.test(kn.pci_read_config(d.id, d.msi_cap + MSI_FLAGS, 2));
        kn.pci_write_config(d.id, d.msi_cap + (is64 ? MSI_MASK_64 : MSI_MASK_32), desc->msi_mask, 4);
        return;
      }
      case msi_kind::ims:
        if (m && d.ims.mask) d.ims.mask(o->index);
        if (!m && d.ims.unmask) d.ims.unmask(o->index);
        return;
    }
  }

  pci_msi& p_;
  msi_kind k_;
};

pci_msi::pci_msi(kernel& k) : k_(k) {
  msix_chip_ = std::make_unique<msi_chip_impl>(*this, msi_kind::msix);
  msi_chip_ = std::make_unique<msi_chip_impl>(*this, msi_kind::msi);
  ims_chip_ = std::make_unique<msi_chip_impl>(*this, msi_kind::ims);
}

pci_msi::~pci_msi() = default;

irq_chip_top* pci_msi::chip(msi_kind k) {
  switch (k) {
    case msi_kind::msi: return msi_chip_.get();
    case msi_kind::msix: return msix_chip_.get();
    case msi_kind::ims: return ims_chip_.get();
  }
  return nullptr;
}

pci_msi::owner* pci_msi::owner_of(unsigned virq) {
  return virq < owners_.size() && owners_[virq].dev ? &owners_[virq] : nullptr;
}

msi_desc* pci_msi::desc_of(unsigned virq) {
  owner* o = owner_of(virq);
  if (!o) return nullptr;
  if (o->kind == msi_kind::ims) return o->dev->ims_descs ? o->dev->ims_descs->find(o->index) : nullptr;
  return o->dev->msi_descs.find(o->index);
}

pci_dev* pci_msi::find(bdf id) {
  for (auto& d : devs_)
    if (d->id == id) return d.get();
  return nullptr;
}

pci_dev* pci_msi::scan(bdf id) {
  if (pci_dev* d = find(id)) return d;
  uint32_t ids = k_.pci_read_config(id, cfg::VENDOR_ID, 4);
  if ((ids & 0xFFFF) == 0xFFFF) return nullptr;  // no function answers
  auto d = std::make_unique<pci_dev>();
  d->id = id;
  d->vendor = uint16_t(ids);
  d->device = uint16_t(ids >> 16);
  d->pin = uint8_t(k_.pci_read_config(id, cfg::INTERRUPT_PIN, 1));
  if (cfg::STS_CAP_LIST.test(k_.pci_read_config(id, cfg::STATUS, 2))) {
    uint16_t pos = uint16_t(k_.pci_read_config(id, cfg::CAP_PTR, 1) & 0xFC);
    for (unsigned ttl = 0; pos >= 0x40 && ttl < max_cap_walk; ++ttl) {
      uint16_t hdr = uint16_t(k_.pci_read_config(id, pos, 2));
      uint8_t cap_id = uint8_t(hdr);
      if (cap_id == cfg::CAP_ID_MSI && !d->msi_cap) d->msi_cap = pos;
      if (cap_id == cfg::CAP_ID_MSIX && !d->msix_cap) d->msix_cap = pos;
      pos = uint16_t((hdr >> 8) & 0xFC);
    }
  }
  devs_.push_back(std::move(d));
  return devs_.back().get();
}

int pci_msi::enable_device(bdf id) {
  pci_dev* d = find(id);
  if (!d) d = scan(id);
  if (!d) return -err::nxio;
  uint16_t cmd = uint16_t(k_.pci_read_config(id, cfg::COMMAND, 2));
  uint16_t want = uint16_t(cmd | cfg::CMD_MEMORY_SPACE.mask() | cfg::CMD_BUS_MASTER.mask());
  if (want != cmd) k_.pci_write_config(id, cfg::COMMAND, want, 2);
  return 0;
}

void pci_msi::pci_intx(pci_dev& d, bool enable) {
  uint16_t cmd = uint16_t(k_.pci_read_config(d.id, cfg::COMMAND, 2));
  uint16_t n = uint16_t(cfg::CMD_INTX_DISABLE.set(cmd, enable ? 0 : 1));
  if (n != cmd) k_.pci_write_config(d.id, cfg::COMMAND, n, 2);
}

void pci_msi::msix_ctrl_clear_set(pci_dev& d, uint16_t clear, uint16_t set) {
  uint16_t ctrl = uint16_t(k_.pci_read_config(d.id, d.msix_cap + MSIX_FLAGS, 2));
  ctrl = uint16_t((ctrl & ~clear) | set);
  k_.pci_write_config(d.id, d.msix_cap + MSIX_FLAGS, ctrl, 2);
}

std::vector<cpumask> pci_msi::spread(unsigned n) const {
  // irq_create_affinity_masks: vectors spread evenly over the CPUs (one CPU each here).
  std::vector<cpumask> v;
  for (unsigned i = 0; i < n; ++i) v.push_back(cpumask{i % k_.ncpus()});
  return v;
}

int pci_msi::alloc_desc_irqs(pci_dev& d, msi_kind k, msi_desc& desc, const std::vector<cpumask>& aff,
                             bool managed) {
  irq_core& core = k_.core();
  irq_alloc_request rq;
  rq.nr = desc.nvec_used;
  rq.affinity = aff;
  rq.managed.assign(rq.nr, managed);
  rq.remapped = k_.intremap_enabled();
  rq.sid = d.id.rid();
  rq.contiguous = k == msi_kind::msi && rq.nr > 1;
  // msi_check_reservation_mode: MSI-X always, MSI when it can mask (IMS chips can mask too).
  rq.can_reserve = !managed && (k != msi_kind::msi || desc.can_mask);
  rq.top = chip(k);
  int virq = core.alloc_irqs(rq);
  if (virq < 0) return virq;
  desc.irq = unsigned(virq);
  if (owners_.size() < unsigned(virq) + rq.nr) owners_.resize(unsigned(virq) + rq.nr);
  const std::string dev = k_.pci_name(d.id);
  for (unsigned i = 0; i < rq.nr; ++i) {
    owners_[unsigned(virq) + i] = owner{&d, k, desc.msi_index, i};
    std::string src = dev.empty() ? std::string() : dev + "/" + kind_name(k) + "/" + std::to_string(desc.msi_index + i);
    k_.init_irq_desc(unsigned(virq) + i, src);
  }
  for (unsigned i = 0; i < rq.nr; ++i) {
    int e = core.init_virq(unsigned(virq) + i);
    if (e < 0) {
      free_desc_irqs(d, desc);
      return e;
    }
  }
  return virq;
}

void pci_msi::free_desc_irqs(pci_dev& d, msi_desc& desc) {
  (void)d;
  if (!desc.irq) return;
  irq_core& core = k_.core();
  const unsigned virq = desc.irq, n = desc.nvec_used;
  for (unsigned i = 0; i < n; ++i) {
    const irq_desc* fd = k_.desc(virq + i);
    if (fd && fd->has_action) {
      k_.log->warn("freeing MSI irq {} with a handler installed (free_irq missing)", virq + i);
      k_.free_irq(virq + i);
    }
    if (core.exists(virq + i) && core.desc(virq + i).activated) core.deactivate(virq + i);
  }
  core.free_irqs(virq, n);
  for (unsigned i = 0; i < n; ++i) {
    if (virq + i < owners_.size()) owners_[virq + i] = owner{};
    k_.free_irq_desc(virq + i);
  }
  desc.irq = 0;
}

void pci_msi::free_all(pci_dev& d, msi_kind k) {
  msi_desc_store* st = k == msi_kind::ims ? d.ims_descs.get() : &d.msi_descs;
  if (!st) return;
  for (auto& [idx, desc] : st->all()) free_desc_irqs(d, desc);
  st->clear();
}

// ---- MSI-X ----

int pci_msi::msix_capability_init(pci_dev& d, unsigned nvec, bool affinity) {
  // Function Mask and Enable set while the table is set up.
  msix_ctrl_clear_set(d, 0, uint16_t(mx::CTRL_FUNCTION_MASK.mask() | mx::CTRL_ENABLE.mask()));
  d.msix_enabled = true;
  uint16_t control = uint16_t(k_.pci_read_config(d.id, d.msix_cap + MSIX_FLAGS, 2));
  d.msix_tsize = unsigned(mx::CTRL_TABLE_SIZE.get(control)) + 1;
  // msix_map_region: Table BIR and offset.
  uint32_t table = k_.pci_read_config(d.id, d.msix_cap + MSIX_TABLE, 4);
  d.msix_base = k_.bar_address(d.id, int(mx::BIR.get(table))) + (mx::OFFSET.get(table) << 3);
  d.msi_descs = msi_desc_store(d.msix_tsize);
  // msix_setup_msi_descs: one descriptor per vector, Vector Control cached from the table.
  for (unsigned i = 0; i < nvec; ++i) {
    msi_desc desc;
    desc.is_msix = true;
    desc.can_mask = true;
    desc.msix_ctrl = k_.readl(msix_entry(d, i) + mx::ENTRY_VECTOR_CONTROL);
    d.msi_descs.insert(desc, i);
  }
  std::vector<cpumask> aff = affinity ? spread(nvec) : std::vector<cpumask>{};
  for (unsigned i = 0; i < nvec; ++i) {
    msi_desc* desc = d.msi_descs.find(i);
    std::vector<cpumask> one;
    if (affinity) one.push_back(aff[i]);
    int e = alloc_desc_irqs(d, msi_kind::msix, *desc, one, affinity);
    if (e < 0) {
      free_all(d, msi_kind::msix);
      d.msix_enabled = false;
      msix_ctrl_clear_set(d, uint16_t(mx::CTRL_FUNCTION_MASK.mask() | mx::CTRL_ENABLE.mask()), 0);
      d.msix_base = 0;
      return e;
    }
  }
  pci_intx(d, false);
  // msix_mask_all: every entry of the table masked (stale entries of a crash kernel).
  for (unsigned i = 0; i < d.msix_tsize; ++i) k_.writel(msix_entry(d, i) + mx::ENTRY_VECTOR_CONTROL, msix_maskbit);
  msix_ctrl_clear_set(d, uint16_t(mx::CTRL_FUNCTION_MASK.mask()), 0);
  return 0;
}

int pci_msi::enable_msix(pci_dev& d, unsigned min, unsigned max, bool affinity) {
  if (!d.msix_cap) return -err::inval;
  if (d.msix_enabled || d.msi_enabled) return -err::inval;
  unsigned hwsize =
      unsigned(mx::CTRL_TABLE_SIZE.get(k_.pci_read_config(d.id, d.msix_cap + MSIX_FLAGS, 2))) + 1;
  unsigned nvec = max < hwsize ? max : hwsize;
  if (nvec < min) return -err::nospc;
  while (true) {
    int rc = msix_capability_init(d, nvec, affinity);
    if (rc == 0) return int(nvec);
    if (rc < 0) return rc;
    if (unsigned(rc) < min) return -err::nospc;
    nvec = unsigned(rc);
  }
}

// ---- MSI ----

int pci_msi::msi_capability_init(pci_dev& d, unsigned nvec, bool affinity) {
  if (nvec > 1 && !k_.intremap_enabled()) return 1;  // multi-MSI needs IR (vector domain: -ENOSYS)
  uint16_t ctl = uint16_t(k_.pci_read_config(d.id, d.msi_cap + MSI_FLAGS, 2));
  k_.pci_write_config(d.id, d.msi_cap + MSI_FLAGS, uint16_t(mc::ENABLE.set(ctl, 0)), 2);
  d.msi_enabled = true;
  msi_desc desc;
  desc.is_msix = false;
  desc.nvec_used = nvec;
  desc.can_mask = mc::PVM.test(ctl);
  const bool is64 = mc::ADDR64.test(ctl);
  const uint16_t mask_pos = d.msi_cap + (is64 ? MSI_MASK_64 : MSI_MASK_32);
  if (desc.can_mask) {
    desc.msi_mask = k_.pci_read_config(d.id, mask_pos, 4);
    // All vectors start masked (msi_multi_mask of the capable count).
    unsigned mmc = unsigned(mc::MMC.get(ctl));
    uint32_t all = mmc >= 5 ? 0xFFFF'FFFFu : (1u << (1u << mmc)) - 1;
    desc.msi_mask |= all;
    k_.pci_write_config(d.id, mask_pos, desc.msi_mask, 4);
  }
  d.msi_descs = msi_desc_store(1);
  d.msi_descs.insert(desc, 0);
  int e = alloc_desc_irqs(d, msi_kind::msi, *d.msi_descs.find(0), affinity ? spread(nvec) : std::vector<cpumask>{},
                          affinity);
  if (e < 0) {
    free_all(d, msi_kind::msi);
    d.msi_enabled = false;
    return e;
  }
  pci_intx(d, false);
  ctl = uint16_t(k_.pci_read_config(d.id, d.msi_cap + MSI_FLAGS, 2));
  k_.pci_write_config(d.id, d.msi_cap + MSI_FLAGS, uint16_t(mc::ENABLE.set(ctl, 1)), 2);
  return 0;
}

int pci_msi::enable_msi(pci_dev& d, unsigned min, unsigned max, bool affinity) {
  if (!d.msi_cap) return -err::inval;
  if (d.msi_enabled || d.msix_enabled) return -err::inval;
  unsigned nvec = 1u << mc::MMC.get(k_.pci_read_config(d.id, d.msi_cap + MSI_FLAGS, 2));
  if (nvec < min) return -err::nospc;
  if (nvec > max) nvec = max;
  while (true) {
    int rc = msi_capability_init(d, nvec, affinity);
    if (rc == 0) return int(nvec);
    if (rc < 0) return rc;
    if (unsigned(rc) < min) return -err::nospc;
    nvec = unsigned(rc);
  }
}

// ---- API ----

int pci_msi::alloc_irq_vectors(bdf id, unsigned min, unsigned max, unsigned flags) {
  pci_dev* d = find(id);
  if (!d) d = scan(id);
  if (!d || min == 0 || max < min) return -err::inval;
  const bool aff = flags & kernel::PCI_IRQ_AFFINITY;
  int nvecs = -err::nospc;
  if (flags & kernel::PCI_IRQ_MSIX) {
    nvecs = enable_msix(*d, min, max, aff);
    if (nvecs > 0) return nvecs;
  }
  if (flags & kernel::PCI_IRQ_MSI) {
    nvecs = enable_msi(*d, min, max, aff);
    if (nvecs > 0) return nvecs;
  }
  // INTx through the IOAPIC is not modelled yet: no legacy fallback (dev->irq == 0).
  return nvecs;
}

void pci_msi::free_irq_vectors(bdf id) {
  pci_dev* d = find(id);
  if (!d) return;
  if (d->msix_enabled) {
    // pci_msix_shutdown: every descriptor masked, Enable cleared, INTx back on.
    for (auto& [idx, desc] : d->msi_descs.all()) {
      desc.msix_ctrl |= msix_maskbit;
      k_.writel(msix_entry(*d, idx) + mx::ENTRY_VECTOR_CONTROL, desc.msix_ctrl);
      (void)k_.readl(msix_entry(*d, idx));
    }
    msix_ctrl_clear_set(*d, uint16_t(mx::CTRL_ENABLE.mask()), 0);
    pci_intx(*d, true);
    d->msix_enabled = false;
    free_all(*d, msi_kind::msix);
    d->msix_base = 0;
  }
  if (d->msi_enabled) {
    // pci_msi_shutdown: Enable cleared, INTx on, vectors unmasked as at reset.
    uint16_t ctl = uint16_t(k_.pci_read_config(d->id, d->msi_cap + MSI_FLAGS, 2));
    k_.pci_write_config(d->id, d->msi_cap + MSI_FLAGS, uint16_t(mc::ENABLE.set(ctl, 0)), 2);
    pci_intx(*d, true);
    d->msi_enabled = false;
    if (msi_desc* desc = d->msi_descs.find(0); desc && desc->can_mask) {
      desc->msi_mask = 0;
      const uint16_t mask_pos = d->msi_cap + (mc::ADDR64.test(ctl) ? MSI_MASK_64 : MSI_MASK_32);
      k_.pci_write_config(d->id, mask_pos, 0, 4);
    }
    free_all(*d, msi_kind::msi);
  }
}

int pci_msi::irq_vector(bdf id, unsigned nr) {
  pci_dev* d = find(id);
  if (!d) return -err::inval;
  if (d->msix_enabled) {
    const msi_desc* desc = d->msi_descs.find(nr);
    return desc && desc->irq ? int(desc->irq) : -err::inval;
  }
  if (d->msi_enabled) {
    const msi_desc* desc = d->msi_descs.find(0);
    return desc && desc->irq && nr < desc->nvec_used ? int(desc->irq + nr) : -err::inval;
  }
  return -err::inval;
}

bool pci_msi::msix_can_alloc_dyn(bdf id) {
  pci_dev* d = find(id);
  return d && d->msix_cap;  // the x86 vector domain (and INTEL-IR) offer MSI_FLAG_PCI_MSIX_ALLOC_DYN
}

msi_map pci_msi::msix_alloc_irq_at(bdf id, unsigned index, const cpumask* affinity) {
  pci_dev* d = find(id);
  if (!d || !d->msix_enabled || !msix_can_alloc_dyn(id)) return {-err::notsupp, 0};
  msi_desc nd;
  nd.is_msix = true;
  nd.can_mask = true;
  int idx = d->msi_descs.insert(nd, index);
  if (idx < 0) return {idx, 0};
  msi_desc* desc = d->msi_descs.find(unsigned(idx));
  desc->msix_ctrl = k_.readl(msix_entry(*d, unsigned(idx)) + mx::ENTRY_VECTOR_CONTROL);
  std::vector<cpumask> aff;
  if (affinity) aff.push_back(*affinity);
  int e = alloc_desc_irqs(*d, msi_kind::msix, *desc, aff, false);
  if (e < 0) {
    d->msi_descs.erase(unsigned(idx));
    return {e, 0};
  }
  return {idx, desc->irq};
}

void pci_msi::msix_free_irq(bdf id, msi_map map) {
  pci_dev* d = find(id);
  if (!d || map.index < 0 || map.virq == 0 || !msix_can_alloc_dyn(id)) return;
  msi_desc* desc = d->msi_descs.find(unsigned(map.index));
  if (!desc) return;
  free_desc_irqs(*d, *desc);
  d->msi_descs.erase(unsigned(map.index));
}

bool pci_msi::create_ims_domain(bdf id, const ims_template& t) {
  pci_dev* d = find(id);
  if (!d) d = scan(id);
  // IMS needs an MSI parent that supports it: real interrupt remapping only (linux-stack.md §5).
  if (!d || !k_.intremap_enabled() || d->has_ims) return false;
  if (!t.write_msg || !t.mask || !t.unmask) return false;
  d->ims = t;
  d->ims_descs = std::make_unique<msi_desc_store>(t.hwsize);
  d->has_ims = true;
  return true;
}

msi_map pci_msi::ims_alloc_irq(bdf id, uint64_t cookie, const cpumask* affinity) {
  pci_dev* d = find(id);
  if (!d || !d->has_ims) return {-err::notsupp, 0};
  msi_desc nd;
  nd.can_mask = true;
  nd.cookie = cookie;
  int idx = d->ims_descs->insert(nd, msi_any_index);
  if (idx < 0) return {idx, 0};
  msi_desc* desc = d->ims_descs->find(unsigned(idx));
  std::vector<cpumask> aff;
  if (affinity) aff.push_back(*affinity);
  int e = alloc_desc_irqs(*d, msi_kind::ims, *desc, aff, false);
  if (e < 0) {
    d->ims_descs->erase(unsigned(idx));
    return {e, 0};
  }
  return {idx, desc->irq};
}

void pci_msi::ims_free_irq(bdf id, msi_map map) {
  pci_dev* d = find(id);
  if (!d || !d->has_ims || map.index < 0 || map.virq == 0) return;
  msi_desc* desc = d->ims_descs->find(unsigned(map.index));
  if (!desc) return;
  free_desc_irqs(*d, *desc);
  d->ims_descs->erase(unsigned(map.index));
}

}  // namespace irqf::os
