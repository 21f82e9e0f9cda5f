// Interrupt posting (VT-d §5.2.3, §9.11-9.12): PIR bit, ON/SN/URG, notification to NDST with NV,
// and the hand-over of ledger ids to the consumer that drains the PIR.
#include <catch2/catch.hpp>

#include "tb.h"

using namespace irqf;
using namespace irqf::iommu;
using namespace irqf::iommu::test;

namespace {
constexpr uint16_t rid_dev = 0x0308;
constexpr uint8_t nv = 0xF2;  // Linux POSTED_INTR_VECTOR

irte posted(uint8_t vv, bool urgent = false) {
  irte e;
  e.present = true;
  e.posted = true;
  e.urgent = urgent;
  e.vector = vv;
  e.pda = tb::pid_addr;
  e.sid = rid_dev;
  e.svt_ = svt::requester_id;
  return e;
}
uint64_t ctl(tb& t) { return t.mem.load<uint64_t>(tb::pid_addr + pid_ctl_offset); }
uint32_t pir(tb& t, uint8_t v) { return t.mem.load<uint32_t>(pir_dword_addr(tb::pid_addr, v)); }
void setup(tb& t, bool sn, bool on = false) {
  t.mem.store<uint64_t>(tb::pid_addr + pid_ctl_offset, make_pid_ctl(on, sn, nv, irte_dst_xapic(6)));
  t.set_table();
  t.enable_ir();
}
}  // namespace

TEST_CASE("a posted request sets the PIR bit and ON and notifies NDST with NV") {
  tb t;
  t.put_irte(1, posted(0x61));
  setup(t, false);
  event_id e = t.send(handle_msg(1), rid_dev);
  CHECK(pir(t, 0x61) == pir_bit(0x61));
  CHECK(pid_ctl::ON.test(ctl(t)));
  REQUIRE(t.sink.got.size() == 1);
  REQUIRE(t.sink.got[0].apic);
  CHECK(t.sink.got[0].apic->vector == nv);
  CHECK(t.sink.got[0].apic->dest == 6);
  CHECK_FALSE(t.sink.got[0].apic->logical);
  CHECK(t.sink.got[0].apic->mode == delivery_mode::fixed);
  CHECK(t.sink.got[0].events.empty());  // the event travels in the PIR bit
  CHECK(t.ctx.led.is_open(e));
  CHECK(t.vtd.pir_events_parked() == 1);
  CHECK(t.vtd.take_pir_events(tb::pid_addr, 0x61) == std::vector<event_id>{e});
  CHECK(t.vtd.take_pir_events(tb::pid_addr, 0x61).empty());
  t.ctx.led.settle_handled(std::span<const event_id>(&e, 1), now_ps());
  CHECK(t.balanced());
}

TEST_CASE("with ON already set a posted request sends no second notification and merges") {
  tb t;
  t.put_irte(1, posted(0x61));
  setup(t, false);
  event_id e1 = t.send(handle_msg(1), rid_dev);
  event_id e2 = t.send(handle_msg(1), rid_dev);  // ON set, PIR bit set: nothing sent
  CHECK(t.sink.got.size() == 1);
  CHECK(t.vtd.stats().pi_notifications == 1);
  CHECK(t.vtd.stats().pi_no_notification == 1);
  CHECK(t.vtd.stats().pi_merged == 1);
  auto ids = t.vtd.take_pir_events(tb::pid_addr, 0x61);
  CHECK(ids == std::vector<event_id>{e1, e2});
  t.ctx.led.settle_handled(ids, now_ps());  // the consumer drained PIR once: first handled, second merged
  CHECK(t.ctx.led.totals().handled == 1);
  CHECK(t.ctx.led.totals().merged == 1);
  CHECK(t.balanced());
}

TEST_CASE("SN suppresses the notification of a non-urgent request, URG overrides SN") {
  tb t;
  t.put_irte(1, posted(0x61, false));
  t.put_irte(2, posted(0x62, true));
  setup(t, /*sn=*/true);
  event_id e1 = t.send(handle_msg(1), rid_dev);
  CHECK(pir(t, 0x61) == pir_bit(0x61));
  CHECK_FALSE(pid_ctl::ON.test(ctl(t)));
  CHECK(t.sink.got.empty());
  event_id e2 = t.send(handle_msg(2), rid_dev);
  CHECK(pid_ctl::ON.test(ctl(t)));
  CHECK(pir(t, 0x61) == (pir_bit(0x61) | pir_bit(0x62)));
  REQUIRE(t.sink.got.size() == 1);
  CHECK(t.sink.got[0].apic->vector == nv);
  CHECK(t.vtd.take_pir_events(tb::pid_addr, 0x61) == std::vector<event_id>{e1});
  CHECK(t.vtd.take_pir_events(tb::pid_addr, 0x62) == std::vector<event_id>{e2});
  t.ctx.led.settle_handled(std::span<const event_id>(&e1, 1), now_ps());
  t.ctx.led.settle_handled(std::span<const event_id>(&e2, 1), now_ps());
  CHECK(t.balanced());
}

TEST_CASE("ids left in PIR at the end count as pending") {
  tb t;
  t.put_irte(1, posted(0x61));
  setup(t, false, /*on=*/true);
  t.send(handle_msg(1), rid_dev);
  CHECK(t.sink.got.empty());
  auto tot = t.ctx.led.totals();
  CHECK(tot.pending == 1);
  CHECK(t.balanced());
}

TEST_CASE("a posted IRTE without CAP.PI is a reserved-field fault (0x24)") {
  param_values p = defaults();
  p.set("pi", false);
  tb t(p);
  t.put_irte(1, posted(0x61));
  setup(t, false);
  t.send(handle_msg(1), rid_dev);
  CHECK(t.sink.got.empty());
  CHECK(pir(t, 0x61) == 0);
  CHECK(t.lost("ir_fault_0x24") == 1);
  CHECK(t.balanced());
}

TEST_CASE("a posted-descriptor access error is fault 0x27") {
  param_values m(sparse_memory::schema());
  m.set("size_bytes", int64_t(1) << 30);
  tb t(defaults(), m);
  irte e = posted(0x61);
  e.pda = uint64_t(2) << 30;
  t.put_irte(1, e);
  t.set_table();
  t.enable_ir();
  t.send(handle_msg(1), rid_dev);
  CHECK(t.lost("ir_fault_0x27") == 1);
  CHECK(frcd::FR.get(t.reg("FRCD0_HI")) == 0x27);
  CHECK(t.balanced());
}
