#include "models/os/irq/kernel_version.h"

#include <cstdio>

namespace irqf::os {

bool kernel_version::parse(const std::string& s, kernel_version& out) {
  unsigned a = 0, b = 0;
  char tail = 0;
  if (std::sscanf(s.c_str(), "%u.%u%c", &a, &b, &tail) != 2 || a < 6) return false;
  out = {a, b};
  return true;
}

std::vector<unsigned> kernel_version::system_vectors() const {
  std::vector<unsigned> v;
  for (unsigned i = 0; i <= 19; ++i) v.push_back(i);  // exceptions with IDT gates
  v.push_back(29);                                     // #VC
  if (cleanup() == vector_cleanup::ipi) v.push_back(0x20);  // IRQ_MOVE_CLEANUP_VECTOR
  v.push_back(0x80);                                   // IA32_SYSCALL_VECTOR
  if (at_least(6, 10)) v.push_back(0xeb);              // POSTED_MSI_NOTIFICATION_VECTOR
  v.push_back(0xec);                                   // LOCAL_TIMER_VECTOR
  for (unsigned i = 0xf0; i <= 0xff; ++i)
    if (i != 0xf3 && i != 0xf5) v.push_back(i);  // KVM, IPIs, thermal, error, spurious (not Hyper-V)
  v.push_back(isa_irq_vector_base + pic_cascade_ir);  // lapic_assign_legacy_vector(PIC_CASCADE_IR)
  return v;
}

}  // namespace irqf::os
