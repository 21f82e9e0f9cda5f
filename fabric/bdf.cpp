#include "fabric/bdf.h"

#include <cstdio>

namespace irqf {

std::string bdf::str() const {
  char b[16];
  std::snprintf(b, sizeof b, "%02x:%02x.%x", bus, dev, fn);
  return b;
}

bool bdf::parse(const std::string& s, bdf& out) {
  unsigned b = 0, d = 0, f = 0;
  char tail = 0;
  if (std::sscanf(s.c_str(), "%x:%x.%x%c", &b, &d, &f, &tail) != 3) return false;
  if (b > 255 || d > 31 || f > 7) return false;
  out = {uint8_t(b), uint8_t(d), uint8_t(f)};
  return true;
}

}  // namespace irqf
