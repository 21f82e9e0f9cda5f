#include "fabric/memory.h"

#include <algorithm>
#include <cstring>

namespace irqf {

const component_schema& sparse_memory::schema() {
  static const component_schema s{
      "memory",
      "sparse host DRAM (pages allocated on first write, untouched memory reads as zero)",
      {param_spec::integer("size_bytes", "bytes", int64_t(64) << 30, 4096, int64_t(1) << 46,
                           "addressable size; accesses beyond it get an address error"),
       param_spec::integer("latency_ns", "ns", 80, 0, 100'000,
                           "access latency (DDR5 load-to-use on SPR is ~80-110 ns; Intel MLC)")}};
  return s;
}

sparse_memory::sparse_memory(sc_core::sc_module_name nm, sim_context& ctx, const param_values& p)
    : component(nm, ctx),
      socket("socket"),
      size_(p.u("size_bytes")),
      latency_(sc_core::sc_time(double(p.i("latency_ns")), sc_core::SC_NS)) {
  socket.register_b_transport(this, &sparse_memory::b_transport);
  socket.register_transport_dbg(this, &sparse_memory::transport_dbg);
}

void sparse_memory::read(uint64_t addr, void* dst, size_t len) const {
  auto* out = static_cast<unsigned char*>(dst);
  while (len) {
    uint64_t pg = addr >> 12, off = addr & 4095;
    size_t n = std::min<size_t>(len, 4096 - off);
    auto it = pages_.find(pg);
    if (it == pages_.end()) std::memset(out, 0, n);
    else std::memcpy(out, it->second->data() + off, n);
    addr += n, out += n, len -= n;
  }
}

void sparse_memory::write(uint64_t addr, const void* src, size_t len) {
  auto* in = static_cast<const unsigned char*>(src);
  while (len) {
    uint64_t pg = addr >> 12, off = addr & 4095;
    size_t n = std::min<size_t>(len, 4096 - off);
    auto& p = pages_[pg];
    if (!p) p = std::make_unique<page>(), p->fill(0);
    std::memcpy(p->data() + off, in, n);
    addr += n, in += n, len -= n;
  }
}

void sparse_memory::b_transport(int, tlm::tlm_generic_payload& gp, sc_core::sc_time& delay) {
  if (transport_dbg(0, gp) == 0 && gp.get_data_length() != 0) return;
  delay += latency_;
}

std::vector<std::pair<uint64_t, uint64_t>> sparse_memory::ranges() const {
  std::vector<std::pair<uint64_t, uint64_t>> r{{0, std::min(size_, low_top)}};
  if (size_ > low_top) r.emplace_back(high_base, size_ - low_top);
  return r;
}

unsigned sparse_memory::transport_dbg(int, tlm::tlm_generic_payload& gp) {
  uint64_t a = gp.get_address();
  unsigned len = gp.get_data_length();
  const uint64_t low = std::min(size_, low_top), high = size_ > low_top ? size_ - low_top : 0;
  bool inside = a + len <= low || (a >= high_base && a + len <= high_base + high);
  if (!inside) {
    gp.set_response_status(tlm::TLM_ADDRESS_ERROR_RESPONSE);
    return 0;
  }
  if (gp.get_byte_enable_ptr()) {
    gp.set_response_status(tlm::TLM_BYTE_ENABLE_ERROR_RESPONSE);
    return 0;
  }
  if (gp.is_read()) read(a, gp.get_data_ptr(), len);
  else if (gp.is_write()) write(a, gp.get_data_ptr(), len);
  gp.set_response_status(tlm::TLM_OK_RESPONSE);
  return len;
}

}  // namespace irqf
