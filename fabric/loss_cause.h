#pragma once
// The fixed list of reasons an interrupt event can be lost (DESIGN §2). Later work extends the list
// by adding one X(...) line; the report and CSV use the names verbatim.
#include <cstdint>
#include <optional>
#include <string_view>

namespace irqf {

#define IRQF_LOSS_CAUSES(X)                                                                     \
  X(msix_disabled)       /* MSI-X Enable clear and device policy "drop" (PCIe §6.1.4.3) */      \
  X(msi_disabled)        /* MSI Enable clear and INTx not possible */                           \
  X(intx_disabled)       /* INTx fallback chosen but Command.INTx Disable set */                \
  X(pending_cleared)     /* a latched pending bit was cleared before it was sent */             \
  X(ims_masked_drop)     /* event on a masked IMS entry with policy "drop" */                   \
  X(handle_revoked)      /* DSA descriptor with a revoked/invalid interrupt handle */           \
  X(ir_fault_0x20)       /* VT-d: reserved bits in the interrupt request */                     \
  X(ir_fault_0x21)       /* VT-d: index beyond the IRTE table */                                \
  X(ir_fault_0x22)       /* VT-d: IRTE not present */                                           \
  X(ir_fault_0x23)       /* VT-d: IRTE read failed */                                           \
  X(ir_fault_0x24)       /* VT-d: reserved/inconsistent IRTE fields */                          \
  X(ir_fault_0x25)       /* VT-d: compatibility-format request blocked */                       \
  X(ir_fault_0x26)       /* VT-d: source-ID check failed */                                     \
  X(ir_fault_0x27)       /* VT-d: posted-descriptor access error */                             \
  X(no_destination)      /* route: no local APIC matched the destination */                     \
  X(illegal_vector)      /* local APIC: vector 0..15 (ESR Receive Illegal Vector) */            \
  X(apic_disabled)       /* local APIC globally or software disabled */                         \
  X(no_irq_handler)      /* vector not mapped on the CPU that took it (vector_irq UNUSED) */    \
  X(misrouted)           /* ran another irq's handler: stale IRTE/IEC, affinity race */         \
  X(irq_shutdown)        /* vector was SHUTDOWN/RETRIGGERED placeholder; silently EOI'd */      \
  X(no_action)           /* irq descriptor had no handler installed (free_irq raced) */         \
  X(intx_deasserted)     /* level INTx deasserted before it was ever serviced */                \
  X(apic_reset)          /* local APIC INIT reset or hardware disable discarded a held interrupt */ \
  X(sipi_ignored)        /* STARTUP IPI to a CPU not in wait-for-SIPI (SDM Vol.3A §9.4.4) */     \
  X(unsupported_delivery) /* delivery mode the target cannot take (e.g. SMI without SMM) */     \
  X(msi_bad_address)    /* interrupt message addressed outside 0xFEEx_xxxx: became a memory write */\
  X(ioapic_masked)      /* edge on a masked IOAPIC pin: ignored (82093AA §3.2.4 Interrupt Mask) */\
  X(msix_perm_ignore)   /* DSA MSI-X permission entry with Ignore set: completion interrupt not generated */

enum class loss_cause : uint8_t {
#define IRQF_X(n) n,
  IRQF_LOSS_CAUSES(IRQF_X)
#undef IRQF_X
      count_
};

/// The report name of a cause ("msix_disabled", "ir_fault_0x22", ...).
std::string_view to_string(loss_cause c);
/// Inverse of to_string; nullopt for an unknown name.
std::optional<loss_cause> loss_cause_from(std::string_view name);
/// The VT-d fault reason code 0x20..0x27 as its loss cause.
loss_cause ir_fault_cause(uint8_t reason);

}  // namespace irqf
