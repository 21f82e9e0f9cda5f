#include "models/idxd/nic_device.h"

#include <cstring>

namespace irqf::idxd {
namespace {
uint64_t table_offset(unsigned queues) {
  return nic_reg::QUEUE_BASE + ((uint64_t(queues) * nic_reg::QUEUE_STRIDE + 0xFFF) & ~0xFFFull);
}
uint64_t pba_offset(unsigned queues) {
  return table_offset(queues) + ((uint64_t(queues) * 16 + 0xFFF) & ~0xFFFull);
}
uint64_t bar0_size(unsigned queues) {
  uint64_t end = pba_offset(queues) + (uint64_t(queues) + 63) / 64 * 8, s = 0x4000;
  while (s < end) s <<= 1;
  return s;
}
}  // namespace

const component_schema& nic_device::schema() {
  static const component_schema s{
      "nic",
      "multi-queue NIC-like endpoint: one receive queue per MSI-X vector",
      {param_spec::integer("queues", "queues", 64, 1, 2048,
                           "receive queues = MSI-X vectors (PCIe allows up to 2048, §7.7.2); 64 is "
                           "a model choice"),
       param_spec::integer("packet_bytes", "bytes", 1500, 1, 65535,
                           "length written in each ring entry (Ethernet MTU payload)"),
       param_spec::integer("device_id", "", 0x1234, 0, 0xFFFF, "PCI device ID (model-defined)"),
       pcie::msix_disabled_policy_param()}};
  return s;
}

pcie::function_config nic_function_config(const param_values& p) {
  const unsigned n = unsigned(p.i("queues"));
  pcie::function_config c;
  c.device_id = uint16_t(p.i("device_id"));
  c.class_code = 0x020000;  // network controller, Ethernet
  c.interrupt_pin = 1;
  c.bars = {{0, bar0_size(n), true, false}};
  pcie::msix_config m;
  m.table_size = n;
  m.table_offset = uint32_t(table_offset(n));
  m.pba_offset = uint32_t(pba_offset(n));
  m.disabled_policy = pcie::msix_disabled_policy_from(p.s("msix_disabled_policy"));
  c.msix = m;
  return c;
}

nic_device::nic_device(sc_core::sc_module_name nm, sim_context& ctx, const param_values& p)
    : pcie::pcie_function(nm, ctx, nic_function_config(p)),
      q_(size_t(p.i("queues"))),
      packet_bytes_(uint32_t(p.i("packet_bytes"))),
      table_off_(table_offset(unsigned(p.i("queues")))),
      pba_off_(pba_offset(unsigned(p.i("queues")))),
      qtable_({{"RING_BASE", nic_reg::Q_RING_BASE, 8, 0, ~0xFull, 0, "ring base (16-byte aligned)", {}},
               {"RING_SIZE", nic_reg::Q_RING_SIZE, 4, 0, 0xFFFF, 0, "ring entries (0: no ring)", {}},
               {"HEAD", nic_reg::Q_HEAD, 4, 0, 0, 0, "next entry the device writes", {}}}) {}

void nic_device::rx(unsigned qi) {
  queue& q = q_.at(qi);
  const uint64_t now = now_ps();
  if (nic_reg::CTRL_ENABLE.test(ctrl_) && q.size && q.base) {
    uint8_t e[nic_reg::entry_bytes] = {};
    const uint32_t w1 = uint32_t(nic_reg::ENTRY_SEQ.set(nic_reg::ENTRY_DD.set(0, 1), q.seq));
    std::memcpy(e, &packet_bytes_, 4);
    std::memcpy(e + 4, &w1, 4);
    std::memcpy(e + 8, &now, 8);
    dma_write(q.base + uint64_t(q.head) * nic_reg::entry_bytes, e, sizeof e);
    q.head = (q.head + 1) % q.size;
    ++q.seq;
  }
  message_store* s = msix();
  const event_id ev = ctx.led.raise(s->source(qi), now);
  if (ctx.trace.on()) {
    const event_id one[1] = {ev};
    ctx.trace.instant(track(), stage::raise, now, one, {{"msix", qi}});
  }
  s->event(qi, ev);
}

uint64_t nic_device::reg_read(uint64_t off) const {
  if (off == nic_reg::CTRL) return ctrl_;
  if (off == nic_reg::NUM_QUEUES) return q_.size();
  if (off < nic_reg::QUEUE_BASE) return 0;
  const uint64_t qi = (off - nic_reg::QUEUE_BASE) / nic_reg::QUEUE_STRIDE;
  if (qi >= q_.size()) return 0;
  const queue& q = q_[qi];
  switch ((off - nic_reg::QUEUE_BASE) % nic_reg::QUEUE_STRIDE) {
    case nic_reg::Q_RING_BASE: return q.base;
    case nic_reg::Q_RING_BASE + 4: return q.base >> 32;
    case nic_reg::Q_RING_SIZE: return q.size;
    case nic_reg::Q_HEAD: return q.head;
    default: return 0;
  }
}

void nic_device::reg_write(uint64_t off, uint64_t v, unsigned len) {
  if (off == nic_reg::CTRL) {
    ctrl_ = uint32_t(v & nic_reg::CTRL_ENABLE.mask());
    return;
  }
  if (off < nic_reg::QUEUE_BASE) return;
  const uint64_t qi = (off - nic_reg::QUEUE_BASE) / nic_reg::QUEUE_STRIDE;
  if (qi >= q_.size()) return;
  queue& q = q_[qi];
  const uint64_t base_mask = qtable_[0].writable;
  switch ((off - nic_reg::QUEUE_BASE) % nic_reg::QUEUE_STRIDE) {
    case nic_reg::Q_RING_BASE:
      q.base = len == 8 ? (v & base_mask) : ((q.base & ~0xFFFFFFFFull) | (v & base_mask & 0xFFFFFFFFull));
      break;
    case nic_reg::Q_RING_BASE + 4:
      q.base = (q.base & 0xFFFFFFFFull) | (uint64_t(uint32_t(v)) << 32);
      break;
    case nic_reg::Q_RING_SIZE:
      q.size = uint32_t(v & qtable_[1].writable);
      q.head = 0;
      break;
    default:
      break;  // HEAD is read-only
  }
}

uint64_t nic_device::bar_read(int bar, uint64_t off, unsigned len) {
  if (bar != 0) return 0;
  uint64_t v = reg_read(off);
  if (len == 8 && off % 8 == 0 && off >= nic_reg::QUEUE_BASE &&
      (off - nic_reg::QUEUE_BASE) % nic_reg::QUEUE_STRIDE == nic_reg::Q_RING_BASE)
    return v;
  return len >= 4 ? v & 0xFFFFFFFFull : v & ((1ull << (8 * len)) - 1);
}

void nic_device::bar_write(int bar, uint64_t off, uint64_t val, unsigned len) {
  if (bar == 0) reg_write(off, val, len);
}

std::vector<std::string> nic_device::device_register_names() const {
  std::vector<std::string> n = {"CTRL", "NUM_QUEUES"};
  for (size_t q = 0; q < q_.size(); ++q)
    for (auto& d : qtable_.defs()) n.push_back("RXQ[" + std::to_string(q) + "]." + d.name);
  return n;
}

namespace {
bool parse_rxq(std::string_view name, const reg_table& t, unsigned& q, uint32_t& off) {
  if (name.substr(0, 4) != "RXQ[") return false;
  const size_t close = name.find("].");
  if (close == std::string_view::npos || close <= 4) return false;
  q = 0;
  for (size_t k = 4; k < close; ++k) {
    if (name[k] < '0' || name[k] > '9') return false;
    q = q * 10 + unsigned(name[k] - '0');
  }
  auto i = t.by_name(name.substr(close + 2));
  if (!i) return false;
  off = t[*i].offset;
  return true;
}
}  // namespace

std::optional<uint64_t> nic_device::device_register_read(std::string_view name) {
  if (name == "CTRL") return reg_read(nic_reg::CTRL);
  if (name == "NUM_QUEUES") return reg_read(nic_reg::NUM_QUEUES);
  unsigned q;
  uint32_t off;
  if (!parse_rxq(name, qtable_, q, off) || q >= q_.size()) return std::nullopt;
  const uint64_t a = nic_reg::QUEUE_BASE + uint64_t(q) * nic_reg::QUEUE_STRIDE + off;
  return off == nic_reg::Q_RING_BASE ? q_[q].base : reg_read(a);
}

bool nic_device::device_register_write(std::string_view name, uint64_t value) {
  if (name == "CTRL") {
    reg_write(nic_reg::CTRL, value, 4);
    return true;
  }
  unsigned q;
  uint32_t off;
  if (!parse_rxq(name, qtable_, q, off) || q >= q_.size()) return false;
  reg_write(nic_reg::QUEUE_BASE + uint64_t(q) * nic_reg::QUEUE_STRIDE + off, value,
            off == nic_reg::Q_RING_BASE ? 8 : 4);
  return true;
}

}  // namespace irqf::idxd
