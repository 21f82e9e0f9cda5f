// Primary fault logging (VT-d §7.2.1) and the fault event (FECTL/FEDATA/FEADDR, §10.4.10): the
// recording ring, PFO overflow, PPF/FRI, the RW1C F bits, masking and the held (IP) message.
#include <catch2/catch.hpp>

#include "tb.h"

using namespace irqf;
using namespace irqf::iommu;
using namespace irqf::iommu::test;

namespace {
constexpr uint16_t rid_dev = 0x0308;
void arm_fault_event(tb& t, bool mask) {
  t.wr(reg_off::FEDATA, 0x00F1);
  t.wr(reg_off::FEADDR, 0xFEE0'1000);
  t.wr(reg_off::FECTL, mask ? evctl::IM.mask() : 0);
}
void clear_f(tb& t, unsigned n) {  // Linux dmar_fault: writel(DMA_FRCD_F, reg + n*16 + 12)
  t.wr(reg_off::FRCD_BASE + n * 16 + 12, 0x8000'0000);
}
}  // namespace

TEST_CASE("eight fault records fill in order, the ninth sets PFO, one fault event for the lot") {
  tb t;
  t.set_table();
  t.enable_ir();
  arm_fault_event(t, /*mask=*/false);
  for (uint16_t i = 0; i < 9; ++i) t.send(handle_msg(i), rid_dev);  // all entries not present
  for (unsigned n = 0; n < 8; ++n) {
    uint64_t hi = t.reg("FRCD" + std::to_string(n) + "_HI");
    CHECK(frcd::F.test(hi));
    CHECK(frcd::FR.get(hi) == 0x22);
    CHECK(frcd::IR_INDEX.get(t.reg("FRCD" + std::to_string(n) + "_LO")) == n);
  }
  uint64_t fs = t.reg("FSTS");
  CHECK(fsts::PFO.test(fs));
  CHECK(fsts::PPF.test(fs));
  CHECK(fsts::FRI.get(fs) == 0);
  CHECK(t.vtd.stats().faults_recorded == 8);
  CHECK(t.vtd.stats().faults_overflowed == 1);
  CHECK(t.lost("ir_fault_0x22") == 9);
  // Exactly one fault event: a compatibility-format write of FEADDR/FEDATA with its own event.
  REQUIRE(t.sink.got.size() == 1);
  CHECK(t.sink.got[0].addr == 0xFEE0'1000);
  CHECK(t.sink.got[0].data == 0x00F1);
  CHECK_FALSE(t.sink.got[0].apic);
  REQUIRE(t.sink.got[0].events.size() == 1);
  CHECK(t.ctx.led.source_name(t.ctx.led.record(t.sink.got[0].events[0]).source) == "vtd/fault/0");
  CHECK_FALSE(evctl::IP.test(t.reg("FECTL")));

  // PFO set: nothing more is recorded, even into a freed register.
  clear_f(t, 0);
  t.send(handle_msg(20), rid_dev);
  CHECK_FALSE(frcd::F.test(t.reg("FRCD0_HI")));
  CHECK(t.vtd.stats().faults_overflowed == 2);
  // Software clears PFO: the next fault goes to FRCD0 (the ring wrapped); PPF was still set by
  // FRCD1..7, so no new fault event.
  t.wr(reg_off::FSTS, fsts::PFO.mask());
  CHECK_FALSE(fsts::PFO.test(t.reg("FSTS")));
  t.send(handle_msg(21), rid_dev);
  CHECK(frcd::IR_INDEX.get(t.reg("FRCD0_LO")) == 21);
  CHECK(t.sink.got.size() == 1);
  // Service everything: PPF clears; the next fault lands in FRCD1, sets FRI=1 and signals again.
  for (unsigned n = 0; n < 8; ++n) clear_f(t, n);
  CHECK_FALSE(fsts::PPF.test(t.reg("FSTS")));
  t.send(handle_msg(22), rid_dev);
  CHECK(fsts::FRI.get(t.reg("FSTS")) == 1);
  CHECK(frcd::IR_INDEX.get(t.reg("FRCD1_LO")) == 22);
  CHECK(t.sink.got.size() == 2);
  CHECK(t.vtd.stats().fault_events == 2);
  t.settle_sink();
  CHECK(t.balanced());
}

TEST_CASE("a masked fault event is held in IP, sent on unmask, and lost if serviced first") {
  tb t;
  t.set_table();
  t.enable_ir();
  arm_fault_event(t, /*mask=*/true);
  t.send(handle_msg(1), rid_dev);
  CHECK(evctl::IP.test(t.reg("FECTL")));
  CHECK(t.sink.got.empty());
  t.wr(reg_off::FECTL, 0);  // unmask: the held message goes out
  REQUIRE(t.sink.got.size() == 1);
  CHECK(t.sink.got[0].data == 0x00F1);
  CHECK_FALSE(evctl::IP.test(t.reg("FECTL")));
  t.settle_sink();

  t.wr(reg_off::FECTL, evctl::IM.mask());
  clear_f(t, 0);
  t.send(handle_msg(2), rid_dev);
  CHECK(evctl::IP.test(t.reg("FECTL")));
  clear_f(t, 1);  // software services the fault by polling: IP clears, the message never goes out
  CHECK_FALSE(evctl::IP.test(t.reg("FECTL")));
  t.wr(reg_off::FECTL, 0);
  CHECK(t.sink.got.size() == 1);
  CHECK(t.lost("pending_cleared") == 1);
  CHECK(t.ctx.led.totals().handled == 1);
  CHECK(t.balanced());
}

TEST_CASE("the fault-recording count is a parameter (CAP.NFR)") {
  param_values p = defaults();
  p.set("fault_records", int64_t(2));
  tb t(p);
  CHECK(cap::NFR.get(t.reg("CAP")) == 1);
  CHECK(t.vtd.register_names().back() == "FRCD1_HI");
  CHECK_FALSE(t.vtd.read_register("FRCD2_LO"));
  t.set_table();
  t.enable_ir();
  for (uint16_t i = 0; i < 3; ++i) t.send(handle_msg(i), rid_dev);
  CHECK(t.vtd.stats().faults_recorded == 2);
  CHECK(fsts::PFO.test(t.reg("FSTS")));
  CHECK(t.balanced());
}

TEST_CASE("an x2APIC fault event carries destination bits 31:8 from FEUADDR") {
  tb t;
  t.set_table();
  t.enable_ir();
  t.wr(reg_off::FEDATA, 0x00F2);
  t.wr(reg_off::FEADDR, 0xFEE4'5000);
  t.wr(reg_off::FEUADDR, 0x0001'2300);
  t.wr(reg_off::FECTL, 0);
  t.send(handle_msg(1), rid_dev);
  REQUIRE(t.sink.got.size() == 1);
  REQUIRE(t.sink.got[0].apic);
  CHECK(t.sink.got[0].apic->dest == 0x0001'2345u);
  CHECK(t.sink.got[0].apic->vector == 0xF2);
  t.settle_sink();
  CHECK(t.balanced());
}

TEST_CASE("64-bit register halves and w1c bits: a write to one half does not clear the other's F") {
  tb t;
  t.set_table();
  t.enable_ir();
  t.send(handle_msg(1), rid_dev);
  t.wr(reg_off::FRCD_BASE + 8, 0xFFFF'FFFF);  // low dword of FRCD0_HI (SID/FR are read-only)
  CHECK(frcd::F.test(t.reg("FRCD0_HI")));
  CHECK(frcd::SID.get(t.reg("FRCD0_HI")) == rid_dev);
  CHECK(t.rd(reg_off::FRCD_BASE + 12) == 0x8000'0022);  // F | FR as Linux reads it
  t.wr(reg_off::FRCD_BASE + 8, uint64_t(1) << 63, 8);   // 64-bit write of F
  CHECK_FALSE(frcd::F.test(t.reg("FRCD0_HI")));
  CHECK(t.balanced());
}

TEST_CASE("with PFO still set, an invalidation queue error is not a new fault event (FECTL.IP rule)") {
  tb t;
  t.set_table();
  t.enable_ir();
  arm_fault_event(t, /*mask=*/false);
  for (uint16_t i = 0; i < 9; ++i) t.send(handle_msg(i), rid_dev);  // 8 records + overflow
  REQUIRE(t.sink.got.size() == 1);
  for (unsigned n = 0; n < 8; ++n) clear_f(t, n);  // PPF clears; PFO stays until written
  CHECK_FALSE(fsts::PPF.test(t.reg("FSTS")));
  REQUIRE(fsts::PFO.test(t.reg("FSTS")));
  t.qi_enable();
  t.qi_submit({qi_desc{0xF, 0}});  // invalid descriptor type
  t.run(1000);
  CHECK(fsts::IQE.test(t.reg("FSTS")));
  CHECK(t.sink.got.size() == 1);  // no second fault event
  CHECK(t.vtd.stats().fault_events == 1);
  t.settle_sink();
  CHECK(t.balanced());
}
