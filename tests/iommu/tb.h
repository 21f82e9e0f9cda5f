#pragma once
// Test bench for the VT-d unit: host memory on `mem`, a recording sink on `irq_out`, and a driver
// that plays both the OS (register accesses) and the devices (interrupt writes on ir_in).
#include <tlm_utils/simple_initiator_socket.h>
#include <tlm_utils/simple_target_socket.h>

#include <cstring>
#include <optional>
#include <vector>

#include "fabric/apic_msg.h"
#include "fabric/context.h"
#include "fabric/memory.h"
#include "fabric/message.h"
#include "models/iommu/pid.h"
#include "models/iommu/vtd_unit.h"

namespace irqf::iommu::test {

/// One write seen on irq_out.
struct seen {
  uint64_t addr = 0;
  uint32_t data = 0;
  uint16_t rid = 0;
  std::vector<event_id> events;
  std::optional<apic_irq> apic;  // the apic_irq_ext, when attached
  uint64_t t_ps = 0;             // sim time + annotated delay
};

struct irq_sink : sc_core::sc_module {
  tlm_utils::simple_target_socket<irq_sink> socket{"socket"};
  std::vector<seen> got;
  explicit irq_sink(sc_core::sc_module_name n) : sc_module(n) {
    socket.register_b_transport(this, &irq_sink::bt);
  }
  void bt(tlm::tlm_generic_payload& gp, sc_core::sc_time& d) {
    seen s;
    s.addr = gp.get_address();
    s.data = msi_data_of(gp);
    if (auto* x = ext_of(gp)) {
      s.rid = x->requester_id;
      s.events.assign(x->events.begin(), x->events.end());
    }
    if (auto* a = gp.get_extension<apic_irq_ext>()) s.apic = a->irq;
    s.t_ps = now_ps() + d.value();
    got.push_back(s);
    gp.set_response_status(tlm::TLM_OK_RESPONSE);
  }
};

struct driver : sc_core::sc_module {
  tlm_utils::simple_initiator_socket<driver> regs{"regs"}, ir{"ir"};
  explicit driver(sc_core::sc_module_name n) : sc_module(n) {}
};

inline param_values defaults() { return param_values(vtd_unit::schema()); }

struct tb {
  static constexpr uint64_t irt_base = 0x10'0000;   // IRTE table
  static constexpr uint64_t iq_base = 0x20'0000;    // invalidation queue
  static constexpr uint64_t status_addr = 0x30'0000;
  static constexpr uint64_t pid_addr = 0x40'0040;   // 64-byte aligned posted-interrupt descriptor

  sim_context ctx;
  sparse_memory mem;
  vtd_unit vtd;
  irq_sink sink;
  driver drv;
  source_id dev;
  uint32_t gcmd = 0;  // persistent enables, as Linux keeps iommu->gcmd
  uint32_t iqt = 0;

  explicit tb(const param_values& p = defaults(),
              const param_values& m = param_values(sparse_memory::schema()))
      : mem("mem", ctx, m), vtd("vtd", ctx, p), sink("sink"), drv("drv") {
    vtd.mem.bind(mem.socket);
    vtd.irq_out.bind(sink.socket);
    drv.regs.bind(vtd.regs);
    drv.ir.bind(vtd.ir_in);
    dev = ctx.led.add_source("testdev0/raw/0");
    sc_core::sc_start(sc_core::SC_ZERO_TIME);  // finish elaboration
  }

  uint64_t rd(uint32_t off, unsigned len = 4) {
    uint64_t v = 0;
    sc_core::sc_time d;
    REQUIRE(bus_read(*drv.regs.operator->(), off, &v, len, d) == tlm::TLM_OK_RESPONSE);
    return v;
  }
  void wr(uint32_t off, uint64_t v, unsigned len = 4) {
    sc_core::sc_time d;
    REQUIRE(bus_write(*drv.regs.operator->(), off, &v, len, d) == tlm::TLM_OK_RESPONSE);
  }
  uint64_t reg(std::string_view name) { return *vtd.read_register(name); }

  void command(uint32_t persistent) {
    gcmd = persistent;
    wr(reg_off::GCMD, gcmd);
  }
  /// IRTA = base | EIME | S, then SIRTP (keeping the persistent enables).
  void set_table(unsigned s = 7, bool eime = false, uint64_t base = irt_base) {
    wr(reg_off::IRTA, irta::IRTA_BASE.set(irta::EIME.set(irta::S.set(0, s), eime), base >> 12), 8);
    wr(reg_off::GCMD, gcmd | uint32_t(gcmd::SIRTP.mask()));
  }
  void enable_ir(bool cfi = false) {
    uint32_t g = gcmd | uint32_t(gcmd::IRE.mask());
    if (cfi) g |= uint32_t(gcmd::CFI.mask());
    command(g);
  }
  void put_irte(uint32_t index, const irte& e, uint64_t base = irt_base) {
    irte_raw r = encode_irte(e);
    mem.write(base + 16ull * index, &r, 16);
  }
  void put_raw(uint32_t index, irte_raw r) { mem.write(irt_base + 16ull * index, &r, 16); }

  /// A device interrupt: raises one event and writes `m` from requester `rid`. Returns the id.
  event_id send(const msi_msg& m, uint16_t rid) {
    event_id e = ctx.led.raise(dev, now_ps());
    upstream_write w;
    event_id evs[] = {e};
    sc_core::sc_time d;
    drv.ir->b_transport(w.msi(m, rid, evs), d);
    return e;
  }

  void qi_enable() {
    wr(reg_off::IQT, 0, 8);
    wr(reg_off::IQA, iq_base, 8);  // QS = 0: 256 descriptors
    command(gcmd | uint32_t(gcmd::QIE.mask()));
  }
  /// Writes descriptors at the tail and advances IQT (processing starts after qi_desc_ns).
  void qi_submit(std::initializer_list<qi_desc> ds) {
    for (const qi_desc& d : ds) {
      mem.write(iq_base + 16ull * iqt, &d, 16);
      iqt = (iqt + 1) % 256;
    }
    wr(reg_off::IQT, iq::QT.set(0, iqt), 8);
  }
  void run(double nsec) { sc_core::sc_start(ns(nsec)); }

  /// Settles every id seen on irq_out as handled (standing in for the APIC bus and the OS).
  void settle_sink() {
    for (; settled < sink.got.size(); ++settled)
      if (!sink.got[settled].events.empty()) ctx.led.settle_handled(sink.got[settled].events, now_ps());
  }
  size_t settled = 0;

  bool balanced() { return check_conservation(ctx.led.totals()).ok; }
  uint64_t lost(const char* cause) {
    auto t = ctx.led.totals();
    auto it = t.lost_by_cause.find(cause);
    return it == t.lost_by_cause.end() ? 0 : it->second;
  }
};

/// A remapped-format IRTE to xAPIC `apic_id` (fixed, physical, edge) with full SID verification.
inline irte remapped(uint8_t vector, uint8_t apic_id, uint16_t sid) {
  irte e;
  e.present = true;
  e.vector = vector;
  e.dst = irte_dst_xapic(apic_id);
  e.sid = sid;
  e.svt_ = svt::requester_id;
  return e;
}

inline msi_msg handle_msg(uint16_t handle) { return encode_remappable_msi({handle, false, 0}); }

}  // namespace irqf::iommu::test
