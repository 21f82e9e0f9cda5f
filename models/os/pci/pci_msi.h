#pragma once
// The PCI MSI / MSI-X / IMS layer (drivers/pci/msi/{api,msi,irqdomain}.c, kernel/irq/msi.c):
// struct pci_dev's MSI state found by a capability walk, the per-device MSI domains (PCI-MSI,
// PCI-MSIX, IMS as the secondary domain with a device template), msi_desc storage keyed by index
// (MSI_ANY_INDEX, reservation mode), and the device chips that program the hardware — MSI-X table
// entries and Vector Control through MMIO, MSI through config space, IMS through the driver's
// template — with the register sequences Linux performs (linux-stack.md §4, §5, §9).
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "fabric/bdf.h"
#include "models/os/irq/cpumask.h"
#include "models/os/irq/irq_core.h"
#include "models/os/kernel.h"
#include "models/os/msi/msi_desc_store.h"

namespace irqf::os {

/// Which per-device domain an irq belongs to.
enum class msi_kind : uint8_t { msi, msix, ims };

/// struct pci_dev (the MSI parts).
struct pci_dev {
  bdf id{};
  uint16_t vendor = 0xFFFF, device = 0xFFFF;
  uint16_t msi_cap = 0, msix_cap = 0;  ///< config offsets, 0 = absent
  uint8_t pin = 0;
  bool msi_enabled = false, msix_enabled = false, intx_enabled = false;
  unsigned msix_tsize = 0;             ///< table entries
  uint64_t msix_base = 0;              ///< table address (0 until mapped)
  msi_desc_store msi_descs;            ///< MSI_DEFAULT_DOMAIN (MSI or MSI-X)
  std::unique_ptr<msi_desc_store> ims_descs;  ///< MSI_SECONDARY_DOMAIN
  ims_template ims;
  bool has_ims = false;
};

class pci_msi {
 public:
  explicit pci_msi(kernel& k);
  ~pci_msi();

  /// Boot scan of one function: IDs, interrupt pin, capability walk (MSI 0x05, MSI-X 0x11).
  pci_dev* scan(bdf id);
  pci_dev* find(bdf id);

  int enable_device(bdf id);
  int alloc_irq_vectors(bdf id, unsigned min, unsigned max, unsigned flags);
  void free_irq_vectors(bdf id);
  int irq_vector(bdf id, unsigned nr);
  bool msix_can_alloc_dyn(bdf id);
  msi_map msix_alloc_irq_at(bdf id, unsigned index, const cpumask* affinity);
  void msix_free_irq(bdf id, msi_map map);
  bool create_ims_domain(bdf id, const ims_template& t);
  msi_map ims_alloc_irq(bdf id, uint64_t cookie, const cpumask* affinity);
  void ims_free_irq(bdf id, msi_map map);

  /// The msi_desc of `virq` (nullptr when not an MSI irq).
  msi_desc* desc_of(unsigned virq);
  /// The MSI-X table entry address of `index` (msix_base must be mapped).
  uint64_t msix_entry(const pci_dev& d, unsigned index) const { return d.msix_base + 16ull * index; }

 private:
  friend class msi_chip_impl;
  struct owner {
    pci_dev* dev = nullptr;
    msi_kind kind = msi_kind::msix;
    unsigned index = 0;
    unsigned sub = 0;  ///< MSI multi-message: virq - desc.irq
  };
  int enable_msix(pci_dev& d, unsigned min, unsigned max, bool affinity);
  int enable_msi(pci_dev& d, unsigned min, unsigned max, bool affinity);
  int msix_capability_init(pci_dev& d, unsigned nvec, bool affinity);
  int msi_capability_init(pci_dev& d, unsigned nvec, bool affinity);
  void msix_ctrl_clear_set(pci_dev& d, uint16_t clear, uint16_t set);
  void pci_intx(pci_dev& d, bool enable);
  /// Allocates the irqs of one descriptor (irq_domain_alloc_irqs + msi_init_virq).
  int alloc_desc_irqs(pci_dev& d, msi_kind k, msi_desc& desc, const std::vector<cpumask>& aff, bool managed);
  /// Deactivates (if activated) and frees the irqs of one descriptor.
  void free_desc_irqs(pci_dev& d, msi_desc& desc);
  void free_all(pci_dev& d, msi_kind k);
  std::vector<cpumask> spread(unsigned n) const;
  irq_chip_top* chip(msi_kind k);
  owner* owner_of(unsigned virq);

  kernel& k_;
  std::vector<std::unique_ptr<pci_dev>> devs_;
  std::vector<owner> owners_;  // by virq
  std::unique_ptr<irq_chip_top> msix_chip_, msi_chip_, ims_chip_;
};

}  // namespace irqf::os
