#pragma once
// Per-run mutable state shared by the timeline, the workload generators and the report: the driver
// instances the timeline created, phase marks, and the per-CPU delivery record.
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "models/os/drivers/drivers.h"

namespace irqf {

class run_state {
 public:
  /// Driver bound to a device by the timeline (driver.probe); at most one per device.
  std::map<std::string, std::unique_ptr<os::idxd_driver>> idxd;
  std::map<std::string, std::unique_ptr<os::vfio_dsa>> vfio;

  /// Phase marks: (time ns, label) in time order; a phase runs until the next mark.
  std::vector<std::pair<double, std::string>> phases;
  /// First bad-input error found while running (a timeline action naming an unknown device...).
  std::string error;
  /// Counters of workload submissions that found no driver / were rejected.
  uint64_t submit_no_driver = 0, submit_rejected = 0;
};

}  // namespace irqf
