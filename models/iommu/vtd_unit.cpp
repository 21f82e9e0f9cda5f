// vtd_unit: construction, parameters, register_view and the posted-interrupt ledger hand-over.
#include "models/iommu/vtd_unit.h"

namespace irqf::iommu {

const component_schema& vtd_unit::schema() {
  static const component_schema s{
      "vtd",
      "Intel VT-d remapping unit, interrupt side: interrupt remapping, interrupt entry cache, queued "
      "invalidation, fault recording and fault events, posted interrupts (VT-d spec ch. 5-7, 9, 10)",
      {param_spec::integer("fault_records", "registers", 8, 1, 128,
                           "fault-recording registers (CAP.NFR+1); 8 as the irqfabric issue asks (QEMU "
                           "implements 1, the spec allows up to 256)"),
       param_spec::integer("iec_entries", "entries", 64, 0, 4096,
                           "interrupt entry cache capacity; Intel publishes no IEC size, 64 is an "
                           "assumption; 0 = no cache (every request reads the IRTE, as QEMU does)"),
       param_spec::choice("iec_policy", "lru", {"lru", "fifo", "random"},
                          "IEC replacement policy (not published by Intel; LRU assumed)"),
       param_spec::real("remap_latency_ns", "ns", 10, 0, 100'000,
                        "cost of one remap decision with the IRTE in the IEC (no public figure; "
                        "assumption of a few uncore cycles)"),
       param_spec::real("iec_miss_latency_ns", "ns", 0, 0, 100'000,
                        "extra cost of an IEC miss on top of the IRTE memory read, whose own latency "
                        "comes from the memory model (fabric memory latency_ns, 80 ns default)"),
       param_spec::real("qi_desc_ns", "ns", 100, 0, 1'000'000,
                        "processing time of one invalidation-queue descriptor (no public figure; "
                        "assumption)"),
       param_spec::boolean("eim", true,
                           "ECAP.EIM: extended interrupt mode, 32-bit x2APIC destinations (present on "
                           "VT-d server parts; Linux needs it for x2APIC with IR)"),
       param_spec::boolean("pi", true,
                           "CAP.PI: posted interrupts (added in VT-d rev 2.2; Linux cap_pi_support)")}};
  return s;
}

vtd_unit::vtd_unit(sc_core::sc_module_name nm, sim_context& c, const param_values& p)
    : component(nm, c),
      regs("regs"),
      ir_in("ir_in"),
      mem("mem"),
      irq_out("irq_out"),
      caps_{unsigned(p.i("fault_records")), p.b("eim"), p.b("pi")},
      table_(make_vtd_reg_defs(caps_)),
      regs_(table_),
      iec_(unsigned(p.i("iec_entries")), iec_policy_from(p.s("iec_policy")), rng),
      remap_latency_(ns(p.r("remap_latency_ns"))),
      miss_latency_(ns(p.r("iec_miss_latency_ns"))),
      qi_desc_time_(ns(p.r("qi_desc_ns"))) {
  regs.register_b_transport(this, &vtd_unit::regs_b_transport);
  ir_in.register_b_transport(this, &vtd_unit::ir_b_transport);
  track_ = ctx.trace.add_track("iommu", name());
  fault_src_ = ctx.led.add_source(std::string(basename()) + "/fault/0");
  inv_src_ = ctx.led.add_source(std::string(basename()) + "/inv/0");
  SC_HAS_PROCESS(vtd_unit);
  SC_METHOD(qi_step);
  sensitive << qi_ev_;
  dont_initialize();
}

std::vector<std::string> vtd_unit::register_names() const {
  std::vector<std::string> n;
  for (auto& d : table_.defs()) n.push_back(d.name);
  return n;
}

std::optional<uint64_t> vtd_unit::read_register(std::string_view name) {
  auto i = table_.by_name(name);
  if (!i) return std::nullopt;
  return mmio_read(table_[*i].offset, table_[*i].size);
}

bool vtd_unit::write_register(std::string_view name, uint64_t value) {
  auto i = table_.by_name(name);
  if (!i) return false;
  sc_core::sc_time d = sc_core::SC_ZERO_TIME;
  mmio_write(table_[*i].offset, table_[*i].size, value, d);
  return true;
}

namespace {
// PIDs are 64-byte aligned: (pid >> 6) and the vector make a unique key below 2^64 for any
// physical address under 2^58.
constexpr uint64_t pir_key(uint64_t pid, uint8_t vector) { return (pid >> 6) << 8 | vector; }
}  // namespace

std::vector<event_id> vtd_unit::take_pir_events(uint64_t pid_address, uint8_t vector) {
  auto it = pir_events_.find(pir_key(pid_address, vector));
  if (it == pir_events_.end()) return {};
  std::vector<event_id> out(it->second.begin(), it->second.end());
  pir_events_.erase(it);
  return out;
}

size_t vtd_unit::pir_events_parked() const {
  size_t n = 0;
  for (auto& [k, v] : pir_events_) n += v.size();
  return n;
}

void vtd_unit::park_pir_events(uint64_t pid, uint8_t vector, std::span<const event_id> evs) {
  if (evs.empty()) return;
  auto& l = pir_events_[pir_key(pid, vector)];
  l.insert(l.end(), evs.begin(), evs.end());
}

}  // namespace irqf::iommu
