#pragma once
// A function's 4 KiB configuration space (PCIe Base §7.2.2 ECAM, §7.5.1 headers) as bytes plus
// per-byte writable and write-1-to-clear masks derived from a register table built once per
// function from its configuration (header type, BARs, capabilities). The table names every
// register for logs and by-name access ("COMMAND", "BAR0", "MSIX.MESSAGE_CONTROL").
#include <array>
#include <bit>
#include <cstdint>
#include <cstring>
#include <memory>
#include <optional>
#include <string_view>
#include <vector>

#include "fabric/regtable.h"

namespace irqf::pcie {

class config_space {
 public:
  config_space() = default;
  /// Declares a register during construction (before finalize()).
  void declare(reg_def d) { defs_.push_back(std::move(d)); }
  /// Builds the table and masks and applies reset values. Asserts registers do not overlap.
  void finalize();
  const reg_table& table() const { return *table_; }

  /// Software access (1, 2 or 4 bytes; any offset inside 0..0xFFF, bytes outside declared
  /// registers read 0 and ignore writes). Applies writable and w1c masks.
  uint32_t read(uint16_t off, unsigned len) const;
  void write(uint16_t off, uint32_t val, unsigned len);

  /// Hardware-side raw access (no masks): `len` (0..4) bytes at `off`, little-endian like
  /// configuration space itself (PCIe §7.2); bytes past 0xFFF read 0. Inline: the MSI/MSI-X send
  /// path reads enable and mask bits on every message.
  uint32_t raw(uint16_t off, unsigned len) const {
    static_assert(std::endian::native == std::endian::little);
    if (size_t(off) + 4 > bytes_.size()) return raw_tail(off, len);
    uint32_t v;
    std::memcpy(&v, bytes_.data() + off, 4);
    return len >= 4 ? v : v & ((1u << (8 * len)) - 1);
  }
  void set_raw(uint16_t off, uint32_t val, unsigned len);
  /// Changes the writable mask of `len` bytes at `off` (e.g. BAR size bits).
  void set_writable(uint16_t off, uint32_t mask, unsigned len);

  /// Register value by name (whole register), nullopt if unknown.
  std::optional<uint64_t> read_named(std::string_view name) const;
  /// Software write by name; false if unknown. `off_out`/`len_out` receive the register's place.
  bool write_named(std::string_view name, uint64_t v, uint16_t& off_out, unsigned& len_out);

  /// Re-applies reset values of every register.
  void reset();

 private:
  uint32_t raw_tail(uint16_t off, unsigned len) const;  // the last 3 bytes of the space
  std::vector<reg_def> defs_;
  std::unique_ptr<reg_table> table_;
  std::array<uint8_t, 4096> bytes_{};
  std::array<uint8_t, 4096> wmask_{};
  std::array<uint8_t, 4096> w1c_{};
};

}  // namespace irqf::pcie
