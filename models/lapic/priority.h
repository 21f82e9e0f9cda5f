#pragma once
// Interrupt priority rules of the local APIC, as pure functions (SDM Vol.3A §11.8.3.1 "Task and
// Processor Priorities", §11.6.2.4 "Lowest Priority Delivery Mode" / Figure 11-15 APR).
// A priority class is vector[7:4]; "-1" stands for "no vector" (empty IRR/ISR) and has class 0.
#include <cstdint>

#include "models/lapic/apic_regs.h"

namespace irqf::lapic {

inline constexpr uint32_t prio_class(int v) { return v < 0 ? 0u : uint32_t(PRIO_CLASS.get(uint32_t(v))); }

/// PPR from TPR and the highest in-service vector `isrv` (-1 if none): PPR = TPR when
/// TPR[7:4] >= ISRV[7:4], else ISRV[7:4]:0000.
inline constexpr uint8_t compute_ppr(uint8_t tpr, int isrv) {
  return prio_class(tpr) >= prio_class(isrv) ? tpr : uint8_t(PRIO_CLASS.set(0, prio_class(isrv)));
}

/// APR from TPR, the highest in-service vector and the highest requested vector (-1 if none):
/// APR = TPR when TPR[7:4] >= IRRV[7:4] and TPR[7:4] > ISRV[7:4]; otherwise
/// APR[7:4] = max(TPR[7:4], ISRV[7:4], IRRV[7:4]) and APR[3:0] = 0.
inline constexpr uint8_t compute_apr(uint8_t tpr, int isrv, int irrv) {
  uint32_t t = prio_class(tpr), s = prio_class(isrv), q = prio_class(irrv);
  if (t >= q && t > s) return tpr;
  uint32_t m = t > s ? t : s;
  m = m > q ? m : q;
  return uint8_t(PRIO_CLASS.set(0, m));
}

/// Whether the highest requested vector `irrv` may be dispatched at processor priority `ppr`:
/// its class must be strictly above PPR[7:4] (PPR[3:0] plays no part).
inline constexpr bool dispatchable(int irrv, uint8_t ppr) {
  return irrv >= 0 && prio_class(irrv) > prio_class(ppr);
}

/// Vectors 0-15 are illegal for Fixed/LowestPri delivery (SDM §11.5.2 / ESR §11.5.3).
inline constexpr bool illegal_vector(uint8_t v) { return v < 16; }

}  // namespace irqf::lapic
