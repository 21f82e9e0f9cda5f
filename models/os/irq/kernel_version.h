#pragma once
// Where Linux kernels differ in the x86 interrupt stack, the model takes the kernel version as a
// parameter (linux-stack.md §1, §2, §3). Supported: "6.1" (replays the shared trace), "6.6"
// (default baseline), "6.10" (posted-MSI notification vector 0xeb becomes FIRST_SYSTEM_VECTOR).
#include <cstdint>
#include <string>
#include <vector>

namespace irqf::os {

enum class vector_cleanup { ipi, timer };
/// Which MSI writes happen on a non-remapped affinity change (linux-stack.md §3).
enum class nonremapped_affinity { two_step, direct };

struct kernel_version {
  unsigned major = 6, minor = 6;

  /// Parses "6.1", "6.6", "6.10"...; returns false on malformed text.
  static bool parse(const std::string& s, kernel_version& out);
  bool at_least(unsigned ma, unsigned mi) const { return major > ma || (major == ma && minor >= mi); }
  std::string str() const { return std::to_string(major) + "." + std::to_string(minor); }

  /// FIRST_SYSTEM_VECTOR: 0xeb (POSTED_MSI_NOTIFICATION_VECTOR) since v6.10, 0xec (LOCAL_TIMER)
  /// before [arch/x86/include/asm/irq_vectors.h].
  uint8_t first_system_vector() const { return at_least(6, 10) ? 0xeb : 0xec; }
  /// Old vectors are freed by IRQ_MOVE_CLEANUP_VECTOR (0x20) IPIs before v6.6, by a per-CPU
  /// timer since ("x86/vector: Replace IRQ_MOVE_CLEANUP_VECTOR with a timer callback").
  vector_cleanup cleanup() const { return at_least(6, 6) ? vector_cleanup::timer : vector_cleanup::ipi; }
  /// The system vectors in the order Linux assigns them to the matrix at boot
  /// (idt system_vectors bitmap in ascending order, then the PIC cascade 0x32), as the 6.1 trace's
  /// irq_matrix_assign_system rows show for a QEMU q35 guest.
  std::vector<unsigned> system_vectors() const;
};

/// ISA_IRQ_VECTOR(irq) = 0x30 + irq; PIC cascade irq 2 [arch/x86/include/asm/irq_vectors.h].
inline constexpr unsigned isa_irq_vector_base = 0x30;
inline constexpr unsigned pic_cascade_ir = 2;
inline constexpr unsigned first_external_vector = 0x20;
inline constexpr unsigned managed_irq_shutdown_vector = 0xef;
inline constexpr unsigned nr_vectors = 256;
inline constexpr unsigned nr_legacy_irqs = 16;

}  // namespace irqf::os
