#include "pingpong.h"

namespace irqf::bench {

pingpong::pingpong(sc_core::sc_module_name nm, sc_core::sc_time start, uint64_t events)
    : sc_module(nm), limit_(events) {
  SC_HAS_PROCESS(pingpong);
  SC_METHOD(ping);
  sensitive << a_;
  dont_initialize();
  SC_METHOD(pong);
  sensitive << b_;
  dont_initialize();
  a_.notify(start);
}

void pingpong::ping() {
  if (++n_ < limit_) b_.notify(1, sc_core::SC_NS);
}

void pingpong::pong() {
  if (++n_ < limit_) a_.notify(1, sc_core::SC_NS);
}

}  // namespace irqf::bench
