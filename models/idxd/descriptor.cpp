#include "models/idxd/descriptor.h"

#include <cstring>

namespace irqf::idxd {
namespace {
template <class T> void put(uint8_t* b, unsigned off, T v) {
  for (unsigned i = 0; i < sizeof(T); ++i) b[off + i] = uint8_t(uint64_t(v) >> (8 * i));
}
template <class T> T get(const uint8_t* b, unsigned off) {
  uint64_t v = 0;
  for (unsigned i = 0; i < sizeof(T); ++i) v |= uint64_t(b[off + i]) << (8 * i);
  return T(v);
}

dsa_descriptor base(uint8_t op, uint64_t comp, bool rci, uint16_t handle) {
  dsa_descriptor d;
  d.opcode = op;
  d.completion_addr = comp;
  if (comp) d.flags |= desc_flag::CRAV | desc_flag::RCR;
  if (rci) d.flags |= desc_flag::RCI;
  d.int_handle = handle;
  return d;
}
}  // namespace

std::array<uint8_t, 64> dsa_descriptor::encode() const {
  using namespace desc_layout;
  std::array<uint8_t, 64> b{};
  uint32_t dw0 = uint32_t(PASID.set(PRIV.set(0, priv), pasid));
  uint32_t dw1 = uint32_t(OPCODE.set(FLAGS.set(0, flags), opcode));
  put(b.data(), PASID_DW, dw0);
  put(b.data(), OP_DW, dw1);
  put(b.data(), COMPLETION_ADDR, completion_addr);
  put(b.data(), SRC, src);
  put(b.data(), DST, dst);
  put(b.data(), XFER_SIZE, xfer_size);
  put(b.data(), INT_HANDLE, int_handle);
  std::memcpy(b.data() + OP_SPECIFIC, op_specific.data(), op_specific.size());
  return b;
}

dsa_descriptor dsa_descriptor::decode(const uint8_t* b) {
  using namespace desc_layout;
  dsa_descriptor d;
  uint32_t dw0 = get<uint32_t>(b, PASID_DW), dw1 = get<uint32_t>(b, OP_DW);
  d.pasid = uint32_t(PASID.get(dw0));
  d.priv = PRIV.test(dw0);
  d.flags = uint32_t(FLAGS.get(dw1));
  d.opcode = uint8_t(OPCODE.get(dw1));
  d.completion_addr = get<uint64_t>(b, COMPLETION_ADDR);
  d.src = get<uint64_t>(b, SRC);
  d.dst = get<uint64_t>(b, DST);
  d.xfer_size = get<uint32_t>(b, XFER_SIZE);
  d.int_handle = get<uint16_t>(b, INT_HANDLE);
  std::memcpy(d.op_specific.data(), b + OP_SPECIFIC, d.op_specific.size());
  return d;
}

// Completion record image: status(0) result(1) rsvd(2..3) bytes_completed(4..7) fault_addr(8..15)
// invalid_flags(16..18) rsvd(19..31) — Linux `struct dsa_completion_record`.
std::array<uint8_t, 32> completion_record::encode() const {
  std::array<uint8_t, 32> b{};
  b[0] = status;
  b[1] = result;
  put(b.data(), 4, bytes_completed);
  put(b.data(), 8, fault_addr);
  put(b.data(), 16, invalid_flags & 0xFFFFFFu);
  return b;
}

completion_record completion_record::decode(const uint8_t* b) {
  completion_record r;
  r.status = b[0];
  r.result = b[1];
  r.bytes_completed = get<uint32_t>(b, 4);
  r.fault_addr = get<uint64_t>(b, 8);
  r.invalid_flags = get<uint32_t>(b, 16) & 0xFFFFFFu;
  return r;
}

dsa_descriptor make_noop(uint64_t comp, bool rci, uint16_t handle) {
  return base(op_noop, comp, rci, handle);
}
dsa_descriptor make_memmove(uint64_t src, uint64_t dst, uint32_t size, uint64_t comp, bool rci,
                            uint16_t handle) {
  auto d = base(op_memmove, comp, rci, handle);
  d.src = src;
  d.dst = dst;
  d.xfer_size = size;
  return d;
}
dsa_descriptor make_fill(uint64_t pattern, uint64_t dst, uint32_t size, uint64_t comp, bool rci,
                         uint16_t handle) {
  auto d = base(op_memfill, comp, rci, handle);
  d.src = pattern;
  d.dst = dst;
  d.xfer_size = size;
  return d;
}
dsa_descriptor make_compare(uint64_t src1, uint64_t src2, uint32_t size, uint64_t comp, bool rci,
                            uint16_t handle) {
  auto d = base(op_compare, comp, rci, handle);
  d.src = src1;
  d.dst = src2;
  d.xfer_size = size;
  return d;
}
dsa_descriptor make_drain(uint64_t comp, bool rci, uint16_t handle) {
  return base(op_drain, comp, rci, handle);
}
dsa_descriptor make_batch(uint64_t list_addr, uint32_t count, uint64_t comp, bool rci,
                          uint16_t handle) {
  auto d = base(op_batch, comp, rci, handle);
  d.src = list_addr;
  d.xfer_size = count;
  return d;
}

}  // namespace irqf::idxd
