#pragma once
// PCI requester ID (bus/device/function), as stamped on every upstream transaction.
// Source: PCIe Base Spec §2.2.6.2 (Requester ID = Bus[15:8] Device[7:3] Function[2:0]).
#include <cstdint>
#include <string>

namespace irqf {

/// A PCI routing ID. `bus` 0..255, `dev` 0..31, `fn` 0..7. Packs to the 16-bit requester ID.
struct bdf {
  uint8_t bus = 0, dev = 0, fn = 0;
  constexpr uint16_t rid() const { return uint16_t(bus << 8 | (dev & 0x1f) << 3 | (fn & 7)); }
  static constexpr bdf from_rid(uint16_t r) { return {uint8_t(r >> 8), uint8_t(r >> 3 & 0x1f), uint8_t(r & 7)}; }
  /// "bb:dd.f" in hex, as lspci prints it.
  std::string str() const;
  /// Parses "bb:dd.f" (hex); returns false on malformed text.
  static bool parse(const std::string& s, bdf& out);
  friend constexpr bool operator==(bdf a, bdf b) { return a.rid() == b.rid(); }
};

}  // namespace irqf
