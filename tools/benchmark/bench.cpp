// irqfabric-bench: what simulation costs, as ratios measured in one run (issue 9).
//   - baseline: a bare SystemC ping-pong of 1 ns timed notifications, events per wall second, in the
//     same process and elaboration as the end-to-end platform (so the machine's noise cancels);
//   - end to end: interrupts raised by a device, remapped, accepted, dispatched, handled and EOI'd,
//     handled interrupts per wall second, and the ratio to the baseline — IOMMU on/off, tracing on/off;
//   - scale: 8..1,024 CPUs with many IMS interrupts (or --point CPUS,DEVICES,ENTRIES): set-up time,
//     memory per allocated vector, cost per interrupt once every vector has fired (and the cost of
//     that first pass apart);
//   - the headline scenario at about one million interrupts per variant.
// Each measurement runs in its own forked process (SystemC elaborates once per process).
// tools/benchmark/instructions.py counts the same windows in instructions under callgrind.
#include <CLI/CLI.hpp>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "fabric/engine/platform.h"
#include "fabric/engine/run_state.h"
#include "fabric/engine/runner.h"
#include "fabric/engine/scenario.h"
#include "fabric/engine/timeline.h"
#include "fabric/engine/workload.h"
#include "models/os/kernel.h"
#include "pingpong.h"

using namespace irqf;
using clk = std::chrono::steady_clock;

