#pragma once
// A scriptable PCIe test endpoint (in the spirit of QEMU's pci-testdev, 1b36:0005): a function with
// MSI, MSI-X and a device-specific message table (DMT: the shared IMS store of
// models/pcie/ims_table.h, with its pending bit visible as read-only Control bit 1), whose scenario
// actions raise "event on vector i" of any store, send a raw upstream write with any address, data
// and requester ID (forged-interrupt and fault tests), DMA-write memory, and assert/deassert INTx.
//
// BAR0 (128 KiB, 64-bit): 0x0000 MSI-X table (up to 2048 entries), 0x8000 MSI-X PBA,
// 0x9000 INTX (bit 0: the INTx condition; write 0 to acknowledge/deassert, 1 to assert),
// 0x10000 DMT (16-byte entries, up to 2048), 0x9008 TRIGGER (write kind[17:16] (0 msi, 1 msix, 2 dmt) | index[15:0]: raise an event, as a
// driver-visible self-test doorbell).
// Ledger sources: "<name>/msi/i", "<name>/msix/i", "<name>/ims/i" (the DMT), "<name>/raw/0".
#include <memory>
#include <optional>
#include <span>
#include <string_view>

#include "fabric/params.h"
#include "models/pcie/function.h"
#include "models/pcie/ims_table.h"

namespace irqf::testdev {

enum class store_kind : uint8_t { msi, msix, dmt };
/// "msi", "msix", "dmt" (also "ims"); nullopt otherwise.
std::optional<store_kind> store_kind_from(std::string_view s);

inline constexpr uint64_t BAR0_SIZE = 0x20000, MSIX_TABLE = 0x0000, MSIX_PBA = 0x8000,
                          DMT_BASE = 0x10000, REG_INTX = 0x9000, REG_TRIGGER = 0x9008;
inline constexpr bitfield TRIGGER_INDEX{0, 16};
inline constexpr bitfield TRIGGER_KIND{16, 2};
inline constexpr bitfield INTX_LEVEL{0, 1};

class testdev : public pcie::pcie_function {
 public:
  static const component_schema& schema();
  /// `p`: device_id, msi_vectors, msix_vectors, dmt_entries, msix_disabled_policy, dmt_masked_policy.
  /// Throws input_error when msi_vectors is not a power of two.
  testdev(sc_core::sc_module_name nm, sim_context& ctx, const param_values& p);

  /// Raises an event on vector `index` of store `kind` (ledger source "<name>/<kind>/<index>") and
  /// hands it to the store (send / latch / drop per its rules). Returns the event id. Throws
  /// input_error for an index beyond the store or an absent store (a scenario mistake).
  event_id raise(store_kind kind, unsigned index);
  event_id raise(std::string_view kind, unsigned index);
  /// A raw 4-byte upstream write of `data` to `address` stamped with `requester_id` (any value,
  /// forged or not). When the address is in the MSI window an event "<name>/raw/0" is raised and
  /// carried (its id is returned); otherwise it is a plain memory write (returns 0).
  event_id raw_write(uint64_t address, uint32_t data, uint16_t requester_id);
  /// DMA-writes `bytes` at `addr` (posted, before any later interrupt of this function).
  void dma_write(uint64_t addr, std::span<const uint8_t> bytes);
  using pcie_function::dma_write;
  /// Asserts/deasserts the INTx condition (Assert_INTx when INTx may be used).
  void intx(bool asserted) { raise_intx(asserted); }

  message_store* store(store_kind k);
  pcie::ims_table* dmt() { return dmt_.get(); }

 protected:
  uint64_t bar_read(int bar, uint64_t off, unsigned len) override;
  void bar_write(int bar, uint64_t off, uint64_t val, unsigned len) override;
  std::vector<std::string> device_register_names() const override;
  std::optional<uint64_t> device_register_read(std::string_view name) override;
  bool device_register_write(std::string_view name, uint64_t value) override;

 private:
  std::unique_ptr<pcie::ims_table> dmt_;
  source_id raw_src_;
};

}  // namespace irqf::testdev
