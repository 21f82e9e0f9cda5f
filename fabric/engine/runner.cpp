#include "fabric/engine/runner.h"

#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "fabric/error.h"

namespace irqf {

namespace fs = std::filesystem;

namespace {
nlohmann::json yaml_json(const YAML::Node& n) {
  if (n.IsSequence()) {
    auto a = nlohmann::json::array();
    for (size_t i = 0; i < n.size(); ++i) a.push_back(yaml_json(n[i]));
    return a;
  }
  if (n.IsMap()) {
    auto o = nlohmann::json::object();
    for (auto it : n) o[it.first.Scalar()] = yaml_json(it.second);
    return o;
  }
  if (n.IsScalar()) return n.Scalar();
  return nullptr;
}

struct child {
  pid_t pid;
  size_t variant;
  std::string file;
};
}  // namespace

run_outcome run_scenario(const scenario& sc, const run_options& opt) {
  auto t0 = std::chrono::steady_clock::now();
  run_outcome out;
  fs::create_directories(opt.out_dir);
  std::vector<nlohmann::json> variants(sc.variants.size());
  std::vector<child> running;
  size_t next = 0;
  std::fflush(nullptr);
  auto reap_one = [&]() {
    int status = 0;
    pid_t p = wait(&status);
    for (size_t k = 0; k < running.size(); ++k) {
      if (running[k].pid != p) continue;
      child c = running[k];
      running.erase(running.begin() + long(k));
      std::ifstream in(c.file);
      nlohmann::json v;
      if (in) {
        try {
          in >> v;
        } catch (...) {
          v = nullptr;
        }
      }
      fs::remove(c.file);
      if (v.is_null() || !WIFEXITED(status)) {
        v = {{"name", sc.variants[c.variant].name},
             {"error", "variant process died (" +
                           std::string(WIFSIGNALED(status) ? "signal " + std::to_string(WTERMSIG(status))
                                                           : "status " + std::to_string(WEXITSTATUS(status))) +
                           ")"}};
      }
      variants[c.variant] = std::move(v);
      return;
    }
  };
  while (next < sc.variants.size() || !running.empty()) {
    while (next < sc.variants.size() && running.size() < std::max(1u, opt.jobs)) {
      std::string file = (fs::path(opt.out_dir) / (".variant-" + std::to_string(next) + ".json")).string();
      pid_t p = fork();
      if (p < 0) throw std::runtime_error("fork failed");
      if (p == 0) {
        nlohmann::json v;
        int code = 0;
        try {
          v = simulate_variant(sc, next, opt);
        } catch (const input_error& e) {
          v = {{"name", sc.variants[next].name}, {"input_error", e.what()}};
          code = 0;
        } catch (const std::exception& e) {
          v = {{"name", sc.variants[next].name}, {"error", e.what()}};
        }
        std::ofstream o(file);
        o << v.dump();
        o.close();
        std::fflush(nullptr);
        _exit(code);
      }
      running.push_back({p, next, file});
      ++next;
    }
    reap_one();
  }

  nlohmann::json rep;
  rep["scenario"] = sc.name;
  rep["description"] = sc.description;
  rep["seed"] = sc.seed;
  rep["config"] = yaml_json(sc.doc.root);
  rep["variants"] = nlohmann::json::array();
  for (size_t i = 0; i < variants.size(); ++i) {
    auto& v = variants[i];
    if (v.contains("input_error")) {
      out.exit_code = std::max(out.exit_code, 2);
      out.failures.push_back(v["input_error"].get<std::string>());
      throw input_error(v["input_error"].get<std::string>());
    }
    if (v.contains("error")) {
      out.exit_code = 3;
      out.failures.push_back("variant " + sc.variants[i].name + ": " + v["error"].get<std::string>());
    } else {
      v["config_overrides"] = sc.variants[i].sets;
      for (auto& e : v["expectations"])
        if (!e["passed"].get<bool>()) {
          out.exit_code = std::max(out.exit_code, 1);
          out.failures.push_back("variant " + sc.variants[i].name + ": expectation failed: " +
                                 e["message"].get<std::string>() + " [" + e["where"].get<std::string>() + "]");
        }
      if (!v["ledger"]["balanced"].get<bool>()) {
        out.exit_code = 3;
        out.failures.push_back("variant " + sc.variants[i].name + ": " + v["ledger"]["conservation"].get<std::string>());
      }
    }
    rep["variants"].push_back(std::move(v));
  }
  rep["wall_time_s"] = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  out.report = std::move(rep);
  return out;
}

void write_report(const nlohmann::json& report, const std::string& out_dir) {
  fs::create_directories(out_dir);
  std::ofstream o(fs::path(out_dir) / "report.json");
  if (!o) throw input_error(out_dir + "/report.json: cannot write");
  o << report.dump(2) << "\n";
}

std::string summary_table(const nlohmann::json& r) {
  std::ostringstream o;
  char line[512];
  o << "scenario " << r["scenario"].get<std::string>() << " (seed " << r["seed"] << ")\n";
  std::snprintf(line, sizeof line, "%-18s %9s %9s %7s %7s %7s %9s %9s %9s  %s\n", "variant", "raised",
                "handled", "merged", "pending", "lost", "p50 ns", "p99 ns", "spurious", "lost by cause");
  o << line;
  for (auto& v : r["variants"]) {
    if (v.contains("error")) {
      o << v["name"].get<std::string>() << ": ERROR " << v["error"].get<std::string>() << "\n";
      continue;
    }
    auto& l = v["ledger"];
    std::string causes;
    for (auto& [k, n] : l["lost_by_cause"].items())
      causes += (causes.empty() ? "" : ", ") + k + " " + std::to_string(n.get<uint64_t>());
    std::snprintf(line, sizeof line, "%-18s %9llu %9llu %7llu %7llu %7llu %9.0f %9.0f %9llu  %s\n",
                  v["name"].get<std::string>().c_str(), (unsigned long long)l["raised"].get<uint64_t>(),
                  (unsigned long long)l["handled"].get<uint64_t>(), (unsigned long long)l["merged"].get<uint64_t>(),
                  (unsigned long long)l["pending"].get<uint64_t>(), (unsigned long long)l["lost"].get<uint64_t>(),
                  v["latency_ns"]["p50"].get<double>(), v["latency_ns"]["p99"].get<double>(),
                  (unsigned long long)l["spurious"].get<uint64_t>(), causes.empty() ? "-" : causes.c_str());
    o << line;
  }
  // Driver-visible damage and resize windows, when the scenario has DSA drivers.
  bool any_dsa = false;
  for (auto& v : r["variants"]) any_dsa |= v.contains("dsa") && !v["dsa"].empty();
  if (any_dsa) {
    std::snprintf(line, sizeof line, "\n%-18s %8s %12s %12s %14s %9s %9s\n", "variant", "resizes",
                  "mean us", "max us", "lost in them", "delayed", "stranded");
    o << line;
    for (auto& v : r["variants"]) {
      if (!v.contains("resize")) continue;
      uint64_t in = 0;
      for (auto& w : v["resize"]["windows"]) in += w["ledger"]["lost"].get<uint64_t>();
      std::snprintf(line, sizeof line, "%-18s %8llu %12.1f %12.1f %14llu %9llu %9llu\n",
                    v["name"].get<std::string>().c_str(), (unsigned long long)v["resize"]["count"].get<uint64_t>(),
                    v["resize"]["mean_ns"].get<double>() / 1000.0, v["resize"]["max_ns"].get<double>() / 1000.0,
                    (unsigned long long)in, (unsigned long long)v["completions"]["delayed"].get<uint64_t>(),
                    (unsigned long long)v["completions"]["stranded"].get<uint64_t>());
      o << line;
    }
  }
  size_t pass = 0, total = 0;
  for (auto& v : r["variants"])
    if (v.contains("expectations"))
      for (auto& e : v["expectations"]) ++total, pass += e["passed"].get<bool>();
  if (total) o << "expectations: " << pass << "/" << total << " passed\n";
  return o.str();
}

}  // namespace irqf
