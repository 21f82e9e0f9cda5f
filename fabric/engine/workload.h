#pragma once
// Traffic generators (`workload:` in a scenario): per device and queue/vector, an arrival process —
// periodic, Poisson, on/off bursts, or replay from a CSV (time_ns,queue) — that raises device events
// (testdev: an event on a vector of a store; nic: a receive on a queue) or submits DSA descriptors
// of a size through the device's driver. Each generator has its own seeded random stream.
#include <yaml-cpp/yaml.h>

#include <random>
#include <string>
#include <vector>

#include "fabric/context.h"
#include "fabric/params.h"
#include "fabric/yaml_doc.h"

namespace irqf {

class platform;
class run_state;
namespace os {
class idxd_driver;
class vfio_dsa;
}  // namespace os

const component_schema& workload_schema();

struct workload_item {
  std::string where, name, device, target, process, replay_file;
  std::vector<unsigned> queues;  ///< queues / vectors, used round-robin
  param_values p;
  std::vector<std::pair<double, unsigned>> replay;  ///< (time ns, queue) for process: replay
};

/// Parses `workload:`; `base_dir` resolves replay files relative to the scenario.
std::vector<workload_item> parse_workload(const yaml_doc& doc, const YAML::Node& node);

class traffic_gen : public component {
 public:
  traffic_gen(sc_core::sc_module_name nm, sim_context& ctx, platform& plat, run_state& rs, workload_item w);
  uint64_t generated() const { return n_; }
  /// (Re)arms the generator to start `delay_ns` from now (benchmarks park generators at
  /// elaboration and start them once set-up is over).
  void start_in(double delay_ns);

 private:
  void arrive();
  double next_gap_ns();
  enum class proc : uint8_t { periodic, poisson, onoff, replay };
  enum class tgt : uint8_t { wq, nic_queue, testdev_store };
  platform& plat_;
  run_state& rs_;
  workload_item w_;
  // Resolved once (the arrival path does no lookups): process, target, device, parameters.
  proc proc_ = proc::poisson;
  tgt tgt_ = tgt::wq;
  void* dev_ = nullptr;
  int store_ = 0;
  double period_ns_ = 0, on_ns_ = 0, cycle_ns_ = 0;
  uint32_t bytes_ = 0;
  uint64_t limit_ = 0;
  // The device's driver, resolved at the first arrival that finds one. Safe to keep: the timeline
  // binds at most one driver per device and never removes it (run_state owns it for the run).
  os::vfio_dsa* vfio_ = nullptr;
  os::idxd_driver* idxd_ = nullptr;
  sc_core::sc_event ev_;
  uint64_t n_ = 0;
  size_t rr_ = 0, replay_i_ = 0;
  double start_ns_, stop_ns_;
  std::exponential_distribution<double> exp_;
};

}  // namespace irqf
