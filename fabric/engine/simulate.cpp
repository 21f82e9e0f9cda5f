// One variant, simulated in this process: build, run, report (runner.h simulate_variant).
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <map>

#include "fabric/engine/live_metrics.h"
#include "fabric/engine/platform.h"
#include "fabric/engine/run_state.h"
#include "fabric/engine/runner.h"
#include "fabric/engine/timeline.h"
#include "fabric/engine/workload.h"
#include "fabric/error.h"
#include "models/idxd/dsa_device.h"
#include "models/iommu/vtd_unit.h"
#include "models/os/kernel.h"

namespace irqf {

namespace fs = std::filesystem;

namespace {

nlohmann::json stats_json(const os::dsa_driver_stats& s) {
  return {{"submitted", s.submitted},       {"retried", s.retried},
          {"rejected", s.rejected},         {"completions", s.completions},
          {"reaped_on_time", s.reaped_on_time}, {"delayed", s.delayed},
          {"stranded", s.stranded},         {"interrupts", s.interrupts},
          {"misc_interrupts", s.misc_interrupts}, {"empty_interrupts", s.empty_interrupts}};
}

nlohmann::json latency_cdf(const ledger& l) {
  auto v = l.latencies_ns();
  nlohmann::json a = nlohmann::json::array();
  if (v.empty()) return a;
  for (int q = 0; q <= 100; ++q) {
    size_t k = std::min(v.size() - 1, size_t(double(q) / 100.0 * double(v.size() - 1) + 0.5));
    a.push_back({double(q) / 100.0, v[k]});
  }
  return a;
}

void apply_logs(log_hub& logs, const yaml_doc& d, const std::vector<std::string>& args) {
  const YAML::Node l = d.root["log"];
  if (l && !l.IsNull()) {
    if (!l.IsMap()) d.fail(l, "log", "expected a map component.path: level");
    for (auto it : l) {
      try {
        logs.set_level(it.first.Scalar(), it.second.Scalar());
      } catch (const input_error& e) {
        d.fail(it.second, it.first.Scalar(), e.what());
      }
    }
  }
  for (auto& a : args) logs.set_from_arg(a);
}

}  // namespace

nlohmann::json simulate_variant(const scenario& sc, size_t vi, const run_options& opt) {
  const auto wall0 = std::chrono::steady_clock::now();
  yaml_doc d = sc.variant_doc(vi);
  const std::string vname = sc.variants[vi].name;
  param_values sim = param_values::bind(sim_schema(), d, d.root["sim"]);
  const double duration_ns = sim.r("duration_us") * 1000.0;

  platform plat(d, sc.seed);
  apply_logs(plat.ctx.logs, d, opt.logs);
  run_state rs;
  auto items = parse_timeline(d, d.root["timeline"]);
  timeline_runner tl("timeline", plat.ctx, plat, rs, std::move(items));
  std::vector<std::unique_ptr<traffic_gen>> gens;
  for (auto& w : parse_workload(d, d.root["workload"]))
    gens.push_back(std::make_unique<traffic_gen>(w.name.c_str(), plat.ctx, plat, rs, w));
  std::string safe = vname;
  for (char& c : safe)
    if (!std::isalnum(uint8_t(c)) && c != '-' && c != '_') c = '_';
  if (opt.trace) plat.ctx.trace.open((fs::path(opt.out_dir) / ("trace-" + safe + ".json")).string());
  // `deliveries.cpuN` expectations: record the vectors dispatched on each CPU, in order.
  std::map<unsigned, std::vector<int>> deliveries;
  bool want_deliveries = false;
  for (auto& e : sc.expects) want_deliveries |= metric_needs_deliveries(e.metric);
  if (want_deliveries)
    plat.kernel->on_entry = [&deliveries](unsigned cpu, entry_kind k, uint8_t vec) {
      auto& d = deliveries[cpu];
      if (d.size() < 100000) d.push_back(k == entry_kind::vector ? int(vec) : -int(k));
    };
  plat.kernel->set_quantum(sc_core::sc_time(double(sim.i("quantum_ns")), sc_core::SC_NS));
  plat.kernel->boot();  // starts the boot thread; tasks wait for it

  // Run in slices so long runs can report progress.
  const int slices = 50;
  auto last_print = std::chrono::steady_clock::now();
  for (int s = 1; s <= slices && rs.error.empty(); ++s) {
    sc_core::sc_start(sc_core::sc_time(duration_ns * s / slices, sc_core::SC_NS) - sc_core::sc_time_stamp());
    if (sc_core::sc_get_status() == sc_core::SC_STOPPED) break;
    auto now = std::chrono::steady_clock::now();
    if (!opt.quiet && std::chrono::duration<double>(now - last_print).count() > 1.0) {
      double el = std::chrono::duration<double>(now - wall0).count();
      double frac = double(s) / slices;
      std::fprintf(stderr, "[%s] sim %.1f/%.1f us, %.2f M interrupts/s, ETA %.0f s\n", vname.c_str(),
                   sc_core::sc_time_stamp().to_seconds() * 1e6, duration_ns / 1000.0,
                   double(plat.ctx.led.records().size()) / el / 1e6, el / frac - el);
      last_print = now;
    }
  }
  if (!rs.error.empty()) throw input_error(rs.error);

  // ---- the variant report ----
  nlohmann::json v;
  const ledger& L = plat.ctx.led;
  v["name"] = vname;
  v["sim_time_ns"] = double(sc_core::sc_time_stamp().value()) / 1000.0;
  // SystemC evaluation phases run (what temporal decoupling saves; 0 quantum = most).
  v["sim"] = {{"delta_cycles", sc_core::sc_delta_count()}, {"quantum_ns", sim.i("quantum_ns")}};
  nlohmann::json live = live_metrics(L);
  v["ledger"] = live["ledger"];
  v["ledger"]["spurious_by_place"] = L.spurious_by_place();
  v["latency_ns"] = live["latency_ns"];
  v["latency_cdf"] = latency_cdf(L);
  v["per_vector"] = L.per_source_json();

  // Phases: from each mark to the next (or the end).
  nlohmann::json phases = nlohmann::json::object();
  auto marks = rs.phases;
  for (size_t k = 0; k < marks.size(); ++k) {
    double a = marks[k].first, b = k + 1 < marks.size() ? marks[k + 1].first : v["sim_time_ns"].get<double>() + 1;
    phases[marks[k].second] = {{"start_ns", a}, {"end_ns", b},
                               {"ledger", ledger_json(L.totals_between(uint64_t(a * 1000), uint64_t(b * 1000)))}};
  }
  v["phases"] = phases;

  // Driver-visible damage and resize windows.
  nlohmann::json dsa = nlohmann::json::object(), windows = nlohmann::json::array();
  double wtotal = 0, wmax = 0;
  for (auto& [name, drv] : rs.idxd) dsa[name] = stats_json(drv->finish());
  for (auto& [name, drv] : rs.vfio) {
    dsa[name] = stats_json(drv->finish());
    for (auto& w : drv->resize_windows()) {
      double dur = w.end_ns - w.start_ns;
      windows.push_back({{"device", w.device}, {"strategy", w.strategy}, {"start_ns", w.start_ns},
                         {"end_ns", w.end_ns}, {"duration_ns", dur}, {"from_vectors", w.from_vectors},
                         {"to_vectors", w.to_vectors},
                         {"ledger", ledger_json(L.totals_between(uint64_t(w.start_ns * 1000), uint64_t(w.end_ns * 1000) + 1))}});
      wtotal += dur, wmax = std::max(wmax, dur);
    }
  }
  uint64_t stranded = 0, delayed = 0;
  for (auto& [n, s] : dsa.items()) stranded += s["stranded"].get<uint64_t>(), delayed += s["delayed"].get<uint64_t>();
  v["dsa"] = dsa;
  v["completions"] = {{"stranded", stranded}, {"delayed", delayed}};
  v["resize"] = {{"windows", windows}, {"count", windows.size()}, {"total_ns", wtotal}, {"max_ns", wmax},
                 {"mean_ns", windows.empty() ? 0.0 : wtotal / double(windows.size())}};
  nlohmann::json wl = nlohmann::json::object();
  for (auto& g : gens) wl[g->basename()] = g->generated();
  v["workload"] = wl;
  v["workload_rejected"] = rs.submit_rejected;
  nlohmann::json acts = nlohmann::json::array();
  for (auto& [t, a] : tl.log_of_actions()) acts.push_back({{"t_ns", t}, {"action", a}});
  v["actions"] = acts;
  if (plat.iommu) {
    const auto& st = plat.iommu->stats();
    nlohmann::json f = nlohmann::json::object();
    for (unsigned r = 0; r < st.faults.size(); ++r)
      if (st.faults[r]) {
        char k[8];
        std::snprintf(k, sizeof k, "0x%02x", 0x20 + r);
        f[k] = st.faults[r];
      }
    v["iommu"] = {{"requests", st.requests}, {"passthrough", st.passthrough}, {"remapped", st.remapped},
                  {"posted", st.posted}, {"blocked", st.blocked}, {"iec_hits", st.iec_hits},
                  {"iec_misses", st.iec_misses}, {"iec_evictions", st.iec_evictions}, {"faults", f},
                  {"faults_recorded", st.faults_recorded}, {"faults_suppressed_fpd", st.faults_suppressed_fpd},
                  {"pi_notifications", st.pi_notifications}, {"pi_no_notification", st.pi_no_notification},
                  {"pi_merged", st.pi_merged}, {"iec_index_invalidations", st.iec_index_invalidations},
                  {"iec_global_invalidations", st.iec_global_invalidations}};
  }

  if (want_deliveries) {
    nlohmann::json dj = nlohmann::json::object();
    for (unsigned c = 0; c < plat.kernel->ncpus(); ++c) dj["cpu" + std::to_string(c)] = deliveries[c];
    v["deliveries"] = dj;
  }
  // Registers named by expectations, read at the end as software would.
  for (auto& e : sc.expects)
    if (metric_needs_registers(e.metric)) {
      std::string rest = e.metric.substr(10);
      auto dot = rest.find('.');
      if (dot == std::string::npos) throw input_error(e.where + ": key 'that': registers.<component>.<REGISTER>");
      register_view* rv = plat.find_registers(rest.substr(0, dot));
      auto val = rv ? rv->read_register(rest.substr(dot + 1)) : std::nullopt;
      if (!val) throw input_error(e.where + ": key 'that': no register " + rest);
      v["registers"][rest.substr(0, dot)][rest.substr(dot + 1)] = *val;
    }
  nlohmann::json ex = nlohmann::json::array();
  for (auto& e : sc.expects) {
    if (!e.variants.empty() && std::find(e.variants.begin(), e.variants.end(), vname) == e.variants.end()) continue;
    auto r = evaluate(e, v);
    ex.push_back({{"text", e.text}, {"passed", r.passed}, {"message", r.message}, {"where", e.where}});
  }
  v["expectations"] = ex;
  if (opt.trace) {
    L.write_csv((fs::path(opt.out_dir) / ("ledger-" + safe + ".csv")).string());
    plat.ctx.trace.close();
  }
  return v;
}

}  // namespace irqf
