// Interrupt requests through the unit: pass-through, compatibility-format blocking, remapping with
// xAPIC and x2APIC destinations, subhandles, and every fault reason 0x20-0x26 (VT-d §5.1.4).
#include <catch2/catch.hpp>

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <iterator>
#include <string>

#include "tb.h"

using namespace irqf;
using namespace irqf::iommu;
using namespace irqf::iommu::test;

namespace {
constexpr uint16_t rid_dev = 0x0308;  // 03:01.0
const msi_msg compat_msg{0xFEE0'2000, 0x0031};  // APIC ID 2, vector 0x31

void check_fault_record(tb& t, unsigned n, uint8_t reason, uint16_t sid, uint16_t index) {
  uint64_t hi = t.reg("FRCD" + std::to_string(n) + "_HI");
  uint64_t lo = t.reg("FRCD" + std::to_string(n) + "_LO");
  CHECK(frcd::F.test(hi));
  CHECK(frcd::FR.get(hi) == reason);
  CHECK(frcd::SID.get(hi) == sid);
  CHECK(frcd::T.get(hi) == 0);
  CHECK(frcd::IR_INDEX.get(lo) == index);
}
}  // namespace

TEST_CASE("reset state: remapping off, compatibility requests pass unchanged with their ids") {
  tb t;
  CHECK(t.reg("GSTS") == 0);
  CHECK(t.reg("FECTL") == 0x8000'0000);
  CHECK(t.reg("IECTL") == 0x8000'0000);
  CHECK(t.reg("GCMD") == 0);
  event_id e = t.send(compat_msg, rid_dev);
  REQUIRE(t.sink.got.size() == 1);
  CHECK(t.sink.got[0].addr == compat_msg.address);
  CHECK(t.sink.got[0].data == compat_msg.data);
  CHECK(t.sink.got[0].rid == rid_dev);
  CHECK(t.sink.got[0].events == std::vector<event_id>{e});
  CHECK_FALSE(t.sink.got[0].apic);
  CHECK(t.vtd.stats().passthrough == 1);
  t.ctx.led.settle_handled(std::span<const event_id>(&e, 1), now_ps());
  CHECK(t.balanced());
}

TEST_CASE("compatibility format is blocked with 0x25 when IRE=1 at reset defaults (CFIS=0)") {
  tb t;
  t.set_table();
  t.enable_ir();
  CHECK(gsts::IRES.test(t.reg("GSTS")));
  CHECK_FALSE(gsts::CFIS.test(t.reg("GSTS")));
  event_id e = t.send(compat_msg, rid_dev);
  CHECK(t.sink.got.empty());  // FECTL.IM=1 at reset: no fault event message either
  check_fault_record(t, 0, 0x25, rid_dev, 0);
  CHECK(fsts::PPF.test(t.reg("FSTS")));
  CHECK(evctl::IP.test(t.reg("FECTL")));
  CHECK(t.ctx.led.record(e).state == ev_state::lost);
  CHECK(t.lost("ir_fault_0x25") == 1);
  CHECK(t.vtd.stats().fault(0x25) == 1);
  CHECK(t.balanced());
}

TEST_CASE("compatibility format passes with CFIS=1 and EIME=0, and is blocked under EIME=1") {
  tb t;
  t.set_table(7, /*eime=*/false);
  t.enable_ir(/*cfi=*/true);
  event_id e1 = t.send(compat_msg, rid_dev);
  REQUIRE(t.sink.got.size() == 1);
  CHECK(t.sink.got[0].addr == compat_msg.address);
  t.set_table(7, /*eime=*/true);
  event_id e2 = t.send(compat_msg, rid_dev);
  CHECK(t.sink.got.size() == 1);
  CHECK(t.ctx.led.record(e2).state == ev_state::lost);
  CHECK(t.lost("ir_fault_0x25") == 1);
  t.ctx.led.settle_handled(std::span<const event_id>(&e1, 1), now_ps());
  CHECK(t.balanced());
}

TEST_CASE("a remapped request reaches the APIC bus with the IRTE's fields and its ids intact") {
  tb t;
  irte e = remapped(0x41, 3, rid_dev);
  e.logical = true;
  e.level = true;
  e.dlm = 1;
  e.redirection_hint = true;
  t.put_irte(5, e);
  t.set_table();
  t.enable_ir();
  event_id id = t.send(handle_msg(5), rid_dev);
  REQUIRE(t.sink.got.size() == 1);
  const seen& s = t.sink.got[0];
  REQUIRE(s.apic);
  CHECK(s.apic->dest == 3);
  CHECK(s.apic->vector == 0x41);
  CHECK(s.apic->logical);
  CHECK(s.apic->redirection_hint);
  CHECK(s.apic->level_trigger);
  CHECK(s.apic->mode == delivery_mode::lowest);
  CHECK(s.rid == rid_dev);
  CHECK(s.events == std::vector<event_id>{id});
  CHECK(s.addr == 0xFEE0'300Cull);  // the compatibility encoding of the same request
  CHECK(s.data == 0xC141);
  CHECK(t.vtd.stats().remapped == 1);
  CHECK(t.vtd.stats().iec_misses == 1);
  t.send(handle_msg(5), rid_dev);
  CHECK(t.vtd.stats().iec_hits == 1);
  t.ctx.led.settle_handled(std::span<const event_id>(&id, 1), now_ps());
  t.ctx.led.settle_handled(std::span<const event_id>(t.sink.got[1].events), now_ps());
  CHECK(t.balanced());
}

TEST_CASE("under EIME the IRTE destination is a 32-bit x2APIC ID") {
  tb t;
  irte e = remapped(0x42, 0, rid_dev);
  e.dst = 0x0001'2345;
  t.put_irte(1, e);
  t.set_table(7, /*eime=*/true);
  t.enable_ir();
  t.send(handle_msg(1), rid_dev);
  REQUIRE(t.sink.got.size() == 1);
  REQUIRE(t.sink.got[0].apic);
  CHECK(t.sink.got[0].apic->dest == 0x0001'2345u);
  CHECK(t.sink.got[0].apic->vector == 0x42);
  t.settle_sink();
  CHECK(t.balanced());
}

TEST_CASE("a 32-bit destination without EIME has reserved DST bits set: fault 0x24") {
  tb t;
  irte e = remapped(0x42, 0, rid_dev);
  e.dst = 0x0001'2345;
  t.put_irte(1, e);
  t.set_table(7, /*eime=*/false);
  t.enable_ir();
  t.send(handle_msg(1), rid_dev);
  CHECK(t.sink.got.empty());
  check_fault_record(t, 0, 0x24, rid_dev, 1);
  CHECK(t.lost("ir_fault_0x24") == 1);
  CHECK(t.balanced());
}

TEST_CASE("with SHV the subhandle is added to the handle, without SHV the data is ignored") {
  tb t;
  t.put_irte(10, remapped(0x44, 1, rid_dev));
  t.put_irte(13, remapped(0x55, 1, rid_dev));
  t.set_table();
  t.enable_ir();
  t.send(encode_remappable_msi({10, true, 3}), rid_dev);
  t.send({handle_msg(10).address, 3}, rid_dev);
  REQUIRE(t.sink.got.size() == 2);
  CHECK(t.sink.got[0].apic->vector == 0x55);
  CHECK(t.sink.got[1].apic->vector == 0x44);
  t.settle_sink();
  CHECK(t.balanced());
}

TEST_CASE("fault 0x20: SHV with data[31:16] non-zero") {
  tb t;
  t.put_irte(13, remapped(0x55, 1, rid_dev));
  t.set_table();
  t.enable_ir();
  msi_msg m = encode_remappable_msi({10, true, 3});
  m.data |= 0x0001'0000;
  t.send(m, rid_dev);
  CHECK(t.sink.got.empty());
  check_fault_record(t, 0, 0x20, rid_dev, 13);
  CHECK(t.lost("ir_fault_0x20") == 1);
  CHECK(t.balanced());
}

TEST_CASE("fault 0x21: index beyond the 2^(S+1) entries latched by SIRTP") {
  tb t;
  t.set_table(3);  // 16 entries
  t.enable_ir();
  t.put_irte(15, remapped(0x41, 1, rid_dev));
  t.send(handle_msg(15), rid_dev);
  CHECK(t.sink.got.size() == 1);
  t.send(handle_msg(16), rid_dev);
  CHECK(t.sink.got.size() == 1);
  check_fault_record(t, 0, 0x21, rid_dev, 16);
  // IRTA written but not latched (no SIRTP): still 16 entries.
  t.wr(reg_off::IRTA, irta::IRTA_BASE.set(irta::S.set(0, 7), tb::irt_base >> 12), 8);
  t.send(handle_msg(16), rid_dev);
  CHECK(t.lost("ir_fault_0x21") == 2);
  t.ctx.led.settle_handled(std::span<const event_id>(t.sink.got[0].events), now_ps());
  CHECK(t.balanced());
}

TEST_CASE("fault 0x22: IRTE not present, FPD suppresses the record but the request is still lost") {
  tb t;
  t.set_table();
  t.enable_ir();
  t.send(handle_msg(4), rid_dev);  // all-zero entry
  check_fault_record(t, 0, 0x22, rid_dev, 4);
  irte fpd;
  fpd.fpd = true;  // P=0, FPD=1
  t.put_irte(6, fpd);
  t.send(handle_msg(6), rid_dev);
  CHECK_FALSE(frcd::F.test(t.reg("FRCD1_HI")));
  CHECK(t.lost("ir_fault_0x22") == 2);
  CHECK(t.vtd.stats().faults_recorded == 1);
  CHECK(t.vtd.stats().faults_suppressed_fpd == 1);
  CHECK(t.vtd.stats().iec_misses == 2);
  CHECK(t.vtd.iec().occupancy() == 0);  // faulting entries are not cached
  CHECK(t.balanced());
}

TEST_CASE("fault 0x23: the IRTE read fails (table outside memory)") {
  param_values m(sparse_memory::schema());
  m.set("size_bytes", int64_t(1) << 30);
  tb t(defaults(), m);
  t.set_table(7, false, uint64_t(2) << 30);
  t.enable_ir();
  t.send(handle_msg(1), rid_dev);
  check_fault_record(t, 0, 0x23, rid_dev, 1);
  CHECK(t.lost("ir_fault_0x23") == 1);
  CHECK(t.balanced());
}

TEST_CASE("fault 0x24: reserved IRTE bits, FPD suppresses the record") {
  tb t;
  irte e = remapped(0x41, 1, rid_dev);
  irte_raw r = encode_irte(e);
  t.put_raw(2, {r.lo | (1ull << 13), r.hi});
  e.fpd = true;
  r = encode_irte(e);
  t.put_raw(3, {r.lo | (1ull << 13), r.hi});
  t.set_table();
  t.enable_ir();
  t.send(handle_msg(2), rid_dev);
  t.send(handle_msg(3), rid_dev);
  check_fault_record(t, 0, 0x24, rid_dev, 2);
  CHECK_FALSE(frcd::F.test(t.reg("FRCD1_HI")));
  CHECK(t.lost("ir_fault_0x24") == 2);
  CHECK(t.vtd.stats().faults_suppressed_fpd == 1);
  CHECK(t.balanced());
}

TEST_CASE("fault 0x26: source-ID mismatch, SQ masks, FPD suppresses the record") {
  tb t;
  irte e = remapped(0x41, 1, 0x0308);
  t.put_irte(1, e);
  e.sq = 3;  // any function of 03:01
  t.put_irte(2, e);
  e.sq = 0;
  e.fpd = true;
  t.put_irte(3, e);
  t.set_table();
  t.enable_ir();
  t.send(handle_msg(1), 0x0309);  // 03:01.1 against a full match: blocked
  check_fault_record(t, 0, 0x26, 0x0309, 1);
  t.send(handle_msg(2), 0x030F);  // 03:01.7 under SQ=3: passes
  CHECK(t.sink.got.size() == 1);
  t.send(handle_msg(3), 0x0309);  // FPD: blocked, not recorded
  CHECK_FALSE(frcd::F.test(t.reg("FRCD1_HI")));
  CHECK(t.lost("ir_fault_0x26") == 2);
  CHECK(t.vtd.stats().faults_suppressed_fpd == 1);
  t.ctx.led.settle_handled(std::span<const event_id>(t.sink.got[0].events), now_ps());
  CHECK(t.balanced());
}

TEST_CASE("SVT=2 verifies the bus range the spec's way: SID[15:8] start bus, SID[7:0] end bus") {
  tb t;
  irte e = remapped(0x41, 1, 0x0204);  // buses 2..4, as Linux set_irte_verify_bus writes it
  e.svt_ = svt::bus_range;
  t.put_irte(1, e);
  t.set_table();
  t.enable_ir();
  t.send(handle_msg(1), 0x0300);  // bus 3: inside
  t.send(handle_msg(1), 0x0408);  // bus 4: inside
  t.send(handle_msg(1), 0x0100);  // bus 1: outside
  t.send(handle_msg(1), 0x0500);  // bus 5: outside
  CHECK(t.sink.got.size() == 2);
  CHECK(t.lost("ir_fault_0x26") == 2);
  t.settle_sink();
  CHECK(t.balanced());
}

TEST_CASE("an IOAPIC request is verified against the IOAPIC's own source ID") {
  // The IOAPIC's source ID comes from the DMAR device scope (e.g. F0:1F.0 = 0xF0F8); Linux
  // set_ioapic_sid programs SVT=1, SQ=0, SID=that ID.
  constexpr uint16_t ioapic_sid = 0xF0F8;
  tb t;
  t.put_irte(0, remapped(0x30, 0, ioapic_sid));
  t.set_table();
  t.enable_ir();
  // Remappable-format RTE: the IOAPIC sends handle 0, its own requester ID.
  t.send(handle_msg(0), ioapic_sid);
  REQUIRE(t.sink.got.size() == 1);
  CHECK(t.sink.got[0].apic->vector == 0x30);
  // The same request with another requester ID (e.g. the host bridge 00:00.0) is blocked.
  t.send(handle_msg(0), 0x0000);
  CHECK(t.sink.got.size() == 1);
  check_fault_record(t, 0, 0x26, 0x0000, 0);
  CHECK(t.lost("ir_fault_0x26") == 1);
  t.settle_sink();
  CHECK(t.balanced());
}

TEST_CASE("remapping disabled: remappable-format writes pass untranslated") {
  tb t;
  t.put_irte(1, remapped(0x41, 1, rid_dev));
  t.set_table();  // table latched, IRE still 0
  t.send(handle_msg(1), rid_dev);
  REQUIRE(t.sink.got.size() == 1);
  CHECK(t.sink.got[0].addr == handle_msg(1).address);
  CHECK_FALSE(t.sink.got[0].apic);
  t.settle_sink();
  CHECK(t.balanced());
}

TEST_CASE("remap decisions, IEC hits and misses and faults reach the trace") {
  const std::string path = "iommu_trace_test.json";
  tb t;
  t.ctx.trace.open(path);
  t.put_irte(1, remapped(0x41, 1, rid_dev));
  t.set_table();
  t.enable_ir();
  t.send(handle_msg(1), rid_dev);
  t.send(handle_msg(1), rid_dev);
  t.send(handle_msg(2), rid_dev);  // not present
  t.ctx.trace.close();
  std::ifstream f(path);
  std::string text((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  std::remove(path.c_str());
  CHECK(text.find(R"("index":1,"iec_hit":0)") != std::string::npos);
  CHECK(text.find(R"("index":1,"iec_hit":1)") != std::string::npos);
  CHECK(text.find(R"("index":2,"iec_hit":0)") != std::string::npos);
  CHECK(text.find(R"("name":"fault")") != std::string::npos);
  CHECK(text.find(R"("reason":34)") != std::string::npos);
  CHECK(text.find(R"("vec":65)") != std::string::npos);
  t.settle_sink();
  CHECK(t.balanced());
}

TEST_CASE("register_view reads and writes by VT-d name, with the MMIO side effects") {
  tb t;
  auto names = t.vtd.register_names();
  for (const char* n : {"CAP", "ECAP", "GCMD", "GSTS", "IRTA", "FSTS", "FECTL", "FEDATA", "FEADDR",
                        "FEUADDR", "IQH", "IQT", "IQA", "ICS", "IECTL", "IEDATA", "IEADDR", "IEUADDR",
                        "FRCD0_LO", "FRCD0_HI", "FRCD7_HI"})
    CHECK(std::find(names.begin(), names.end(), n) != names.end());
  CHECK(t.vtd.write_register("IRTA", irta::IRTA_BASE.set(irta::S.set(0, 3), tb::irt_base >> 12)));
  CHECK(t.vtd.write_register("GCMD", gcmd::SIRTP.mask() | gcmd::IRE.mask()));
  CHECK(t.reg("GSTS") == (gsts::IRTPS.mask() | gsts::IRES.mask()));
  CHECK(*t.vtd.read_register("IRTA") == (tb::irt_base | 3));
  CHECK_FALSE(t.vtd.read_register("NOPE"));
  CHECK_FALSE(t.vtd.write_register("NOPE", 1));
  CHECK(t.vtd.write_register("CAP", 0));  // read-only: ignored
  CHECK(cap::NFR.get(t.reg("CAP")) == 7);
}
