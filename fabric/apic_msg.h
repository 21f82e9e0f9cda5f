#pragma once
// An interrupt request as the APIC bus / system bus sees it after decode (SDM Vol.3A §11.11.1-2):
// destination, destination mode, redirection hint, vector, delivery mode, level, trigger mode.
// Compatibility-format MSIs are decoded from address/data; the IOMMU, after remapping, attaches an
// apic_irq_ext carrying the fields from the IRTE (32-bit x2APIC destinations included), so the route
// stage never needs to re-encode them into an 8-bit address field.
#include <tlm>

#include <cstdint>

#include "fabric/message.h"
#include "fabric/regtable.h"

namespace irqf {

/// Delivery modes, ICR/MSI data bits [10:8] (SDM Table 11-?/§11.11.2).
enum class delivery_mode : uint8_t { fixed = 0, lowest = 1, smi = 2, nmi = 4, init = 5, startup = 6, extint = 7 };

struct apic_irq {
  uint32_t dest = 0;        ///< xAPIC: 8-bit ID/logical mask; x2APIC: 32-bit
  bool logical = false;     ///< destination mode (DM): 1 = logical
  bool redirection_hint = false;  ///< RH: deliver to the lowest-priority CPU of the set
  uint8_t vector = 0;
  delivery_mode mode = delivery_mode::fixed;
  bool level_assert = true;   ///< data[14]
  bool level_trigger = false; ///< data[15] trigger mode: 1 = level
};

/// Compatibility-format MSI fields (SDM §11.11.1; VT-d §5.1.2.1).
namespace msi_fields {
inline constexpr bitfield ADDR_DEST_ID{12, 8};
inline constexpr bitfield ADDR_EXT_DEST_ID{5, 7};  // virtualization "extended destination ID"; not decoded
inline constexpr bitfield ADDR_IF{4, 1};           // interrupt format: 1 = remappable (VT-d §5.1.2.2)
inline constexpr bitfield ADDR_RH{3, 1};
inline constexpr bitfield ADDR_DM{2, 1};
inline constexpr bitfield DATA_VECTOR{0, 8};
inline constexpr bitfield DATA_DELIVERY_MODE{8, 3};
inline constexpr bitfield DATA_LEVEL{14, 1};
inline constexpr bitfield DATA_TRIGGER{15, 1};
}  // namespace msi_fields

/// Decodes a compatibility-format message (address bit 4 must be 0).
inline apic_irq decode_compat_msi(uint64_t address, uint32_t data) {
  using namespace msi_fields;
  apic_irq r;
  r.dest = uint32_t(ADDR_DEST_ID.get(address));
  r.logical = ADDR_DM.test(address);
  r.redirection_hint = ADDR_RH.test(address);
  r.vector = uint8_t(DATA_VECTOR.get(data));
  r.mode = delivery_mode(DATA_DELIVERY_MODE.get(data));
  r.level_assert = DATA_LEVEL.test(data);
  r.level_trigger = DATA_TRIGGER.test(data);
  return r;
}

/// Encodes a compatibility-format message (dest truncated to 8 bits).
inline msi_msg encode_compat_msi(const apic_irq& r) {
  using namespace msi_fields;
  uint64_t a = msi_window_base;
  a = ADDR_DEST_ID.set(a, r.dest & 0xff);
  a = ADDR_RH.set(a, r.redirection_hint);
  a = ADDR_DM.set(a, r.logical);
  uint64_t d = 0;
  d = DATA_VECTOR.set(d, r.vector);
  d = DATA_DELIVERY_MODE.set(d, uint8_t(r.mode));
  d = DATA_LEVEL.set(d, r.level_assert);
  d = DATA_TRIGGER.set(d, r.level_trigger);
  return {a, uint32_t(d)};
}

/// Attached by the IOMMU to a remapped request: the route stage uses these fields instead of
/// decoding address/data.
struct apic_irq_ext : tlm::tlm_extension<apic_irq_ext> {
  apic_irq irq;
  tlm::tlm_extension_base* clone() const override { return new apic_irq_ext(*this); }
  void copy_from(const tlm::tlm_extension_base& o) override { irq = static_cast<const apic_irq_ext&>(o).irq; }
};

}  // namespace irqf
