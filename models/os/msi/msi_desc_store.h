#pragma once
// Per-device MSI descriptor storage (kernel/irq/msi.c msi_insert_desc / msi_domain_alloc_irq_at;
// include/linux/msi_api.h): an index-keyed store per device domain (MSI_DEFAULT_DOMAIN for
// MSI/MSI-X, MSI_SECONDARY_DOMAIN for IMS), MSI_ANY_INDEX picking the lowest free slot below the
// domain size, and the instance cookie (PASID, queue pointer) for IMS (linux-stack.md §4, §5).
#include <cstdint>
#include <map>
#include <optional>

#include "fabric/message.h"

namespace irqf::os {

inline constexpr unsigned msi_any_index = ~0u;  ///< MSI_ANY_INDEX (UINT_MAX)
inline constexpr unsigned msi_max_index = 0xffff;
enum class msi_domain_id : uint8_t { def = 0, secondary = 1 };

/// struct msi_desc (the parts the model uses).
struct msi_desc {
  unsigned msi_index = 0;
  unsigned irq = 0;         ///< first virq (0 = none allocated)
  unsigned nvec_used = 1;   ///< MSI: vectors behind one descriptor
  bool is_msix = false;
  bool can_mask = true;
  bool is_virtual = false;  ///< MSI-X entry beyond the hardware table (never written)
  uint32_t msix_ctrl = 1;   ///< cached Vector Control (bit 0 = Mask Bit)
  uint32_t msi_mask = 0;    ///< MSI per-vector mask cache
  uint64_t cookie = 0;      ///< msi_instance_cookie (IMS: PASID etc.)
  msi_msg msg;              ///< last message written (msi_desc::msg)
};

class msi_desc_store {
 public:
  /// `hwsize` slots (MSI-X table size; 0 = software index space of MSI_MAX_INDEX+1).
  explicit msi_desc_store(unsigned hwsize = 0) : size_(hwsize ? hwsize : msi_max_index + 1) {}

  /// msi_insert_desc: at `index`, or the lowest free slot for msi_any_index. Returns the index or
  /// -EBUSY (full / taken), -ERANGE (index >= size).
  int insert(msi_desc d, unsigned index);
  /// Erases the descriptor at `index` (no-op if absent).
  void erase(unsigned index) { descs_.erase(index); }
  msi_desc* find(unsigned index);
  const msi_desc* find(unsigned index) const;
  /// Descriptors in index order.
  const std::map<unsigned, msi_desc>& all() const { return descs_; }
  std::map<unsigned, msi_desc>& all() { return descs_; }
  unsigned size() const { return size_; }
  void clear() { descs_.clear(); }

 private:
  unsigned size_;
  std::map<unsigned, msi_desc> descs_;
};

}  // namespace irqf::os
