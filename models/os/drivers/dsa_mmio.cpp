// dsa_mmio: register-level DSA operations through the kernel's MMIO and config accesses.
#include "models/os/drivers/dsa_mmio.h"

#include "models/idxd/ims_table.h"
#include "models/idxd/registers.h"
#include "models/pcie/config_regs.h"

namespace irqf::os::dsa {

namespace reg = idxd::reg_off;

namespace {
/// MSI-X Message Control: Table Size [10:0] (PCIe §7.7.2.2).
constexpr bitfield MSIX_TABLE_SIZE{0, 11};
/// Capability header: ID byte 0, next pointer byte 1 (PCI §6.7).
constexpr bitfield CAP_ID{0, 8}, CAP_NEXT{8, 8};
}  // namespace

bool dsa_sw_caps::int_handles() const {
  return cmd_cap && (cmdcap >> idxd::cmd_request_int_handle & 1);
}

uint16_t dsa_mmio::find_cap(uint8_t id) {
  uint16_t p = uint16_t(k_.pci_read_config(dev_, pcie::cfgreg::CAP_PTR, 1) & 0xFC);
  for (unsigned guard = 0; p && guard < 48; ++guard) {
    const uint32_t h = k_.pci_read_config(dev_, p, 2);
    if (CAP_ID.get(h) == id) return p;
    p = uint16_t(CAP_NEXT.get(h) & 0xFC);
  }
  return 0;
}

const dsa_sw_caps& dsa_mmio::read_caps() {
  bar0_ = k_.bar_address(dev_, 0);
  bar2_ = k_.bar_address(dev_, 2);
  dsa_sw_caps c;
  const uint64_t gen = k_.readq(bar0_ + reg::GENCAP);
  const uint64_t wq = k_.readq(bar0_ + reg::WQCAP);
  const uint64_t grp = k_.readq(bar0_ + reg::GRPCAP);
  const uint64_t eng = k_.readq(bar0_ + reg::ENGCAP);
  const uint64_t off = k_.readq(bar0_ + reg::OFFSETS);
  c.num_wqs = unsigned(idxd::wqcap::NUM_WQS.get(wq));
  c.total_wq_size = unsigned(idxd::wqcap::TOTAL_WQ_SIZE.get(wq));
  c.num_groups = unsigned(idxd::grpcap::NUM_GROUPS.get(grp));
  c.num_engines = unsigned(idxd::engcap::NUM_ENGINES.get(eng));
  c.max_xfer_shift = unsigned(idxd::gencap::MAX_XFER_SHIFT.get(gen));
  c.max_batch_shift = unsigned(idxd::gencap::MAX_BATCH_SHIFT.get(gen));
  c.ims_entries = unsigned(idxd::gencap::MAX_IMS_MULT.get(gen)) * 256;
  c.cmd_cap = idxd::gencap::CMD_CAP.test(gen);
  if (c.cmd_cap) c.cmdcap = k_.readl(bar0_ + reg::CMDCAP);
  c.grpcfg = uint32_t(idxd::offsets::GRPCFG.get(off)) * idxd::table_mult;
  c.wqcfg = uint32_t(idxd::offsets::WQCFG.get(off)) * idxd::table_mult;
  c.msix_perm = uint32_t(idxd::offsets::MSIX_PERM.get(off)) * idxd::table_mult;
  c.ims = uint32_t(idxd::offsets::IMS.get(off)) * idxd::table_mult;
  if (uint16_t cap = find_cap(pcie::cfgreg::CAP_ID_MSIX))
    c.msix_entries = unsigned(MSIX_TABLE_SIZE.get(k_.pci_read_config(dev_, uint16_t(cap + 2), 2))) + 1;
  caps_ = c;
  ims_ctrl_.assign(c.ims_entries, idxd::ims_entry::CTRL_MASK.set(0, 1));
  return caps_;
}

cmd_result dsa_mmio::exec(uint8_t cmd, uint32_t operand) {
  // One command at a time (Linux idxd->cmd_lock + IDXD_FLAG_CMD_RUNNING): a second task waits.
  for (unsigned i = 0; cmd_busy_ && i < max_polls; ++i) k_.spend(poll_ns);
  cmd_busy_ = true;
  const cmd_result r = exec_locked(cmd, operand);
  cmd_busy_ = false;
  return r;
}

cmd_result dsa_mmio::exec_locked(uint8_t cmd, uint32_t operand) {
  uint64_t v = idxd::cmd_reg::OPERAND.set(0, operand);
  v = idxd::cmd_reg::CMD.set(v, cmd);
  k_.writel(bar0_ + reg::CMD, uint32_t(v));
  cmd_result r;
  for (unsigned i = 0; i < max_polls; ++i) {
    const uint32_t s = k_.readl(bar0_ + reg::CMDSTS);
    if (!idxd::cmdsts::ACTIVE.test(s)) {
      r.err = uint8_t(idxd::cmdsts::ERR.get(s));
      r.result = uint16_t(idxd::cmdsts::RESULT.get(s));
      if (r.err) k_.log->warn("idxd {}: command {} operand {:#x} failed, CMDSTS.err {:#x}",
                              dev_.str(), cmd, operand, r.err);
      return r;
    }
    k_.spend(poll_ns);
  }
  r.timeout = true;
  k_.log->error("idxd {}: command {} did not complete after {} polls", dev_.str(), cmd, max_polls);
  return r;
}

void dsa_mmio::write_group(unsigned g, uint64_t wqs, uint64_t engines) {
  const uint64_t b = bar0_ + caps_.grpcfg + uint64_t(g) * idxd::grpcfg_stride;
  k_.writeq(b + 0, wqs);
  k_.writeq(b + 32, engines);
}

void dsa_mmio::write_wqcfg(unsigned wq, unsigned size, unsigned priority, bool dedicated) {
  namespace w = idxd::wqcfg;
  const uint64_t b = bar0_ + caps_.wqcfg + uint64_t(wq) * idxd::wqcfg_stride;
  k_.writel(b + 4 * w::SIZE_DW, uint32_t(w::WQ_SIZE.set(0, size)));
  k_.writel(b + 4 * w::THRESH_DW, 0);
  k_.writel(b + 4 * w::MODE_DW, uint32_t(w::PRIORITY.set(w::MODE.set(0, dedicated), priority)));
  k_.writel(b + 4 * w::MAXSIZE_DW,
            uint32_t(w::MAX_BATCH_SHIFT.set(w::MAX_XFER_SHIFT.set(0, caps_.max_xfer_shift),
                                            caps_.max_batch_shift)));
}

void dsa_mmio::unmask_error_interrupts() {
  uint64_t g = idxd::genctrl::SOFTERR_INT_EN.set(0, 1);
  g = idxd::genctrl::HALT_INT_EN.set(g, 1);
  k_.writel(bar0_ + reg::GENCTRL, uint32_t(g));
}

std::optional<uint16_t> dsa_mmio::request_int_handle(unsigned index, bool ims) {
  const uint32_t op = uint32_t(idxd::int_handle_operand::IMS.set(
      idxd::int_handle_operand::INDEX.set(0, index), ims));
  const cmd_result r = exec(idxd::cmd_request_int_handle, op);
  if (!r.ok()) return std::nullopt;
  return r.result;
}

void dsa_mmio::release_int_handle(uint16_t handle, bool ims) {
  const uint32_t op = uint32_t(idxd::int_handle_operand::IMS.set(
      idxd::int_handle_operand::INDEX.set(0, handle), ims));
  exec(idxd::cmd_release_int_handle, op);
}

uint32_t dsa_mmio::ack_misc() {
  const uint32_t cause = k_.readl(bar0_ + reg::INTCAUSE);
  if (!cause) return 0;
  k_.writel(bar0_ + reg::INTCAUSE, cause);
  if (cause & idxd::intcause::ERR) {
    const uint64_t sw = k_.readq(bar0_ + reg::SWERR);
    k_.log->warn("idxd {}: software error {:#x} on WQ {}", dev_.str(),
                 idxd::swerr0::ERROR.get(sw), idxd::swerr0::WQ_IDX.get(sw));
    k_.writeq(bar0_ + reg::SWERR, sw & (idxd::swerr0::VALID.mask() | idxd::swerr0::OVERFLOW.mask()));
  }
  return cause;
}

void dsa_mmio::ims_write_msg(unsigned slot, const msi_msg& m) {
  namespace e = idxd::ims_entry;
  const uint64_t b = bar0_ + caps_.ims + uint64_t(slot) * e::bytes;
  k_.writel(b + 4 * e::ADDR_LO, uint32_t(m.address));
  k_.writel(b + 4 * e::ADDR_HI, uint32_t(m.address >> 32));
  k_.writel(b + 4 * e::DATA, m.data);
}

void dsa_mmio::ims_mask(unsigned slot, bool masked) {
  namespace e = idxd::ims_entry;
  if (slot >= ims_ctrl_.size()) return;
  ims_ctrl_[slot] = uint32_t(e::CTRL_MASK.set(ims_ctrl_[slot], masked));
  k_.writel(bar0_ + caps_.ims + uint64_t(slot) * e::bytes + 4 * e::CTRL, ims_ctrl_[slot]);
}

}  // namespace irqf::os::dsa
