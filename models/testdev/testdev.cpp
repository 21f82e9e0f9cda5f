#include "models/testdev/testdev.h"

#include <charconv>

#include "fabric/error.h"

namespace irqf::testdev {

namespace {
pcie::function_config make_config(const param_values& p) {
  const auto msi = unsigned(p.i("msi_vectors"));
  if (msi & (msi - 1)) throw input_error("testdev: msi_vectors must be a power of two (PCIe §7.7.1.2 MMC)");
  pcie::function_config c;
  c.vendor_id = 0x1B36;
  c.device_id = uint16_t(p.i("device_id"));
  c.class_code = 0xFF0000;
  c.interrupt_pin = 1;
  c.bars = {{0, BAR0_SIZE, true, false}};
  c.msi = pcie::msi_config{msi, true, true};
  pcie::msix_config x;
  x.table_size = unsigned(p.i("msix_vectors"));
  x.table_bar = 0;
  x.table_offset = MSIX_TABLE;
  x.pba_bar = 0;
  x.pba_offset = MSIX_PBA;
  x.disabled_policy = pcie::msix_disabled_policy_from(p.s("msix_disabled_policy"));
  c.msix = x;
  return c;
}

bool parse_dmt_name(std::string_view n, unsigned& idx, unsigned& w) {
  if (!n.starts_with("DMT[")) return false;
  const auto close = n.find("].");
  if (close == std::string_view::npos) return false;
  auto s = n.substr(4, close - 4);
  auto r = std::from_chars(s.data(), s.data() + s.size(), idx);
  if (r.ec != std::errc() || r.ptr != s.data() + s.size()) return false;
  const auto f = n.substr(close + 2);
  if (f == "ADDR_LO") w = 0;
  else if (f == "ADDR_HI") w = 1;
  else if (f == "DATA") w = 2;
  else if (f == "CONTROL") w = 3;
  else return false;
  return true;
}
}  // namespace

std::optional<store_kind> store_kind_from(std::string_view s) {
  if (s == "msi") return store_kind::msi;
  if (s == "msix") return store_kind::msix;
  if (s == "dmt" || s == "ims") return store_kind::dmt;
  return std::nullopt;
}

const component_schema& testdev::schema() {
  static const component_schema s{
      "testdev",
      "scriptable PCIe endpoint: MSI, MSI-X, a device-specific message table, raw writes, DMA, INTx",
      {param_spec::integer("device_id", "", 0x0005, 0, 0xFFFF, "PCI Device ID (vendor 1b36; QEMU pci-testdev is 1b36:0005)"),
       param_spec::integer("msi_vectors", "vectors", 4, 1, 32, "MSI vectors requested (MMC), a power of two"),
       param_spec::integer("msix_vectors", "entries", 8, 1, 2048, "MSI-X table size (table at BAR0+0, PBA at +0x8000)"),
       param_spec::integer("dmt_entries", "entries", 8, 0, 2048, "device-specific message table entries (BAR0+0x10000)"),
       pcie::msix_disabled_policy_param(),
       param_spec::choice("dmt_masked_policy", "latch", {"latch", "drop"},
                          "event on a masked DMT entry: latch in the entry's pending bit (software-visible here as Control "
                          "bit 1; DSA IMS latches too but does not show it) and send on unmask, or drop")}};
  return s;
}

testdev::testdev(sc_core::sc_module_name nm, sim_context& c, const param_values& p)
    : pcie_function(nm, c, make_config(p)) {
  const unsigned n = unsigned(p.i("dmt_entries"));
  if (n)
    dmt_ = std::make_unique<pcie::ims_table>(ctx, *this, device_name(), n,
                                             pcie::ims_masked_policy_from(p.s("dmt_masked_policy")),
                                             track(), /*pending_visible=*/true, /*pasid_prefix=*/true);
  raw_src_ = ctx.led.add_source(device_name() + "/raw/0");
}

message_store* testdev::store(store_kind k) {
  switch (k) {
    case store_kind::msi: return msi();
    case store_kind::msix: return msix();
    case store_kind::dmt: return dmt_.get();
  }
  return nullptr;
}

event_id testdev::raise(store_kind kind, unsigned index) {
  message_store* s = store(kind);
  if (!s || index >= s->vectors())
    throw input_error(std::string(name()) + ": no vector " + std::to_string(index) + " in its " +
                      (s ? s->kind() : "absent") + " store");
  const event_id ev = ctx.led.raise(s->source(index), now_ps());
  if (ctx.trace.on()) ctx.trace.instant(track(), stage::raise, now_ps(), {&ev, 1}, {{"vec", index}});
  s->event(index, ev);
  return ev;
}

event_id testdev::raise(std::string_view kind, unsigned index) {
  auto k = store_kind_from(kind);
  if (!k) throw input_error(std::string(name()) + ": unknown store kind '" + std::string(kind) + "' (msi|msix|dmt)");
  return raise(*k, index);
}

event_id testdev::raw_write(uint64_t address, uint32_t data, uint16_t requester_id) {
  event_id ev = 0;
  if (in_msi_window(address)) {
    ev = ctx.led.raise(raw_src_, now_ps());
    if (ctx.trace.on()) ctx.trace.instant(track(), stage::raise, now_ps(), {&ev, 1}, {{"raw", 1}});
  }
  send_raw(address, data, requester_id, ev ? std::span<const event_id>(&ev, 1) : std::span<const event_id>());
  return ev;
}

void testdev::dma_write(uint64_t addr, std::span<const uint8_t> bytes) {
  pcie_function::dma_write(addr, bytes.data(), unsigned(bytes.size()));
}

uint64_t testdev::bar_read(int, uint64_t off, unsigned len) {
  if (dmt_ && off >= DMT_BASE && off + len <= DMT_BASE + 16ull * dmt_->vectors()) {
    const uint64_t rel = off - DMT_BASE;
    uint64_t v = dmt_->word(unsigned(rel / 16), unsigned(rel % 16 / 4));
    if (len == 8) v |= uint64_t(dmt_->word(unsigned((rel + 4) / 16), unsigned((rel + 4) % 16 / 4))) << 32;
    return v;
  }
  if (off == REG_INTX) return intx_condition() ? 1 : 0;
  return 0;
}

void testdev::bar_write(int, uint64_t off, uint64_t val, unsigned len) {
  if (dmt_ && off >= DMT_BASE && off + len <= DMT_BASE + 16ull * dmt_->vectors()) {
    const uint64_t rel = off - DMT_BASE;
    dmt_->write_word(unsigned(rel / 16), unsigned(rel % 16 / 4), uint32_t(val));
    if (len == 8) dmt_->write_word(unsigned((rel + 4) / 16), unsigned((rel + 4) % 16 / 4), uint32_t(val >> 32));
    return;
  }
  if (off == REG_INTX) {
    raise_intx(INTX_LEVEL.test(val));
  } else if (off == REG_TRIGGER) {
    const auto k = unsigned(TRIGGER_KIND.get(val));
    const auto i = unsigned(TRIGGER_INDEX.get(val));
    message_store* s = k <= 2 ? store(store_kind(k)) : nullptr;
    if (s && i < s->vectors()) raise(store_kind(k), i);
    else log->warn("TRIGGER {:#x}: no such vector, ignored", val);
  }
}

std::vector<std::string> testdev::device_register_names() const {
  std::vector<std::string> n{"INTX", "TRIGGER"};
  static constexpr const char* words[] = {"ADDR_LO", "ADDR_HI", "DATA", "CONTROL"};
  if (dmt_)
    for (unsigned i = 0; i < dmt_->vectors(); ++i)
      for (const char* w : words) n.push_back("DMT[" + std::to_string(i) + "]." + w);
  return n;
}

std::optional<uint64_t> testdev::device_register_read(std::string_view name) {
  if (name == "INTX") return intx_condition() ? 1 : 0;
  if (name == "TRIGGER") return 0;
  unsigned i = 0, w = 0;
  if (dmt_ && parse_dmt_name(name, i, w) && i < dmt_->vectors()) return dmt_->word(i, w);
  return std::nullopt;
}

bool testdev::device_register_write(std::string_view name, uint64_t value) {
  if (name == "INTX") { bar_write(0, REG_INTX, value, 4); return true; }
  if (name == "TRIGGER") { bar_write(0, REG_TRIGGER, value, 4); return true; }
  unsigned i = 0, w = 0;
  if (dmt_ && parse_dmt_name(name, i, w) && i < dmt_->vectors()) {
    dmt_->write_word(i, w, uint32_t(value));
    return true;
  }
  return false;
}

}  // namespace irqf::testdev
