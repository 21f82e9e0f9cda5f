#pragma once
// Registers declared once (DESIGN §4): a model declares a reg_table — name, offset, size, reset
// value, writable and write-1-to-clear masks, and its fields — and a reg_file holds the values.
// The table drives decoding, log names, `irqfabric describe` output and by-name access from
// scenarios. Fields are constexpr bit ranges, so behaviour code says REG_FIELD.get(v), never shifts.
#include <algorithm>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace irqf {

/// A bit range [lsb, lsb+width) of a register value.
struct bitfield {
  uint8_t lsb, width;
  constexpr uint64_t mask() const { return (width >= 64 ? ~0ull : ((1ull << width) - 1)) << lsb; }
  constexpr uint64_t get(uint64_t v) const { return (v & mask()) >> lsb; }
  constexpr uint64_t set(uint64_t v, uint64_t f) const { return (v & ~mask()) | ((f << lsb) & mask()); }
  constexpr bool test(uint64_t v) const { return get(v) != 0; }
};

/// One named field of a register, for documentation and by-name access.
struct reg_field_def {
  std::string name;
  bitfield bits;
  std::string description;
};

/// One register. `writable`: bits software may change; `w1c`: bits cleared by writing 1.
/// Bits in neither are read-only (hardware-owned or reserved).
struct reg_def {
  std::string name;
  uint32_t offset;
  uint8_t size;  // bytes: 1, 2, 4 or 8
  uint64_t reset;
  uint64_t writable;
  uint64_t w1c;
  std::string description;
  std::vector<reg_field_def> fields;
};

class reg_table {
 public:
  explicit reg_table(std::vector<reg_def> defs);
  const std::vector<reg_def>& defs() const { return defs_; }
  /// Index of the register containing byte `offset` (register start <= offset < start+size).
  std::optional<size_t> at_offset(uint32_t offset) const;
  std::optional<size_t> by_name(std::string_view name) const;
  const reg_def& operator[](size_t i) const { return defs_[i]; }
  size_t size() const { return defs_.size(); }
  /// Markdown table of the registers (generated docs).
  std::string markdown() const;

  /// A `len`-byte (1..8) software read at byte `offset`, which may cover parts of several
  /// registers: each register's bytes come from get(index) (its current value), bytes outside
  /// every register read as zero. Little-endian, as MMIO on x86/PCIe.
  template <class Get> uint64_t read_bytes(uint32_t offset, unsigned len, Get&& get) const {
    uint64_t v = 0;
    for_each_slice(offset, len, [&](size_t i, unsigned shift, unsigned n, unsigned at) {
      v |= ((get(i) >> (8 * shift)) & byte_mask(n)) << (8 * at);
    });
    return v;
  }
  /// A `len`-byte software write of `value` at byte `offset`: put(index, mask, data) once per
  /// register touched, `mask` covering the written bytes within the register and `data` holding
  /// them in place; bytes outside every register are ignored.
  template <class Put> void write_bytes(uint32_t offset, unsigned len, uint64_t value, Put&& put) const {
    for_each_slice(offset, len, [&](size_t i, unsigned shift, unsigned n, unsigned at) {
      put(i, byte_mask(n) << (8 * shift), ((value >> (8 * at)) & byte_mask(n)) << (8 * shift));
    });
  }
  static constexpr uint64_t byte_mask(unsigned n) { return n >= 8 ? ~0ull : ((1ull << (8 * n)) - 1); }

 private:
  std::vector<reg_def> defs_;
  /// f(index, byte offset within the register, bytes, byte offset within the access).
  template <class F> void for_each_slice(uint32_t offset, unsigned len, F&& f) const {
    for (unsigned b = 0; b < len;) {
      auto i = at_offset(offset + b);
      if (!i) {
        ++b;
        continue;
      }
      const unsigned shift = offset + b - defs_[*i].offset;
      const unsigned n = std::min(unsigned(defs_[*i].size) - shift, len - b);
      f(*i, shift, n, b);
      b += n;
    }
  }
};

/// Register values of one instance.
class reg_file {
 public:
  explicit reg_file(const reg_table& t);
  void reset();
  uint64_t get(size_t i) const { return v_[i]; }
  /// Raw hardware-side set (no masks).
  void set(size_t i, uint64_t v) { v_[i] = v; }
  /// A software write of `v`, applying writable and w1c masks. Returns the new value.
  uint64_t write(size_t i, uint64_t v);
  const reg_table& table() const { return t_; }

 private:
  const reg_table& t_;
  std::vector<uint64_t> v_;
};

/// What a scenario may read or write by name ("timeline: write: {reg: dsa0.GENCTRL, value: 1}").
/// Implemented by every model that has software-visible registers.
class register_view {
 public:
  virtual ~register_view() = default;
  /// Names of every register this model exposes ("GENCAP", "MSIX[3].VECTOR_CONTROL", ...).
  virtual std::vector<std::string> register_names() const = 0;
  /// Reads as software would (side effects of a read included); nullopt for an unknown name.
  virtual std::optional<uint64_t> read_register(std::string_view name) = 0;
  /// Writes as software would; false for an unknown name.
  virtual bool write_register(std::string_view name, uint64_t value) = 0;
};

}  // namespace irqf
