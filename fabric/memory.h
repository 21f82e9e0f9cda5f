#pragma once
// Sparse host memory: 4 KiB pages allocated on first write, reads of untouched memory return zero.
// A TLM target taking absolute addresses; also the backing store for IRTE tables, posted-interrupt
// descriptors, DSA descriptors and completion records.
#include <tlm_utils/multi_passthrough_target_socket.h>

#include <array>
#include <memory>
#include <unordered_map>
#include <utility>
#include <vector>

#include "fabric/context.h"
#include "fabric/params.h"

namespace irqf {

class sparse_memory : public component {
 public:
  /// Multi-bound: the host bus, the PCIe upstream path and the IOMMU all reach memory.
  tlm_utils::multi_passthrough_target_socket<sparse_memory> socket;
  static const component_schema& schema();
  /// `p`: size_bytes of DRAM, latency_ns per access. Like a PC, DRAM below 4 GiB stops at
  /// `low_top` (the MMIO hole [low_top, 4 GiB) holds the APIC, IOAPIC, IOMMU and ECAM windows) and
  /// the rest is placed from 4 GiB up; accesses outside DRAM get TLM_ADDRESS_ERROR_RESPONSE.
  sparse_memory(sc_core::sc_module_name nm, sim_context& ctx, const param_values& p);

  /// Untimed access for tests and for the debug transport.
  void read(uint64_t addr, void* dst, size_t len) const;
  void write(uint64_t addr, const void* src, size_t len);
  template <class T> T load(uint64_t addr) const { T v{}; read(addr, &v, sizeof v); return v; }
  template <class T> void store(uint64_t addr, T v) { write(addr, &v, sizeof v); }
  size_t pages() const { return pages_.size(); }
  uint64_t size() const { return size_; }
  /// DRAM ranges [base, base+size) as the host bus must map them.
  std::vector<std::pair<uint64_t, uint64_t>> ranges() const;
  static constexpr uint64_t low_top = 0x8000'0000ull, high_base = 0x1'0000'0000ull;

 private:
  void b_transport(int port, tlm::tlm_generic_payload& gp, sc_core::sc_time& delay);
  unsigned transport_dbg(int port, tlm::tlm_generic_payload& gp);
  using page = std::array<unsigned char, 4096>;
  std::unordered_map<uint64_t, std::unique_ptr<page>> pages_;
  uint64_t size_;
  sc_core::sc_time latency_;
};

}  // namespace irqf
