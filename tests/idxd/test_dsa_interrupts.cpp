// Interrupt handles, IMS masking policies and the misc causes of INTCAUSE.
#include <catch2/catch.hpp>

#include "rig.h"

using namespace irqf;
using namespace irqf::idxd;
using namespace irqf::idxd::test;

TEST_CASE("interrupt handles: request, release and revoke") {
  auto p = dsa_params();
  p.set("int_handle_support", true);
  dsa_rig r(p);
  r.basic_setup();
  r.ims_program(17, false);
  CHECK(r.cmd(cmd_request_int_handle, 1) == 0x000);        // MSI-X 1 -> handle 0
  CHECK(r.cmd(cmd_request_int_handle, 0x10011) == 0x100);  // IMS 17 -> handle 1 (result [23:8])
  CHECK(r.cmd(cmd_request_int_handle, 9) == cmd_err::INVAL_INT_IDX);
  CHECK(r.cmd(cmd_request_int_handle, 0x10000 | 2048) == cmd_err::INVAL_INT_IDX);
  r.sink.watch = 0x30000;
  r.portal(0, 0, make_noop(0x30000, true, 1));
  sc_core::sc_start(ns(2000));
  REQUIRE(r.sink.got.size() == 1);
  CHECK(r.sink.got[0].data == 0x80 + 17);  // the IMS entry the handle names
  CHECK(r.sink.got[0].watched_status == st_success);
  CHECK(r.ctx.led.source_name(r.ctx.led.record(r.sink.got[0].events[0]).source) == "dsa0/ims/17");

  // Released handle: status 0x19, no interrupt, ledger loss on the device-level handle source.
  CHECK(r.cmd(cmd_release_int_handle, 0) == 0);
  CHECK(r.cmd(cmd_release_int_handle, 0) == cmd_err::INVAL_INT_IDX);  // already free
  r.portal(0, 0, make_noop(0x30020, true, 0));
  sc_core::sc_start(ns(2000));
  CHECK(r.record(0x30020).status == st_int_handle_inval);
  CHECK(r.sink.got.size() == 1);

  // Revocation: misc vector with INTCAUSE.INT_HANDLE_REVOKED, then the handle is invalid.
  CHECK(r.dev.revoke_int_handles() == 1);
  REQUIRE(r.sink.got.size() == 2);
  CHECK(r.sink.got[1].data == 0x40);  // MSI-X entry 0
  CHECK(r.rd(reg_off::INTCAUSE) == intcause::INT_HANDLE_REVOKED);
  r.portal(0, 0, make_noop(0x30040, true, 1));
  sc_core::sc_start(ns(2000));
  CHECK(r.record(0x30040).status == st_int_handle_inval);
  CHECK(r.sink.got.size() == 2);
  // A new request reuses the revoked number.
  CHECK(r.cmd(cmd_request_int_handle, 0x10011) == 0x000);

  auto t = r.ctx.led.totals();
  CHECK(t.raised == 4);
  CHECK(t.handled == 2);
  CHECK(t.lost == 2);
  CHECK(t.lost_by_cause.at("handle_revoked") == 2);
  CHECK(check_conservation(t).ok);
  std::vector<std::string> lost_sources;
  for (auto& rec : r.ctx.led.records())
    if (rec.state == ev_state::lost) lost_sources.push_back(r.ctx.led.source_name(rec.source));
  CHECK(lost_sources == std::vector<std::string>{"dsa0/handle/0", "dsa0/ims/17"});
}

TEST_CASE("without handle support an out-of-range index is an invalid handle") {
  dsa_rig r(dsa_params());
  r.basic_setup();
  r.portal(0, 0, make_noop(0x30000, true, 9));  // MSI-X has 9 entries: 0..8
  sc_core::sc_start(ns(2000));
  CHECK(r.record(0x30000).status == st_int_handle_inval);
  auto t = r.ctx.led.totals();
  CHECK(t.lost_by_cause.at("handle_revoked") == 1);
  CHECK(check_conservation(t).ok);
}

namespace {
void ims_masked_case(const char* policy) {
  auto p = dsa_params();
  p.set("ims_masked_policy", std::string(policy));
  dsa_rig r(p);
  r.basic_setup();
  r.ims_program(5, /*masked=*/true);
  r.portal(0, 2, make_noop(0x30000, true, 5));  // IMS portal: the handle indexes the IMS table
  r.portal(0, 2, make_noop(0x30020, true, 5));
  sc_core::sc_start(ns(2000));
  CHECK(r.sink.got.empty());
  CHECK(r.record(0x30020).status == st_success);
  const bool latch = std::string(policy) == "latch";
  CHECK(r.dev.ims().pending(5) == latch);
  CHECK(r.dev.read_register("IMS[5].CTRL") == 1u);
  r.wr(r.dev.layout().ims + 16 * 5 + 12, 0);  // unmask
  auto t = r.ctx.led.totals();
  CHECK(t.raised == 2);
  if (latch) {
    REQUIRE(r.sink.got.size() == 1);  // one message carries both events
    CHECK(r.sink.got[0].data == 0x85);
    CHECK(r.sink.got[0].events.size() == 2);
    CHECK(t.handled == 1);
    CHECK(t.merged == 1);
  } else {
    CHECK(r.sink.got.empty());
    CHECK(t.lost_by_cause.at("ims_masked_drop") == 2);
  }
  CHECK_FALSE(r.dev.ims().pending(5));
  CHECK(check_conservation(t).ok);
}
}  // namespace

