// vfio_dsa (models/os/drivers/vfio_dsa.cpp): a guest enables a second WQ while WQ 0 is busy, and
// the host grows its interrupt allocation by the legacy (free all, re-allocate), dynamic
// (pci_msix_alloc_irq_at) or IMS strategy. Only the legacy grow loses interrupts: events raised
// while MSI-X Enable is clear are dropped by the device (msix_disabled_policy drop), leaving their
// completion records to a later interrupt (delayed) or to nobody (stranded).
#include <catch2/catch.hpp>

#include "drivers_bench.h"

using namespace irqf;
using namespace irqf::os;
using irqf::os::test::drv_bench;

namespace {

constexpr unsigned kN = 60;
// Small transfers: the DSA's posted DMA writes are carried one after the other at the memory's
// latency (64 bytes per memory access), so a 4 KiB move would delay its own completion interrupt by
// ~5 us and the interrupts would coalesce; 64 bytes keeps one interrupt per descriptor.
constexpr uint32_t kBytes = 64;
constexpr double kPeriod = 4000;   // ns: longer than inject_ns + guest handler, no coalescing
constexpr double kGrowAt = 100000;  // ns after WQ 0 starts: the guest enables WQ 1

struct run_result {
  dsa_driver_stats s;
  ledger_totals t;
  std::vector<resize_window> w;
  vfio_resize strategy;
  unsigned host_vectors;
  uint64_t dev_interrupts;
};

run_result run(vfio_resize strategy, double period = kPeriod, unsigned count = kN) {
  drv_bench b(test::dsa_params());
  vfio_dsa::config c;
  c.strategy = strategy;
  vfio_dsa v(*b.k, b.dsa_bdf(), b.dsa, c);
  b.boot_then([&] {
    v.guest_probe(1);
    b.workload(0, period, count, [&] { return v.submit(0, kBytes); });
    sc_core::sc_spawn([&] {
      sc_core::wait(ns(kGrowAt));
      b.k->run_task("guest-enable-wq1", [&] { v.guest_enable_wq(1); });
    });
  });
  sc_core::sc_start(ns(3e6));
  run_result r{v.finish(), b.ctx.led.totals(), v.resize_windows(), v.strategy(), v.host_vectors(),
               b.dsa.stats().interrupts};
  return r;
}

void check_common(const run_result& r, unsigned n = kN) {
  INFO("conservation: " << check_conservation(r.t).message);
  CHECK(check_conservation(r.t).ok);
  CHECK(r.s.submitted == n);
  CHECK(r.s.completions == n);
  CHECK(r.s.reaped_on_time + r.s.delayed + r.s.stranded == n);
  CHECK(r.t.raised == n);  // one completion event per descriptor, no misc event
  CHECK(r.dev_interrupts == n);
  REQUIRE(r.w.size() == 2);  // WQ 0 at probe (1 -> 2 vectors), WQ 1 under load (2 -> 3)
  CHECK(r.w[0].from_vectors == 1);
  CHECK(r.w[0].to_vectors == 2);
  CHECK(r.w[1].from_vectors == 2);
  CHECK(r.w[1].to_vectors == 3);
  CHECK(r.w[1].end_ns > r.w[1].start_ns);
  CHECK(r.host_vectors == 3);
}

}  // namespace

TEST_CASE("vfio: legacy grow under load loses interrupts to MSI-X disable", "[drivers][vfio]") {
  const run_result r = run(vfio_resize::legacy);
  CHECK(r.strategy == vfio_resize::legacy);
  CHECK(r.w[0].strategy == "legacy");
  check_common(r);
  // The grow (146.4-172.0 us) covers six completions of WQ 0 (every 4 us): the one raised after
  // free_irq masked entry 1 waits in its pending bit; the one raised after pci_free_irq_vectors
  // cleared MSI-X Enable is dropped by the device; the three raised while the new allocation's
  // entries stay masked (until request_irq) merge into the pending bit, which fires on unmask.
  REQUIRE(r.t.lost_by_cause.count("msix_disabled") == 1);
  CHECK(r.t.lost_by_cause.at("msix_disabled") == 1);
  CHECK(r.t.lost == 1);  // the only loss cause
  CHECK(r.t.merged == 4);
  CHECK(r.t.handled == kN - 5);
  // The replayed interrupt reaps the lost and the merged completions' records: delayed.
  CHECK(r.s.delayed == r.t.lost + r.t.merged);
  CHECK(r.s.reaped_on_time == kN - 5);
  CHECK(r.s.stranded == 0);
  CHECK(r.w[1].end_ns - r.w[1].start_ns > 20000);  // two ioctls + three request_irq
}

TEST_CASE("vfio: legacy grow that swallows the last completion strands its record",
          "[drivers][vfio]") {
  // Every 10 us, 12 descriptors: the 12th completes (150.2 us) while MSI-X Enable is clear; no
  // later interrupt on WQ 0 ever reaps its record.
  const unsigned n = 12;
  const run_result r = run(vfio_resize::legacy, 10000, n);
  check_common(r, n);
  CHECK(r.t.lost_by_cause.at("msix_disabled") == 1);
  CHECK(r.t.lost == 1);
  CHECK(r.t.merged == 0);
  CHECK(r.s.stranded == 1);
  CHECK(r.s.delayed == 0);
  CHECK(r.s.reaped_on_time == n - 1);
  CHECK(r.s.empty_interrupts == 0);
}

/// The dynamic and IMS grows touch no existing entry: nothing lost, every record reaped on time.
void check_lossless(vfio_resize strategy) {
  const run_result r = run(strategy);
  CHECK(r.strategy == strategy);
  check_common(r);
  CHECK(r.t.lost == 0);
  CHECK(r.t.handled == kN);
  CHECK(r.s.reaped_on_time == kN);
  CHECK(r.s.delayed == 0);
  CHECK(r.s.stranded == 0);
}

TEST_CASE("vfio: dynamic grow under load loses nothing", "[drivers][vfio]") { check_lossless(vfio_resize::dynamic); }

TEST_CASE("vfio: IMS grow under load loses nothing", "[drivers][vfio][ims]") { check_lossless(vfio_resize::ims); }