namespace {

double secs(clk::time_point a, clk::time_point b) { return std::chrono::duration<double>(b - a).count(); }

/// Resident set size in bytes (/proc/self/statm).
double rss_bytes() {
  std::ifstream f("/proc/self/statm");
  long pages = 0, rss = 0;
  f >> pages >> rss;
  return double(rss) * double(sysconf(_SC_PAGESIZE));
}

/// Runs `fn` in a forked child and returns the JSON it produced.
nlohmann::json in_child(const std::function<nlohmann::json()>& fn) {
  char path[] = "/tmp/irqf-bench-XXXXXX";
  int fd = mkstemp(path);
  close(fd);
  std::fflush(nullptr);
  pid_t p = fork();
  if (p == 0) {
    nlohmann::json j;
    try {
      j = fn();
    } catch (const std::exception& e) {
      j = {{"error", e.what()}};
    }
    std::ofstream(path) << j.dump();
    std::fflush(nullptr);
    _exit(0);
  }
  int st = 0;
  waitpid(p, &st, 0);
  nlohmann::json j;
  std::ifstream in(path);
  try {
    in >> j;
  } catch (...) {
    j = {{"error", "measurement process died"}};
  }
  unlink(path);
  return j;
}

std::string e2e_yaml(unsigned cpus, bool iommu, unsigned vectors, double period_ns, double start_us) {
  std::ostringstream y;
  y << "name: bench-e2e\nplatform:\n  cpus: {cpus: " << cpus << ", apic_mode: x2apic}\n"
    << "  iommu: {enabled: " << (iommu ? "true" : "false") << "}\n"
    << "  os: {intremap: " << (iommu ? "true" : "false") << "}\n"
    << "  devices:\n    - {name: td0, type: testdev, at: rp0, msix_vectors: " << vectors << "}\n"
    << "workload:\n  - {name: load, device: td0, target: msix, queues: \"0-" << vectors - 1
    << "\", process: periodic, period_ns: " << period_ns << ", start_us: " << start_us << "}\n"
    << "timeline:\n  - {at_us: 0, action: pci.alloc_vectors, device: td0, min: " << vectors
    << ", max: " << vectors << "}\n";
  return y.str();
}

/// Runs the simulation for `total_us` in `chunks` equal slices and returns the best (highest)
/// rate of `count()` growth per wall second among them: a slice the machine disturbed (another
/// process, a page-fault burst) does not drag the figure down, and the slices show the spread.
std::pair<double, std::vector<double>> measured_slices(double total_us, unsigned chunks,
                                                       const std::function<uint64_t()>& count) {
  std::vector<double> rates;
  for (unsigned i = 0; i < chunks; ++i) {
    const double c0 = double(count());
    const auto t0 = clk::now();
    sc_core::sc_start(sc_core::sc_time(total_us / chunks, sc_core::SC_US));
    const auto t1 = clk::now();
    rates.push_back((double(count()) - c0) / secs(t0, t1));
  }
  return {*std::max_element(rates.begin(), rates.end()), rates};
}

/// The two measured windows, kept out of inlining, cloning and identical-code folding (noipa) and named, so that callgrind can count the instructions
/// of each alone (`--toggle-collect='*measure_pingpong*'`, `'*measure_interrupts*'`; see
/// tools/benchmark/instructions.py): the simulation inside them and nothing else.
[[gnu::noipa]] std::pair<double, std::vector<double>> measure_pingpong(double total_us, unsigned chunks,
                                                                          const std::function<uint64_t()>& count) {
  return measured_slices(total_us, chunks, count);
}
[[gnu::noipa]] std::pair<double, std::vector<double>> measure_interrupts(double total_us, unsigned chunks,
                                                                            const std::function<uint64_t()>& count) {
  return measured_slices(total_us, chunks, count);
}

/// Baseline and end-to-end in one elaboration: boot + allocation, then the ping-pong alone, then the
/// interrupt load alone, each measured in slices (best slice counts). Also counts SystemC delta
/// cycles per handled interrupt: each is one evaluation phase of the kernel, what one ping-pong
/// event costs, so 1 / (deltas per interrupt) bounds the ratio any model of this journey can reach.
nlohmann::json e2e(bool iommu, bool trace, uint64_t pp_events, double load_us) {
  const unsigned slices = 5;
  const double pp_start_us = 200, pp_us = double(pp_events) / 1000.0,
               load_start_us = pp_start_us + pp_us + 50;
  yaml_doc d = yaml_doc::load_string(e2e_yaml(8, iommu, 64, 100, load_start_us), "bench-e2e");
  platform plat(d, 1);
  run_state rs;
  timeline_runner tl("timeline", plat.ctx, plat, rs, parse_timeline(d, d.root["timeline"]));
  std::vector<std::unique_ptr<traffic_gen>> gens;
  for (auto& w : parse_workload(d, d.root["workload"]))
    gens.push_back(std::make_unique<traffic_gen>(w.name.c_str(), plat.ctx, plat, rs, w));
  bench::pingpong pp("pingpong", sc_core::sc_time(pp_start_us, sc_core::SC_US), pp_events);
  if (trace) plat.ctx.trace.open("/tmp/irqf-bench-trace.json");
  plat.kernel->boot();
  sc_core::sc_start(sc_core::sc_time(pp_start_us, sc_core::SC_US));
  const uint64_t ev0 = pp.count();
  auto [ev_per_s, ev_slices] = measure_pingpong(pp_us, slices, [&] { return pp.count(); });
  const uint64_t events = pp.count() - ev0;
  sc_core::sc_start(sc_core::sc_time(load_start_us, sc_core::SC_US) - sc_core::sc_time_stamp());
  uint64_t h0 = plat.ctx.led.handled_count(), d0 = sc_core::sc_delta_count();
  auto [h_per_s, h_slices] = measure_interrupts(load_us, slices, [&] { return plat.ctx.led.handled_count(); });
  auto tot = plat.ctx.led.totals();
  double handled = double(tot.handled - h0);
  double deltas = double(sc_core::sc_delta_count() - d0) / std::max(1.0, handled);
  if (trace) plat.ctx.trace.close();
  std::remove("/tmp/irqf-bench-trace.json");
  return {{"systemc_events", events}, {"systemc_events_per_s", ev_per_s}, {"systemc_events_per_s_slices", ev_slices},
          {"handled", handled}, {"handled_per_s", h_per_s}, {"handled_per_s_slices", h_slices},
          {"ratio", h_per_s / ev_per_s}, {"delta_cycles_per_interrupt", deltas},
          {"ratio_bound", 1.0 / std::max(1e-9, deltas)},
          {"lost", tot.lost}, {"balanced", check_conservation(tot).ok}};
}

nlohmann::json scale(unsigned cpus, unsigned devices, unsigned entries, double load_us, double quantum_ns) {
  const double rss0 = rss_bytes();
  auto t0 = clk::now();
  // Up to 30 devices get a root port each; more sit behind four switches below rp0..rp3.
  std::ostringstream y;
  y << "name: bench-scale\nplatform:\n  cpus: {cpus: " << cpus << ", apic_mode: x2apic}\n"
    << "  iommu: {enabled: true}\n";
  const bool switched = devices > 30;
  if (switched) {
    y << "  pcie:\n    root_ports: 4\n    switches:\n";
    for (unsigned sw = 0; sw < 4; ++sw)
      y << "      - {name: sw" << sw << ", at: rp" << sw << ", downstream: " << (devices + 3) / 4 << "}\n";
  } else {
    y << "  pcie: {root_ports: " << devices << "}\n";
  }
  y << "  devices:\n";
  for (unsigned i = 0; i < devices; ++i) {
    y << "    - {name: td" << i << ", type: testdev, at: ";
    if (switched) y << "sw" << i % 4 << ".dn" << i / 4;
    else y << "rp" << i;
    y << ", msix_vectors: 1, dmt_entries: " << entries << "}\n";
  }
  std::string s = y.str();
  // Allocations start once the platform has booted, so the memory they take is measured apart
  // from the platform's own.
  const double alloc_at_us = 5000;
  s += "timeline:\n";
  for (unsigned i = 0; i < devices; ++i)
    s += "  - {at_us: " + std::to_string(alloc_at_us) + ", action: pci.ims_alloc, device: td" + std::to_string(i) +
         ", count: " + std::to_string(entries) + "}\n";
  // One interrupt every 100 ns over all devices. Vector allocation spreads each device's entries
  // over the CPUs in the same order (entry j of every device lands on CPU j mod cpus), so lock-step
  // generators would send one CPU a burst of `devices` interrupts at once; device i instead starts
  // i x 100 ns late and walks its entries from i x cpus/devices on, so that consecutive interrupts
  // reach different CPUs, as a spread-out load does.
  s += "workload:\n";
  for (unsigned i = 0; i < devices; ++i) {
    const unsigned r = i * std::max(1u, cpus / devices) % entries;
    const std::string queues = r ? std::to_string(r) + "-" + std::to_string(entries - 1) + ",0-" + std::to_string(r - 1)
                                 : "0-" + std::to_string(entries - 1);
    s += "  - {name: l" + std::to_string(i) + ", device: td" + std::to_string(i) + ", target: dmt, queues: \"" +
         queues + "\", process: periodic, period_ns: " + std::to_string(100.0 * devices) + ", start_us: 1e9}\n";
  }
  yaml_doc d = yaml_doc::load_string(s, "bench-scale");
  platform plat(d, 1);
  run_state rs;
  timeline_runner tl("timeline", plat.ctx, plat, rs, parse_timeline(d, d.root["timeline"]));
  std::vector<std::unique_ptr<traffic_gen>> gens;  // parked until set-up is over
  for (auto& w : parse_workload(d, d.root["workload"]))
    gens.push_back(std::make_unique<traffic_gen>(w.name.c_str(), plat.ctx, plat, rs, w));
  plat.kernel->set_quantum(sc_core::sc_time(quantum_ns, sc_core::SC_NS));
  plat.kernel->boot();
  // Set-up: elaboration, boot, then every allocation (run until the kernel has no task left).
  double t_sim_us = 0;
  do {
    t_sim_us += 100;
    sc_core::sc_start(sc_core::sc_time(100, sc_core::SC_US));
  } while (plat.kernel->tasks_running() && t_sim_us < alloc_at_us - 100);
  if (plat.kernel->tasks_running()) throw std::runtime_error("boot did not finish before the allocations");
  const double rss_boot = rss_bytes();
  auto t_boot = clk::now();
  const uint64_t deltas_boot = sc_core::sc_delta_count();
  const double vectors_boot = double(plat.kernel->allocated_vectors());
  do {
    t_sim_us += 1000;
    sc_core::sc_start(sc_core::sc_time(1000, sc_core::SC_US));
  } while ((t_sim_us <= alloc_at_us || plat.kernel->tasks_running()) && t_sim_us < 1e7);
  auto t1 = clk::now();
  const double deltas_alloc = double(sc_core::sc_delta_count() - deltas_boot);
  const double rss1 = rss_bytes();
  double vectors = double(plat.kernel->allocated_vectors()) - vectors_boot;
  for (size_t i = 0; i < gens.size(); ++i) gens[i]->start_in(1 + 100.0 * double(i));
  sc_core::sc_start(sc_core::sc_time(1 + 0.1 * double(gens.size()), sc_core::SC_US));
  // Warm-up: one full rotation, so that every vector has fired once. A vector's first interrupt
  // pays one-time costs (its per-CPU interrupt counts are created, its IRTE and descriptor pages
  // are first touched) that would otherwise dominate at 65 k vectors, where a short load uses each
  // vector once; that first-use cost is reported apart.
  const uint64_t w0 = plat.ctx.led.handled_count();
  const auto tw = clk::now();
  sc_core::sc_start(sc_core::sc_time(0.1 * double(devices) * double(entries), sc_core::SC_US));
  const double first_use_ns = secs(tw, clk::now()) * 1e9 / double(std::max<uint64_t>(1, plat.ctx.led.handled_count() - w0));
  uint64_t h0 = plat.ctx.led.handled_count();
  auto [h_per_s, slices] = measure_interrupts(load_us, 5, [&] { return plat.ctx.led.handled_count(); });
  auto tot = plat.ctx.led.totals();
  return {{"cpus", cpus}, {"devices", devices}, {"ims_entries", entries}, {"vectors", vectors},
          {"setup_s", secs(t0, t1)}, {"quantum_ns", quantum_ns}, {"allocation_s", secs(t_boot, t1)}, {"setup_sim_us", t_sim_us},
          {"allocation_delta_cycles_per_vector", deltas_alloc / std::max(1.0, double(plat.kernel->allocated_vectors()) - vectors_boot)},
          {"platform_bytes", rss_boot - rss0}, {"bytes_per_vector", vectors ? (rss1 - rss_boot) / vectors : 0.0},
          {"handled", tot.handled - h0}, {"handled_per_s", h_per_s}, {"handled_per_s_slices", slices},
          {"ns_per_interrupt", 1e9 / std::max(1.0, h_per_s)}, {"first_use_ns_per_interrupt", first_use_ns},
          {"lost", tot.lost}, {"balanced", check_conservation(tot).ok}};
}

}  // namespace

