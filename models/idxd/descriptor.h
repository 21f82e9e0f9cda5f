#pragma once
// DSA work descriptors and completion records (Intel DSA Architecture Specification, chapters
// "Descriptor Formats" and "Completion Record"; field layout as Linux include/uapi/linux/idxd.h `struct dsa_hw_desc`
// and `struct dsa_completion_record`). Both are little-endian byte images: 64 bytes for a
// descriptor, 32 bytes for a completion record. The structs below are the decoded form; encode() /
// decode() convert to and from the byte image, so the OS model builds descriptors with the same
// helpers the device uses to parse them.
#include <array>
#include <cstdint>

#include "fabric/regtable.h"

namespace irqf::idxd {

/// Operation codes (DSA spec "Operation Types"; Linux `enum dsa_opcode`). The model executes the ones marked *.
enum dsa_opcode : uint8_t {
  op_noop = 0x00,      ///< * No-op: only completes
  op_batch = 0x01,     ///< * Batch: desc_count descriptors at desc_list_addr
  op_drain = 0x02,     ///< * Drain: completes after earlier descriptors of its WQ
  op_memmove = 0x03,   ///< * Memory move: xfer_size bytes src -> dst
  op_memfill = 0x04,   ///< * Fill: 8-byte pattern repeated over xfer_size bytes at dst
  op_compare = 0x05,   ///< * Compare: src vs src2, result 0 equal / 1 different
  op_compval = 0x06,
  op_cr_delta = 0x07,
  op_ap_delta = 0x08,
  op_dualcast = 0x09,
  op_crcgen = 0x10,
  op_copy_crc = 0x11,
  op_dif_check = 0x12,
  op_dif_ins = 0x13,
  op_dif_strp = 0x14,
  op_dif_updt = 0x15,
  op_cflush = 0x20,
};

/// Descriptor flags (Linux uapi idxd.h IDXD_OP_FLAG_*).
namespace desc_flag {
inline constexpr uint32_t FENCE = 0x0001;  ///< in a batch: wait for earlier descriptors
inline constexpr uint32_t BOF = 0x0002;    ///< block on fault
inline constexpr uint32_t CRAV = 0x0004;   ///< completion record address valid
inline constexpr uint32_t RCR = 0x0008;    ///< request completion record (else only on error)
inline constexpr uint32_t RCI = 0x0010;    ///< request completion interrupt
inline constexpr uint32_t CRSTS = 0x0020;
inline constexpr uint32_t CR = 0x0080;     ///< check result (compare: status 0x02 on mismatch with expected_res)
inline constexpr uint32_t CC = 0x0100;     ///< cache control
}  // namespace desc_flag

/// Completion status codes (Linux uapi idxd.h `enum dsa_completion_status`).
enum dsa_status : uint8_t {
  st_none = 0x00,              ///< record not yet written
  st_success = 0x01,
  st_success_pred = 0x02,      ///< compare: success with a false predicate
  st_page_fault_nobof = 0x03,  ///< an access failed (here: a DMA error response), fault_addr set
  st_batch_fail = 0x05,        ///< batch: at least one descriptor in the batch failed
  st_batch_page_fault = 0x06,  ///< batch: the descriptor list could not be read
  st_bad_opcode = 0x10,        ///< unsupported operation code
  st_invalid_flags = 0x11,
  st_nozero_reserve = 0x12,
  st_xfer_erange = 0x13,       ///< transfer size 0 or above WQCFG max transfer size
  st_desc_cnt_erange = 0x14,   ///< batch descriptor count < 2 or above max batch size
  st_int_handle_inval = 0x19,  ///< invalid (or revoked) interrupt handle: no interrupt raised
  st_cra_align = 0x1b,         ///< completion record address not 32-byte aligned
  st_addr_align = 0x1c,
};

/// Byte offsets of the descriptor image (Linux `struct dsa_hw_desc`, packed).
namespace desc_layout {
inline constexpr unsigned PASID_DW = 0;       ///< dword 0: PASID[19:0], U/S (priv) bit 31
inline constexpr bitfield PASID{0, 20};
inline constexpr bitfield PRIV{31, 1};
inline constexpr unsigned OP_DW = 4;          ///< dword 1: flags[23:0], opcode[31:24]
inline constexpr bitfield FLAGS{0, 24};
inline constexpr bitfield OPCODE{24, 8};
inline constexpr unsigned COMPLETION_ADDR = 8;
inline constexpr unsigned SRC = 16;           ///< src_addr / pattern / desc_list_addr
inline constexpr unsigned DST = 24;           ///< dst_addr / src2_addr
inline constexpr unsigned XFER_SIZE = 32;     ///< xfer_size / desc_count
inline constexpr unsigned INT_HANDLE = 36;    ///< 16-bit completion interrupt handle
inline constexpr unsigned OP_SPECIFIC = 40;   ///< 24 operation-specific bytes (expected_res at 40)
}  // namespace desc_layout

/// A decoded 64-byte descriptor. Field names as Linux `struct dsa_hw_desc`; unions are folded:
/// `src` is src_addr / pattern (fill) / desc_list_addr (batch); `dst` is dst_addr / src2_addr
/// (compare); `xfer_size` is the byte count or desc_count (batch).
struct dsa_descriptor {
  uint32_t pasid = 0;  ///< 20 bits; used by shared WQs (ENQCMD supplies it)
  bool priv = false;   ///< U/S: 1 = supervisor
  uint32_t flags = 0;  ///< 24 bits, desc_flag::*
  uint8_t opcode = op_noop;
  uint64_t completion_addr = 0;
  uint64_t src = 0;
  uint64_t dst = 0;
  uint32_t xfer_size = 0;
  uint16_t int_handle = 0;
  std::array<uint8_t, 24> op_specific{};  ///< bytes 40..63 (expected_res = op_specific[0])

