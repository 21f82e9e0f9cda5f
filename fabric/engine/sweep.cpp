#include "fabric/engine/sweep.h"

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "fabric/engine/scenario.h"
#include "fabric/error.h"

namespace irqf {

namespace fs = std::filesystem;

namespace {
struct axis {
  std::string path;
  std::vector<std::string> values;
};

std::vector<axis> parse_axes(const std::vector<std::string>& params) {
  std::vector<axis> ax;
  for (auto& p : params) {
    auto eq = p.find('=');
    if (eq == std::string::npos || eq == 0 || eq + 1 == p.size())
      throw input_error("--param " + p + ": expected path=v1,v2,...");
    axis a{p.substr(0, eq), {}};
    std::stringstream ss(p.substr(eq + 1));
    for (std::string v; std::getline(ss, v, ',');)
      if (!v.empty()) a.values.push_back(v);
    ax.push_back(std::move(a));
  }
  return ax;
}

std::string shell_quote(const std::string& s) {
  std::string o = "'";
  for (char c : s) o += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return o + "'";
}
}  // namespace

int run_sweep(const std::string& file, const std::vector<std::string>& params, unsigned jobs,
              std::string out_dir, const std::string& emit, const std::string& self) {
  auto axes = parse_axes(params);
  scenario base = load_scenario(file, {});  // validates the file once up front
  if (out_dir.empty()) out_dir = "out/" + base.name + "-sweep";
  fs::create_directories(out_dir);
  // Cross product.
  std::vector<std::vector<std::string>> combos{{}};
  for (auto& a : axes) {
    std::vector<std::vector<std::string>> next;
    for (auto& c : combos)
      for (auto& v : a.values) {
        auto n = c;
        n.push_back(v);
        next.push_back(n);
      }
    combos = std::move(next);
  }
  // Validate every combination before starting anything.
  std::vector<std::vector<std::string>> argvs;
  for (size_t k = 0; k < combos.size(); ++k) {
    std::vector<std::string> sets;
    for (size_t i = 0; i < axes.size(); ++i) sets.push_back(axes[i].path + "=" + combos[k][i]);
    load_scenario(file, sets);
    std::vector<std::string> a{self, "run", file, "--quiet", "-j", "1", "--out",
                               (fs::path(out_dir) / ("run-" + std::to_string(k))).string()};
    for (auto& s : sets) a.push_back("--set"), a.push_back(s);
    argvs.push_back(a);
  }
  if (!emit.empty()) {
    std::string script = (fs::path(out_dir) / (emit == "slurm" ? "sweep.sbatch" : "jobs.txt")).string();
    std::ofstream o(script);
    if (emit == "parallel") {
      for (auto& a : argvs) {
        for (size_t i = 0; i < a.size(); ++i) o << (i ? " " : "") << shell_quote(a[i]);
        o << "\n";
      }
      std::cout << "wrote " << script << " (" << argvs.size() << " jobs): parallel -j N < " << script << "\n";
    } else {
      o << "#!/bin/bash\n#SBATCH --job-name=irqfabric-" << base.name << "\n#SBATCH --array=0-"
        << argvs.size() - 1 << "\n#SBATCH --cpus-per-task=1\ncase $SLURM_ARRAY_TASK_ID in\n";
      for (size_t k = 0; k < argvs.size(); ++k) {
        o << "  " << k << ") exec";
        for (auto& s : argvs[k]) o << " " << shell_quote(s);
        o << " ;;\n";
      }
      o << "esac\n";
      std::cout << "wrote " << script << " (" << argvs.size() << " array tasks): sbatch " << script << "\n";
    }
    return 0;
  }
  // Run.
  int worst = 0;
  size_t next = 0, running = 0;
  while (next < argvs.size() || running) {
    while (next < argvs.size() && running < std::max(1u, jobs)) {
      pid_t p = fork();
      if (p == 0) {
        std::vector<char*> cargv;
        for (auto& s : argvs[next]) cargv.push_back(const_cast<char*>(s.c_str()));
        cargv.push_back(nullptr);
        int devnull = ::open("/dev/null", 1);
        if (devnull >= 0) dup2(devnull, 1);
        execv("/proc/self/exe", cargv.data());
        _exit(127);
      }
      ++running, ++next;
    }
    int st = 0;
    if (wait(&st) > 0) {
      --running;
      worst = std::max(worst, WIFEXITED(st) ? WEXITSTATUS(st) : 3);
    }
  }
  // Gather into one CSV.
  std::string csv = (fs::path(out_dir) / "sweep.csv").string();
  std::ofstream o(csv);
  for (auto& a : axes) o << a.path << ",";
  o << "variant,raised,handled,merged,pending,lost,spurious,p50_ns,p90_ns,p99_ns,max_ns,lost_by_cause\n";
  for (size_t k = 0; k < combos.size(); ++k) {
    std::ifstream in(fs::path(out_dir) / ("run-" + std::to_string(k)) / "report.json");
    nlohmann::json r;
    if (!in) continue;
    in >> r;
    for (auto& v : r["variants"]) {
      if (!v.contains("ledger")) continue;
      for (auto& c : combos[k]) o << c << ",";
      auto& l = v["ledger"];
      auto& lat = v["latency_ns"];
      std::string causes;
      for (auto& [cn, n] : l["lost_by_cause"].items())
        causes += (causes.empty() ? "" : ";") + cn + "=" + std::to_string(n.get<uint64_t>());
      o << v["name"].get<std::string>() << "," << l["raised"] << "," << l["handled"] << "," << l["merged"]
        << "," << l["pending"] << "," << l["lost"] << "," << l["spurious"] << "," << lat["p50"] << ","
        << lat["p90"] << "," << lat["p99"] << "," << lat["max"] << "," << causes << "\n";
    }
  }
  std::cout << "wrote " << csv << " (" << combos.size() << " runs)\n";
  return worst;
}

}  // namespace irqf
