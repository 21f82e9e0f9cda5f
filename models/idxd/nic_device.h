#pragma once
// A multi-queue NIC-like endpoint for experiments with many vectors: one receive queue per MSI-X
// vector (table up to 2048 entries, PCIe §7.7.2), built from the same parts as dsa_device (a
// pcie_function with its MSI-X store, DMA with posted ordering, the ledger).
//
// BAR0 layout (model-defined, no real NIC's): CTRL at 0x0 (bit 0 = enable), NUM_QUEUES at 0x4
// (read-only), then one 16-byte block per queue at 0x1000 + 16 q: RING_BASE (qword, +0),
// RING_SIZE (dword, +8, entries), HEAD (dword, +12, read-only: the next entry the device writes).
// The MSI-X table sits at table_offset (after the queue blocks) and the PBA after it.
//
// rx(q): a packet arrived on queue q. With CTRL.enable and a ring configured, the device DMA-writes
// a 16-byte completion entry at RING_BASE + 16 * HEAD (dword 0 = length, dword 1 = DD bit 0 |
// sequence << 1, qword 1 = arrival time in ps) and advances HEAD modulo RING_SIZE; then it raises an
// event on MSI-X vector q (ledger source "<dev>/msix/<q>"). The ring write is ordered before the
// interrupt by PCIe posted ordering. Without a ring (or disabled) only the interrupt is raised.
#include <string>
#include <vector>

#include "fabric/params.h"
#include "fabric/regtable.h"
#include "models/pcie/function.h"

namespace irqf::idxd {

namespace nic_reg {
inline constexpr uint32_t CTRL = 0x0, NUM_QUEUES = 0x4, QUEUE_BASE = 0x1000, QUEUE_STRIDE = 16;
inline constexpr uint32_t Q_RING_BASE = 0x0, Q_RING_SIZE = 0x8, Q_HEAD = 0xC;
inline constexpr bitfield CTRL_ENABLE{0, 1};
inline constexpr unsigned entry_bytes = 16;
inline constexpr bitfield ENTRY_DD{0, 1}, ENTRY_SEQ{1, 31};
}  // namespace nic_reg

class nic_device : public pcie::pcie_function {
 public:
  /// Parameters (kind "nic"): queues (= MSI-X vectors), packet_bytes, device_id, msix policy.
  static const component_schema& schema();
  nic_device(sc_core::sc_module_name nm, sim_context& ctx, const param_values& p);

  /// A packet arrived on queue `q` (0..queues-1): ring entry by DMA, then an event on vector q.
  void rx(unsigned q);
  unsigned queues() const { return unsigned(q_.size()); }
  uint32_t head(unsigned q) const { return q_[q].head; }
  uint64_t msix_table_offset() const { return table_off_; }
  uint64_t msix_pba_offset() const { return pba_off_; }

 protected:
  uint64_t bar_read(int bar, uint64_t off, unsigned len) override;
  void bar_write(int bar, uint64_t off, uint64_t val, unsigned len) override;
  std::vector<std::string> device_register_names() const override;
  std::optional<uint64_t> device_register_read(std::string_view name) override;
  bool device_register_write(std::string_view name, uint64_t value) override;

 private:
  struct queue {
    uint64_t base = 0;
    uint32_t size = 0, head = 0, seq = 0;
  };
  uint64_t reg_read(uint64_t off) const;
  void reg_write(uint64_t off, uint64_t v, unsigned len);
  std::vector<queue> q_;
  uint32_t ctrl_ = 0;
  uint32_t packet_bytes_;
  uint64_t table_off_, pba_off_;
  reg_table qtable_;  // the registers of one queue block (offsets relative to the block)
};

pcie::function_config nic_function_config(const param_values& p);

}  // namespace irqf::idxd
