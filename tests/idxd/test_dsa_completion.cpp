// Descriptors, engines and the completion path: record first, then the interrupt.
#include <catch2/catch.hpp>

#include "rig.h"

using namespace irqf;
using namespace irqf::idxd;
using namespace irqf::idxd::test;

TEST_CASE("memmove with RCI: completion record lands before its MSI-X interrupt") {
  dsa_rig r(dsa_params());
  r.basic_setup();
  for (unsigned k = 0; k < 256; ++k) r.mem.store<uint8_t>(0x10000 + k, uint8_t(k * 7));
  r.sink.watch = 0x30000;
  const uint64_t t0 = now_ps();
  REQUIRE(r.portal(0, 0, make_memmove(0x10000, 0x20000, 256, 0x30000, true, 1)) ==
          tlm::TLM_OK_RESPONSE);
  sc_core::sc_start(ns(10000));
  REQUIRE(r.sink.got.size() == 1);
  const msi_rec& m = r.sink.got[0];
  CHECK(m.addr == dsa_rig::msi_addr);
  CHECK(m.data == 0x41);                // MSI-X entry 1
  CHECK(m.watched_status == st_success);  // the record was in memory when the MSI arrived
  REQUIRE(m.events.size() == 1);
  const auto& ev = r.ctx.led.record(m.events[0]);
  // overhead 200 ns + 256 B / 30 B/ns = 208.533 ns
  CHECK(ev.raise_ps == t0 + 208533);
  CHECK(r.ctx.led.source_name(ev.source) == "dsa0/msix/1");
  auto rec = r.record(0x30000);
  CHECK(rec.status == st_success);
  CHECK(rec.bytes_completed == 256);
  for (unsigned k = 0; k < 256; ++k) REQUIRE(r.mem.load<uint8_t>(0x20000 + k) == uint8_t(k * 7));
  auto t = r.ctx.led.totals();
  CHECK(t.raised == 1);
  CHECK(t.handled == 1);
  CHECK(check_conservation(t).ok);
}

TEST_CASE("no RCI gives a record and no interrupt, RCR clear gives a record only on error") {
  dsa_rig r(dsa_params());
  r.basic_setup();
  auto a = make_noop(0x30000);
  auto b = make_noop(0x30020);
  b.flags &= ~desc_flag::RCR;
  auto c = make_memmove(0x10000, 0x20000, 0, 0x30040);  // size 0: transfer-size error
  c.flags &= ~desc_flag::RCR;
  r.portal(0, 0, a);
  r.portal(0, 0, b);
  r.portal(0, 0, c);
  sc_core::sc_start(ns(5000));
  CHECK(r.record(0x30000).status == st_success);
  CHECK(r.record(0x30020).status == st_none);
  CHECK(r.record(0x30040).status == st_xfer_erange);
  CHECK(r.sink.got.empty());
  CHECK(r.dev.stats().completed == 3);
  CHECK(r.ctx.led.totals().raised == 0);
  CHECK(check_conservation(r.ctx.led.totals()).ok);
}

TEST_CASE("batch of fill and compares then drain, with exact engine timing") {
  dsa_rig r(dsa_params());
  r.basic_setup();
  auto f = make_fill(0x1122334455667788ull, 0x50000, 64, 0x60000);
  auto c = make_compare(0x50000, 0x50000, 64, 0x60020);
  auto c2 = make_compare(0x50000, 0x51000, 64, 0x60080);
  auto fi = f.encode(), ci = c.encode(), c2i = c2.encode();
  r.mem.write(0x40000, fi.data(), 64);
  r.mem.write(0x40040, ci.data(), 64);
  r.mem.write(0x40080, c2i.data(), 64);
  const uint64_t t0 = now_ps();
  r.portal(0, 0, make_batch(0x40000, 3, 0x60040, true, 2));
  r.portal(0, 0, make_drain(0x60060, true, 3));
  sc_core::sc_start(ns(10000));
  CHECK(r.record(0x60000).status == st_success);
  auto cr = r.record(0x60020);
  CHECK(cr.status == st_success);
  CHECK(cr.result == 0);
  auto cr2 = r.record(0x60080);
  CHECK(cr2.status == st_success);
  CHECK(cr2.result == 1);  // 0x51000 is zero: differs at byte 0
  CHECK(cr2.bytes_completed == 0);
  auto br = r.record(0x60040);
  CHECK(br.status == st_success);
  CHECK(br.bytes_completed == 3);  // descriptors completed
  CHECK(r.record(0x60060).status == st_success);
  CHECK(r.mem.load<uint64_t>(0x50038) == 0x1122334455667788ull);
  REQUIRE(r.sink.got.size() == 2);
  CHECK(r.sink.got[0].data == 0x42);
  CHECK(r.sink.got[1].data == 0x43);
  // batch: 200 ns fetch + 3 x (200 ns + 64 B / 30 B/ns = 2.133 ns); the drain follows on the engine
  CHECK(r.ctx.led.record(r.sink.got[0].events[0]).raise_ps == t0 + 806399);
  CHECK(r.ctx.led.record(r.sink.got[1].events[0]).raise_ps == t0 + 1006399);
  CHECK(check_conservation(r.ctx.led.totals()).ok);
}

TEST_CASE("shared WQ: ENQCMD answers retry when full or above the limited-portal threshold") {
  dsa_rig r(dsa_params());
  r.basic_setup(0, 4, /*dedicated=*/false, /*engine=*/false);  // no engine: nothing drains
  auto d = make_noop(0x30000);
  CHECK(r.portal(0, 1, d) == tlm::TLM_OK_RESPONSE);  // limited, occupancy 0 < thresh 2
  CHECK(r.portal(0, 1, d) == tlm::TLM_OK_RESPONSE);
  CHECK(r.portal(0, 1, d) == tlm::TLM_GENERIC_ERROR_RESPONSE);  // at thresh
  CHECK(r.portal(0, 0, d) == tlm::TLM_OK_RESPONSE);  // unlimited up to size 4
  CHECK(r.portal(0, 0, d) == tlm::TLM_OK_RESPONSE);
  CHECK(r.portal(0, 0, d) == tlm::TLM_GENERIC_ERROR_RESPONSE);
  CHECK(r.dev.submit(0, d) == submit_status::retry);
  CHECK(r.dev.submit(1, d) == submit_status::retry);  // WQ 1 disabled (shared mode at reset)
  CHECK(r.dev.stats().retried == 4);
  CHECK(r.rd(r.dev.layout().wqcfg + 24) == 0x60000004u);  // occupancy 4, enabled
  // Abort drops the queued descriptors: no completions, no records.
  CHECK(r.cmd(cmd_abort_wq, 1) == 0);
  CHECK(r.dev.wq_occupancy(0) == 0);
  CHECK(r.record(0x30000).status == st_none);
  CHECK(r.ctx.led.totals().raised == 0);
  CHECK(check_conservation(r.ctx.led.totals()).ok);
}

TEST_CASE("dedicated WQ: MOVDIR64B to a full WQ is dropped silently") {
  dsa_rig r(dsa_params());
  r.basic_setup(0, 2, true, false);
  auto d = make_noop(0x30000);
  CHECK(r.dev.submit(0, d) == submit_status::accepted);
  CHECK(r.dev.submit(0, d) == submit_status::accepted);
  CHECK(r.portal(0, 0, d) == tlm::TLM_OK_RESPONSE);  // posted: no status back
  CHECK(r.dev.stats().dropped == 1);
  CHECK(r.dev.wq_occupancy(0) == 2);
  CHECK(check_conservation(r.ctx.led.totals()).ok);
}