TEST_CASE("IMS masked entry, policy latch: pending bit, one message on unmask") {
  ims_masked_case("latch");
}
TEST_CASE("IMS masked entry, policy drop: events lost with ims_masked_drop") {
  ims_masked_case("drop");
}

TEST_CASE("IMS entry with PASID enable serves only descriptors of that PASID") {
  dsa_rig r(dsa_params());
  r.basic_setup();
  r.ims_program(3, false);
  r.wr(r.dev.layout().ims + 16 * 3 + 12, ims_entry::CTRL_PASID_EN.mask() | ims_entry::CTRL_PASID.set(0, 7));
  r.portal(0, 2, make_noop(0x30000, true, 3));  // dedicated WQ without PASID
  sc_core::sc_start(ns(2000));
  CHECK(r.record(0x30000).status == st_int_handle_inval);
  CHECK(r.sink.got.empty());
  CHECK(check_conservation(r.ctx.led.totals()).ok);
}

TEST_CASE("misc vector: every INTCAUSE cause raises MSI-X entry 0 and clears by W1C") {
  auto p = dsa_params();
  p.set("int_handle_support", true);
  p.set("occupancy_int_support", true);
  dsa_rig r(p);
  r.basic_setup();
  CHECK(r.sink.got.empty());

  // CMD: a command written with int_req.
  CHECK(r.cmd(cmd_drain_all, 0, true) == 0);
  REQUIRE(r.sink.got.size() == 1);
  CHECK(r.sink.got[0].data == 0x40);
  CHECK(r.rd(reg_off::INTCAUSE) == intcause::CMD);
  r.wr(reg_off::INTCAUSE, intcause::CMD);
  CHECK(r.rd(reg_off::INTCAUSE) == 0);

  // ERR: a software error (unsupported opcode, no completion record) with softerr_int_en.
  r.wr(reg_off::GENCTRL, 1);
  dsa_descriptor bad;
  bad.opcode = 0x30;
  r.portal(0, 0, bad);
  sc_core::sc_start(ns(2000));
  REQUIRE(r.sink.got.size() == 2);
  CHECK(r.rd(reg_off::INTCAUSE) == intcause::ERR);
  const uint64_t sw = r.rd(reg_off::SWERR, 8);
  CHECK(swerr0::VALID.get(sw) == 1);
  CHECK(swerr0::ERROR.get(sw) == st_bad_opcode);
  CHECK(swerr0::OPERATION.get(sw) == 0x30);
  CHECK(swerr0::WQ_IDX_VALID.get(sw) == 1);
  r.wr(reg_off::SWERR, 3, 8);
  CHECK(swerr0::VALID.get(r.rd(reg_off::SWERR, 8)) == 0);
  r.wr(reg_off::INTCAUSE, intcause::ERR);

  // OCCUPY: occupancy interrupt armed with limit 0 fires when the WQ empties.
  const uint64_t w0 = r.dev.layout().wqcfg;
  r.wr(w0 + 20, wqcfg::OCCUPANCY_INT_EN.mask());
  r.portal(0, 0, make_noop(0x30000));
  sc_core::sc_start(ns(2000));
  REQUIRE(r.sink.got.size() == 3);
  CHECK(r.rd(reg_off::INTCAUSE) == intcause::OCCUPY);
  CHECK(wqcfg::OCCUPANCY_INT.get(r.rd(w0 + 24)) == 1);
  CHECK(wqcfg::OCCUPANCY_INT_EN.get(r.rd(w0 + 20)) == 0);  // one-shot
  r.wr(w0 + 24, wqcfg::OCCUPANCY_INT.mask());
  CHECK(wqcfg::OCCUPANCY_INT.get(r.rd(w0 + 24)) == 0);
  r.wr(reg_off::INTCAUSE, intcause::OCCUPY);

  // INT_HANDLE_REVOKED.
  CHECK(r.cmd(cmd_request_int_handle, 2) == 0);
  CHECK(r.dev.revoke_int_handle(0));
  REQUIRE(r.sink.got.size() == 4);
  CHECK(r.rd(reg_off::INTCAUSE) == intcause::INT_HANDLE_REVOKED);
  r.wr(reg_off::INTCAUSE, intcause::INT_HANDLE_REVOKED);
  CHECK(r.rd(reg_off::INTCAUSE) == 0);

  for (auto& m : r.sink.got) CHECK(m.data == 0x40);
  auto t = r.ctx.led.totals();
  CHECK(t.raised == 4);
  CHECK(t.handled == 4);
  CHECK(check_conservation(t).ok);
}

TEST_CASE("masked misc vector latches in the MSI-X PBA and replays on unmask") {
  dsa_rig r(dsa_params());
  r.basic_setup();
  r.wr(r.dev.layout().msix_table + 12, 1);  // mask entry 0
  CHECK(r.cmd(cmd_drain_all, 0, true) == 0);
  CHECK(r.cmd(cmd_drain_all, 0, true) == 0);
  CHECK(r.sink.got.empty());
  CHECK(r.rd(r.dev.layout().msix_pba) == 1);
  r.wr(r.dev.layout().msix_table + 12, 0);
  REQUIRE(r.sink.got.size() == 1);
  CHECK(r.sink.got[0].events.size() == 2);
  auto t = r.ctx.led.totals();
  CHECK(t.handled == 1);
  CHECK(t.merged == 1);
  CHECK(check_conservation(t).ok);
}
