#pragma once
// The DSA BAR0 register file (Intel DSA Architecture Specification, "Registers"; offsets and field
// layout as Linux drivers/dma/idxd/registers.h). Every register is declared once in the reg_table
// built by make_dsa_reg_table(); the constexpr bitfields below name the fields behaviour code uses.
// The IMS table is not in the reg_table (2048 entries × 4 dwords); it lives in ims_table.h.
#include <cstdint>
#include <string>
#include <vector>

#include "fabric/regtable.h"

namespace irqf::idxd {

/// Fixed BAR0 offsets (Linux registers.h IDXD_*_OFFSET).
namespace reg_off {
inline constexpr uint32_t VERSION = 0x00;
inline constexpr uint32_t GENCAP = 0x10;
inline constexpr uint32_t WQCAP = 0x20;
inline constexpr uint32_t GRPCAP = 0x30;
inline constexpr uint32_t ENGCAP = 0x38;
inline constexpr uint32_t OPCAP = 0x40;   ///< 4 qwords
inline constexpr uint32_t OFFSETS = 0x60; ///< 2 qwords (IDXD_TABLE_OFFSET)
inline constexpr uint32_t GENCFG = 0x80;
inline constexpr uint32_t GENCTRL = 0x88;
inline constexpr uint32_t GENSTS = 0x90;
inline constexpr uint32_t INTCAUSE = 0x98;
inline constexpr uint32_t CMD = 0xA0;
inline constexpr uint32_t CMDSTS = 0xA8;
inline constexpr uint32_t CMDCAP = 0xB0;
inline constexpr uint32_t SWERR = 0xC0;   ///< 4 qwords
}  // namespace reg_off

/// Table offsets in OFFSETS are in units of 0x100 bytes (Linux IDXD_TABLE_MULT).
inline constexpr uint32_t table_mult = 0x100;
/// GRPCFG stride per group (Linux GRPCFG_SIZE): WQS0..3 at +0..+24, ENGINES +32, FLAGS +40.
inline constexpr uint32_t grpcfg_stride = 64;
/// MSI-X permission entry stride (Linux init.c writes msix_perm_offset + i * 8).
inline constexpr uint32_t msix_perm_stride = 8;
/// WQCFG size with WQCAP.wqcfg_size = 0: 1 << (0 + IDXD_WQCFG_MIN 5) = 32 bytes (DSA 1.0 layout
/// without op_config).
inline constexpr uint32_t wqcfg_stride = 32;
/// BAR2 portals: 4 pages per WQ — unlimited/limited × MSI-X/IMS (Linux idxd.h
/// idxd_get_wq_portal_full_offset: wq * 4 pages + prot * 0x1000 + irq_type * 0x2000).
inline constexpr uint32_t portal_page = 0x1000;
inline constexpr uint32_t portals_per_wq = 4;

namespace gencap {  // union gen_cap_reg
inline constexpr bitfield BLOCK_ON_FAULT{0, 1}, OVERLAP_COPY{1, 1}, CACHE_CONTROL_MEM{2, 1},
    CACHE_CONTROL_CACHE{3, 1}, CMD_CAP{4, 1}, DEST_READBACK{8, 1}, DRAIN_READBACK{9, 1},
    EVL_SUPPORT{13, 2}, BATCH_CONTINUATION{15, 1}, MAX_XFER_SHIFT{16, 5}, MAX_BATCH_SHIFT{21, 4},
    MAX_IMS_MULT{25, 6}, CONFIG_EN{31, 1};
}
namespace wqcap {  // union wq_cap_reg
inline constexpr bitfield TOTAL_WQ_SIZE{0, 16}, NUM_WQS{16, 8}, WQCFG_SIZE{24, 4},
    SHARED_MODE{48, 1}, DEDICATED_MODE{49, 1}, WQ_ATS_SUPPORT{50, 1}, PRIORITY{51, 1},
    OCCUPANCY{52, 1}, OCCUPANCY_INT{53, 1}, OP_CONFIG{54, 1}, WQ_PRS_SUPPORT{55, 1};
}
namespace grpcap {  // union group_cap_reg
inline constexpr bitfield NUM_GROUPS{0, 8}, TOTAL_RDBUFS{8, 8}, RDBUF_CTRL{16, 1},
    RDBUF_LIMIT{17, 1}, PROGRESS_LIMIT{18, 1};
}
namespace engcap { inline constexpr bitfield NUM_ENGINES{0, 8}; }
namespace offsets {  // union offsets_reg, first qword
inline constexpr bitfield GRPCFG{0, 16}, WQCFG{16, 16}, MSIX_PERM{32, 16}, IMS{48, 16};
}
namespace gencfg { inline constexpr bitfield RDBUF_LIMIT{0, 8}, USER_INT_EN{12, 1}, EVL_EN{13, 1}; }
namespace genctrl { inline constexpr bitfield SOFTERR_INT_EN{0, 1}, HALT_INT_EN{1, 1}, EVL_INT_EN{2, 1}; }
namespace gensts {
inline constexpr bitfield STATE{0, 2}, RESET_TYPE{2, 2};
inline constexpr uint64_t DISABLED = 0, ENABLED = 1, DRAIN = 2, HALT = 3;
}
namespace intcause {  // IDXD_INTC_*
inline constexpr uint32_t ERR = 0x01, CMD = 0x02, OCCUPY = 0x04, PERFMON_OVFL = 0x08,
                          HALT_STATE = 0x10, EVL = 0x20, INT_HANDLE_REVOKED = 0x80000000u;
}
namespace cmd_reg { inline constexpr bitfield OPERAND{0, 20}, CMD{20, 5}, INT_REQ{31, 1}; }
namespace cmdsts { inline constexpr bitfield ERR{0, 8}, RESULT{8, 16}, ACTIVE{31, 1}; }
/// Commands (Linux enum idxd_cmd).
enum dsa_cmd : uint8_t {
  cmd_enable_device = 1, cmd_disable_device, cmd_drain_all, cmd_abort_all, cmd_reset_device,
  cmd_enable_wq, cmd_disable_wq, cmd_drain_wq, cmd_abort_wq, cmd_reset_wq, cmd_drain_pasid,
  cmd_abort_pasid, cmd_request_int_handle, cmd_release_int_handle,
};
/// REQUEST/RELEASE_INT_HANDLE operand: table index / handle [15:0], IMS table bit 16
/// (Linux CMD_INT_HANDLE_IMS).
namespace int_handle_operand { inline constexpr bitfield INDEX{0, 16}, IMS{16, 1}; }
/// WQ-mask operand of DISABLE/DRAIN/ABORT/RESET_WQ: bit (id % 16), 16-WQ bank in [19:16]
/// (Linux device.c: BIT(wq->id % 16) | (wq->id / 16) << 16).
namespace wq_mask_operand { inline constexpr bitfield MASK{0, 16}, BANK{16, 4}; }
/// CMDSTS.err codes (Linux enum idxd_cmdsts_err).
namespace cmd_err {
inline constexpr uint8_t SUCCESS = 0, INVAL_CMD = 0x01, INVAL_WQIDX = 0x02, DEV_ENABLED = 0x10,
                         ERR_CONFIG = 0x11, BUSMASTER_EN = 0x12, WQ_SIZE_ERANGE = 0x14,
                         GRP_CONFIG = 0x15,
                         DEV_NOTEN = 0x20, WQ_ENABLED = 0x21, WQ_SIZE = 0x22, WQ_MODE = 0x24,
                         MAX_BATCH_SIZE = 0x27, MAX_XFER_SIZE = 0x28,
                         DIS_DEV_EN = 0x31, DEV_NOT_EN = 0x32, INVAL_INT_IDX = 0x41,
                         NO_HANDLE = 0x42;
}
namespace swerr0 {  // union sw_err_reg, qword 0
inline constexpr bitfield VALID{0, 1}, OVERFLOW{1, 1}, DESC_VALID{2, 1}, WQ_IDX_VALID{3, 1},
    BATCH{4, 1}, FAULT_RW{5, 1}, PRIV{6, 1}, ERROR{8, 8}, WQ_IDX{16, 8}, OPERATION{32, 8},
    PASID{40, 20};
}
namespace swerr1 { inline constexpr bitfield BATCH_IDX{0, 16}, INVALID_FLAGS{32, 32}; }
/// WQCFG dwords (union wqcfg): index within the 32-byte block.
namespace wqcfg {
inline constexpr unsigned SIZE_DW = 0, THRESH_DW = 1, MODE_DW = 2, MAXSIZE_DW = 3,
                          OCC_INTH_DW = 4, OCC_LIMIT_DW = 5, STATE_DW = 6, RSVD_DW = 7;
inline constexpr bitfield WQ_SIZE{0, 16}, WQ_THRESH{0, 16};
inline constexpr bitfield MODE{0, 1} /* 1 dedicated, 0 shared */, BOF{1, 1}, ATS_DISABLE{2, 1},
    PRS_DISABLE{3, 1}, PRIORITY{4, 4}, PASID{8, 20}, PASID_EN{28, 1}, PRIV{29, 1};
inline constexpr bitfield MAX_XFER_SHIFT{0, 5}, MAX_BATCH_SHIFT{5, 4};
inline constexpr bitfield OCCUPANCY_INTH{0, 16}, OCCUPANCY_TABLE_SEL{16, 1};
inline constexpr bitfield OCCUPANCY_LIMIT{0, 16}, OCCUPANCY_INT_EN{16, 1};
inline constexpr bitfield OCCUPANCY{0, 16}, OCCUPANCY_INT{16, 1}, MODE_SUPPORT{29, 1},
    WQ_STATE{30, 2};
inline constexpr uint64_t STATE_DISABLED = 0, STATE_ENABLED = 1;
}
namespace grpflags {  // union group_flags
inline constexpr bitfield TC_A{0, 3}, TC_B{3, 3}, USE_RDBUF_LIMIT{7, 1}, RDBUFS_RESERVED{8, 8},
    RDBUFS_ALLOWED{20, 8};
}
namespace msix_perm {  // union msix_perm
inline constexpr bitfield IGNORE{2, 1}, PASID_EN{3, 1}, PASID{12, 20};
}

/// Where the tables sit in BAR0 and the sizes that shape the register table.
struct dsa_layout {
  unsigned num_wqs = 8, num_groups = 4, num_engines = 4, msix_entries = 9, ims_entries = 2048;
  uint32_t grpcfg = 0x400, wqcfg = 0x500, msix_perm = 0x600;  ///< byte offsets in BAR0
  uint32_t msix_table = 0x2000, msix_pba = 0x3000, ims = 0x4000;
  uint64_t bar0_size = 0x10000, bar2_size = 0x20000;
};
/// Places the tables for the given counts: GRPCFG from 0x400, then WQCFG and the MSI-X permission
/// table (each 0x100-aligned, as OFFSETS requires); the MSI-X table at 0x2000 and the PBA and IMS
/// table page-aligned after it; BAR0 is the next power of two >= 64 KiB, BAR2 4 pages per WQ.
dsa_layout make_layout(unsigned wqs, unsigned groups, unsigned engines, unsigned msix,
                       unsigned ims);

/// Capability/reset values the table needs.
struct dsa_caps {
  uint64_t gencap = 0, wqcap = 0, grpcap = 0, engcap = 0, opcap0 = 0, cmdcap = 0;
  uint32_t version = 0x100;
};

/// Index of each register in the table (fixed ones first, then the arrays in order).
struct dsa_reg_index {
  size_t VERSION, GENCAP, WQCAP, GRPCAP, ENGCAP, OPCAP0, OFFSETS, OFFSETS_HI, GENCFG, GENCTRL,
      GENSTS, INTCAUSE, CMD, CMDSTS, CMDCAP, SWERR0;
  size_t GRPCFG0;     ///< GRPCFG[g] block starts at GRPCFG0 + g * 6 (WQS0..3, ENGINES, FLAGS)
  size_t WQCFG0;      ///< WQCFG[n] dword d at WQCFG0 + n * 8 + d
  size_t MSIX_PERM0;  ///< MSIX_PERM[i] at MSIX_PERM0 + i
};
inline constexpr size_t grpcfg_regs = 6, wqcfg_regs = 8;

/// Builds the BAR0 register table ("GENCAP", "WQCFG[3].SIZE", "GRPCFG[1].ENGINES",
/// "MSIX_PERM[2]", ...) with reset values from `caps` and `lay`.
reg_table make_dsa_reg_table(const dsa_layout& lay, const dsa_caps& caps, dsa_reg_index& idx);

}  // namespace irqf::idxd
