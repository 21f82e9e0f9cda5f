#pragma once
// Interrupt handles of a DSA-like device (hardware.md §5; Linux drivers/dma/idxd/device.c
// idxd_device_request_int_handle / idxd_device_release_int_handle, irq.c idxd_int_handle_revoke).
// With GENCAP.cmd_cap and CMDCAP bit 13 set, software must obtain the 16-bit handle it puts in a
// descriptor's int_handle with REQUEST_INT_HANDLE (operand: table index, bit 16 = IMS table); the
// device maps the handle to an MSI-X or IMS entry. RELEASE_INT_HANDLE returns it. The device may
// revoke handles (it then raises INTCAUSE.INT_HANDLE_REVOKED); a descriptor naming a revoked or
// never-issued handle completes with status 0x19 and raises no interrupt.
#include <cstdint>
#include <optional>
#include <vector>

namespace irqf::idxd {

enum class int_table : uint8_t { msix, ims };

class int_handle_table {
 public:
  enum class state : uint8_t { free, valid, revoked };
  struct slot {
    state st = state::free;
    int_table table = int_table::msix;
    uint16_t index = 0;
  };

  /// `capacity` handles (0..capacity-1) can be outstanding at once.
  explicit int_handle_table(unsigned capacity) : slots_(capacity) {}

  /// Allocates the lowest handle that is free or revoked for (table, index); nullopt when none.
  std::optional<uint16_t> request(int_table t, uint16_t index);
  /// Returns handle `h` (valid or revoked) to the free pool; false if `h` was not issued or the
  /// table does not match.
  bool release(uint16_t h, int_table t);
  /// Revokes one handle (true if it was valid) or all valid handles (returns how many).
  bool revoke(uint16_t h);
  unsigned revoke_all();
  /// The slot of `h`, or nullptr when `h` is out of range.
  const slot* lookup(uint16_t h) const { return h < slots_.size() ? &slots_[h] : nullptr; }
  unsigned capacity() const { return unsigned(slots_.size()); }
  unsigned valid_count() const;

 private:
  std::vector<slot> slots_;
};

}  // namespace irqf::idxd
