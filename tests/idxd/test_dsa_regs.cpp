// Register reset values against the register table (registers.h, defaults of dsa_params.cpp).
#include <catch2/catch.hpp>

#include "rig.h"

using namespace irqf;
using namespace irqf::idxd;
using namespace irqf::idxd::test;

TEST_CASE("DSA BAR0 reset values match a SPR DSA 1.0 instance") {
  dsa_rig r(dsa_params());
  CHECK(r.rd(reg_off::VERSION) == 0x100);
  CHECK(r.rd(reg_off::GENCAP, 8) == 0x40915f0107ull);  // cmd_cap 0 as on DSA 1.0
  CHECK(r.rd(reg_off::WQCAP, 8) == 0x000F000000080080ull);  // 128 entries, 8 WQs, SWQ/DWQ/ATS/prio
  CHECK(r.rd(reg_off::GRPCAP, 8) == 0x6004);               // 4 groups, 96 read buffers
  CHECK(r.rd(reg_off::ENGCAP, 8) == 4);
  CHECK(r.rd(reg_off::OPCAP, 8) == 0x3f);
  CHECK(r.rd(reg_off::OPCAP + 8, 8) == 0);
  CHECK(r.rd(reg_off::OFFSETS, 8) == 0x0040000600050004ull);  // grpcfg 0x400 wqcfg 0x500 perm 0x600 ims 0x4000
  CHECK(r.rd(reg_off::OFFSETS + 8, 8) == 0);
  CHECK(r.rd(reg_off::GENCFG) == 0);
  CHECK(r.rd(reg_off::GENCTRL) == 0);
  CHECK(r.rd(reg_off::GENSTS) == 0);
  CHECK(r.rd(reg_off::INTCAUSE) == 0);
  CHECK(r.rd(reg_off::CMDSTS) == 0);
  CHECK(r.rd(reg_off::CMDCAP) == 0);
  CHECK(r.rd(reg_off::SWERR, 8) == 0);
  // 32-bit halves of a 64-bit register
  CHECK(r.rd(reg_off::GENCAP) == 0x915f0107u);
  CHECK(r.rd(reg_off::GENCAP + 4) == 0x40u);
  const auto& l = r.dev.layout();
  CHECK(l.msix_table == 0x2000);
  CHECK(l.msix_pba == 0x3000);
  CHECK(l.bar0_size == 0x10000);
  CHECK(l.bar2_size == 0x20000);
  for (unsigned w = 0; w < 8; ++w) {
    CHECK(r.rd(l.wqcfg + 32 * w + 0) == 0);
    CHECK(r.rd(l.wqcfg + 32 * w + 24) == 0x20000000u);  // mode_support, wq_state disabled
  }
  for (unsigned g = 0; g < 4; ++g) CHECK(r.rd(l.grpcfg + 64 * g + 32, 8) == 0);
  CHECK(r.rd(l.msix_perm + 8 * 8) == 0);
  CHECK(r.rd(l.ims + 12) == 1);           // IMS entries masked at reset
  CHECK(r.rd(l.ims + 16 * 2047 + 12) == 1);
  // PCIe identity: MSI-X table of 9 entries in BAR0 at 0x2000, PBA at 0x3000.
  const uint16_t cap = pcie::cfgreg::MSIX_CAP;
  CHECK((r.dev.config_read(cap + 2, 2) & 0x7ff) == 8);
  CHECK(r.dev.config_read(cap + 4, 4) == 0x2000);
  CHECK(r.dev.config_read(cap + 8, 4) == 0x3000);
  CHECK(r.dev.config_read(0, 4) == 0x0b258086u);
  // register_view by DSA names
  CHECK(r.dev.read_register("GENCAP") == 0x40915f0107ull);
  CHECK(r.dev.read_register("WQCFG[3].STATE") == 0x20000000u);
  CHECK(r.dev.read_register("IMS[17].CTRL") == 1u);
  CHECK(r.dev.read_register("GRPCFG[1].ENGINES") == 0u);
  CHECK(r.dev.read_register("MSIX_PERM[8]") == 0u);
  CHECK_FALSE(r.dev.read_register("IMS[2048].CTRL").has_value());
  CHECK(r.dev.write_register("GENCTRL", 0xFFFFFFFF));
  CHECK(r.rd(reg_off::GENCTRL) == 0x7);  // only the three enables are writable
}

TEST_CASE("DSA with interrupt-handle support advertises REQUEST/RELEASE_INT_HANDLE") {
  auto p = dsa_params();
  p.set("int_handle_support", true);
  p.set("ims_entries", int64_t(512));
  dsa_rig r(p);
  CHECK(r.rd(reg_off::GENCAP, 8) == 0x40855f0117ull);  // cmd_cap 1, max_ims_mult 2
  CHECK(r.rd(reg_off::CMDCAP) == 0x7ffe);
}

TEST_CASE("DSA configuration registers lock while the device is enabled") {
  dsa_rig r(dsa_params());
  r.basic_setup();
  const auto& l = r.dev.layout();
  r.wr(l.grpcfg + 32, 0xF, 8);
  CHECK(r.rd(l.grpcfg + 32, 8) == 1);  // GRPCFG ignored while enabled
  r.wr(l.wqcfg + 0, 99);
  CHECK(r.rd(l.wqcfg + 0) == 16);  // WQCFG of an enabled WQ ignored
  CHECK(r.rd(l.wqcfg + 24) == 0x60000000u);  // wq_state enabled
  CHECK(r.rd(reg_off::GENSTS) == 1);
  CHECK(r.cmd(cmd_enable_device, 0) == cmd_err::DEV_ENABLED);
  CHECK(r.cmd(cmd_enable_wq, 0) == cmd_err::WQ_ENABLED);
  CHECK(r.cmd(cmd_enable_wq, 8) == cmd_err::INVAL_WQIDX);
  CHECK(r.cmd(31, 0) == cmd_err::INVAL_CMD);
  CHECK(r.cmd(cmd_request_int_handle, 1) == cmd_err::INVAL_CMD);  // no handle support
  CHECK(r.cmd(cmd_disable_wq, 1u << 0) == 0);
  CHECK(r.rd(l.wqcfg + 24) == 0x20000000u);
  CHECK(r.cmd(cmd_disable_device, 0) == 0);
  CHECK(r.rd(reg_off::GENSTS) == 0);
  CHECK(r.cmd(cmd_disable_device, 0) == cmd_err::DIS_DEV_EN);
  CHECK(check_conservation(r.ctx.led.totals()).ok);
  CHECK(r.ctx.led.totals().raised == 0);
}