int sc_main(int argc, char* argv[]) {
  setenv("SYSTEMC_DISABLE_COPYRIGHT_MESSAGE", "1", 1);
  CLI::App app{"irqfabric-bench: cost of one interrupt against a bare SystemC event, and scale"};
  bool json = false, quick = false;
  std::string headline = "scenarios/msix-resize.yaml";
  app.add_flag("--json", json, "one JSON object on stdout");
  app.add_flag("--quick", quick, "smaller runs (CI smoke test)");
  app.add_option("--headline", headline, "headline scenario file");
  std::string only;
  app.add_option("--only", only, "run one part: e2e, scale-N (N = CPUs) or headline (for profiling)");
  uint64_t pp = 0;
  double load_us = 0;
  app.add_option("--pingpong-events", pp, "baseline ping-pong length (default 5 M, --quick 200 k)");
  double quantum = 1000;
  app.add_option("--quantum-ns", quantum, "OS task quantum for the scale set-up (lookahead sections; 0 = wait after every access)");
  std::vector<std::string> points;
  app.add_option("--point", points, "scale point CPUS,DEVICES,ENTRIES instead of the standard four (repeatable)");
  app.add_option("--load-us", load_us, "load duration in µs, end to end and at each scale point (default 5,000; --quick 200 and 100)");
  CLI11_PARSE(app, argc, argv);
  if (!pp) pp = quick ? 200'000 : 5'000'000;
  // One --load-us sets both loads; by default the end-to-end runs 5 ms and each scale point 5 ms.
  const double scale_load_us = load_us > 0 ? load_us : quick ? 100 : 5000;
  if (load_us <= 0) load_us = quick ? 200 : 5000;
  nlohmann::json out;
  auto want = [&](const std::string& part) { return only.empty() || only == part; };
  // --only runs the part in this process (no fork), so a profiler sees it.
  auto measure = [&](const std::function<nlohmann::json()>& fn) { return only.empty() ? in_child(fn) : fn(); };
  if (want("e2e")) {
  out["e2e"]["iommu_on_trace_off"] = measure([&] { return e2e(true, false, pp, load_us); });
  }
  if (only.empty()) {
    out["e2e"]["iommu_on_trace_on"] = in_child([&] { return e2e(true, true, pp, load_us / 5); });
    out["e2e"]["iommu_off_trace_off"] = in_child([&] { return e2e(false, false, pp, load_us); });
  }
  if (want("e2e")) {
    auto& main_run = out["e2e"]["iommu_on_trace_off"];
    out["systemc_events_per_s"] = main_run.value("systemc_events_per_s", 0.0);
    out["ratio_to_systemc_event"] = main_run.value("ratio", 0.0);
  }

  struct sc { unsigned cpus, devices, entries; };
  std::vector<sc> scales = quick ? std::vector<sc>{{8, 1, 256}, {64, 2, 512}}
                                 : std::vector<sc>{{8, 1, 1024}, {64, 8, 1024}, {256, 16, 2048}, {1024, 64, 1024}};
  if (!points.empty()) {
    scales.clear();
    for (const std::string& p : points) {
      sc v{};
      char tail = 0;
      if (std::sscanf(p.c_str(), "%u,%u,%u%c", &v.cpus, &v.devices, &v.entries, &tail) != 3 || !v.cpus ||
          !v.devices || !v.entries || v.cpus > 1024 || v.devices > 120 || v.entries > 2048) {
        std::fprintf(stderr, "irqfabric-bench: --point '%s': expected CPUS,DEVICES,ENTRIES (CPUs 1-1024, devices "
                             "1-120, entries 1-2048)\n", p.c_str());
        return 2;
      }
      scales.push_back(v);
    }
  }
  out["scale"] = nlohmann::json::array();
  for (auto& s : scales) {
    if (!want("scale-" + std::to_string(s.cpus))) continue;
    out["scale"].push_back(measure([&] { return scale(s.cpus, s.devices, s.entries, scale_load_us, quantum); }));
    if (!only.empty()) break;  // one elaboration per process
  }

  // The headline at about one million interrupts per variant.
  out["headline"] = nlohmann::json::array();
  if (want("headline")) try {
    const double rate = 4.0, dur_us = quick ? 2000 : 250'000;
    scenario sc0 = load_scenario(headline, {"workload.busy.rate_per_us=" + std::to_string(rate),
                                            "sim.duration_us=" + std::to_string(dur_us)});
    for (size_t i = 0; i < sc0.variants.size(); ++i) {
      if (sc0.variants[i].name.find("legacy-") == 0) continue;
      if (!only.empty() && !out["headline"].empty()) break;  // one elaboration per process
      out["headline"].push_back(measure([&] {
        run_options o;
        o.quiet = true;
        auto t0 = clk::now();
        auto v = simulate_variant(sc0, i, o);
        return nlohmann::json{{"variant", sc0.variants[i].name}, {"wall_s", secs(t0, clk::now())},
                              {"raised", v["ledger"]["raised"]}, {"lost", v["ledger"]["lost"]}};
      }));
    }
  } catch (const std::exception& e) {
    out["headline_error"] = e.what();
  }

  if (json) {
    std::cout << out.dump(2) << "\n";
    return 0;
  }
  auto num = [](const nlohmann::json& j, const char* k) { return j.contains(k) ? j[k].get<double>() : 0.0; };
  std::printf("| measurement | value |\n|---|---|\n");
  std::printf("| bare SystemC event (1 ns ping-pong) | %.2f M events/s |\n", num(out, "systemc_events_per_s") / 1e6);
  for (auto& [k, v] : out["e2e"].items())
    std::printf("| end to end, %s | %.2f M handled/s, ratio %.3f (%.2f delta cycles per interrupt: bound %.2f)%s |\n",
                k.c_str(), num(v, "handled_per_s") / 1e6, num(v, "ratio"), num(v, "delta_cycles_per_interrupt"),
                num(v, "ratio_bound"),
                v.contains("error") ? (" ERROR " + v["error"].get<std::string>()).c_str() : "");
  std::printf("\n| CPUs | devices | IMS/dev | vectors | set-up s | of which allocation s | delta cycles/vector "
              "| platform MiB | bytes/vector | ns/interrupt | first use ns/interrupt |\n|---|---|---|---|---|---|---|---|---|---|---|\n");
  for (auto& s : out["scale"])
    std::printf("| %.0f | %.0f | %.0f | %.0f | %.3f | %.3f | %.1f | %.1f | %.0f | %.0f | %.0f |%s\n", num(s, "cpus"),
                num(s, "devices"), num(s, "ims_entries"), num(s, "vectors"), num(s, "setup_s"), num(s, "allocation_s"),
                num(s, "allocation_delta_cycles_per_vector"), num(s, "platform_bytes") / 1048576.0,
                num(s, "bytes_per_vector"), num(s, "ns_per_interrupt"), num(s, "first_use_ns_per_interrupt"),
                s.contains("error") ? (" ERROR " + s["error"].get<std::string>()).c_str() : "");
  std::printf("\n| headline variant | interrupts raised | wall s |\n|---|---|---|\n");
  for (auto& h : out["headline"])
    std::printf("| %s | %.0f | %.2f |\n", h.value("variant", std::string("?")).c_str(), num(h, "raised"), num(h, "wall_s"));
  return 0;
}
