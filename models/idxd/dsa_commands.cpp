// dsa_device: the command interface (CMD / CMDSTS; Linux drivers/dma/idxd/device.c idxd_cmd_exec
// and the idxd_cmd / idxd_cmdsts_err enums of registers.h).
//
// A CMD write sets CMDSTS.active; after cmd_latency_ns the command executes. Commands that must
// wait for work to finish (disable/drain/abort of WQs or the device) complete when the WQs they
// name are empty and no engine holds their descriptors. On completion CMDSTS gets err and result,
// active clears and, when the CMD write had int_req (bit 31), INTCAUSE.CMD raises the misc vector.
// A CMD write while a command is active is ignored (software must poll CMDSTS.active first).
#include <algorithm>

#include "models/idxd/dsa_device.h"
#include "models/idxd/dsa_engine_rt.h"
#include "models/pcie/config_regs.h"

namespace irqf::idxd {

void dsa_device::start_command(uint32_t v) {
  if (cmd_active_) {
    log->warn("CMD {:#x} written while a command is active: ignored", v);
    return;
  }
  cmd_active_ = true;
  cmd_waiting_ = false;
  cmd_value_ = v;
  regs_->set(ri_.CMDSTS, cmdsts::ACTIVE.set(0, 1));
  cmd_ev_.notify(cmd_latency_);
}

void dsa_device::command_fire() {
  cmd_err_ = cmd_err::SUCCESS;
  cmd_result_ = 0;
  cmd_wait_.clear();
  cmd_after_ = 0;
  execute_command(uint8_t(cmd_reg::CMD.get(cmd_value_)), uint32_t(cmd_reg::OPERAND.get(cmd_value_)));
  cmd_waiting_ = true;
  command_done_check();
}

bool dsa_device::wq_quiet(unsigned wq) const { return wqs_[wq].q.empty() && wqs_[wq].inflight == 0; }

void dsa_device::command_done_check() {
  if (!cmd_waiting_) return;
  for (unsigned w : cmd_wait_)
    if (!wq_quiet(w)) return;
  cmd_waiting_ = false;
  finish_command();
}

void dsa_device::finish_command() {
  // Follow-ups that take effect once the named WQs are quiet.
  if (cmd_after_ == cmd_disable_device || cmd_after_ == cmd_reset_device) {
    for (unsigned w = 0; w < wqs_.size(); ++w) {
      wqs_[w].enabled = false;
      const size_t si = wqcfg_index(w, wqcfg::STATE_DW);
      regs_->set(si, wqcfg::WQ_STATE.set(regs_->get(si), wqcfg::STATE_DISABLED));
    }
    regs_->set(ri_.GENSTS, gensts::STATE.set(regs_->get(ri_.GENSTS), gensts::DISABLED));
  } else if (cmd_after_ == cmd_disable_wq || cmd_after_ == cmd_reset_wq) {
    for (unsigned w : cmd_wait_) {
      const size_t si = wqcfg_index(w, wqcfg::STATE_DW);
      regs_->set(si, wqcfg::WQ_STATE.set(regs_->get(si), wqcfg::STATE_DISABLED));
      if (cmd_after_ == cmd_reset_wq)
        for (unsigned dw = 0; dw < wqcfg_regs; ++dw)
          regs_->set(wqcfg_index(w, dw), (*table_)[wqcfg_index(w, dw)].reset);
    }
  }
  uint64_t sts = cmdsts::ERR.set(0, cmd_err_);
  regs_->set(ri_.CMDSTS, cmdsts::RESULT.set(sts, cmd_result_));
  cmd_active_ = false;
  if (cmd_reg::INT_REQ.test(cmd_value_)) raise_misc(intcause::CMD);
}

bool dsa_device::wq_mask(uint32_t operand, std::vector<unsigned>& out) const {
  const unsigned bank = unsigned(wq_mask_operand::BANK.get(operand));
  const uint64_t mask = wq_mask_operand::MASK.get(operand);
  for (unsigned b = 0; b < 16; ++b)
    if (mask >> b & 1) {
      const unsigned w = bank * 16 + b;
      if (w >= wqs_.size()) return false;
      out.push_back(w);
    }
  return true;
}

void dsa_device::abort_wq(unsigned wq, std::optional<uint32_t> pasid) {
  auto& q = wqs_[wq].q;
  if (pasid)
    q.erase(std::remove_if(q.begin(), q.end(), [&](const work_item& it) { return it.pasid == *pasid; }),
            q.end());
  else
    q.clear();
  for (auto& e : engines_)
    if (e->busy && e->cur.wq == wq && (!pasid || e->cur.pasid == *pasid)) e->aborted = true;
}

uint8_t dsa_device::enable_device() {
  if (device_enabled()) return cmd_err::DEV_ENABLED;
  if (!pcie::cfgreg::CMD_BUS_MASTER.test(config_regs().raw(pcie::cfgreg::COMMAND, 2)))
    return cmd_err::BUSMASTER_EN;
  uint64_t total = 0;
  for (unsigned w = 0; w < wqs_.size(); ++w)
    total += wqcfg::WQ_SIZE.get(regs_->get(wqcfg_index(w, wqcfg::SIZE_DW)));
  if (total > wqcap::TOTAL_WQ_SIZE.get(caps_.wqcap)) return cmd_err::WQ_SIZE_ERANGE;
  // Every engine and every WQ belongs to at most one group (Linux IDXD_CMDSTS_ERR_GRP_CONFIG).
  std::vector<int> eng(engines_.size(), -1), wq(wqs_.size(), -1);
  for (unsigned g = 0; g < lay_.num_groups; ++g) {
    const uint64_t em = regs_->get(grpcfg_index(g, 4));
    for (unsigned e = 0; e < engines_.size() && e < 64; ++e)
      if (em >> e & 1) {
        if (eng[e] >= 0) return cmd_err::GRP_CONFIG;
        eng[e] = int(g);
      }
    for (unsigned w = 0; w < wqs_.size(); ++w)
      if (regs_->get(grpcfg_index(g, w / 64)) >> (w % 64) & 1) {
        if (wq[w] >= 0) return cmd_err::GRP_CONFIG;
        wq[w] = int(g);
      }
  }
  for (unsigned e = 0; e < engines_.size(); ++e) engines_[e]->group = eng[e];
  for (unsigned w = 0; w < wqs_.size(); ++w) wqs_[w].group = wq[w];
  regs_->set(ri_.GENSTS, gensts::STATE.set(regs_->get(ri_.GENSTS), gensts::ENABLED));
  return cmd_err::SUCCESS;
}

uint8_t dsa_device::enable_wq(unsigned w) {
  if (w >= wqs_.size()) return cmd_err::INVAL_WQIDX;
  if (!device_enabled()) return cmd_err::DEV_NOTEN;
  wq_rt& r = wqs_[w];
  if (r.enabled) return cmd_err::WQ_ENABLED;
  const uint64_t size = regs_->get(wqcfg_index(w, wqcfg::SIZE_DW));
  const uint64_t mode = regs_->get(wqcfg_index(w, wqcfg::MODE_DW));
  const uint64_t maxs = regs_->get(wqcfg_index(w, wqcfg::MAXSIZE_DW));
  if (wqcfg::WQ_SIZE.get(size) == 0) return cmd_err::WQ_SIZE;
  if (wqcfg::MAX_BATCH_SHIFT.get(maxs) > gencap::MAX_BATCH_SHIFT.get(caps_.gencap)) return cmd_err::MAX_BATCH_SIZE;
  if (wqcfg::MAX_XFER_SHIFT.get(maxs) > gencap::MAX_XFER_SHIFT.get(caps_.gencap)) return cmd_err::MAX_XFER_SIZE;
  r.enabled = true;
  r.dedicated = wqcfg::MODE.test(mode);
  r.size = unsigned(wqcfg::WQ_SIZE.get(size));
  r.thresh = unsigned(wqcfg::WQ_THRESH.get(regs_->get(wqcfg_index(w, wqcfg::THRESH_DW))));
  r.priority = unsigned(wqcfg::PRIORITY.get(mode));
  r.pasid = uint32_t(wqcfg::PASID.get(mode));
  r.max_xfer_shift = unsigned(wqcfg::MAX_XFER_SHIFT.get(maxs));
  r.max_batch_shift = unsigned(wqcfg::MAX_BATCH_SHIFT.get(maxs));
  const size_t si = wqcfg_index(w, wqcfg::STATE_DW);
  regs_->set(si, wqcfg::WQ_STATE.set(regs_->get(si), wqcfg::STATE_ENABLED));
  return cmd_err::SUCCESS;
}

void dsa_device::reset_config() {
  // Registers software configures return to their reset values; capabilities stay.
  const size_t keep[] = {ri_.VERSION, ri_.GENCAP, ri_.WQCAP, ri_.GRPCAP, ri_.ENGCAP, ri_.OPCAP0,
                         ri_.OFFSETS, ri_.OFFSETS_HI, ri_.CMDCAP, ri_.CMD, ri_.CMDSTS};
  for (size_t i = 0; i < table_->size(); ++i)
    if (std::find(std::begin(keep), std::end(keep), i) == std::end(keep))
      regs_->set(i, (*table_)[i].reset);
  for (auto& e : engines_) e->group = -1;
  for (auto& w : wqs_) {
    w.enabled = false;
    w.group = -1;
  }
  handles_.revoke_all();  // handles do not survive a device reset
}

void dsa_device::execute_command(uint8_t cmd, uint32_t operand) {
  const unsigned n = unsigned(wqs_.size());
  auto all = [&] {
    for (unsigned w = 0; w < n; ++w) cmd_wait_.push_back(w);
  };
  switch (cmd) {
    case cmd_enable_device:
      cmd_err_ = enable_device();
      return;
    case cmd_disable_device:
      if (!device_enabled()) {
        cmd_err_ = cmd_err::DIS_DEV_EN;
        return;
      }
      for (auto& w : wqs_) w.enabled = false;  // stop accepting; queued work drains
      all();
      cmd_after_ = cmd_disable_device;
      return;
    case cmd_drain_all:
    case cmd_drain_pasid:  // modelled as a drain of every WQ (superset of the PASID's work)
      all();
      return;
    case cmd_abort_all:
    case cmd_abort_pasid:
      for (unsigned w = 0; w < n; ++w)
        abort_wq(w, cmd == cmd_abort_pasid ? std::optional<uint32_t>(operand) : std::nullopt);
      all();
      return;
    case cmd_reset_device:
      for (unsigned w = 0; w < n; ++w) abort_wq(w);
      reset_config();
      cmd_after_ = cmd_reset_device;
      return;
    case cmd_enable_wq:
      cmd_err_ = enable_wq(operand);
      return;
    case cmd_disable_wq:
    case cmd_drain_wq:
    case cmd_abort_wq:
    case cmd_reset_wq: {
      std::vector<unsigned> ws;
      if (!wq_mask(operand, ws)) {
        cmd_err_ = cmd_err::INVAL_WQIDX;
        return;
      }
      if (!device_enabled() && cmd != cmd_reset_wq) {
        cmd_err_ = cmd_err::DEV_NOT_EN;
        return;
      }
      for (unsigned w : ws) {
        if (cmd == cmd_abort_wq || cmd == cmd_reset_wq) abort_wq(w);
        if (cmd != cmd_drain_wq && cmd != cmd_abort_wq) wqs_[w].enabled = false;
      }
      cmd_wait_ = ws;
      if (cmd == cmd_disable_wq || cmd == cmd_reset_wq) cmd_after_ = cmd;
      return;
    }
    case cmd_request_int_handle: {
      if (!int_handles_) {
        cmd_err_ = cmd_err::INVAL_CMD;
        return;
      }
      const bool ims = int_handle_operand::IMS.test(operand);
      const uint16_t idx = uint16_t(int_handle_operand::INDEX.get(operand));
      const unsigned size = ims ? ims_->vectors() : msix()->vectors();
      if (idx >= size) {
        cmd_err_ = cmd_err::INVAL_INT_IDX;
        return;
      }
      auto h = handles_.request(ims ? int_table::ims : int_table::msix, idx);
      if (!h) {
        cmd_err_ = cmd_err::NO_HANDLE;
        return;
      }
      cmd_result_ = *h;
      return;
    }
    case cmd_release_int_handle: {
      if (!int_handles_) {
        cmd_err_ = cmd_err::INVAL_CMD;
        return;
      }
      const bool ims = int_handle_operand::IMS.test(operand);
      if (!handles_.release(uint16_t(int_handle_operand::INDEX.get(operand)),
                            ims ? int_table::ims : int_table::msix))
        cmd_err_ = cmd_err::INVAL_INT_IDX;
      return;
    }
    default:
      cmd_err_ = cmd_err::INVAL_CMD;
      return;
  }
}

}  // namespace irqf::idxd
