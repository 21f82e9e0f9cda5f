#include "models/idxd/registers.h"

#include <algorithm>

namespace irqf::idxd {
namespace {
uint32_t align_up(uint64_t v, uint64_t a) { return uint32_t((v + a - 1) / a * a); }
uint64_t pow2_at_least(uint64_t v, uint64_t floor) {
  uint64_t p = floor;
  while (p < v) p <<= 1;
  return p;
}
std::string idx_name(const char* base, unsigned i, const char* field) {
  return std::string(base) + "[" + std::to_string(i) + "]" + (field[0] ? "." : "") + field;
}
}  // namespace

dsa_layout make_layout(unsigned wqs, unsigned groups, unsigned engines, unsigned msix,
                       unsigned ims) {
  dsa_layout l;
  l.num_wqs = wqs;
  l.num_groups = groups;
  l.num_engines = engines;
  l.msix_entries = msix;
  l.ims_entries = ims;
  l.grpcfg = 0x400;
  l.wqcfg = align_up(l.grpcfg + uint64_t(groups) * grpcfg_stride, table_mult);
  l.msix_perm = align_up(l.wqcfg + uint64_t(wqs) * wqcfg_stride, table_mult);
  uint64_t perm_end = l.msix_perm + uint64_t(msix) * msix_perm_stride;
  l.msix_table = std::max<uint32_t>(0x2000, align_up(perm_end, 0x1000));
  l.msix_pba = align_up(l.msix_table + uint64_t(msix) * 16, 0x1000);
  l.ims = align_up(l.msix_pba + (uint64_t(msix) + 63) / 64 * 8, 0x1000);
  l.bar0_size = pow2_at_least(l.ims + uint64_t(ims) * 16, 0x10000);
  l.bar2_size = pow2_at_least(uint64_t(wqs) * portals_per_wq * portal_page, 0x1000);
  return l;
}

reg_table make_dsa_reg_table(const dsa_layout& lay, const dsa_caps& caps, dsa_reg_index& idx) {
  std::vector<reg_def> d;
  auto add = [&](reg_def r) {
    d.push_back(std::move(r));
    return d.size() - 1;
  };
  idx.VERSION = add({"VERSION", reg_off::VERSION, 4, caps.version, 0, 0,
                     "device version: major [7:4], minor [3:0]", {}});
  idx.GENCAP = add({"GENCAP", reg_off::GENCAP, 8, caps.gencap, 0, 0, "general capabilities",
                    {{"cmd_cap", gencap::CMD_CAP, "CMDCAP register present"},
                     {"max_xfer_shift", gencap::MAX_XFER_SHIFT, "log2 max transfer size"},
                     {"max_batch_shift", gencap::MAX_BATCH_SHIFT, "log2 max batch size"},
                     {"max_ims_mult", gencap::MAX_IMS_MULT, "IMS entries / 256"},
                     {"config_en", gencap::CONFIG_EN, "configuration registers writable"}}});
  idx.WQCAP = add({"WQCAP", reg_off::WQCAP, 8, caps.wqcap, 0, 0, "work-queue capabilities",
                   {{"total_wq_size", wqcap::TOTAL_WQ_SIZE, "WQ entries shared by all WQs"},
                    {"num_wqs", wqcap::NUM_WQS, "number of WQs"},
                    {"shared_mode", wqcap::SHARED_MODE, "shared WQs supported"},
                    {"dedicated_mode", wqcap::DEDICATED_MODE, "dedicated WQs supported"},
                    {"occupancy_int", wqcap::OCCUPANCY_INT, "occupancy interrupt supported"}}});
  idx.GRPCAP = add({"GRPCAP", reg_off::GRPCAP, 8, caps.grpcap, 0, 0, "group capabilities",
                    {{"num_groups", grpcap::NUM_GROUPS, "number of groups"},
                     {"total_rdbufs", grpcap::TOTAL_RDBUFS, "read buffers"}}});
  idx.ENGCAP = add({"ENGCAP", reg_off::ENGCAP, 8, caps.engcap, 0, 0, "engine capabilities",
                    {{"num_engines", engcap::NUM_ENGINES, "number of engines"}}});
  idx.OPCAP0 = add({"OPCAP0", reg_off::OPCAP, 8, caps.opcap0, 0, 0,
                    "supported operations, bit n = opcode n", {}});
  for (unsigned q = 1; q < 4; ++q)
    add({"OPCAP" + std::to_string(q), reg_off::OPCAP + 8 * q, 8, 0, 0, 0,
         "supported operations (opcodes 64q..64q+63)", {}});
  uint64_t offs = offsets::GRPCFG.set(0, lay.grpcfg / table_mult);
  offs = offsets::WQCFG.set(offs, lay.wqcfg / table_mult);
  offs = offsets::MSIX_PERM.set(offs, lay.msix_perm / table_mult);
  offs = offsets::IMS.set(offs, lay.ims / table_mult);
  idx.OFFSETS = add({"OFFSETS", reg_off::OFFSETS, 8, offs, 0, 0,
                     "table offsets in units of 0x100",
                     {{"grpcfg", offsets::GRPCFG, ""}, {"wqcfg", offsets::WQCFG, ""},
                      {"msix_perm", offsets::MSIX_PERM, ""}, {"ims", offsets::IMS, ""}}});
  idx.OFFSETS_HI = add({"OFFSETS_HI", reg_off::OFFSETS + 8, 8, 0, 0, 0,
                        "perfmon table offset [15:0] (no perfmon: 0)", {}});
  idx.GENCFG = add({"GENCFG", reg_off::GENCFG, 4, 0,
                    gencfg::RDBUF_LIMIT.mask() | gencfg::USER_INT_EN.mask() | gencfg::EVL_EN.mask(),
                    0, "general configuration (writable while the device is disabled)",
                    {{"rdbuf_limit", gencfg::RDBUF_LIMIT, ""},
                     {"user_int_en", gencfg::USER_INT_EN, ""},
                     {"evl_en", gencfg::EVL_EN, ""}}});
  idx.GENCTRL = add({"GENCTRL", reg_off::GENCTRL, 4, 0,
                     genctrl::SOFTERR_INT_EN.mask() | genctrl::HALT_INT_EN.mask() |
                         genctrl::EVL_INT_EN.mask(),
                     0, "general control: interrupt enables",
                     {{"softerr_int_en", genctrl::SOFTERR_INT_EN, "SWERR raises INTCAUSE.ERR"},
                      {"halt_int_en", genctrl::HALT_INT_EN, ""},
                      {"evl_int_en", genctrl::EVL_INT_EN, ""}}});
  idx.GENSTS = add({"GENSTS", reg_off::GENSTS, 4, 0, 0, 0, "general status",
                    {{"state", gensts::STATE, "0 disabled, 1 enabled, 2 drain, 3 halt"},
                     {"reset_type", gensts::RESET_TYPE, ""}}});
  const uint64_t causes = intcause::ERR | intcause::CMD | intcause::OCCUPY |
                          intcause::PERFMON_OVFL | intcause::HALT_STATE | intcause::EVL |
                          intcause::INT_HANDLE_REVOKED;
  idx.INTCAUSE = add({"INTCAUSE", reg_off::INTCAUSE, 4, 0, 0, causes,
                      "misc interrupt causes, write 1 to clear",
                      {{"err", {0, 1}, ""}, {"cmd", {1, 1}, ""}, {"occupy", {2, 1}, ""},
                       {"perfmon_ovfl", {3, 1}, ""}, {"halt_state", {4, 1}, ""},
                       {"evl", {5, 1}, ""}, {"int_handle_revoked", {31, 1}, ""}}});
  idx.CMD = add({"CMD", reg_off::CMD, 4, 0,
                 cmd_reg::OPERAND.mask() | cmd_reg::CMD.mask() | cmd_reg::INT_REQ.mask(), 0,
                 "command: a write starts it",
                 {{"operand", cmd_reg::OPERAND, ""}, {"cmd", cmd_reg::CMD, ""},
                  {"int_req", cmd_reg::INT_REQ, "raise INTCAUSE.CMD on completion"}}});
  idx.CMDSTS = add({"CMDSTS", reg_off::CMDSTS, 4, 0, 0, 0, "command status",
                    {{"err", cmdsts::ERR, ""}, {"result", cmdsts::RESULT, ""},
                     {"active", cmdsts::ACTIVE, ""}}});
  idx.CMDCAP = add({"CMDCAP", reg_off::CMDCAP, 4, caps.cmdcap, 0, 0,
                    "supported commands, bit n = command n (present when GENCAP.cmd_cap)", {}});
  idx.SWERR0 = add({"SWERR0", reg_off::SWERR, 8, 0, 0,
                    swerr0::VALID.mask() | swerr0::OVERFLOW.mask(), "software error, qword 0",
                    {{"valid", swerr0::VALID, ""}, {"overflow", swerr0::OVERFLOW, ""},
                     {"error", swerr0::ERROR, ""}, {"wq_idx", swerr0::WQ_IDX, ""},
                     {"operation", swerr0::OPERATION, ""}, {"pasid", swerr0::PASID, ""}}});
  for (unsigned q = 1; q < 4; ++q)
    add({"SWERR" + std::to_string(q), reg_off::SWERR + 8 * q, 8, 0, 0, 0,
         q == 1 ? "batch_idx [15:0], invalid_flags [63:32]"
                : (q == 2 ? "fault address" : "reserved"),
         {}});

  idx.GRPCFG0 = d.size();
  const char* gnames[grpcfg_regs] = {"WQS0", "WQS1", "WQS2", "WQS3", "ENGINES", "FLAGS"};
  const uint64_t flag_mask = grpflags::TC_A.mask() | grpflags::TC_B.mask() |
                             grpflags::USE_RDBUF_LIMIT.mask() | grpflags::RDBUFS_RESERVED.mask() |
                             grpflags::RDBUFS_ALLOWED.mask();
  for (unsigned g = 0; g < lay.num_groups; ++g)
    for (unsigned r = 0; r < grpcfg_regs; ++r)
      add({idx_name("GRPCFG", g, gnames[r]),
           uint32_t(lay.grpcfg + g * grpcfg_stride + (r < 4 ? 8 * r : (r == 4 ? 32 : 40))), 8, 0,
           r == 5 ? flag_mask : ~0ull, 0,
           r < 4 ? "bitmap of WQs in the group" : (r == 4 ? "bitmap of engines" : "group flags"),
           {}});

  idx.WQCFG0 = d.size();
  struct wdef {
    const char* n;
    uint64_t wr, w1c, reset;
    const char* desc;
  };
  const wdef w[wqcfg_regs] = {
      {"SIZE", wqcfg::WQ_SIZE.mask(), 0, 0, "wq_size [15:0]"},
      {"THRESH", wqcfg::WQ_THRESH.mask(), 0, 0, "wq_thresh [15:0]: limit for limited portals"},
      {"MODE",
       wqcfg::MODE.mask() | wqcfg::BOF.mask() | wqcfg::ATS_DISABLE.mask() |
           wqcfg::PRS_DISABLE.mask() | wqcfg::PRIORITY.mask() | wqcfg::PASID.mask() |
           wqcfg::PASID_EN.mask() | wqcfg::PRIV.mask(),
       0, 0, "mode (1 dedicated), bof, priority [7:4], pasid [27:8], pasid_en, priv"},
      {"MAXSIZE", wqcfg::MAX_XFER_SHIFT.mask() | wqcfg::MAX_BATCH_SHIFT.mask(), 0, 0,
       "max_xfer_shift [4:0], max_batch_shift [8:5]"},
      {"OCC_INTH", wqcfg::OCCUPANCY_INTH.mask() | wqcfg::OCCUPANCY_TABLE_SEL.mask(), 0, 0,
       "occupancy_inth [15:0], occupancy_table_sel [16]"},
      {"OCC_LIMIT", wqcfg::OCCUPANCY_LIMIT.mask() | wqcfg::OCCUPANCY_INT_EN.mask(), 0, 0,
       "occupancy_limit [15:0], occupancy_int_en [16]"},
      {"STATE", 0, wqcfg::OCCUPANCY_INT.mask(), wqcfg::MODE_SUPPORT.set(0, 1),
       "occupancy [15:0], occupancy_int [16] (W1C), mode_support [29], wq_state [31:30]"},
      {"RSVD", 0, 0, 0, "reserved"},
  };
  for (unsigned n = 0; n < lay.num_wqs; ++n)
    for (unsigned r = 0; r < wqcfg_regs; ++r)
      add({idx_name("WQCFG", n, w[r].n), lay.wqcfg + n * wqcfg_stride + 4 * r, 4, w[r].reset,
           w[r].wr, w[r].w1c, w[r].desc, {}});

  idx.MSIX_PERM0 = d.size();
  for (unsigned i = 0; i < lay.msix_entries; ++i)
    add({idx_name("MSIX_PERM", i, ""), lay.msix_perm + i * msix_perm_stride, 4, 0,
         msix_perm::IGNORE.mask() | msix_perm::PASID_EN.mask() | msix_perm::PASID.mask(), 0,
         "MSI-X permission: ignore [2], pasid_en [3], pasid [31:12]",
         {{"ignore", msix_perm::IGNORE, ""}, {"pasid_en", msix_perm::PASID_EN, ""},
          {"pasid", msix_perm::PASID, ""}}});
  return reg_table(std::move(d));
}

}  // namespace irqf::idxd
