// dsa_device: construction, BAR0/BAR2 decoding, register view, misc interrupt and SWERR.
#include "models/idxd/dsa_device.h"

#include <cassert>
#include <cstring>

#include "fabric/error.h"
#include "models/idxd/dsa_engine_rt.h"
#include "models/pcie/config_regs.h"

namespace irqf::idxd {
namespace {

dsa_layout layout_from(const param_values& p) {
  if (p.i("ims_entries") % 256 != 0)
    throw input_error("idxd.ims_entries: " + std::to_string(p.i("ims_entries")) +
                      " is not a multiple of 256 (GENCAP.max_ims_mult counts units of 256)");
  return make_layout(unsigned(p.i("wq_count")), unsigned(p.i("groups")), unsigned(p.i("engines")),
                     unsigned(p.i("msix_entries")), unsigned(p.i("ims_entries")));
}

/// gen_cap of the reference DSA 1.0 instance (see dsa_params.cpp [ACFG]); fields the parameters
/// govern are overwritten, the others (including bit 38, unnamed in Linux) are kept as reported.
constexpr uint64_t reference_gencap = 0x40915f0107ull;
/// Operations this model executes: noop, batch, drain, memmove, fill, compare (bits 0..5). The
/// reference instance reports op_cap 0x1003f027d (it also has compval, dualcast, CRC/DIF, cflush).
constexpr uint64_t modelled_opcap = 0x3f;

dsa_caps caps_from(const param_values& p, const dsa_layout& l) {
  dsa_caps c;
  const bool ih = p.b("int_handle_support"), occ = p.b("occupancy_int_support");
  uint64_t g = gencap::CMD_CAP.set(reference_gencap, ih);
  g = gencap::MAX_XFER_SHIFT.set(g, uint64_t(p.i("max_xfer_shift")));
  g = gencap::MAX_BATCH_SHIFT.set(g, uint64_t(p.i("max_batch_shift")));
  c.gencap = gencap::MAX_IMS_MULT.set(g, l.ims_entries / 256);
  uint64_t w = wqcap::TOTAL_WQ_SIZE.set(0, uint64_t(p.i("total_wq_size")));
  w = wqcap::NUM_WQS.set(w, l.num_wqs);
  w = wqcap::SHARED_MODE.set(w, 1);
  w = wqcap::DEDICATED_MODE.set(w, 1);
  w = wqcap::WQ_ATS_SUPPORT.set(w, 1);
  w = wqcap::PRIORITY.set(w, 1);
  w = wqcap::OCCUPANCY.set(w, occ);
  c.wqcap = wqcap::OCCUPANCY_INT.set(w, occ);
  c.grpcap = grpcap::TOTAL_RDBUFS.set(grpcap::NUM_GROUPS.set(0, l.num_groups), 96);
  c.engcap = engcap::NUM_ENGINES.set(0, l.num_engines);
  c.opcap0 = modelled_opcap;
  c.cmdcap = ih ? 0x7FFEu : 0u;  // commands 1..14 (bit n = command n)
  return c;
}

}  // namespace

dsa_device::dsa_device(sc_core::sc_module_name nm, sim_context& ctx, const param_values& p)
    : pcie::pcie_function(nm, ctx, dsa_function_config(p, layout_from(p))),
      lay_(layout_from(p)),
      caps_(caps_from(p, lay_)),
      handles_(lay_.msix_entries + lay_.ims_entries),
      wqs_(lay_.num_wqs),
      rr_(lay_.num_groups, 0),
      overhead_(ns(p.r("descriptor_overhead_ns"))),
      bytes_per_ns_(p.r("engine_bytes_per_ns")),
      cmd_latency_(ns(p.r("cmd_latency_ns"))),
      int_handles_(p.b("int_handle_support")),
      occupancy_int_(p.b("occupancy_int_support")),
      functional_(p.b("functional_data")) {
  table_ = std::make_unique<reg_table>(make_dsa_reg_table(lay_, caps_, ri_));
  regs_ = std::make_unique<reg_file>(*table_);
  ims_ = std::make_unique<ims_table>(ctx, *this, device_name(), lay_.ims_entries,
                                     ims_masked_policy_from(p.s("ims_masked_policy")), track());
  for (unsigned e = 0; e < lay_.num_engines; ++e) {
    engines_.push_back(std::make_unique<engine_rt>());
    sc_core::sc_spawn_options o;
    o.spawn_method();
    o.set_sensitivity(&engines_.back()->ev);
    o.dont_initialize();
    sc_core::sc_spawn([this, e] { engine_fire(e); }, ("engine" + std::to_string(e)).c_str(), &o);
  }
  sc_core::sc_spawn_options o;
  o.spawn_method();
  o.set_sensitivity(&cmd_ev_);
  o.dont_initialize();
  sc_core::sc_spawn([this] { command_fire(); }, "cmd", &o);
}

dsa_device::~dsa_device() = default;

bool dsa_device::device_enabled() const {
  return gensts::STATE.get(regs_->get(ri_.GENSTS)) == gensts::ENABLED;
}

uint64_t dsa_device::reg(const std::string& name) const {
  auto i = table_->by_name(name);
  assert(i && "unknown DSA register");
  return regs_->get(*i);
}

unsigned dsa_device::wq_occupancy(unsigned wq) const {
  return wq < wqs_.size() ? unsigned(wqs_[wq].q.size()) : 0;
}

// ---- registers ------------------------------------------------------------------------------

uint64_t dsa_device::read_reg(size_t i) {
  if (i >= ri_.WQCFG0 && i < ri_.WQCFG0 + lay_.num_wqs * wqcfg_regs &&
      (i - ri_.WQCFG0) % wqcfg_regs == wqcfg::STATE_DW) {
    const unsigned n = unsigned((i - ri_.WQCFG0) / wqcfg_regs);
    uint64_t v = wqcfg::OCCUPANCY.set(regs_->get(i), wqs_[n].q.size());
    regs_->set(i, v);
  }
  return regs_->get(i);
}

void dsa_device::write_reg(size_t i, uint64_t v) {
  const bool dev_on = device_enabled();
  if (i == ri_.CMD) {
    regs_->write(i, v);
    start_command(uint32_t(v));
    return;
  }
  if (i == ri_.GENCFG && dev_on) return;  // configuration is locked while enabled
  if (i >= ri_.GRPCFG0 && i < ri_.GRPCFG0 + lay_.num_groups * grpcfg_regs && dev_on) return;
  if (i >= ri_.WQCFG0 && i < ri_.WQCFG0 + lay_.num_wqs * wqcfg_regs) {
    const unsigned n = unsigned((i - ri_.WQCFG0) / wqcfg_regs);
    const unsigned dw = unsigned((i - ri_.WQCFG0) % wqcfg_regs);
    // An enabled WQ keeps its configuration; the occupancy-interrupt dwords stay writable.
    if (wqs_[n].enabled && dw != wqcfg::STATE_DW && dw != wqcfg::OCC_LIMIT_DW &&
        dw != wqcfg::OCC_INTH_DW)
      return;
  }
  regs_->write(i, v);
}

uint64_t dsa_device::bar_read(int bar, uint64_t off, unsigned len) {
  if (bar != 0) return 0;  // portals read as zero
  if (off >= lay_.ims && off < lay_.ims + uint64_t(lay_.ims_entries) * ims_entry::bytes)
    return ims_->mmio_read(off - lay_.ims, len);
  return table_->read_bytes(uint32_t(off), len, [&](size_t i) { return read_reg(i); });
}

void dsa_device::bar_write(int bar, uint64_t off, uint64_t val, unsigned len) {
  if (bar == 2) {
    if (!warned_portal_) log->warn("portal write of {} bytes at BAR2+{:#x} ignored (64 needed)", len, off);
    warned_portal_ = true;
    return;
  }
  if (bar != 0) return;
  if (off >= lay_.ims && off < lay_.ims + uint64_t(lay_.ims_entries) * ims_entry::bytes) {
    ims_->mmio_write(off - lay_.ims, val, len);
    return;
  }
  table_->write_bytes(uint32_t(off), len, val, [&](size_t i, uint64_t m, uint64_t part) {
    // Bytes not written keep their value, except write-1-to-clear bits, written as 0.
    write_reg(i, (regs_->get(i) & ~m & ~(*table_)[i].w1c) | part);
  });
}

bool dsa_device::bar_write_block(int bar, uint64_t off, const uint8_t* src, unsigned len) {
  if (bar != 2) return pcie::pcie_function::bar_write_block(bar, off, src, len);
  if (len != descriptor_size) {
    bar_write(2, off, 0, len);
    return true;
  }
  const unsigned wq = unsigned(off / (portals_per_wq * portal_page));
  const unsigned page = unsigned(off / portal_page) % portals_per_wq;
  portal_kind k;
  k.limited = page & 1;
  k.ims = page & 2;
  return submit(wq, dsa_descriptor::decode(src), k) != submit_status::retry;
}

// ---- register_view --------------------------------------------------------------------------

std::vector<std::string> dsa_device::device_register_names() const {
  std::vector<std::string> n;
  n.reserve(table_->size() + lay_.ims_entries * 4);
  for (auto& d : table_->defs()) n.push_back(d.name);
  static constexpr const char* f[4] = {"ADDR_LO", "ADDR_HI", "DATA", "CTRL"};
  for (unsigned i = 0; i < lay_.ims_entries; ++i)
    for (unsigned w = 0; w < 4; ++w) n.push_back("IMS[" + std::to_string(i) + "]." + f[w]);
  return n;
}

namespace {
/// Parses "IMS[<i>].<FIELD>" into entry and dword; false when `name` is not of that form.
bool parse_ims(std::string_view name, unsigned& i, unsigned& w) {
  if (name.substr(0, 4) != "IMS[") return false;
  size_t close = name.find("].");
  if (close == std::string_view::npos || close <= 4) return false;
  i = 0;
  for (size_t k = 4; k < close; ++k) {
    if (name[k] < '0' || name[k] > '9') return false;
    i = i * 10 + unsigned(name[k] - '0');
  }
  std::string_view f = name.substr(close + 2);
  static constexpr std::string_view fs[4] = {"ADDR_LO", "ADDR_HI", "DATA", "CTRL"};
  for (w = 0; w < 4; ++w)
    if (f == fs[w]) return true;
  return false;
}
}  // namespace

std::optional<uint64_t> dsa_device::device_register_read(std::string_view name) {
  unsigned i, w;
  if (parse_ims(name, i, w)) {
    if (i >= lay_.ims_entries) return std::nullopt;
    return ims_->word(i, w);
  }
  if (auto r = table_->by_name(name)) return read_reg(*r);
  return std::nullopt;
}

bool dsa_device::device_register_write(std::string_view name, uint64_t value) {
  unsigned i, w;
  if (parse_ims(name, i, w)) {
    if (i >= lay_.ims_entries) return false;
    ims_->write_word(i, w, uint32_t(value));
    return true;
  }
  if (auto r = table_->by_name(name)) {
    write_reg(*r, value);
    return true;
  }
  return false;
}

// ---- misc interrupt, software errors ----------------------------------------------------------

void dsa_device::raise_misc(uint32_t cause) {
  regs_->set(ri_.INTCAUSE, regs_->get(ri_.INTCAUSE) | cause);
  message_store* s = msix();
  const uint64_t now = now_ps();
  const event_id ev = ctx.led.raise(s->source(0), now);
  if (ctx.trace.on()) {
    const event_id one[1] = {ev};
    ctx.trace.instant(track(), stage::raise, now, one, {{"msix", 0}, {"intcause", cause}});
  }
  ++stats_.misc_interrupts;
  s->event(0, ev);
}

void dsa_device::swerr(uint8_t error, const work_item* it, uint32_t invalid_flags) {
  ++stats_.swerrs;
  uint64_t v = regs_->get(ri_.SWERR0);
  if (swerr0::VALID.test(v)) {
    regs_->set(ri_.SWERR0, swerr0::OVERFLOW.set(v, 1));
  } else {
    v = swerr0::VALID.set(0, 1);
    v = swerr0::ERROR.set(v, error);
    if (it) {
      v = swerr0::DESC_VALID.set(v, 1);
      v = swerr0::WQ_IDX_VALID.set(v, 1);
      v = swerr0::BATCH.set(v, it->in_batch);
      v = swerr0::PRIV.set(v, it->d.priv);
      v = swerr0::WQ_IDX.set(v, it->wq);
      v = swerr0::OPERATION.set(v, it->d.opcode);
      v = swerr0::PASID.set(v, it->pasid);
    }
    regs_->set(ri_.SWERR0, v);
    regs_->set(ri_.SWERR0 + 1, swerr1::INVALID_FLAGS.set(0, invalid_flags));
  }
  log->info("software error {:#x}", error);
  if (genctrl::SOFTERR_INT_EN.test(regs_->get(ri_.GENCTRL))) raise_misc(intcause::ERR);
}

unsigned dsa_device::revoke_int_handles() {
  const unsigned n = handles_.revoke_all();
  if (n) raise_misc(intcause::INT_HANDLE_REVOKED);
  return n;
}

bool dsa_device::revoke_int_handle(uint16_t h) {
  if (!handles_.revoke(h)) return false;
  raise_misc(intcause::INT_HANDLE_REVOKED);
  return true;
}

source_id dsa_device::handle_source(uint16_t h) {
  // Error path only: a handle that names no entry gets a device-level source.
  return ctx.led.add_source(device_name() + "/handle/" + std::to_string(h));
}

}  // namespace irqf::idxd
