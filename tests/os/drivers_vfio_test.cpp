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

run_result run(vfio_resize strategy) {
  drv_bench b(test::dsa_params());
  vfio_dsa::config c;
  c.strategy = strategy;
  vfio_dsa v(*b.k, b.dsa_bdf(), b.dsa, c);
  b.boot_then([&] {
    v.guest_probe(1);
    b.workload(0, kPeriod, kN, [&] { return v.submit(0, kBytes); });
    sc_core::sc_spawn([&] {
      sc_core::wait(ns(kGrowAt));
      b.k->run_task("guest-enable-wq1", [&] { v.guest_enable_wq(1); });
    });
  });
  sc_core::sc_start(ns(3e6));
  if (getenv("DRV_DEBUG")) {
    unsigned i = 0;
    for (auto& e : b.ctx.led.records())
      printf("#%u %s raise %.1f end %.1f %s\n", i++, b.ctx.led.source_name(e.source).c_str(), e.raise_ps / 1e3, e.end_ps / 1e3, to_string(e.state));
  }
  run_result r{v.finish(), b.ctx.led.totals(), v.resize_windows(), v.strategy(), v.host_vectors(),
               b.dsa.stats().interrupts};
  return r;
}

void check_common(const run_result& r) {
  if (getenv("DRV_DEBUG")) {
    const auto& s = r.s;
    printf("sub %lu comp %lu ontime %lu delayed %lu stranded %lu intr %lu empty %lu | raised %lu handled %lu merged %lu pending %lu lost %lu\n",
           (unsigned long)s.submitted, (unsigned long)s.completions, (unsigned long)s.reaped_on_time,
           (unsigned long)s.delayed, (unsigned long)s.stranded, (unsigned long)s.interrupts,
           (unsigned long)s.empty_interrupts, (unsigned long)r.t.raised, (unsigned long)r.t.handled,
           (unsigned long)r.t.merged, (unsigned long)r.t.pending, (unsigned long)r.t.lost);
    for (auto& [c, n] : r.t.lost_by_cause) printf("  lost %s %lu\n", c.c_str(), (unsigned long)n);
    for (auto& w : r.w) printf("  window %s %u->%u %.1f..%.1f\n", w.strategy.c_str(), w.from_vectors, w.to_vectors, w.start_ns, w.end_ns);
  }
  INFO("conservation: " << check_conservation(r.t).message);
  CHECK(check_conservation(r.t).ok);
  CHECK(r.s.submitted == kN);
  CHECK(r.s.completions == kN);
  CHECK(r.s.reaped_on_time + r.s.delayed + r.s.stranded == kN);
  CHECK(r.t.raised == kN);  // one completion event per descriptor, no misc event
  CHECK(r.dev_interrupts == kN);
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
  REQUIRE(r.t.lost_by_cause.count("msix_disabled") == 1);
  const uint64_t lost = r.t.lost_by_cause.at("msix_disabled");
  CHECK(lost >= 1);
  CHECK(r.t.lost == lost);  // the only loss cause
  // Every lost interrupt left its record to a later interrupt or to nobody.
  CHECK(r.s.delayed + r.s.stranded >= lost);
  CHECK(r.s.reaped_on_time < kN);
}

TEST_CASE("vfio: dynamic grow under load loses nothing", "[drivers][vfio]") {
  const run_result r = run(vfio_resize::dynamic);
  CHECK(r.strategy == vfio_resize::dynamic);
  check_common(r);
  CHECK(r.t.lost == 0);
  CHECK(r.t.handled == kN);
  CHECK(r.s.reaped_on_time == kN);
  CHECK(r.s.delayed == 0);
  CHECK(r.s.stranded == 0);
}

TEST_CASE("vfio: IMS grow under load loses nothing", "[drivers][vfio][ims]") {
  const run_result r = run(vfio_resize::ims);
  CHECK(r.strategy == vfio_resize::ims);
  check_common(r);
  CHECK(r.t.lost == 0);
  CHECK(r.t.handled == kN);
  CHECK(r.s.reaped_on_time == kN);
  CHECK(r.s.delayed == 0);
  CHECK(r.s.stranded == 0);
}
