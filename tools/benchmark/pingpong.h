#pragma once
// The yardstick: two SC_METHOD processes notifying each other with 1 ns timed notifications — the
// cheapest thing a SystemC model can do per simulated step (shared/NOTES.md).
#include <systemc>

#include <cstdint>

namespace irqf::bench {

class pingpong : public sc_core::sc_module {
 public:
  /// Starts at `start` and stops after `events` notifications in total.
  pingpong(sc_core::sc_module_name nm, sc_core::sc_time start, uint64_t events);
  uint64_t count() const { return n_; }

 private:
  void ping();
  void pong();
  sc_core::sc_event a_, b_;
  uint64_t n_ = 0, limit_;
};

}  // namespace irqf::bench
