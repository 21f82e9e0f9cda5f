// The interrupt entry cache and queued invalidation (VT-d §6.4, §6.5.2): a changed IRTE takes effect
// only after an IEC invalidation through the queue; invalidation wait with status write and with
// the completion interrupt; queue errors.
#include <catch2/catch.hpp>

#include "tb.h"

using namespace irqf;
using namespace irqf::iommu;
using namespace irqf::iommu::test;

namespace {
constexpr uint16_t rid_dev = 0x0308;
uint32_t status(tb& t) { return t.mem.load<uint32_t>(tb::status_addr); }
uint8_t last_vector(tb& t) { return t.sink.got.back().apic->vector; }
}  // namespace

TEST_CASE("software that forgets the IEC invalidation keeps getting the stale entry's routing") {
  tb t;
  t.put_irte(5, remapped(0x41, 1, rid_dev));
  t.set_table();
  t.enable_ir();
  t.qi_enable();
  t.send(handle_msg(5), rid_dev);
  REQUIRE(t.sink.got.size() == 1);
  CHECK(last_vector(t) == 0x41);
  CHECK(t.sink.got.back().apic->dest == 1);

  // Software moves the interrupt (new vector and CPU) by rewriting the IRTE in memory only.
  t.put_irte(5, remapped(0x42, 2, rid_dev));
  t.run(1000);
  t.send(handle_msg(5), rid_dev);
  CHECK(last_vector(t) == 0x41);  // stale: still the cached routing
  CHECK(t.sink.got.back().apic->dest == 1);
  CHECK(t.vtd.stats().iec_hits == 1);

  // Now the invalidation: IEC index-selective + invalidation wait with status write.
  t.qi_submit({make_iec_index(5, 0), make_inv_wait(tb::status_addr, 1, true, false)});
  t.send(handle_msg(5), rid_dev);  // the queue has not been processed yet
  CHECK(last_vector(t) == 0x41);
  t.run(1000);
  CHECK(status(t) == 1);
  CHECK(t.reg("IQH") == t.reg("IQT"));
  t.send(handle_msg(5), rid_dev);
  CHECK(last_vector(t) == 0x42);
  CHECK(t.sink.got.back().apic->dest == 2);
  CHECK(t.vtd.stats().iec_misses == 2);
  CHECK(t.vtd.stats().iec_index_invalidations == 1);
  t.settle_sink();
  CHECK(t.balanced());
}

TEST_CASE("each descriptor takes qi_desc_ns, the status dword is written when the wait completes") {
  param_values p = defaults();
  p.set("qi_desc_ns", 100.0);
  tb t(p);
  t.qi_enable();
  t.qi_submit({make_iec_global(), make_inv_wait(tb::status_addr, 7, true, false)});
  t.run(150);
  CHECK(status(t) == 0);
  CHECK(iq::QH.get(t.reg("IQH")) == 1);
  t.run(100);
  CHECK(status(t) == 7);
  CHECK(iq::QH.get(t.reg("IQH")) == 2);
  CHECK(t.vtd.stats().qi_descriptors == 2);
  CHECK(t.balanced());
}

TEST_CASE("index-selective invalidation with IM covers 2^IM entries, global covers all") {
  tb t;
  for (uint16_t i = 3; i <= 8; ++i) t.put_irte(i, remapped(uint8_t(0x40 + i), 1, rid_dev));
  t.set_table();
  t.enable_ir();
  t.qi_enable();
  for (uint16_t i = 3; i <= 8; ++i) t.send(handle_msg(i), rid_dev);
  CHECK(t.vtd.iec().occupancy() == 6);
  t.qi_submit({make_iec_index(6, 2)});  // 4..7
  t.run(1000);
  CHECK(t.vtd.iec().contains(3));
  for (uint16_t i = 4; i <= 7; ++i) CHECK_FALSE(t.vtd.iec().contains(i));
  CHECK(t.vtd.iec().contains(8));
  t.qi_submit({make_iec_global()});
  t.run(1000);
  CHECK(t.vtd.iec().occupancy() == 0);
  t.settle_sink();
  CHECK(t.balanced());
}

TEST_CASE("SIRTP does not invalidate the IEC (CAP.ESIRTPS=0): software must, as Linux does") {
  constexpr uint64_t new_base = 0x50'0000;
  tb t;
  t.put_irte(1, remapped(0x41, 1, rid_dev));
  t.put_irte(1, remapped(0x61, 1, rid_dev), new_base);
  t.set_table();
  t.enable_ir();
  t.qi_enable();
  t.send(handle_msg(1), rid_dev);
  t.set_table(7, false, new_base);
  t.send(handle_msg(1), rid_dev);
  CHECK(last_vector(t) == 0x41);
  t.qi_submit({make_iec_global()});
  t.run(1000);
  t.send(handle_msg(1), rid_dev);
  CHECK(last_vector(t) == 0x61);
  t.settle_sink();
  CHECK(t.balanced());
}

