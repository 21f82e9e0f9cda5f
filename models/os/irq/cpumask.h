#pragma once
// A fixed-capacity CPU set, the model's `struct cpumask` (include/linux/cpumask.h). Capacity is
// max_cpus (1,024, enough for the "platform had 1,024 CPUs" experiments); copies are 128 bytes.
#include <array>
#include <bit>
#include <cstdint>
#include <initializer_list>
#include <memory>
#include <string>

namespace irqf::os {

inline constexpr unsigned max_cpus = 1024;
/// "No CPU" (Linux returns nr_cpu_ids / UINT_MAX from the search helpers).
inline constexpr unsigned no_cpu = ~0u;

class cpumask {
 public:
  cpumask() = default;
  cpumask(std::initializer_list<unsigned> cpus) {
    for (unsigned c : cpus) set(c);
  }
  /// CPUs 0..n-1.
  static cpumask first_n(unsigned n) {
    cpumask m;
    for (unsigned w = 0; w < n / 64; ++w) m.w_[w] = ~0ull;
    if (n % 64) m.w_[n / 64] = (1ull << (n % 64)) - 1;
    return m;
  }
  /// Bit i of `bits` is CPU i (the /proc/irq/N/smp_affinity hex form, up to 64 CPUs).
  static cpumask from_u64(uint64_t bits) {
    cpumask m;
    m.w_[0] = bits;
    return m;
  }
  uint64_t low64() const { return w_[0]; }

  void set(unsigned c) { w_[c >> 6] |= 1ull << (c & 63); }
  void clear(unsigned c) { w_[c >> 6] &= ~(1ull << (c & 63)); }
  bool test(unsigned c) const { return c < max_cpus && (w_[c >> 6] >> (c & 63) & 1); }
  bool empty() const {
    for (auto x : w_)
      if (x) return false;
    return true;
  }
  unsigned weight() const {
    unsigned n = 0;
    for (auto x : w_) n += unsigned(std::popcount(x));
    return n;
  }
  /// Lowest CPU >= `from`, or no_cpu.
  unsigned next(unsigned from) const {
    if (from >= max_cpus) return no_cpu;
    unsigned i = from >> 6;
    uint64_t x = w_[i] & (~0ull << (from & 63));
    while (true) {
      if (x) return i * 64 + unsigned(std::countr_zero(x));
      if (++i == w_.size()) return no_cpu;
      x = w_[i];
    }
  }
  unsigned first() const { return next(0); }
  /// True when every CPU of *this is in `o`.
  bool subset_of(const cpumask& o) const {
    for (size_t i = 0; i < w_.size(); ++i)
      if (w_[i] & ~o.w_[i]) return false;
    return true;
  }
  bool intersects(const cpumask& o) const {
    for (size_t i = 0; i < w_.size(); ++i)
      if (w_[i] & o.w_[i]) return true;
    return false;
  }
  friend cpumask operator&(cpumask a, const cpumask& b) {
    for (size_t i = 0; i < a.w_.size(); ++i) a.w_[i] &= b.w_[i];
    return a;
  }
  friend cpumask operator|(cpumask a, const cpumask& b) {
    for (size_t i = 0; i < a.w_.size(); ++i) a.w_[i] |= b.w_[i];
    return a;
  }
  friend bool operator==(const cpumask&, const cpumask&) = default;
  /// Linux's list form, e.g. "0-2,5".
  std::string list() const;

  template <class F> void for_each(F&& f) const {
    for (unsigned c = first(); c != no_cpu; c = next(c + 1)) f(c);
  }

 private:
  std::array<uint64_t, max_cpus / 64> w_{};
};

/// An immutable cpumask held by pointer and shared by every interrupt that holds the same value
/// (most hold the default affinity; x86 effective masks are single CPUs): 16 bytes per holder instead
/// of 128. Assigning a cpumask allocates only when the value changes; assigning a shared_cpumask
/// shares it. Reads go through get() or the implicit conversion (Linux keeps these masks in
/// cpumask_var_t storage of nr_cpu_ids bits per interrupt, include/linux/irq.h irq_common_data).
class shared_cpumask {
 public:
  shared_cpumask() = default;
  shared_cpumask(const cpumask& m) { *this = m; }  // NOLINT: implicit, the masks' value semantics
  shared_cpumask& operator=(const cpumask& m) {
    if (!(get() == m)) p_ = m.empty() ? nullptr : std::make_shared<const cpumask>(m);
    return *this;
  }
  const cpumask& get() const { return p_ ? *p_ : none(); }
  operator const cpumask&() const { return get(); }  // NOLINT: implicit read access
  const cpumask* operator->() const { return &get(); }
  friend bool operator==(const shared_cpumask& a, const shared_cpumask& b) { return a.get() == b.get(); }
  friend bool operator==(const shared_cpumask& a, const cpumask& b) { return a.get() == b; }

 private:
  static const cpumask& none() {
    static const cpumask empty;  // immutable
    return empty;
  }
  std::shared_ptr<const cpumask> p_;
};

inline std::string cpumask::list() const {
  std::string s;
  unsigned c = first();
  while (c != no_cpu) {
    unsigned e = c;
    while (e + 1 < max_cpus && test(e + 1)) ++e;
    if (!s.empty()) s += ',';
    s += std::to_string(c);
    if (e != c) s += '-' + std::to_string(e);
    c = next(e + 1);
  }
  return s;
}

}  // namespace irqf::os
