#pragma once
// Private to dsa_device: the run-time state of one processing engine.
#include <systemc>

#include <vector>

#include "models/idxd/dsa_device.h"

namespace irqf::idxd {

struct dsa_device::engine_rt {
  sc_core::sc_event ev;         ///< fires when the current (sub-)descriptor finishes
  int group = -1;               ///< GRPCFG.ENGINES membership, fixed at ENABLE_DEVICE
  bool busy = false;
  bool aborted = false;         ///< ABORT/RESET hit the current work: finish silently
  work_item cur;                ///< the descriptor taken from a WQ (a batch: the batch descriptor)
  std::vector<work_item> batch; ///< a batch's descriptors, executed in order
  size_t batch_pos = 0;
  bool in_batch = false;
  uint32_t batch_ok = 0;        ///< descriptors of the batch completed successfully
  uint64_t end_all_ps = 0;      ///< when everything the engine holds will be done
};

}  // namespace irqf::idxd
