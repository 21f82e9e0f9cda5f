#include "models/pcie/function.h"

#include <cassert>
#include <charconv>
#include <cstring>

#include "fabric/error.h"
#include "models/pcie/config_regs.h"
#include "models/pcie/topology.h"

namespace irqf::pcie {

using namespace cfgreg;

namespace {

reg_def reg(std::string name, uint16_t off, uint8_t size, uint64_t reset, uint64_t writable,
            std::string desc, uint64_t w1c = 0, std::vector<reg_field_def> fields = {}) {
  return reg_def{std::move(name), off, size, reset, writable, w1c, std::move(desc), std::move(fields)};
}

std::string basename_of(const char* path) {
  std::string s(path);
  auto p = s.rfind('.');
  return p == std::string::npos ? s : s.substr(p + 1);
}

bool parse_index(std::string_view s, unsigned& out) {
  auto r = std::from_chars(s.data(), s.data() + s.size(), out);
  return r.ec == std::errc() && r.ptr == s.data() + s.size();
}

}  // namespace

param_spec msix_disabled_policy_param() {
  return param_spec::choice(
      "msix_disabled_policy", "drop", {"drop", "latch", "intx"},
      "MSI-X event while Enable=0: drop (AMD QDMA pg302 'MSIX Interrupt Options'), latch in the PBA "
      "(QEMU hw/pci/msix.c) or fall back to INTx (PCIe §6.1.4.3)");
}

msix_disabled_policy msix_disabled_policy_from(const std::string& s) {
  if (s == "latch") return msix_disabled_policy::latch;
  if (s == "intx") return msix_disabled_policy::intx;
  assert(s == "drop");
  return msix_disabled_policy::drop;
}

pcie_function::pcie_function(sc_core::sc_module_name nm, sim_context& c, const function_config& fc)
    : component(nm, c), cfg("cfg"), upstream("upstream"), cfg_(fc), bar_sockets_("bar") {
  dev_name_ = cfg_.device_name.empty() ? basename_of(name()) : cfg_.device_name;
  cfg.register_b_transport(this, &pcie_function::cfg_b_transport);
  track_ = ctx.trace.add_track("device", name());

  // ---- common header ----
  const bool t1 = cfg_.bridge;
  cs_.declare(reg("VENDOR_ID", VENDOR_ID, 2, cfg_.vendor_id, 0, "Vendor ID"));
  cs_.declare(reg("DEVICE_ID", DEVICE_ID, 2, cfg_.device_id, 0, "Device ID"));
  cs_.declare(reg("COMMAND", COMMAND, 2, 0,
                  CMD_IO_SPACE.mask() | CMD_MEMORY_SPACE.mask() | CMD_BUS_MASTER.mask() |
                      CMD_PARITY_ERROR_RESPONSE.mask() | CMD_SERR_ENABLE.mask() | CMD_INTX_DISABLE.mask(),
                  "Command (§7.5.1.1.3)", 0,
                  {{"MEMORY_SPACE", CMD_MEMORY_SPACE, "decode BAR memory"},
                   {"BUS_MASTER", CMD_BUS_MASTER, "may issue DMA and MSI"},
                   {"INTX_DISABLE", CMD_INTX_DISABLE, "no Assert_INTx"}}));
  cs_.declare(reg("STATUS", STATUS, 2, STS_CAP_LIST.mask(), 0, "Status (§7.5.1.1.4)", STS_ERROR_W1C,
                  {{"INTERRUPT_STATUS", STS_INTERRUPT_STATUS, "INTx condition pending"},
                   {"CAP_LIST", STS_CAP_LIST, "capability list present"}}));
  cs_.declare(reg("REVISION_ID", REVISION_ID, 1, cfg_.revision, 0, "Revision ID"));
  cs_.declare(reg("PROG_IF", PROG_IF, 1, cfg_.class_code & 0xFF, 0, "Class Code: programming interface"));
  cs_.declare(reg("SUBCLASS", SUBCLASS, 1, (cfg_.class_code >> 8) & 0xFF, 0, "Class Code: sub-class"));
  cs_.declare(reg("BASE_CLASS", BASE_CLASS, 1, (cfg_.class_code >> 16) & 0xFF, 0, "Class Code: base class"));
  cs_.declare(reg("CACHE_LINE_SIZE", CACHE_LINE_SIZE, 1, 0, 0xFF, "Cache Line Size"));
  cs_.declare(reg("LATENCY_TIMER", LATENCY_TIMER, 1, 0, 0, "Latency Timer (0 in PCIe)"));
  cs_.declare(reg("HEADER_TYPE", HEADER_TYPE, 1, t1 ? 1 : 0, 0, "Header Type: 0 endpoint, 1 bridge"));
  cs_.declare(reg("BIST", BIST, 1, 0, 0, "BIST: reads 0, not BIST capable (BIST Capable, bit 7, clear; PCIe Base §7.5.1.1, BIST Register)"));
  const unsigned nbar = t1 ? 2 : 6;
  for (unsigned b = 0; b < nbar; ++b)
    cs_.declare(reg("BAR" + std::to_string(b), uint16_t(BAR0 + 4 * b), 4, 0, 0, "Base Address Register"));
  if (!t1) {
    cs_.declare(reg("SUBSYSTEM_VENDOR_ID", SUBSYSTEM_VENDOR_ID, 2, cfg_.subsystem_vendor_id, 0, "Subsystem Vendor ID"));
    cs_.declare(reg("SUBSYSTEM_ID", SUBSYSTEM_ID, 2, cfg_.subsystem_id, 0, "Subsystem ID"));
    cs_.declare(reg("EXPANSION_ROM", EXPANSION_ROM, 4, 0, 0, "Expansion ROM BAR (none)"));
  } else {
    cs_.declare(reg("PRIMARY_BUS", PRIMARY_BUS, 1, 0, 0xFF, "Primary Bus Number"));
    cs_.declare(reg("SECONDARY_BUS", SECONDARY_BUS, 1, 0, 0xFF, "Secondary Bus Number"));
    cs_.declare(reg("SUBORDINATE_BUS", SUBORDINATE_BUS, 1, 0, 0xFF, "Subordinate Bus Number"));
    cs_.declare(reg("SECONDARY_LATENCY", SECONDARY_LATENCY, 1, 0, 0, "Secondary Latency Timer"));
    cs_.declare(reg("IO_BASE", IO_BASE, 1, 0, 0, "I/O Base (no I/O window)"));
    cs_.declare(reg("IO_LIMIT", IO_LIMIT, 1, 0, 0, "I/O Limit"));
    cs_.declare(reg("SECONDARY_STATUS", SECONDARY_STATUS, 2, 0, 0, "Secondary Status", STS_ERROR_W1C));
    cs_.declare(reg("MEMORY_BASE", MEMORY_BASE, 2, 0, 0xFFF0, "Memory Base [31:20]"));
    cs_.declare(reg("MEMORY_LIMIT", MEMORY_LIMIT, 2, 0, 0xFFF0, "Memory Limit [31:20]"));
    cs_.declare(reg("PREF_MEMORY_BASE", PREF_MEMORY_BASE, 2, 1, 0xFFF0, "Prefetchable Memory Base (64-bit)"));
    cs_.declare(reg("PREF_MEMORY_LIMIT", PREF_MEMORY_LIMIT, 2, 1, 0xFFF0, "Prefetchable Memory Limit"));
    cs_.declare(reg("PREF_BASE_UPPER", PREF_BASE_UPPER, 4, 0, 0xFFFFFFFF, "Prefetchable Base Upper 32 bits"));
    cs_.declare(reg("PREF_LIMIT_UPPER", PREF_LIMIT_UPPER, 4, 0, 0xFFFFFFFF, "Prefetchable Limit Upper 32 bits"));
    cs_.declare(reg("EXPANSION_ROM", BRIDGE_EXPANSION_ROM, 4, 0, 0, "Expansion ROM BAR (none)"));
    cs_.declare(reg("BRIDGE_CONTROL", BRIDGE_CONTROL, 2, 0, 0x0FFF, "Bridge Control"));
  }
  cs_.declare(reg("CAP_PTR", CAP_PTR, 1, PCIE_CAP, 0, "Capabilities Pointer"));
  cs_.declare(reg("INTERRUPT_LINE", INTERRUPT_LINE, 1, 0xFF, 0xFF, "Interrupt Line (software scratch)"));
  cs_.declare(reg("INTERRUPT_PIN", INTERRUPT_PIN, 1, cfg_.interrupt_pin, 0, "Interrupt Pin: 1..4 = INTA..INTD"));

  // ---- capabilities: PCI Express -> MSI -> MSI-X ----
  const uint16_t after_pcie = cfg_.msi ? MSI_CAP : cfg_.msix ? MSIX_CAP : 0;
  cs_.declare(reg("PCIE.CAP_HEADER", PCIE_CAP, 2, CAP_ID_PCIE | after_pcie << 8, 0, "PCI Express capability ID/next"));
  cs_.declare(reg("PCIE.CAPABILITIES", PCIE_CAP + 2, 2,
                  PCIE_DEVICE_PORT_TYPE.set(PCIE_CAP_VERSION.set(0, 2), uint8_t(cfg_.type)), 0,
                  "PCI Express Capabilities: version 2, device/port type"));
  cs_.declare(reg("PCIE.DEVICE_CAPABILITIES", PCIE_CAP + 4, 4, 0, 0, "Device Capabilities"));
  // Device Control (PCIe Base §7.5.3.4): Initiate Function Level Reset (bit 15) always reads 0 and
  // FLR is not modelled; Phantom Functions (9) and Aux Power PM (10) are not supported, so hardwired 0.
  cs_.declare(reg("PCIE.DEVICE_CONTROL", PCIE_CAP + 8, 2, 0x2810, 0x79FF, "Device Control"));
  cs_.declare(reg("PCIE.DEVICE_STATUS", PCIE_CAP + 0xA, 2, 0, 0, "Device Status", 0x000F));
  if (cfg_.msi) {
    msi_ = std::make_unique<msi_capability>(*this, *cfg_.msi, MSI_CAP);
    const uint16_t next = cfg_.msix ? MSIX_CAP : 0;
    const auto& m = *cfg_.msi;
    unsigned mmc = 0;
    while ((1u << mmc) < m.vectors) ++mmc;
    uint64_t ctl = msi_fields_ctl::MMC.set(0, mmc);
    ctl = msi_fields_ctl::ADDR64.set(ctl, m.is64);
    ctl = msi_fields_ctl::PVM.set(ctl, m.per_vector_mask);
    cs_.declare(reg("MSI.CAP_HEADER", MSI_CAP, 2, CAP_ID_MSI | next << 8, 0, "MSI capability ID/next"));
    cs_.declare(reg("MSI.MESSAGE_CONTROL", msi_->off_control(), 2, ctl,
                    msi_fields_ctl::ENABLE.mask() | msi_fields_ctl::MME.mask(), "MSI Message Control (§7.7.1.2)", 0,
                    {{"ENABLE", msi_fields_ctl::ENABLE, "MSI Enable"},
                     {"MMC", msi_fields_ctl::MMC, "Multiple Message Capable (log2)"},
                     {"MME", msi_fields_ctl::MME, "Multiple Message Enable (log2)"},
                     {"ADDR64", msi_fields_ctl::ADDR64, "64-bit address capable"},
                     {"PVM", msi_fields_ctl::PVM, "per-vector masking capable"}}));
    cs_.declare(reg("MSI.MESSAGE_ADDRESS", msi_->off_addr(), 4, 0, 0xFFFFFFFC, "Message Address [31:2]"));
    if (m.is64)
      cs_.declare(reg("MSI.MESSAGE_UPPER_ADDRESS", msi_->off_addr_hi(), 4, 0, 0xFFFFFFFF, "Message Upper Address"));
    cs_.declare(reg("MSI.MESSAGE_DATA", msi_->off_data(), 2, 0, 0xFFFF, "Message Data"));
    if (m.per_vector_mask) {
      const uint64_t vmask = m.vectors >= 32 ? 0xFFFFFFFFull : (1ull << m.vectors) - 1;
      cs_.declare(reg("MSI.MASK_BITS", msi_->off_mask(), 4, 0, vmask, "Mask Bits (one per vector)"));
      cs_.declare(reg("MSI.PENDING_BITS", msi_->off_pending(), 4, 0, 0, "Pending Bits (read-only)"));
    }
  }
  if (cfg_.msix) {
    const auto& x = *cfg_.msix;
    msix_ = std::make_unique<msix_capability>(*this, x, MSIX_CAP);
    using namespace msix_fields;
    cs_.declare(reg("MSIX.CAP_HEADER", MSIX_CAP, 2, CAP_ID_MSIX, 0, "MSI-X capability ID/next"));
    cs_.declare(reg("MSIX.MESSAGE_CONTROL", MSIX_CAP + 2, 2, CTRL_TABLE_SIZE.set(0, x.table_size - 1),
                    CTRL_FUNCTION_MASK.mask() | CTRL_ENABLE.mask(), "MSI-X Message Control (§7.7.2.2)", 0,
                    {{"TABLE_SIZE", CTRL_TABLE_SIZE, "entries - 1"},
                     {"FUNCTION_MASK", CTRL_FUNCTION_MASK, "mask every entry"},
                     {"ENABLE", CTRL_ENABLE, "MSI-X Enable"}}));
    cs_.declare(reg("MSIX.TABLE_OFFSET_BIR", MSIX_CAP + 4, 4, BIR.set(x.table_offset, x.table_bar), 0,
                    "Table Offset/Table BIR"));
    cs_.declare(reg("MSIX.PBA_OFFSET_BIR", MSIX_CAP + 8, 4, BIR.set(x.pba_offset, x.pba_bar), 0,
                    "PBA Offset/PBA BIR"));
  }
  cs_.finalize();

  // ---- BARs ----
  for (const bar_config& b : cfg_.bars) {
    assert(!t1 && b.index < 6 && (!b.is64 || b.index < 5));
    assert(b.size >= 16 && (b.size & (b.size - 1)) == 0);
    const uint16_t off = uint16_t(BAR0 + 4 * b.index);
    uint32_t lo = 0;
    lo = uint32_t(BAR_TYPE64.set(lo, b.is64));  // type field [2:1] = 10b for 64-bit
    lo = uint32_t(BAR_PREFETCHABLE.set(lo, b.prefetchable));
    cs_.set_raw(off, lo, 4);
    cs_.set_writable(off, uint32_t(~(b.size - 1)) & BAR_ADDR_MASK, 4);
    if (b.is64) cs_.set_writable(uint16_t(off + 4), uint32_t(~((b.size - 1) >> 32)), 4);
  }
  if (cfg_.msix) {
    assert(slot_of(cfg_.msix->table_bar) >= 0 && slot_of(cfg_.msix->pba_bar) >= 0);
  }
  bar_sockets_.init(cfg_.bars.size());
  for (size_t s = 0; s < cfg_.bars.size(); ++s)
    bar_sockets_[s].register_b_transport(this, &pcie_function::bar_b_transport, int(s));
}

pcie_function::~pcie_function() = default;

int pcie_function::slot_of(int bar) const {
  for (size_t s = 0; s < cfg_.bars.size(); ++s)
    if (cfg_.bars[s].index == bar) return int(s);
  return -1;
}

tlm::tlm_target_socket<>& pcie_function::mmio(int bar) {
  const int s = slot_of(bar);
  assert(s >= 0 && "no such BAR");
  return bar_sockets_[size_t(s)];
}

void pcie_function::assign_bar(int bar, uint64_t addr) {
  const int s = slot_of(bar);
  assert(s >= 0);
  const bar_config& b = cfg_.bars[size_t(s)];
  assert((addr & (b.size - 1)) == 0);
  const uint16_t off = uint16_t(BAR0 + 4 * b.index);
  config_write(off, uint32_t(addr), 4);
  if (b.is64) config_write(uint16_t(off + 4), uint32_t(addr >> 32), 4);
  const uint32_t cmd = cs_.raw(COMMAND, 2);
  config_write(COMMAND, uint32_t(CMD_BUS_MASTER.set(CMD_MEMORY_SPACE.set(cmd, 1), 1)), 2);
}

uint64_t pcie_function::bar_address(int bar) const {
  const int s = slot_of(bar);
  if (s < 0) return 0;
  const bar_config& b = cfg_.bars[size_t(s)];
  const uint16_t off = uint16_t(BAR0 + 4 * b.index);
  uint64_t a = cs_.raw(off, 4) & BAR_ADDR_MASK;
  if (b.is64) a |= uint64_t(cs_.raw(uint16_t(off + 4), 4)) << 32;
  return a;
}

// ---------------------------------------------------------------- config space

void pcie_function::cfg_b_transport(tlm::tlm_generic_payload& gp, sc_core::sc_time&) {
  const uint64_t off = gp.get_address();
  const unsigned len = gp.get_data_length();
  if (off + len > 4096 || (len != 1 && len != 2 && len != 4) || (off & (len - 1))) {
    gp.set_response_status(tlm::TLM_ADDRESS_ERROR_RESPONSE);
    return;
  }
  unsigned char* p = gp.get_data_ptr();
  if (gp.is_read()) {
    const uint32_t v = config_read(uint16_t(off), len);
    std::memcpy(p, &v, len);
  } else if (gp.is_write()) {
    uint32_t v = 0;
    std::memcpy(&v, p, len);
    config_write(uint16_t(off), v, len);
  }
  gp.set_response_status(tlm::TLM_OK_RESPONSE);
}

void pcie_function::config_write(uint16_t off, uint32_t v, unsigned len) {
  auto touches = [&](uint16_t reg, unsigned sz) { return off < reg + sz && reg < off + len; };
  const uint16_t old_cmd = uint16_t(cs_.raw(COMMAND, 2));
  uint16_t old_msi_ctl = 0, old_msix_ctl = 0;
  uint32_t old_msi_mask = 0;
  if (msi_) {
    old_msi_ctl = uint16_t(cs_.raw(msi_->off_control(), 2));
    if (msi_->config().per_vector_mask) old_msi_mask = cs_.raw(msi_->off_mask(), 4);
  }
  if (msix_) old_msix_ctl = uint16_t(cs_.raw(MSIX_CAP + 2, 2));

  cs_.write(off, v, len);

  if (msi_) {
    // MME may not exceed MMC (§7.7.1.2: software must not; hardware here clamps).
    uint32_t ctl = cs_.raw(msi_->off_control(), 2);
    if (msi_fields_ctl::MME.get(ctl) > msi_fields_ctl::MMC.get(ctl))
      cs_.set_raw(msi_->off_control(), uint32_t(msi_fields_ctl::MME.set(ctl, msi_fields_ctl::MMC.get(ctl))), 2);
    if (touches(msi_->off_control(), 2)) msi_->control_written(old_msi_ctl);
    if (msi_->config().per_vector_mask && touches(msi_->off_mask(), 4)) msi_->mask_written(old_msi_mask);
  }
  if (msix_ && touches(MSIX_CAP + 2, 2)) msix_->control_written(old_msix_ctl);
  if (touches(COMMAND, 2)) on_command_write(old_cmd);
  update_intx();
  config_written(off, len);
}

void pcie_function::on_command_write(uint16_t old_cmd) {
  const uint16_t cmd = uint16_t(cs_.raw(COMMAND, 2));
  if (CMD_INTX_DISABLE.get(old_cmd) != CMD_INTX_DISABLE.get(cmd))
    log->debug("INTx Disable {}", CMD_INTX_DISABLE.get(cmd));
}

// ---------------------------------------------------------------- BARs

void pcie_function::bar_b_transport(int slot, tlm::tlm_generic_payload& gp, sc_core::sc_time&) {
  const int bar = cfg_.bars[size_t(slot)].index;
  const uint64_t off = gp.get_address();
  const unsigned len = gp.get_data_length();
  unsigned char* p = gp.get_data_ptr();
  gp.set_response_status(tlm::TLM_OK_RESPONSE);
  if (off + len > cfg_.bars[size_t(slot)].size) {
    gp.set_response_status(tlm::TLM_ADDRESS_ERROR_RESPONSE);
    return;
  }
  if (!CMD_MEMORY_SPACE.test(cs_.raw(COMMAND, 2))) {
    // Memory Space Enable clear: the function does not claim the access (Unsupported Request):
    // reads return all ones, writes are discarded.
    if (gp.is_read()) std::memset(p, 0xFF, len);
    return;
  }
  const bool small = len == 1 || len == 2 || len == 4 || len == 8;
  if (gp.is_read()) {
    uint64_t v = 0;
    if (small && msix_ && msix_->bar_read(bar, off, len, v)) {
      std::memcpy(p, &v, len);
    } else if (small) {
      v = bar_read(bar, off, len);
      std::memcpy(p, &v, len);
    } else if (!bar_read_block(bar, off, p, len)) {
      gp.set_response_status(tlm::TLM_GENERIC_ERROR_RESPONSE);
    }
  } else if (gp.is_write()) {
    if (small) {
      uint64_t v = 0;
      std::memcpy(&v, p, len);
      if (!(msix_ && msix_->bar_write(bar, off, v, len))) bar_write(bar, off, v, len);
    } else if (!bar_write_block(bar, off, p, len)) {
      gp.set_response_status(tlm::TLM_GENERIC_ERROR_RESPONSE);
    }
  }
}

uint64_t pcie_function::bar_read(int, uint64_t, unsigned) { return 0; }
void pcie_function::bar_write(int, uint64_t, uint64_t, unsigned) {}

bool pcie_function::bar_read_block(int bar, uint64_t off, uint8_t* dst, unsigned len) {
  for (unsigned done = 0; done < len;) {
    unsigned n = len - done >= 8 ? 8 : len - done >= 4 ? 4 : len - done >= 2 ? 2 : 1;
    uint64_t v = 0;
    if (!(msix_ && msix_->bar_read(bar, off + done, n, v))) v = bar_read(bar, off + done, n);
    std::memcpy(dst + done, &v, n);
    done += n;
  }
  return true;
}

bool pcie_function::bar_write_block(int bar, uint64_t off, const uint8_t* src, unsigned len) {
  for (unsigned done = 0; done < len;) {
    unsigned n = len - done >= 8 ? 8 : len - done >= 4 ? 4 : len - done >= 2 ? 2 : 1;
    uint64_t v = 0;
    std::memcpy(&v, src + done, n);
    if (!(msix_ && msix_->bar_write(bar, off + done, v, n))) bar_write(bar, off + done, v, n);
    done += n;
  }
  return true;
}

// ---------------------------------------------------------------- upstream

void pcie_function::send_posted(tlm::tlm_generic_payload& gp) {
  // Posted writes are pipelined: each occupies the link for its size / bandwidth, then takes its
  // path latency (memory, remapping...). PCIe ordering (§2.4.1): a posted write never becomes
  // visible before an earlier one, so an interrupt message starts no earlier than the moment the
  // function's last DMA write became visible — the completion record is in memory before its MSI.
  const sc_core::sc_time now = sc_core::sc_time_stamp();
  const sc_core::sc_time start = std::max(now, link_free_);
  link_free_ = start + sc_core::sc_time(double(gp.get_data_length()) / cfg_.link_bytes_per_ns, sc_core::SC_NS);
  sc_core::sc_time delay = start - now;
  const requester_ext* x = gp.get_extension<requester_ext>();
  const bool is_msg = in_msi_window(gp.get_address()) || (x && !x->events.empty());
  if (is_msg && posted_done_ > now + delay) delay = posted_done_ - now;
  upstream->b_transport(gp, delay);
  if (!is_msg) dma_latency_ = now + delay - start;
  posted_done_ = std::max(posted_done_, now + delay);
  if (gp.get_response_status() != tlm::TLM_OK_RESPONSE)
    log->debug("upstream write to {:#x} answered {}", gp.get_address(), gp.get_response_string());
}

void pcie_function::dma_write(uint64_t addr, const void* data, unsigned len, std::optional<uint32_t> pasid) {
  if (!CMD_BUS_MASTER.test(cs_.raw(COMMAND, 2))) {
    if (!warned_bme_) log->warn("DMA write with Bus Master Enable clear: dropped");
    warned_bme_ = true;
    return;
  }
  const auto* src = static_cast<const unsigned char*>(data);
  while (len) {
    const unsigned n = len > 64 ? 64 : len;
    send_posted(uw_.dma(addr, src, n, id_.rid(), pasid));
    addr += n;
    src += n;
    len -= n;
  }
}

void pcie_function::dma_write_timing(unsigned len) {
  const sc_core::sc_time now = sc_core::sc_time_stamp();
  const sc_core::sc_time start = std::max(now, link_free_);
  link_free_ = start + sc_core::sc_time(double(len) / cfg_.link_bytes_per_ns, sc_core::SC_NS);
  // As dma_write: the data goes as <= 64-byte TLPs and each is visible one path latency after it
  // starts on the link; the last one starts one TLP before the link frees up.
  const unsigned last = len < 64 ? len : 64;
  const sc_core::sc_time last_start =
      link_free_ - sc_core::sc_time(double(last) / cfg_.link_bytes_per_ns, sc_core::SC_NS);
  posted_done_ = std::max(posted_done_, last_start + dma_latency_);
}

bool pcie_function::dma_read(uint64_t addr, void* dst, unsigned len, std::optional<uint32_t> pasid) {
  if (!CMD_BUS_MASTER.test(cs_.raw(COMMAND, 2))) return false;
  requester_ext ext;
  ext.requester_id = id_.rid();
  ext.has_pasid = pasid.has_value();
  ext.pasid = pasid.value_or(0);
  tlm::tlm_generic_payload gp;
  gp.set_command(tlm::TLM_READ_COMMAND);
  gp.set_address(addr);
  gp.set_data_ptr(static_cast<unsigned char*>(dst));
  gp.set_data_length(len);
  gp.set_streaming_width(len);
  gp.set_byte_enable_ptr(nullptr);
  gp.set_response_status(tlm::TLM_INCOMPLETE_RESPONSE);
  gp.set_extension(&ext);
  // A read completes after every earlier posted write of this function (§2.4.1 "read pushes writes").
  const sc_core::sc_time now = sc_core::sc_time_stamp();
  sc_core::sc_time delay = posted_done_ > now ? posted_done_ - now : sc_core::SC_ZERO_TIME;
  upstream->b_transport(gp, delay);
  gp.clear_extension(&ext);
  return gp.get_response_status() == tlm::TLM_OK_RESPONSE;
}

void pcie_function::send_message(const msi_msg& m, std::span<const event_id> events,
                                 std::optional<uint32_t> pasid) {
  if (!CMD_BUS_MASTER.test(cs_.raw(COMMAND, 2))) {
    if (!warned_bme_) log->warn("interrupt message with Bus Master Enable clear: dropped");
    warned_bme_ = true;
    ctx.led.settle_lost(events, loss_cause::msi_disabled, now_ps());
    if (ctx.trace.on()) ctx.trace.instant(track_, stage::drop, now_ps(), events, {{"bme", 0}});
    return;
  }
  if (ctx.trace.on())
    ctx.trace.instant(track_, stage::post, now_ps(), events,
                      {{"addr", int64_t(m.address)}, {"data", int64_t(m.data)}, {"rid", id_.rid()}});
  send_posted(uw_.msi(m, id_.rid(), events, pasid));
}

void pcie_function::send_raw(uint64_t addr, uint32_t data, uint16_t requester_id,
                             std::span<const event_id> events) {
  if (ctx.trace.on())
    ctx.trace.instant(track_, stage::post, now_ps(), events,
                      {{"addr", int64_t(addr)}, {"data", int64_t(data)}, {"rid", requester_id}});
  send_posted(uw_.msi({addr, data}, requester_id, events));
}

// ---------------------------------------------------------------- INTx

bool pcie_function::intx_usable() const {
  if (cfg_.interrupt_pin == 0) return false;
  if (CMD_INTX_DISABLE.test(cs_.raw(COMMAND, 2))) return false;
  if (msi_ && msi_->enabled()) return false;
  if (msix_ && msix_->enabled()) return false;
  return true;
}

void pcie_function::raise_intx(bool asserted, std::span<const event_id> events) {
  intx_cond_ = asserted;
  if (asserted) {
    intx_events_.insert(intx_events_.end(), events.begin(), events.end());
  } else {
    // Ids never signalled upstream: the condition went away before anyone could see it.
    if (!events.empty()) ctx.led.settle_lost(events, loss_cause::intx_deasserted, now_ps());
    if (!intx_events_.empty()) {
      ctx.led.settle_lost(as_span(intx_events_), loss_cause::intx_deasserted, now_ps());
      intx_events_.clear();
    }
  }
  update_intx();
}

void pcie_function::update_intx() {
  const uint32_t sts = cs_.raw(STATUS, 2);
  cs_.set_raw(STATUS, uint32_t(STS_INTERRUPT_STATUS.set(sts, intx_cond_)), 2);
  if (!intx_parent_ || cfg_.interrupt_pin == 0) return;
  const uint8_t pin = uint8_t(cfg_.interrupt_pin - 1);
  const bool want = intx_cond_ && intx_usable();
  if (want) {
    if (!intx_events_.empty()) {
      intx_parent_->intx_events(id_.dev, pin, as_span(intx_events_));
      intx_events_.clear();
    }
    if (!intx_sent_) {
      intx_sent_ = true;
      intx_parent_->intx_level(id_.dev, pin, true);
    }
  } else if (intx_sent_) {
    intx_sent_ = false;
    intx_parent_->intx_level(id_.dev, pin, false);
  }
}

// ---------------------------------------------------------------- register_view

std::vector<std::string> pcie_function::register_names() const {
  std::vector<std::string> n;
  for (const reg_def& d : cs_.table().defs()) n.push_back(d.name);
  if (msix_) {
    static constexpr const char* words[] = {"ADDR_LO", "ADDR_HI", "DATA", "VECTOR_CONTROL"};
    for (unsigned i = 0; i < msix_->vectors(); ++i)
      for (const char* w : words) n.push_back("MSIX[" + std::to_string(i) + "]." + w);
    for (unsigned q = 0; q < (msix_->vectors() + 63) / 64; ++q) n.push_back("MSIX.PBA[" + std::to_string(q) + "]");
  }
  for (auto& d : device_register_names()) n.push_back(d);
  return n;
}

namespace {
// "MSIX[12].DATA" -> (12, 2); "MSIX.PBA[1]" -> (1, 4).
bool parse_msix_name(std::string_view name, unsigned& idx, unsigned& word) {
  if (name.starts_with("MSIX.PBA[") && name.ends_with("]")) {
    word = 4;
    return parse_index(name.substr(9, name.size() - 10), idx);
  }
  if (!name.starts_with("MSIX[")) return false;
  const auto close = name.find("].");
  if (close == std::string_view::npos || !parse_index(name.substr(5, close - 5), idx)) return false;
  const std::string_view w = name.substr(close + 2);
  if (w == "ADDR_LO") word = 0;
  else if (w == "ADDR_HI") word = 1;
  else if (w == "DATA") word = 2;
  else if (w == "VECTOR_CONTROL") word = 3;
  else return false;
  return true;
}
}  // namespace

std::optional<uint64_t> pcie_function::read_register(std::string_view name) {
  if (auto v = cs_.read_named(name)) return v;
  unsigned idx = 0, word = 0;
  if (msix_ && parse_msix_name(name, idx, word)) {
    if (word == 4) {
      if (idx >= (msix_->vectors() + 63) / 64) return std::nullopt;
      return msix_->pba_qword(idx);
    }
    if (idx >= msix_->vectors()) return std::nullopt;
    return msix_->table_word(idx, word);
  }
  return device_register_read(name);
}

bool pcie_function::write_register(std::string_view name, uint64_t value) {
  if (auto i = cs_.table().by_name(name)) {
    const reg_def& d = cs_.table()[*i];
    config_write(uint16_t(d.offset), uint32_t(value), d.size);
    return true;
  }
  unsigned idx = 0, word = 0;
  if (msix_ && parse_msix_name(name, idx, word)) {
    if (word == 4) return idx < (msix_->vectors() + 63) / 64;  // PBA is read-only: accepted, ignored
    if (idx >= msix_->vectors()) return false;
    msix_->set_table_word(idx, word, uint32_t(value));
    return true;
  }
  return device_register_write(name, value);
}

void pcie_function::make_rc_integrated() {
  // Hardware-wired, so written raw; nothing resets configuration space after attach (FLR is not
  // modelled), so the declared reset value (endpoint) never comes back.
  if (cfg_.type != port_type::endpoint) return;
  cfg_.type = port_type::rc_integrated;
  const uint16_t caps = uint16_t(cs_.raw(PCIE_CAP + 2, 2));
  cs_.set_raw(PCIE_CAP + 2, uint32_t(PCIE_DEVICE_PORT_TYPE.set(caps, uint8_t(cfg_.type))), 2);
}

}  // namespace irqf::pcie
