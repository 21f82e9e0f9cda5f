// Plain C++ (no SystemC kernel): IRTE, remappable-request, descriptor encodings and the source-ID
// and reserved-field rules, pinned bit for bit against VT-d §5.1.2.2, §6.5.2.7-8, §9.10-9.12.
#include <catch2/catch.hpp>

#include "models/iommu/irte.h"
#include "models/iommu/pid.h"
#include "models/iommu/qi_desc.h"
#include "models/iommu/vtd_regs.h"

using namespace irqf;
using namespace irqf::iommu;

TEST_CASE("remapped-format IRTE encodes at the VT-d bit positions and decodes back") {
  irte e;
  e.present = true;
  e.logical = true;
  e.redirection_hint = true;
  e.level = true;
  e.dlm = 1;  // lowest priority
  e.vector = 0x31;
  e.dst = irte_dst_xapic(3);
  e.sid = 0x0301;
  e.svt_ = svt::requester_id;
  irte_raw r = encode_irte(e);
  CHECK(r.lo == 0x0000'0300'0031'003Dull);
  CHECK(r.hi == 0x0000'0000'0004'0301ull);
  irte d = decode_irte(r);
  CHECK(d.present);
  CHECK(!d.posted);
  CHECK(d.vector == 0x31);
  CHECK(d.dst == 0x300);
  CHECK(d.dlm == 1);
  CHECK(d.sid == 0x0301);
  CHECK(d.svt_ == svt::requester_id);
  apic_irq a = irte_to_apic_irq(d, /*eime=*/false);
  CHECK(a.dest == 3);
  CHECK(a.logical);
  CHECK(a.redirection_hint);
  CHECK(a.level_trigger);
  CHECK(a.mode == delivery_mode::lowest);
  CHECK(irte_to_apic_irq(d, /*eime=*/true).dest == 0x300);
}

TEST_CASE("posted-format IRTE places URG, IM, the virtual vector and the descriptor address") {
  irte e;
  e.present = true;
  e.posted = true;
  e.urgent = true;
  e.vector = 0x61;
  e.pda = 0x1'2345'6780ull;
  e.sid = 0x0010;
  e.svt_ = svt::requester_id;
  irte_raw r = encode_irte(e);
  CHECK(r.lo == 0x2345'6780'0061'C001ull);
  CHECK(r.hi == 0x0000'0001'0004'0010ull);
  irte d = decode_irte(r);
  CHECK(d.posted);
  CHECK(d.urgent);
  CHECK(d.vector == 0x61);
  CHECK(d.pda == 0x1'2345'6780ull);
  CHECK(irte_reserved_ok(r, false, /*pi=*/true));
  CHECK_FALSE(irte_reserved_ok(r, false, /*pi=*/false));  // IM=1 without CAP.PI
}

TEST_CASE("remappable request: handle[15] in address bit 2, SHV, subhandle added to the handle") {
  msi_msg m = encode_remappable_msi({0x8005, true, 3});
  CHECK(m.address == 0xFEE0'00BCull);
  CHECK(m.data == 3);
  remappable_request q = decode_remappable_msi(m.address, m.data);
  CHECK(q.handle == 0x8005);
  CHECK(q.shv);
  CHECK(remappable_index(q) == 0x8008);
  // Without SHV the data is not used for the index.
  CHECK(remappable_index(decode_remappable_msi(0xFEE0'0150, 7)) == 10);
  // The index may exceed 16 bits (then fault 0x21).
  CHECK(remappable_index({0xFFFF, true, 2}) == 0x10001);
}

TEST_CASE("reserved IRTE fields: format bits, SVT=3, reserved delivery modes, xAPIC DST bits") {
  irte e;
  e.present = true;
  e.vector = 0x40;
  e.dst = irte_dst_xapic(1);
  irte_raw ok = encode_irte(e);
  CHECK(irte_reserved_ok(ok, false, true));
  CHECK_FALSE(irte_reserved_ok({ok.lo | (1ull << 12), ok.hi}, false, true));  // bit 12
  CHECK_FALSE(irte_reserved_ok({ok.lo | (1ull << 24), ok.hi}, false, true));  // bit 24
  CHECK_FALSE(irte_reserved_ok({ok.lo, ok.hi | (1ull << 20)}, false, true));  // bit 84
  CHECK_FALSE(irte_reserved_ok({ok.lo, irte_hi::SVT.set(ok.hi, 3)}, false, true));
  CHECK_FALSE(irte_reserved_ok({irte_lo::DLM.set(ok.lo, 3), ok.hi}, false, true));
  CHECK_FALSE(irte_reserved_ok({irte_lo::DLM.set(ok.lo, 6), ok.hi}, false, true));
  CHECK(irte_reserved_ok({irte_lo::DLM.set(ok.lo, 7), ok.hi}, false, true));  // ExtINT
  irte_raw wide = {irte_lo::DST.set(ok.lo, 0x12345), ok.hi};
  CHECK_FALSE(irte_reserved_ok(wide, /*eime=*/false, true));  // DST[31:16], DST[7:0] reserved
  CHECK(irte_reserved_ok(wide, /*eime=*/true, true));         // a 32-bit x2APIC ID
}

TEST_CASE("source-ID verification: SQ masks, the spec's bus range (start SID[15:8], end SID[7:0])") {
  irte e;
  e.svt_ = svt::none;
  CHECK(sid_ok(e, 0xABCD));
  e.svt_ = svt::requester_id;
  e.sid = 0x0308;  // 03:01.0
  CHECK(sid_ok(e, 0x0308));
  CHECK_FALSE(sid_ok(e, 0x030C));  // 03:01.4
  e.sq = 1;                          // ignore requester-ID bit 2
  CHECK(sid_ok(e, 0x030C));
  CHECK_FALSE(sid_ok(e, 0x030A));
  e.sq = 2;                          // ignore bits 2:1
  CHECK(sid_ok(e, 0x030E));
  CHECK_FALSE(sid_ok(e, 0x030F));
  e.sq = 3;                          // ignore bits 2:0 (any function)
  CHECK(sid_ok(e, 0x030F));
  CHECK_FALSE(sid_ok(e, 0x0310));
  e.svt_ = svt::bus_range;
  e.sid = 0x0204;  // buses 2..4
  CHECK(sid_ok(e, 0x0200));
  CHECK(sid_ok(e, 0x03FF));
  CHECK(sid_ok(e, 0x0400));
  CHECK_FALSE(sid_ok(e, 0x0100));
  CHECK_FALSE(sid_ok(e, 0x0500));
  e.svt_ = svt::reserved;
  CHECK_FALSE(sid_ok(e, 0x0200));
}

TEST_CASE("queued-invalidation descriptors as Linux builds them") {
  qi_desc g = make_iec_global();
  CHECK(g.lo == 0x4);
  CHECK(g.hi == 0);
  qi_desc s = make_iec_index(0x1234, 3);
  CHECK(s.lo == 0x0000'1234'1800'0014ull);
  CHECK(qi_type_of(s) == uint8_t(qi_type::iec));
  qi_desc w = make_inv_wait(0x30'0008, 0x5A, true, true);
  CHECK(w.lo == 0x0000'005A'0000'0035ull);
  CHECK(w.hi == 0x30'0008ull);
  CHECK(inv_wait_status_addr(w) == 0x30'0008ull);
}

TEST_CASE("posted-interrupt descriptor layout") {
  CHECK(pir_dword_addr(0x1000, 0x61) == 0x100C);
  CHECK(pir_bit(0x61) == 2u);
  CHECK(make_pid_ctl(true, true, 0xF2, 0x0300) == 0x0000'0300'00F2'0003ull);
}

TEST_CASE("register table: CAP/ECAP advertise the parameters, FRCDs sit at CAP.FRO*16") {
  vtd_caps c;
  c.fault_records = 8;
  reg_table t(make_vtd_reg_defs(c));
  uint64_t capv = t[CAP].reset, ecapv = t[ECAP].reset;
  CHECK(cap::NFR.get(capv) == 7);
  CHECK(cap::FRO.get(capv) * 16 == 0x400);
  CHECK(cap::PI.test(capv));
  CHECK_FALSE(cap::ESIRTPS.test(capv));
  CHECK(ecap::IR.test(ecapv));
  CHECK(ecap::QI.test(ecapv));
  CHECK(ecap::EIM.test(ecapv));
  CHECK(t.by_name("FRCD7_HI") == frcd_hi(7));
  CHECK(t[frcd_hi(7)].offset == 0x400 + 7 * 16 + 8);
  CHECK_FALSE(t.by_name("FRCD8_LO"));
  c.eim = false;
  c.pi = false;
  c.fault_records = 1;
  reg_table u(make_vtd_reg_defs(c));
  CHECK_FALSE(ecap::EIM.test(u[ECAP].reset));
  CHECK_FALSE(cap::PI.test(u[CAP].reset));
  CHECK(cap::NFR.get(u[CAP].reset) == 0);
}
