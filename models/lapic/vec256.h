#pragma once
// A 256-bit vector register (IRR, ISR, TMR; SDM Vol.3A §11.8.4): bit v stands for vector v.
// Registers are read as eight 32-bit words (IRR0..IRR7 = bits 0-31 .. 224-255).
#include <array>
#include <bit>
#include <cstdint>

namespace irqf::lapic {

class vec256 {
 public:
  bool test(uint8_t v) const { return (w_[v >> 6] >> (v & 63)) & 1; }
  void set(uint8_t v) { w_[v >> 6] |= 1ull << (v & 63); }
  void clear(uint8_t v) { w_[v >> 6] &= ~(1ull << (v & 63)); }
  void assign(uint8_t v, bool b) { b ? set(v) : clear(v); }
  void reset() { w_ = {}; }
  bool any() const { return (w_[0] | w_[1] | w_[2] | w_[3]) != 0; }
  /// Highest set vector, or -1 when empty.
  int highest() const {
    for (int i = 3; i >= 0; --i)
      if (w_[i]) return i * 64 + 63 - std::countl_zero(w_[i]);
    return -1;
  }
  /// The 32-bit word `i` (0..7) as software reads it.
  uint32_t word(unsigned i) const { return uint32_t(w_[i >> 1] >> (32 * (i & 1))); }
  unsigned count() const {
    return unsigned(std::popcount(w_[0]) + std::popcount(w_[1]) + std::popcount(w_[2]) + std::popcount(w_[3]));
  }

 private:
  std::array<uint64_t, 4> w_{};
};

}  // namespace irqf::lapic
