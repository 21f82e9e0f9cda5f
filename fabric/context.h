#pragma once
// What every component of one platform shares: the ledger, the tracer, the log hub and the run's
// seed. There is no global state (DESIGN §4): a platform owns one sim_context and hands it to each
// component it builds, so tests may build several platforms side by side.
#include <systemc>

#include <cstdint>
#include <random>
#include <string>

#include "fabric/ledger.h"
#include "fabric/log.h"
#include "fabric/trace.h"

namespace irqf {

struct sim_context {
  ledger led;
  tracer trace;
  log_hub logs;
  uint64_t seed = 1;

  /// A generator for one component, seeded from the run seed and the component's path (FNV-1a), so
  /// adding a component never changes another one's random stream.
  std::mt19937_64 make_rng(const std::string& path) const;
};

/// Current simulation time in picoseconds (the ledger's and tracer's unit).
/// irqfabric keeps SystemC's default 1 ps resolution, so value() is picoseconds.
inline uint64_t now_ps() { return sc_core::sc_time_stamp().value(); }
/// Nanoseconds as an sc_time.
inline sc_core::sc_time ns(double v) { return sc_core::sc_time(v, sc_core::SC_NS); }

/// Base of every model: an sc_module with its logger and random generator.
class component : public sc_core::sc_module {
 public:
  component(sc_core::sc_module_name nm, sim_context& ctx)
      : sc_core::sc_module(nm), ctx(ctx), log(ctx.logs.get(name())), rng(ctx.make_rng(name())) {}

  sim_context& ctx;
  logger_ptr log;
  std::mt19937_64 rng;
};

}  // namespace irqf
