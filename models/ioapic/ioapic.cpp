#include "models/ioapic/ioapic.h"

#include <cassert>
#include <charconv>
#include <cstring>

#include "fabric/apic_msg.h"

namespace irqf::ioapic {

namespace {
constexpr unsigned max_pins = 120;  // IOREGSEL is 8 bits: 0x10 + 2*119 + 1 = 0xFF
constexpr bitfield ID_FIELD{24, 4};
constexpr bitfield VER_VERSION{0, 8};
constexpr bitfield VER_MAX_REDIR{16, 8};
constexpr bitfield LEVEL_ASSERT{14, 1};  // MSI data bit 14 (SDM §11.11.2)
constexpr uint8_t version = 0x20;

bool parse_rte_name(std::string_view n, unsigned& pin) {
  if (!n.starts_with("IOREDTBL[") || !n.ends_with("]")) return false;
  auto s = n.substr(9, n.size() - 10);
  auto r = std::from_chars(s.data(), s.data() + s.size(), pin);
  return r.ec == std::errc() && r.ptr == s.data() + s.size();
}
}  // namespace

const reg_table& ioapic::table() {
  static const reg_table t = [] {
    std::vector<reg_def> d;
    d.push_back({"IOAPICID", IOAPICID * 4, 4, 0, ID_FIELD.mask(), 0, "I/O APIC ID (82093AA §3.2.1)",
                 {{"ID", ID_FIELD, "APIC ID of this I/O APIC"}}});
    d.push_back({"IOAPICVER", IOAPICVER * 4, 4, version, 0, 0, "Version (0x20) and Maximum Redirection Entry",
                 {{"VERSION", VER_VERSION, "0x20"}, {"MAX_REDIR", VER_MAX_REDIR, "pins - 1"}}});
    d.push_back({"IOAPICARB", IOAPICARB * 4, 4, 0, 0, 0, "Arbitration ID (= ID)", {{"ID", ID_FIELD, ""}}});
    for (unsigned i = 0; i < max_pins; ++i)
      d.push_back({"IOREDTBL[" + std::to_string(i) + "]", uint32_t((IOREDTBL + 2 * i) * 4), 8,
                   rte::MASK.mask(), rte::WRITABLE, 0, "Redirection table entry (82093AA §3.2.4)",
                   {{"VECTOR", rte::VECTOR, ""},
                    {"DELIVERY_MODE", rte::DELIVERY_MODE, "fixed, lowest, SMI, NMI, INIT, ExtINT"},
                    {"DEST_MODE", rte::DEST_MODE, "1 logical; remappable: index[15]"},
                    {"DELIVERY_STATUS", rte::DELIVERY_STATUS, "send pending (RO)"},
                    {"POLARITY", rte::POLARITY, "1 = low active"},
                    {"REMOTE_IRR", rte::REMOTE_IRR, "level accepted, EOI not yet received (RO)"},
                    {"TRIGGER_MODE", rte::TRIGGER_MODE, "1 = level"},
                    {"MASK", rte::MASK, "1 = masked"},
                    {"INTERRUPT_FORMAT", rte::INTERRUPT_FORMAT, "1 = remappable (VT-d §5.1.5.1)"},
                    {"INTERRUPT_INDEX", rte::INTERRUPT_INDEX, "remappable: index[14:0]"},
                    {"DESTINATION", rte::DESTINATION, "compatibility: destination"}}});
    return reg_table(std::move(d));
  }();
  return t;
}

const component_schema& ioapic::schema() {
  static const component_schema s{
      "ioapic",
      "82093AA-style I/O APIC, version 0x20, with EOI register and remappable entries",
      {param_spec::integer("pins", "pins", 24, 1, max_pins,
                           "redirection entries (24 on PC chipsets: ICH9 datasheet §13.5; QEMU IOAPIC_NUM_PINS)"),
       param_spec::integer("apic_id", "", 0, 0, 15, "reset value of IOAPICID (QEMU ACPI_BUILD_IOAPIC_ID = 0)"),
       param_spec::integer("requester_id", "", 0xF0F8, 0, 0xFFFF,
                           "source ID of its interrupt writes: 0xF0F8 (f0:1f.0) on Intel PCH platforms, as "
                           "Linux DMAR fault logs show; QEMU q35 uses 0xFF00 (hw/pci-host/q35.h)"),
       param_spec::integer("active_low_from", "pin", 16, 0, max_pins,
                           "first pin wired active-low (PCI INTx# GSIs 16+; ISA IRQs 0-15 active-high, "
                           "ACPI MADT/_PRT on PC platforms); pins() disables")}};
  return s;
}

ioapic::ioapic(sc_core::sc_module_name nm, sim_context& c, const param_values& p)
    : component(nm, c), mmio("mmio"), irq_out("irq_out"),
      rid_(uint16_t(p.i("requester_id"))), active_low_from_(unsigned(p.i("active_low_from"))) {
  mmio.register_b_transport(this, &ioapic::b_transport);
  const unsigned n = unsigned(p.i("pins"));
  rte_.assign(n, rte::MASK.mask());
  level_.resize(n);
  for (unsigned i = 0; i < n; ++i) level_[i] = wired_low(i) ? 1 : 0;  // idle lines
  carried_.resize(n);
  std::string s(name());
  dev_name_ = s.substr(s.rfind('.') == std::string::npos ? 0 : s.rfind('.') + 1);
  src0_ = ctx.led.add_source_range(dev_name_ + "/pin", n);
  id_reg_ = uint32_t(ID_FIELD.set(0, uint64_t(p.i("apic_id"))));
  track_ = ctx.trace.add_track("ioapic", name());
}

bool ioapic::line_asserted(unsigned pin) const {
  return (level_[pin] != 0) != rte::POLARITY.test(rte_[pin]);
}

void ioapic::set_intx(unsigned pin, bool asserted, std::span<const event_id> events) {
  set_pin(pin, wired_low(pin) ? !asserted : asserted, events);
}

void ioapic::set_pin(unsigned pin, bool level, std::span<const event_id> events) {
  assert(pin < rte_.size() && "set_pin: no such IOAPIC input");
  const bool was = line_asserted(pin);
  level_[pin] = level;
  const bool now = line_asserted(pin);
  carried_[pin].insert(carried_[pin].end(), events.begin(), events.end());
  const uint64_t e = rte_[pin];
  if (was && !now && !carried_[pin].empty()) {
    // ids that came with the line but were never delivered
    ctx.led.settle_lost(std::span<const event_id>(carried_[pin].data(), carried_[pin].size()),
                        loss_cause::intx_deasserted, now_ps());
    carried_[pin].clear();
  }
  if (rte::level_triggered(e)) {
    if (now) service_level(pin);
    return;
  }
  if (!was && now) {  // rising edge
    if (rte::MASK.test(e)) {
      if (carried_[pin].empty()) carried_[pin].push_back(ctx.led.raise(src0_ + pin, now_ps()));
      std::span<const event_id> ids(carried_[pin].data(), carried_[pin].size());
      ctx.led.settle_lost(ids, loss_cause::ioapic_masked, now_ps());
      if (ctx.trace.on()) ctx.trace.instant(track_, stage::drop, now_ps(), ids, {{"pin", pin}});
      carried_[pin].clear();
      return;
    }
    deliver(pin);
  }
}

void ioapic::service_level(unsigned pin) {
  const uint64_t e = rte_[pin];
  if (!rte::level_triggered(e) || !line_asserted(pin) || rte::MASK.test(e) || rte::REMOTE_IRR.test(e)) return;
  rte_[pin] = rte::REMOTE_IRR.set(e, 1);
  deliver(pin);
}

void ioapic::deliver(unsigned pin) {
  const uint64_t e = rte_[pin];
  if (carried_[pin].empty()) carried_[pin].push_back(ctx.led.raise(src0_ + pin, now_ps()));
  event_list ids;
  ids.swap(carried_[pin]);
  const bool level = rte::level_triggered(e);
  uint64_t addr = msi_window_base | rte::ADDR_SOURCE.get(e) << 4;
  addr = msi_fields::ADDR_DM.set(addr, rte::DEST_MODE.get(e));
  uint64_t data = 0;
  data = msi_fields::DATA_VECTOR.set(data, rte::VECTOR.get(e));
  data = msi_fields::DATA_DELIVERY_MODE.set(data, rte::DELIVERY_MODE.get(e));
  data = msi_fields::DATA_TRIGGER.set(data, level);
  data = LEVEL_ASSERT.set(data, level);
  std::span<const event_id> sp(ids.data(), ids.size());
  if (ctx.trace.on())
    ctx.trace.instant(track_, stage::post, now_ps(), sp,
                      {{"pin", pin}, {"vec", int64_t(rte::VECTOR.get(e))}, {"remap", int64_t(rte::INTERRUPT_FORMAT.get(e))}});
  ++deliveries_;
  // One payload per nesting depth: an EOI may re-enter deliver() while irq_out is still busy.
  if (pool_.size() <= depth_) pool_.push_back(std::make_unique<upstream_write>());
  tlm::tlm_generic_payload& gp = pool_[depth_]->msi({addr, uint32_t(data)}, rid_, sp);
  ++depth_;
  sc_core::sc_time delay = sc_core::SC_ZERO_TIME;
  irq_out->b_transport(gp, delay);
  --depth_;
}

void ioapic::eoi_broadcast(uint8_t vector) {
  for (unsigned pin = 0; pin < rte_.size(); ++pin) {
    const uint64_t e = rte_[pin];
    if (!rte::level_triggered(e) || !rte::REMOTE_IRR.test(e) || rte::VECTOR.get(e) != vector) continue;
    rte_[pin] = rte::REMOTE_IRR.set(e, 0);
    if (ctx.trace.on()) ctx.trace.instant(track_, stage::eoi, now_ps(), {}, {{"pin", pin}, {"vec", vector}});
    service_level(pin);  // still asserted: delivered again
  }
}

void ioapic::write_entry(unsigned pin, uint64_t v) {
  const uint64_t old = rte_[pin];
  uint64_t nv = (old & ~rte::WRITABLE) | (v & rte::WRITABLE);
  if (!rte::level_triggered(nv)) nv = rte::REMOTE_IRR.set(nv, 0);  // edge entries have no Remote IRR
  rte_[pin] = nv;
  // An unmasked level entry whose line is asserted is delivered (QEMU hw/intc/ioapic.c services
  // the pin on every redirection write); edges need a new edge.
  service_level(pin);
}

uint32_t ioapic::read_indirect(uint8_t index) {
  if (index == IOAPICID) return id_reg_;
  if (index == IOAPICVER) return uint32_t(VER_MAX_REDIR.set(version, rte_.size() - 1));
  if (index == IOAPICARB) return id_reg_;
  if (index >= IOREDTBL && unsigned(index - IOREDTBL) / 2 < rte_.size()) {
    const uint64_t e = rte_[(index - IOREDTBL) / 2];
    return (index - IOREDTBL) % 2 ? uint32_t(e >> 32) : uint32_t(e);
  }
  return 0;
}

void ioapic::write_indirect(uint8_t index, uint32_t value) {
  if (index == IOAPICID) {
    id_reg_ = uint32_t(ID_FIELD.set(0, ID_FIELD.get(value)));
    return;
  }
  if (index >= IOREDTBL && unsigned(index - IOREDTBL) / 2 < rte_.size()) {
    const unsigned pin = (index - IOREDTBL) / 2;
    uint64_t e = rte_[pin];
    e = (index - IOREDTBL) % 2 ? (e & 0xFFFF'FFFFull) | uint64_t(value) << 32 : (e & ~0xFFFF'FFFFull) | value;
    write_entry(pin, e);
  }
}

void ioapic::b_transport(tlm::tlm_generic_payload& gp, sc_core::sc_time&) {
  const uint64_t off = gp.get_address();
  const unsigned len = gp.get_data_length();
  unsigned char* p = gp.get_data_ptr();
  gp.set_response_status(tlm::TLM_OK_RESPONSE);
  if (len > 4) {
    gp.set_response_status(tlm::TLM_BURST_ERROR_RESPONSE);
    return;
  }
  uint32_t v = 0;
  if (gp.is_read()) {
    if (off == IOREGSEL) v = ioregsel_;
    else if (off == IOWIN) v = read_indirect(ioregsel_);
    std::memcpy(p, &v, len);  // other offsets (EOI included) read as zero
    return;
  }
  std::memcpy(&v, p, len);
  if (off == IOREGSEL) ioregsel_ = uint8_t(v);
  else if (off == IOWIN) write_indirect(ioregsel_, v);
  else if (off == EOIR) eoi_broadcast(uint8_t(v));  // ICH9 §13.5.5: directed EOI by vector
}

std::vector<std::string> ioapic::register_names() const {
  std::vector<std::string> n{"IOREGSEL", "IOAPICID", "IOAPICVER", "IOAPICARB"};
  for (unsigned i = 0; i < rte_.size(); ++i) n.push_back("IOREDTBL[" + std::to_string(i) + "]");
  return n;
}

std::optional<uint64_t> ioapic::read_register(std::string_view name) {
  if (name == "IOREGSEL") return ioregsel_;
  if (name == "IOAPICID") return read_indirect(IOAPICID);
  if (name == "IOAPICVER") return read_indirect(IOAPICVER);
  if (name == "IOAPICARB") return read_indirect(IOAPICARB);
  unsigned pin = 0;
  if (parse_rte_name(name, pin) && pin < rte_.size()) return rte_[pin];
  return std::nullopt;
}

bool ioapic::write_register(std::string_view name, uint64_t value) {
  if (name == "IOREGSEL") { ioregsel_ = uint8_t(value); return true; }
  if (name == "IOAPICID") { write_indirect(IOAPICID, uint32_t(value)); return true; }
  if (name == "IOAPICVER" || name == "IOAPICARB") return true;  // read-only
  unsigned pin = 0;
  if (parse_rte_name(name, pin) && pin < rte_.size()) {
    write_entry(pin, value);
    return true;
  }
  return false;
}

}  // namespace irqf::ioapic