TEST_CASE("invalidation wait with IF: ICS.IWC and one completion event until IWC is cleared") {
  tb t;
  t.wr(reg_off::IEDATA, 0x00E1);
  t.wr(reg_off::IEADDR, 0xFEE0'0000);
  t.wr(reg_off::IECTL, 0);
  t.qi_enable();
  t.qi_submit({make_inv_wait(0, 0, false, true)});
  t.run(1000);
  CHECK(iq::IWC.test(t.reg("ICS")));
  REQUIRE(t.sink.got.size() == 1);
  CHECK(t.sink.got[0].data == 0x00E1);
  CHECK(t.ctx.led.source_name(t.ctx.led.record(t.sink.got[0].events[0]).source) == "vtd/inv/0");
  t.qi_submit({make_inv_wait(0, 0, false, true)});  // IWC still set: not a new condition
  t.run(1000);
  CHECK(t.sink.got.size() == 1);
  t.wr(reg_off::ICS, 1);
  CHECK_FALSE(iq::IWC.test(t.reg("ICS")));
  t.qi_submit({make_inv_wait(0, 0, false, true)});
  t.run(1000);
  CHECK(t.sink.got.size() == 2);
  CHECK(t.vtd.stats().inv_events == 2);
  t.settle_sink();
  CHECK(t.balanced());
}

TEST_CASE("an invalid descriptor stops the queue with FSTS.IQE until software clears it") {
  tb t;
  t.wr(reg_off::FEDATA, 0x00F1);
  t.wr(reg_off::FEADDR, 0xFEE0'0000);
  t.wr(reg_off::FECTL, 0);
  t.qi_enable();
  t.qi_submit({make_iec_global(), qi_desc{0xF, 0}, make_inv_wait(tb::status_addr, 3, true, false)});
  t.run(1000);
  CHECK(fsts::IQE.test(t.reg("FSTS")));
  CHECK(iq::QH.get(t.reg("IQH")) == 1);  // points at the offending descriptor
  CHECK(status(t) == 0);
  REQUIRE(t.sink.got.size() == 1);  // fault event
  // Software replaces the bad descriptor (Linux qi_check_fault copies the wait descriptor over it)
  // and clears IQE: the queue resumes.
  qi_desc fix = make_inv_wait(tb::status_addr, 3, true, false);
  t.mem.write(tb::iq_base + 16, &fix, 16);
  t.wr(reg_off::FSTS, fsts::IQE.mask());
  t.run(1000);
  CHECK(status(t) == 3);
  CHECK(t.reg("IQH") == t.reg("IQT"));
  t.settle_sink();
  CHECK(t.balanced());
}

TEST_CASE("an IEC of zero entries reads the IRTE on every request (no stale entries)") {
  param_values p = defaults();
  p.set("iec_entries", int64_t(0));
  tb t(p);
  t.put_irte(5, remapped(0x41, 1, rid_dev));
  t.set_table();
  t.enable_ir();
  t.send(handle_msg(5), rid_dev);
  t.put_irte(5, remapped(0x42, 1, rid_dev));
  t.send(handle_msg(5), rid_dev);
  CHECK(last_vector(t) == 0x42);
  CHECK(t.vtd.stats().iec_misses == 2);
  t.settle_sink();
  CHECK(t.balanced());
}

TEST_CASE("a masked invalidation completion event is held in IECTL.IP and lost if IWC is cleared") {
  tb t;
  t.wr(reg_off::IEDATA, 0x00E1);
  t.wr(reg_off::IEADDR, 0xFEE0'0000);  // IECTL.IM stays 1 (reset)
  t.qi_enable();
  t.qi_submit({make_inv_wait(0, 0, false, true)});
  t.run(1000);
  CHECK(evctl::IP.test(t.reg("IECTL")));
  CHECK(t.sink.got.empty());
  t.wr(reg_off::ICS, 1);  // software polled ICS and cleared IWC
  CHECK_FALSE(evctl::IP.test(t.reg("IECTL")));
  t.wr(reg_off::IECTL, 0);
  CHECK(t.sink.got.empty());
  CHECK(t.lost("pending_cleared") == 1);
  CHECK(t.balanced());
}
