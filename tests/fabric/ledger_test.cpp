// The ledger's terminal states and the conservation check (DESIGN §2).
#include <catch2/catch.hpp>

#include "fabric/ledger.h"

using namespace irqf;

TEST_CASE("every event ends in exactly one state and the ledger balances") {
  ledger l;
  auto s = l.add_source("dev0/msix/1");
  REQUIRE(l.add_source("dev0/msix/1") == s);
  auto a = l.raise(s, 1000), b = l.raise(s, 2000), c = l.raise(s, 3000), d = l.raise(s, 4000);
  event_id batch[] = {a, b};
  l.settle_handled(batch, 11000);  // a handled, b merged into it
  l.lost(c, loss_cause::msix_disabled, 5000);
  auto t = l.totals();
  CHECK(t.raised == 4);
  CHECK(t.handled == 1);
  CHECK(t.merged == 1);
  CHECK(t.lost == 1);
  CHECK(t.pending == 1);  // d still open
  CHECK(t.lost_by_cause.at("msix_disabled") == 1);
  CHECK(check_conservation(t).ok);
  auto lat = l.latency();
  CHECK(lat.count == 1);
  CHECK(lat.p50 == Approx(10.0));  // (11000-1000) ps = 10 ns
  CHECK(l.is_open(d));
  CHECK(l.handled_count() == 1);
  l.handled(d, 12000);
  l.handled(d, 13000);  // settling twice is a violation and counts nothing
  CHECK(l.handled_count() == 2);
  CHECK(l.totals().handled == l.handled_count());
  CHECK(l.totals().violations == 1);
}

TEST_CASE("conservation check fails a deliberately unbalanced ledger") {
  ledger_totals t;
  t.raised = 10, t.handled = 5, t.merged = 1, t.pending = 1, t.lost = 2;
  t.lost_by_cause["misrouted"] = 2;
  auto r = check_conservation(t);
  CHECK_FALSE(r.ok);
  CHECK(r.message.find("raised 10") != std::string::npos);

  // An event settled twice is a simulator bug and fails the check too.
  ledger l;
  auto e = l.raise(l.add_source("x/raw/0"), 0);
  l.handled(e, 10);
  l.lost(e, loss_cause::misrouted, 20);
  auto r2 = check_conservation(l.totals());
  CHECK_FALSE(r2.ok);
  CHECK(l.totals().violations == 1);
}

TEST_CASE("loss causes round-trip by name") {
  CHECK(to_string(loss_cause::ir_fault_0x22) == "ir_fault_0x22");
  CHECK(ir_fault_cause(0x25) == loss_cause::ir_fault_0x25);
  CHECK(loss_cause_from("no_irq_handler") == loss_cause::no_irq_handler);
  CHECK_FALSE(loss_cause_from("nonsense").has_value());
}

TEST_CASE("latency percentiles use nearest rank over handled events") {
  ledger l;
  auto s = l.add_source("d/msix/0");
  for (int i = 1; i <= 100; ++i) l.handled(l.raise(s, 0), uint64_t(i) * 1000);
  auto lat = l.latency();
  CHECK(lat.p50 == 50.0);
  CHECK(lat.p90 == 90.0);
  CHECK(lat.p99 == 99.0);
  CHECK(lat.max == 100.0);
}

TEST_CASE("a message table's sources are one range: consecutive ids, names per entry") {
  ledger l;
  auto before = l.add_source("vtd/fault/0");
  auto t = l.add_source_range("td0/msix", 2048);
  CHECK(before == 0);
  CHECK(t == 1);
  CHECK(l.source_count() == 2049);
  CHECK(l.source_name(t) == "td0/msix/0");
  CHECK(l.source_name(t + 2047) == "td0/msix/2047");
  CHECK(l.source_name(before) == "vtd/fault/0");
  // The kernel names the source it expects by string: that finds the range's entry, not a new one.
  CHECK(l.add_source("td0/msix/17") == t + 17);
  CHECK(l.add_source("td0/msix/2048") == 2049);  // past the table: a source of its own
  CHECK(l.add_source("td0/msix/x") == 2050);
  CHECK(l.add_source_range("td0/msix", 2048) == t);  // idempotent
  CHECK_THROWS_AS(l.add_source_range("td0/msix", 16), std::logic_error);
  auto e = l.raise(t + 5, 0);
  l.handled(e, 100);
  CHECK(l.per_source_json()[0]["source"] == "td0/msix/5");
  CHECK(check_conservation(l.totals()).ok);
}
