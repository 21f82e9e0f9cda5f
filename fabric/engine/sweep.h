#pragma once
// `irqfabric sweep`: the cross product of --param path=v1,v2,... values, each combination one
// `irqfabric run` in its own process (up to `jobs` at once), gathered into one CSV; or, with --emit,
// a Slurm array script / GNU parallel job list for sweeps larger than one machine.
#include <string>
#include <vector>

namespace irqf {

/// Returns the process exit code (0, or the worst exit code of the runs). Throws input_error on a
/// malformed --param.
int run_sweep(const std::string& file, const std::vector<std::string>& params, unsigned jobs,
              std::string out_dir, const std::string& emit, const std::string& self);

}  // namespace irqf
