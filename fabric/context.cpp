#include "fabric/context.h"

namespace irqf {

std::mt19937_64 sim_context::make_rng(const std::string& path) const {
  uint64_t h = 1469598103934665603ull;  // FNV-1a, stable across platforms and runs
  for (unsigned char c : path) h = (h ^ c) * 1099511628211ull;
  return std::mt19937_64(h ^ (seed * 0x9E3779B97F4A7C15ull));
}

}  // namespace irqf
