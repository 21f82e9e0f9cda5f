// The flow handlers as pure logic (kernel/irq/chip.c, resend.c, spurious.c) with a recording
// environment: every chip call and action run is logged in order.
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "models/os/irq/flow.h"

using namespace irqf::os;

namespace {
struct fake_env : flow_env {
  std::vector<std::string> calls;
  uint64_t t = 1000;
  unsigned c = 0;
  uint64_t handler_ps = 500;
  irqreturn ret = irqreturn::handled;
  std::vector<uint64_t> reruns;
  void mask(irq_desc&) override { calls.push_back("mask"); }
  void unmask(irq_desc&) override { calls.push_back("unmask"); }
  void ack(irq_desc&) override { calls.push_back("ack"); }
  void eoi(irq_desc&) override { calls.push_back("eoi"); }
  irqreturn call_action(irq_desc& d) override {
    calls.push_back("action:" + std::to_string(d.held.size()));
    d.held.clear();
    t += handler_ps;
    return ret;
  }
  uint64_t now_ps() const override { return t; }
  unsigned cpu() const override { return c; }
  void schedule_rerun(irq_desc&, uint64_t at) override { reruns.push_back(at); }
  bool retrigger(irq_desc&) override {
    calls.push_back("retrigger");
    return true;
  }
  void nobody_cared(irq_desc&) override { calls.push_back("nobody_cared"); }
};

irq_desc started() {
  irq_desc d;
  d.irq = 30;
  d.has_action = true;
  d.handler = [](unsigned, unsigned) { return irqreturn::handled; };
  d.disabled = false;
  d.masked = false;
  d.depth = 0;
  return d;
}
}  // namespace

TEST_CASE("handle_edge_irq: kstat, ack before the handler", "[os][flow]") {
  fake_env env;
  irq_desc d = started();
  d.held.push_back(7);
  handle_edge_irq(d, env);
  CHECK(env.calls == std::vector<std::string>{"ack", "action:1"});
  CHECK(d.kstat == 1);
  CHECK(d.inprogress_until_ps == 1500);
  // /proc/interrupts columns: counted on the CPU that ran the flow, kept only for CPUs that did.
  env.c = 1000;
  env.t = 2000;
  handle_edge_irq(d, env);
  env.t = 4000;
  handle_edge_irq(d, env);
  CHECK(d.kstat == 3);
  CHECK(d.kstat_on(0) == 1);
  CHECK(d.kstat_on(1000) == 2);
  CHECK(d.kstat_on(5) == 0);
  CHECK(d.kstat_cpu.size() == 2);
}

TEST_CASE("lazy disable: the first edge masks and stays PENDING - enable resends once", "[os][flow]") {
  fake_env env;
  irq_desc d = started();
  irq_disable_lazy(d);
  CHECK(d.disabled);
  CHECK_FALSE(d.masked);  // lazy
  d.held.push_back(1);
  handle_edge_irq(d, env);
  d.held.push_back(2);
  handle_edge_irq(d, env);  // already masked: only the ack
  CHECK(env.calls == std::vector<std::string>{"mask", "ack", "ack"});
  CHECK(d.pending);
  CHECK(d.held.size() == 2);
  CHECK(d.kstat == 0);
  env.calls.clear();
  REQUIRE(irq_enable_depth(d));
  unmask_irq(d, env);
  CHECK(check_irq_resend(d, env));
  CHECK_FALSE(check_irq_resend(d, env));  // REPLAY set: no duplicate
  CHECK(env.calls == std::vector<std::string>{"unmask", "retrigger"});
  env.calls.clear();
  handle_edge_irq(d, env);  // the resent edge runs the handler with both events
  CHECK(env.calls == std::vector<std::string>{"ack", "action:2"});
  CHECK(d.kstat == 1);
  CHECK(d.resends == 1);
}

TEST_CASE("edge during a handler on another CPU: one re-run, unmasked first", "[os][flow]") {
  fake_env env;
  irq_desc d = started();
  handle_edge_irq(d, env);  // CPU 0 runs until 1500
  env.calls.clear();
  env.c = 1;
  env.t = 1200;
  d.held.push_back(5);
  handle_edge_irq(d, env);
  env.t = 1300;
  handle_edge_irq(d, env);  // a third edge collapses into the same re-run
  CHECK(env.calls == std::vector<std::string>{"mask", "ack", "ack"});
  REQUIRE(env.reruns == std::vector<uint64_t>{1500});
  env.calls.clear();
  env.c = 0;
  env.t = 1500;
  edge_rerun(d, env);
  CHECK(env.calls == std::vector<std::string>{"unmask", "action:1"});
  CHECK(d.handler_runs == 2);
  CHECK(d.kstat == 1);
}

TEST_CASE("fasteoi: disabled level irq masks and EOIs - level irqs are never resent", "[os][flow]") {
  fake_env env;
  irq_desc d = started();
  d.flow = flow_kind::fasteoi;
  irq_disable_lazy(d);
  handle_fasteoi_irq(d, env);
  CHECK(env.calls == std::vector<std::string>{"mask", "eoi"});
  REQUIRE(irq_enable_depth(d));
  CHECK_FALSE(check_irq_resend(d, env));
  CHECK_FALSE(d.pending);
  env.calls.clear();
  handle_fasteoi_irq(d, env);
  CHECK(env.calls == std::vector<std::string>{"action:0", "eoi"});
}

TEST_CASE("note_interrupt: 99,900 of 100,000 unhandled disables the irq", "[os][flow]") {
  fake_env env;
  irq_desc d = started();
  env.ret = irqreturn::none;
  env.handler_ps = 1;
  for (int i = 0; i < 100000; ++i) handle_irq_event(d, env);
  CHECK(d.spurious_disabled);
  CHECK(d.disabled);
  CHECK(d.masked);
  CHECK(d.unhandled_total == 100000);
  CHECK(env.calls.back() == "mask");
}
