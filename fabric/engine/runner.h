#pragma once
// Running a scenario: each variant is simulated in its own forked process (SystemC elaborates once
// per process), up to `jobs` at a time; the parent gathers the variant reports into report.json.
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "fabric/engine/scenario.h"

namespace irqf {

struct run_options {
  std::string out_dir;              ///< where report.json, ledger CSVs and traces go
  bool trace = false;               ///< write trace.json (Perfetto) + ledger CSV per variant
  bool quiet = false;               ///< no progress on stderr
  std::vector<std::string> logs;    ///< --log path=level
  unsigned jobs = 2;                ///< variants simulated in parallel
};

/// Exit status of `irqfabric run`: 0 ok, 1 an expectation failed, 2 bad input,
/// 3 simulator failure (unbalanced ledger, crash of a variant process).
struct run_outcome {
  nlohmann::json report;
  int exit_code = 0;
  std::vector<std::string> failures;  ///< one line per failed expectation / broken variant
};

/// Simulates every variant and evaluates the expectations. Writes nothing itself.
run_outcome run_scenario(const scenario& sc, const run_options& opt);

/// Simulates variant `i` in this process (the child side of run_scenario): builds the platform,
/// runs the timeline and workload for sim.duration_us, settles the ledger and returns the variant
/// report object (contract fields plus breakdowns). Throws input_error on bad input found late.
nlohmann::json simulate_variant(const scenario& sc, size_t i, const run_options& opt);

/// Writes report.json into opt.out_dir (creating it).
void write_report(const nlohmann::json& report, const std::string& out_dir);
/// The human summary table printed after a run.
std::string summary_table(const nlohmann::json& report);

}  // namespace irqf
