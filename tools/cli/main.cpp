// irqfabric: the command-line front end.
//   irqfabric run FILE [--out DIR] [--seed N] [--set k=v]... [--trace] [--quiet] [--log p=l]... [-j N]
//   irqfabric validate FILE [--set k=v]...
//   irqfabric describe [COMPONENT] [--markdown]
//   irqfabric sweep FILE --param a.b=1,2,4 [--param c=x,y] [-j N] [--out DIR] [--emit slurm|parallel]
// Exit codes: 0 ok; 1 an expectation failed; 2 bad input (file:line:column and key); 3 simulator
// failure (unbalanced ledger, crashed variant).
#include <CLI/CLI.hpp>
#include <yaml-cpp/yaml.h>
#include <systemc>

#include <cstdio>
#include <iostream>

#include "fabric/engine/runner.h"
#include "fabric/engine/scenario.h"
#include "fabric/engine/sweep.h"
#include "fabric/engine/validate.h"
#include "fabric/error.h"

using namespace irqf;

namespace {

int cmd_run(const std::string& file, const std::string& out, std::optional<uint64_t> seed,
            const std::vector<std::string>& sets, bool trace, bool quiet,
            const std::vector<std::string>& logs, unsigned jobs) {
  scenario sc = load_scenario(file, sets, seed);
  run_options opt;
  opt.out_dir = out.empty() ? "out/" + sc.name : out;
  opt.trace = trace, opt.quiet = quiet, opt.logs = logs, opt.jobs = jobs;
  auto r = run_scenario(sc, opt);
  write_report(r.report, opt.out_dir);
  std::cout << summary_table(r.report);
  std::cout << "report: " << opt.out_dir << "/report.json\n";
  for (auto& f : r.failures) std::cerr << "irqfabric: " << f << "\n";
  return r.exit_code;
}

int cmd_validate(const std::string& file, const std::vector<std::string>& sets) {
  scenario sc = load_scenario(file, sets);
  std::cout << file << ": ok (" << sc.variants.size() << " variant" << (sc.variants.size() > 1 ? "s" : "")
            << ", " << sc.expects.size() << " expectation" << (sc.expects.size() == 1 ? "" : "s") << ")\n";
  return 0;
}

int cmd_describe(const std::string& which, bool markdown) {
  bool found = false;
  for (const component_schema* s : all_schemas()) {
    if (!which.empty() && s->kind != which) continue;
    found = true;
    std::cout << (markdown ? describe_markdown(*s) : describe_text(*s));
    if (!markdown) std::cout << "\n";
  }
  if (!found) {
    std::cerr << "irqfabric describe: no component '" << which << "'; known:";
    for (const component_schema* s : all_schemas()) std::cerr << " " << s->kind;
    std::cerr << "\n";
    return 2;
  }
  return 0;
}

}  // namespace

int sc_main(int argc, char* argv[]) {
  setenv("SYSTEMC_DISABLE_COPYRIGHT_MESSAGE", "1", 1);
  CLI::App app{"irqfabric — a full-system simulator of the x86 interrupt fabric"};
  app.require_subcommand(1);

  std::string file, out, which, emit;
  uint64_t seed = 0;
  std::vector<std::string> sets, logs, params;
  bool trace = false, quiet = false, markdown = false;
  unsigned jobs = 2;

  auto* run = app.add_subcommand("run", "run a scenario and write DIR/report.json");
  run->add_option("file", file, "scenario YAML")->required();
  run->add_option("--out", out, "output folder (default out/<scenario name>)");
  auto* seed_opt = run->add_option("--seed", seed, "override the scenario's seed");
  run->add_option("--set", sets, "override a scenario key: path.to.key=value (repeatable)");
  run->add_flag("--trace", trace, "write a Perfetto trace and the ledger CSV per variant");
  run->add_flag("--quiet", quiet, "no progress on stderr");
  run->add_option("--log", logs, "log level per component path: path=level (repeatable)");
  run->add_option("-j,--jobs", jobs, "variants simulated in parallel")->check(CLI::Range(1u, 256u));

  auto* val = app.add_subcommand("validate", "check a scenario file without running it");
  val->add_option("file", file, "scenario YAML")->required();
  val->add_option("--set", sets, "override a scenario key: path.to.key=value (repeatable)");

  auto* desc = app.add_subcommand("describe", "print every component and its parameters");
  desc->add_option("component", which, "only this component kind");
  desc->add_flag("--markdown", markdown, "Markdown tables (README's scenario reference)");

  auto* sweep = app.add_subcommand("sweep", "run the cross product of parameter values; one CSV");
  sweep->add_option("file", file, "scenario YAML")->required();
  sweep->add_option("--param", params, "path=v1,v2,... (repeatable)")->required();
  sweep->add_option("-j,--jobs", jobs, "runs in parallel")->check(CLI::Range(1u, 256u));
  sweep->add_option("--out", out, "output folder (default out/<scenario>-sweep)");
  sweep->add_option("--emit", emit, "write a job script instead of running")
      ->check(CLI::IsMember({"slurm", "parallel"}));

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int rc = app.exit(e);
    return rc == 0 ? 0 : 2;
  }
  try {
    if (*run) return cmd_run(file, out, seed_opt->count() ? std::optional<uint64_t>(seed) : std::nullopt,
                             sets, trace, quiet, logs, jobs);
    if (*val) return cmd_validate(file, sets);
    if (*desc) return cmd_describe(which, markdown);
    if (*sweep) return run_sweep(file, params, jobs, out, emit, argv[0]);
  } catch (const input_error& e) {
    std::cerr << "irqfabric: " << e.what() << "\n";
    return 2;
  } catch (const YAML::Exception& e) {
    std::cerr << "irqfabric: " << file << ":" << e.mark.line + 1 << ":" << e.mark.column + 1
              << ": malformed scenario: " << e.msg << "\n";
    return 2;
  } catch (const elaboration_error& e) {
    std::cerr << "irqfabric: platform: " << e.what() << "\n";
    return 2;
  } catch (const std::exception& e) {
    std::cerr << "irqfabric: internal error: " << e.what() << "\n";
    return 3;
  }
  return 0;
}
