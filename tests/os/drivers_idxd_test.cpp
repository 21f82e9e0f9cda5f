// The host idxd driver model (models/os/drivers/idxd_driver.cpp) on a hand-built platform: probe,
// WQ enable, descriptor completions reaped by their interrupts over MSI-X and over IMS, and
// interrupt-handle revocation recovery.
#include <catch2/catch.hpp>

#include "drivers_bench.h"

using namespace irqf;
using namespace irqf::os;
using irqf::os::test::drv_bench;

namespace {

/// Events whose source name starts with `prefix`.
uint64_t events_from(const ledger& led, const std::string& prefix) {
  uint64_t n = 0;
  for (auto& r : led.records())
    if (led.source_name(r.source).rfind(prefix, 0) == 0) ++n;
  return n;
}

constexpr unsigned kN = 50;
// Small transfers: the DSA's posted DMA writes are carried one after the other at the memory's
// latency (64 bytes per memory access), so a 4 KiB move would delay its own completion interrupt by
// ~5 us and the interrupts would coalesce; 64 bytes keeps one interrupt per descriptor.
constexpr uint32_t kBytes = 64;
constexpr double kPeriod = 5000;  // ns: longer than one completion + handler, so no coalescing

}  // namespace

TEST_CASE("idxd: native MSI-X completions are all reaped on time", "[drivers][idxd]") {
  drv_bench b(test::dsa_params());
  idxd_driver::config c;
  idxd_driver drv(*b.k, b.dsa_bdf(), b.dsa, c);
  bool up = false;
  b.boot_then([&] {
    drv.probe();
    drv.enable_wq(0);
    up = drv.wq_virq(0) != 0;
    b.workload(0, kPeriod, kN, [&] { return drv.submit(0, kBytes); });
  });
  sc_core::sc_start(ns(2e6));
  REQUIRE(up);
  CHECK(b.dsa.device_enabled());
  CHECK(drv.wq_handle(0) == 1);  // no handle support: the MSI-X index (entry 0 is misc)
  CHECK_FALSE(drv.submit(1, 64));  // WQ 1 is not enabled
  const dsa_driver_stats s = drv.finish();
  CHECK(s.submitted == kN);
  CHECK(s.rejected == 1);
  CHECK(s.completions == kN);
  CHECK(s.reaped_on_time == kN);
  CHECK(s.delayed == 0);
  CHECK(s.stranded == 0);
  CHECK(s.interrupts == kN);
  CHECK(s.empty_interrupts == 0);
  CHECK(s.misc_interrupts == 0);
  CHECK(b.dsa.stats().records_written == kN);
  const ledger_totals t = b.ctx.led.totals();
  CHECK(check_conservation(t).ok);
  CHECK(t.raised == kN);
  CHECK(t.handled == kN);
  CHECK(t.lost == 0);
  CHECK(t.pending == 0);
  CHECK(events_from(b.ctx.led, "dsa0/msix/1") == kN);
}

TEST_CASE("idxd: IMS mode without handle support uses IMS slots through the IMS portal",
          "[drivers][idxd][ims]") {
  drv_bench b(test::dsa_params());
  idxd_driver::config c;
  c.use_ims = true;
  idxd_driver drv(*b.k, b.dsa_bdf(), b.dsa, c);
  b.boot_then([&] {
    drv.probe();
    drv.enable_wq(0);
    drv.enable_wq(1);
    b.workload(0, kPeriod, kN, [&] { return drv.submit(0, kBytes); });
    b.workload(kPeriod / 2, kPeriod, kN, [&] { return drv.submit(1, kBytes); });
  });
  sc_core::sc_start(ns(2e6));
  REQUIRE(drv.ims_active());
  // pci_ims_alloc_irq takes the lowest free slot: WQ 0 -> slot 0, WQ 1 -> slot 1.
  CHECK(drv.wq_handle(0) == 0);
  CHECK(drv.wq_handle(1) == 1);
  CHECK_FALSE(b.dsa.ims().masked(0));
  CHECK_FALSE(b.dsa.ims().masked(1));
  const dsa_driver_stats s = drv.finish();
  CHECK(s.submitted == 2 * kN);
  CHECK(s.completions == 2 * kN);
  CHECK(s.reaped_on_time == 2 * kN);
  CHECK(s.delayed == 0);
  CHECK(s.stranded == 0);
  const ledger_totals t = b.ctx.led.totals();
  CHECK(check_conservation(t).ok);
  CHECK(t.raised == 2 * kN);
  CHECK(t.handled == 2 * kN);
  CHECK(t.lost == 0);
  CHECK(events_from(b.ctx.led, "dsa0/ims/0") == kN);
  CHECK(events_from(b.ctx.led, "dsa0/ims/1") == kN);
  CHECK(events_from(b.ctx.led, "dsa0/msix/") == 0);
}

