#pragma once
// The interrupt message (DESIGN §1): a TLM-2.0 generic-payload 4-byte write to 0xFEE0_0000–
// 0xFEEF_FFFF, data little-endian, with one extension carrying the requester ID, an optional PASID
// and the ledger event ids it carries. Non-interrupt upstream writes (DMA) carry the same extension
// with no events, so the root complex and IOMMU always know who wrote.
#include <systemc>
#include <tlm>

#include <boost/container/small_vector.hpp>
#include <cstdint>
#include <optional>

#include "fabric/bdf.h"
#include "fabric/ledger.h"

namespace irqf {

/// The MSI address window (SDM Vol.3A §11.11.1; VT-d §5.1.2).
inline constexpr uint64_t msi_window_base = 0xFEE0'0000ull;
inline constexpr uint64_t msi_window_size = 0x0010'0000ull;
inline constexpr bool in_msi_window(uint64_t a) { return (a >> 20) == 0xFEE; }

using event_list = boost::container::small_vector<event_id, 2>;

/// The one extension every upstream write carries.
struct requester_ext : tlm::tlm_extension<requester_ext> {
  uint16_t requester_id = 0;  ///< bus[15:8] dev[7:3] fn[2:0]
  bool has_pasid = false;
  uint32_t pasid = 0;         ///< 20-bit PASID when has_pasid
  event_list events;          ///< ledger ids this write carries (empty for DMA)

  tlm::tlm_extension_base* clone() const override { return new requester_ext(*this); }
  void copy_from(const tlm::tlm_extension_base& o) override {
    *this = static_cast<const requester_ext&>(o);
  }
};

/// An MSI as software programs it: 64-bit address and 32-bit data.
struct msi_msg {
  uint64_t address = 0;
  uint32_t data = 0;
  friend bool operator==(const msi_msg&, const msi_msg&) = default;
};

/// A reusable upstream write: payload + extension + 4..64-byte data buffer. Not copyable (the
/// payload points into it); one per sender is enough since b_transport completes synchronously.
class upstream_write {
 public:
  upstream_write();
  ~upstream_write();
  upstream_write(const upstream_write&) = delete;
  upstream_write& operator=(const upstream_write&) = delete;

  /// Prepares a 4-byte interrupt write of `m` from requester `rid` carrying `events`.
  tlm::tlm_generic_payload& msi(const msi_msg& m, uint16_t rid, std::span<const event_id> events,
                                std::optional<uint32_t> pasid = std::nullopt);
  /// Prepares a DMA write of `len` (<= 64) bytes from requester `rid`.
  tlm::tlm_generic_payload& dma(uint64_t addr, const void* data, unsigned len, uint16_t rid,
                                std::optional<uint32_t> pasid = std::nullopt);
  requester_ext& ext() { return *ext_; }
  tlm::tlm_generic_payload& payload() { return gp_; }

 private:
  tlm::tlm_generic_payload gp_;
  requester_ext* ext_;
  unsigned char buf_[64] = {};
};

/// The extension of a payload, or nullptr.
inline requester_ext* ext_of(tlm::tlm_generic_payload& gp) { return gp.get_extension<requester_ext>(); }
/// The 4-byte little-endian data of an interrupt write.
uint32_t msi_data_of(const tlm::tlm_generic_payload& gp);

/// Plain read/write helpers for initiators (OS model MMIO, IOMMU table walks). Return the TLM
/// response status; `delay` accumulates the annotated latency (loosely-timed, TLM-2.0 §11.1.2).
tlm::tlm_response_status bus_read(tlm::tlm_fw_transport_if<>& s, uint64_t addr, void* dst,
                                  unsigned len, sc_core::sc_time& delay);
tlm::tlm_response_status bus_write(tlm::tlm_fw_transport_if<>& s, uint64_t addr, const void* src,
                                   unsigned len, sc_core::sc_time& delay);

/// Same, through any initiator socket (calls socket->b_transport).
template <class Socket>
tlm::tlm_response_status bus_read(Socket& s, uint64_t addr, void* dst, unsigned len,
                                  sc_core::sc_time& delay) {
  return bus_read(*s.operator->(), addr, dst, len, delay);
}
template <class Socket>
tlm::tlm_response_status bus_write(Socket& s, uint64_t addr, const void* src, unsigned len,
                                   sc_core::sc_time& delay) {
  return bus_write(*s.operator->(), addr, src, len, delay);
}

}  // namespace irqf
