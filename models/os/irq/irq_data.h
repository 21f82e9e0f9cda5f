#pragma once
// The generic per-interrupt state the domains consult (Linux struct irq_common_data/irq_data
// flags, include/linux/irq.h): the affinity mask (user or default), the effective affinity, and
// the IRQD_* state bits the x86 vector domain and the hotplug code test.
#include <cstdint>

#include "models/os/irq/cpumask.h"

namespace irqf::os {

struct irq_data {
  unsigned irq = 0;
  shared_cpumask affinity;     ///< irq_data_get_affinity_mask (user-set or irq_default_affinity)
  shared_cpumask effective;    ///< irq_data_get_effective_affinity_mask (one CPU on x86)
  bool managed = false;        ///< IRQD_AFFINITY_MANAGED
  bool can_reserve = false;    ///< IRQD_CAN_RESERVE (reservation mode allowed)
  bool activated = false;      ///< IRQD_ACTIVATED
  bool started = false;        ///< IRQD_IRQ_STARTED
  bool managed_shutdown = false;  ///< IRQD_MANAGED_SHUTDOWN
  bool single_target = true;   ///< IRQD_SINGLE_TARGET (x86 vector domain sets it)
  bool in_use = false;         ///< the descriptor exists (allocated virq)
};

}  // namespace irqf::os