TEST_CASE("idxd: handle revocation is recovered by new handles and resubmission",
          "[drivers][idxd][handles]") {
  param_values dp = test::dsa_params();
  dp.set("int_handle_support", true);
  drv_bench b(dp);
  idxd_driver::config c;
  idxd_driver drv(*b.k, b.dsa_bdf(), b.dsa, c);
  uint16_t first_handle = 0xFFFF;
  b.boot_then([&] {
    drv.probe();
    drv.enable_wq(0);
    first_handle = drv.wq_handle(0);
    b.workload(0, kPeriod / 10, kN, [&] { return drv.submit(0, kBytes); });
    // Revoke every handle while descriptors are in flight (e.g. a VM migration).
    sc_core::sc_spawn([&] {
      sc_core::wait(ns(kPeriod * 2));
      CHECK(b.dsa.revoke_int_handles() == 1);
    });
  });
  sc_core::sc_start(ns(2e6));
  const dsa_driver_stats s = drv.finish();
  CHECK(first_handle == 0);  // REQUEST_INT_HANDLE: lowest free handle
  CHECK(b.dsa.handles().valid_count() == 1);
  CHECK(s.misc_interrupts == 1);
  CHECK(s.submitted == kN);
  CHECK(s.stranded == 0);
  // Every descriptor that completed with 0x19 (19 of them with the default timings, from the revocation at 10 us until the
  // recovery task had the new handle) lost its interrupt (handle_revoked) and was resubmitted;
  // every submission finally completed. Events: 50 + 19 resubmissions + the drain + the misc one.
  const ledger_totals t = b.ctx.led.totals();
  CHECK(check_conservation(t).ok);
  CHECK(s.resubmitted == 19);
  CHECK(t.raised == kN + 19 + 2);
  CHECK(t.lost_by_cause.at("handle_revoked") == s.resubmitted);
  CHECK(s.reaped_on_time + s.delayed == kN);
  CHECK(s.completions == kN + s.resubmitted);
  CHECK(t.lost == s.resubmitted);
  CHECK(t.pending == 0);
}

TEST_CASE("idxd: disable_wq drains the WQ, frees its irq and stops submissions",
          "[drivers][idxd]") {
  drv_bench b(test::dsa_params());
  idxd_driver::config c;
  idxd_driver drv(*b.k, b.dsa_bdf(), b.dsa, c);
  unsigned virq_before = 0, virq_after = 1;
  bool accepted_after = true;
  b.boot_then([&] {
    drv.probe();
    drv.enable_wq(0);
    virq_before = drv.wq_virq(0);
    for (unsigned i = 0; i < 10; ++i) drv.submit(0, kBytes);  // a burst, then disable at once
    drv.disable_wq(0);
    virq_after = drv.wq_virq(0);
    accepted_after = drv.submit(0, kBytes);
  });
  sc_core::sc_start(ns(2e6));
  CHECK(virq_before != 0);
  CHECK(virq_after == 0);
  CHECK_FALSE(accepted_after);
  CHECK(idxd::wqcfg::WQ_STATE.get(b.dsa.reg("WQCFG[0].STATE")) == idxd::wqcfg::STATE_DISABLED);
  const dsa_driver_stats s = drv.finish();
  CHECK(s.submitted == 10);
  CHECK(s.rejected == 1);
  CHECK(s.completions == 10);
  CHECK(s.stranded == 0);  // DISABLE_WQ waited for the drain; the flush reaped the rest
  CHECK(s.reaped_on_time + s.delayed == 10);
  const ledger_totals t = b.ctx.led.totals();
  CHECK(check_conservation(t).ok);
  CHECK(t.raised == 10);
}