  /// The 64-byte little-endian image as software writes it to a portal.
  std::array<uint8_t, 64> encode() const;
  /// Parses a 64-byte image; reserved bits are ignored.
  static dsa_descriptor decode(const uint8_t* image64);
  bool has(uint32_t f) const { return (flags & f) != 0; }
};

/// A decoded 32-byte completion record (Linux `struct dsa_completion_record`).
struct completion_record {
  uint8_t status = st_none;       ///< dsa_status, bit 7 = fault on write (not modelled)
  uint8_t result = 0;             ///< compare: 0 equal, 1 different
  uint32_t bytes_completed = 0;   ///< bytes done; for a batch: descriptors completed
  uint64_t fault_addr = 0;
  uint32_t invalid_flags = 0;     ///< for st_invalid_flags: the offending flag bits (24 bits)

  std::array<uint8_t, 32> encode() const;
  static completion_record decode(const uint8_t* image32);
};

inline constexpr unsigned descriptor_size = 64;
inline constexpr unsigned completion_record_size = 32;
/// The completion record address must be 32-byte aligned (DSA spec; status 0x1b = Linux
/// DSA_COMP_CRA_ALIGN).
inline constexpr uint64_t completion_align = 32;

/// Builders for the driver model and tests. `comp` is the completion record address (sets CRAV and
/// RCR when non-zero); `handle` and `rci` select the completion interrupt.
dsa_descriptor make_noop(uint64_t comp, bool rci = false, uint16_t handle = 0);
dsa_descriptor make_memmove(uint64_t src, uint64_t dst, uint32_t size, uint64_t comp,
                            bool rci = false, uint16_t handle = 0);
dsa_descriptor make_fill(uint64_t pattern, uint64_t dst, uint32_t size, uint64_t comp,
                         bool rci = false, uint16_t handle = 0);
dsa_descriptor make_compare(uint64_t src1, uint64_t src2, uint32_t size, uint64_t comp,
                            bool rci = false, uint16_t handle = 0);
dsa_descriptor make_drain(uint64_t comp, bool rci = false, uint16_t handle = 0);
/// A batch of `count` descriptors stored contiguously at `list_addr` (64 bytes each).
dsa_descriptor make_batch(uint64_t list_addr, uint32_t count, uint64_t comp, bool rci = false,
                          uint16_t handle = 0);

}  // namespace irqf::idxd
