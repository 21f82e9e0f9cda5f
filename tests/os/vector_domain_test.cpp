// linux-stack.md §9 behaviours 3 and 4 (activation fallback, set_affinity -ENOSPC), 6 (IR move)
// and parts of 10 (managed shutdown on offline) on the pure-logic irq core.
#include <catch2/catch.hpp>

#include "fabric/apic_msg.h"
#include "models/os/irq/irq_core.h"

using namespace irqf::os;

namespace {
struct rec_ir : ir_hw {
  std::vector<std::pair<unsigned, irte>> stores;
  std::vector<unsigned> flushes;
  void store_irte(unsigned i, const irte& e, bool) override { stores.emplace_back(i, e); }
  void flush_iec(unsigned i, unsigned) override { flushes.push_back(i); }
};
struct rec_top : irq_chip_top {
  std::vector<std::pair<unsigned, irqf::msi_msg>> writes;
  unsigned masks = 0, unmasks = 0;
  void write_msg(unsigned v, const irqf::msi_msg& m) override { writes.emplace_back(v, m); }
  void mask(unsigned) override { ++masks; }
  void unmask(unsigned) override { ++unmasks; }
  bool can_mask(unsigned) const override { return true; }
};
struct stack {
  trace_buffer buf;
  os_tracer tr;
  rec_ir ir;
  rec_top top;
  irq_core core;
  explicit stack(bool intremap, unsigned ncpus = 4, const char* ver = "6.6")
      : core([&] {
          irq_core::params p;
          kernel_version::parse(ver, p.version);
          p.ncpus = ncpus;
          p.intremap = intremap;
          return p;
        }(), &tr, &ir, nullptr) {
    tr.sink = &buf;
    core.boot();
    for (unsigned c = 1; c < ncpus; ++c) core.cpu_up(c);
  }
  int alloc_msix(unsigned n, bool managed = false) {
    irq_alloc_request rq;
    rq.nr = 1;
    rq.remapped = core.ir() != nullptr;
    rq.sid = 0x18;
    rq.can_reserve = true;
    rq.top = &top;
    int first = -1;
    for (unsigned i = 0; i < n; ++i) {
      if (managed) {
        rq.affinity = {cpumask{i % core.ncpus()}};
        rq.managed = {true};
      }
      int v = core.alloc_irqs(rq);
      REQUIRE(v > 0);
      REQUIRE(core.init_virq(unsigned(v)) == 0);
      if (first < 0) first = v;
    }
    return first;
  }
};
}  // namespace

TEST_CASE("vector: behaviour 3, reservation mode then request_irq takes one real vector") {
  stack s(true);
  auto& m = s.core.vectors().matrix();
  unsigned alloc_before = m.total_allocated();
  int v = s.alloc_msix(4);
  CHECK(v == 24);
  CHECK(m.global_reserved() == 4);
  CHECK(m.total_allocated() == alloc_before);  // no bitmap bits
  for (unsigned i = 0; i < 4; ++i) {
    const auto& a = s.core.vectors().chip_data(24 + i);
    CHECK(a.cfg_vector == 0xef);
    CHECK(a.cfg_dest_apicid == 1);  // first online CPU, flat logical
    CHECK(a.vector == 0);
    CHECK(s.core.ir()->data(24 + i).irte_index == i);
  }
  // The placeholder is a present IRTE (shared trace caveat 2).
  REQUIRE(s.ir.stores.size() == 4);
  CHECK(irte_fields::P.get(s.ir.stores[0].second.lo) == 1);
  CHECK(irte_fields::V.get(s.ir.stores[0].second.lo) == 0xef);
  CHECK(s.top.unmasks == 0);
  REQUIRE(s.core.startup(25) == 0);
  CHECK(m.global_reserved() == 3);
  CHECK(m.total_allocated() == alloc_before + 1);
  const auto& a = s.core.vectors().chip_data(25);
  CHECK(a.vector == 0x20);
  CHECK(a.cpu == 1);
  CHECK(s.top.unmasks == 1);
  s.core.shutdown(25);
  CHECK(m.global_reserved() == 4);
  CHECK(m.total_allocated() == alloc_before);
  CHECK(s.core.vectors().chip_data(25).cfg_vector == 0xef);
  CHECK(s.core.vectors().vector_irq(1, 0x20) == vector_shutdown);
}

TEST_CASE("vector: behaviour 6, IR move is one IRTE write and one IEC flush, immediate cleanup") {
  stack s(true);
  int v = s.alloc_msix(1);
  REQUIRE(s.core.startup(unsigned(v)) == 0);
  size_t stores = s.ir.stores.size(), flushes = s.ir.flushes.size(), writes = s.top.writes.size();
  unsigned oldcpu = s.core.vectors().chip_data(unsigned(v)).cpu;
  REQUIRE(oldcpu == 1);
  REQUIRE(s.core.set_affinity(unsigned(v), cpumask{3}) == 0);
  CHECK(s.ir.stores.size() == stores + 1);
  CHECK(s.ir.flushes.size() == flushes + 1);
  CHECK(s.top.writes.size() == writes);  // the device is never rewritten
  const auto& a = s.core.vectors().chip_data(unsigned(v));
  CHECK(a.cpu == 3);
  CHECK(a.vector == 0x20);
  CHECK(a.prev_vector == 0x20);
  CHECK(s.core.vectors().cleanup_pending(1));
  // The cleanup (IPI/timer) frees the old vector on CPU 1.
  s.core.vectors().run_cleanup(1, nullptr);
  CHECK(s.core.vectors().vector_irq(1, 0x20) == vector_unused);
  CHECK(s.buf.of("vector_free_moved").size() == 1);
  // Managed: user affinity refused.
  int mv = s.alloc_msix(1, true);
  CHECK(s.core.set_affinity(unsigned(mv), cpumask{2}) == -err::io);
}

TEST_CASE("vector: behaviour 5 bookkeeping, move without IR keeps prev_vector until an interrupt, -EBUSY") {
  stack s(false);
  int v = s.alloc_msix(1);
  REQUIRE(s.core.startup(unsigned(v)) == 0);
  auto& vd = s.core.vectors();
  // Without IR the move is deferred to the interrupt's ack on the current CPU.
  REQUIRE(s.core.set_affinity(unsigned(v), cpumask{2}) == 0);
  CHECK(vd.chip_data(unsigned(v)).cpu == 1);
  s.top.writes.clear();
  s.core.move_pending(unsigned(v), 1);  // ack of an interrupt on CPU 1
  const auto& a = vd.chip_data(unsigned(v));
  CHECK(a.cpu == 2);
  CHECK(a.move_in_progress);
  CHECK(a.prev_vector == 0x20);
  // v6.6 by-version predicate: can_reserve is set for MSI-X, the quirk never set -> direct write.
  CHECK(s.top.writes.size() == 1);
  // A second move before the first interrupt on the new vector: -EBUSY from the vector domain.
  CHECK(s.core.do_set_affinity(unsigned(v), cpumask{3}, false) == -err::busy);
  vd.complete_move(unsigned(v), 2, a.vector);
  CHECK(vd.cleanup_pending(1));
  CHECK(vd.run_cleanup(1, [](unsigned) { return true; }));  // still in IRR: stays queued
  CHECK(!vd.run_cleanup(1, [](unsigned) { return false; }));
  CHECK(vd.vector_irq(1, 0x20) == vector_unused);
  CHECK(s.core.do_set_affinity(unsigned(v), cpumask{3}, false) == 0);
}

TEST_CASE("vector: two-step non-remapped move writes exactly two messages") {
  irq_alloc_request rq;
  rq.can_reserve = true;
  // Force the two-step path (e.g. a non-maskable MSI on v6.7+) through the policy switch.
  irq_core::params q;
  q.intremap = false;
  q.msi_move = msi_move_policy::two_step;
  trace_buffer buf;
  os_tracer tr;
  tr.sink = &buf;
  rec_top top;
  irq_core core(q, &tr, nullptr, nullptr);
  core.boot();
  for (unsigned c = 1; c < 4; ++c) core.cpu_up(c);
  rq.top = &top;
  unsigned c;
  REQUIRE(core.vectors().matrix().alloc(cpumask{2}, false, c) == 0x20);  // so the new vector differs
  int v = core.alloc_irqs(rq);
  REQUIRE(core.init_virq(unsigned(v)) == 0);
  REQUIRE(core.startup(unsigned(v)) == 0);
  REQUIRE(core.set_affinity(unsigned(v), cpumask{2}) == 0);
  top.writes.clear();
  core.move_pending(unsigned(v), 1);
  REQUIRE(top.writes.size() == 2);
  auto d0 = irqf::decode_compat_msi(top.writes[0].second.address, top.writes[0].second.data);
  auto d1 = irqf::decode_compat_msi(top.writes[1].second.address, top.writes[1].second.data);
  CHECK(d0.dest == 0x2);  // new vector on the local CPU (1) first
  CHECK(d1.dest == 0x4);  // then the new CPU (2)
  CHECK(d0.vector == 0x21);
  CHECK(d1.vector == 0x21);
  CHECK(core.vectors().vector_irq(1, d0.vector) == vector_retriggered);
  CHECK(core.two_step_moves() == 1);
}

TEST_CASE("vector: behaviour 4, activation falls back to all online and warns") {
  stack s(true, 2);
  auto& m = s.core.vectors().matrix();
  unsigned cpu;
  while (m.map(1).available) REQUIRE(m.alloc(cpumask{1}, false, cpu) >= 0);
  irq_alloc_request rq;
  rq.remapped = true;
  rq.can_reserve = true;
  rq.top = &s.top;
  rq.affinity = {cpumask{1}};
  int v = s.core.alloc_irqs(rq);
  REQUIRE(s.core.init_virq(unsigned(v)) == 0);
  REQUIRE(s.core.startup(unsigned(v)) == 0);
  CHECK(s.core.vectors().chip_data(unsigned(v)).cpu == 0);
  CHECK(s.core.vectors().affinity_broken_warnings() == 1);
  CHECK(s.core.set_affinity(unsigned(v), cpumask{1}) == -err::nospc);
}

TEST_CASE("vector: behaviour 10, managed irq shut down when its mask goes offline, restarted on online") {
  stack s(true);
  int v = s.alloc_msix(4, true);  // irq v+i bound to CPU i
  for (unsigned i = 0; i < 4; ++i) REQUIRE(s.core.startup(unsigned(v) + i) == 0);
  unsigned irq2 = unsigned(v) + 2;
  unsigned vec = s.core.vectors().chip_data(irq2).vector;
  CHECK(s.core.vectors().chip_data(irq2).cpu == 2);
  int plain = s.alloc_msix(1);
  REQUIRE(s.core.startup(unsigned(plain)) == 0);
  REQUIRE(s.core.set_affinity(unsigned(plain), cpumask{2}) == 0);
  s.core.vectors().run_cleanup(s.core.vectors().chip_data(unsigned(plain)).prev_cpu, nullptr);
  REQUIRE(s.core.cpu_down(2) == 0);
  CHECK(s.core.desc(irq2).managed_shutdown);
  CHECK(s.core.vectors().chip_data(irq2).vector == 0);
  CHECK(irte_fields::P.get(s.core.ir()->data(irq2).current.lo) == 0);
  // The non-managed one broke affinity and moved to an online CPU.
  CHECK(s.core.vectors().chip_data(unsigned(plain)).cpu != 2);
  CHECK(s.core.desc(unsigned(plain)).affinity == (cpumask{0, 1, 3}));
  s.core.cpu_up(2);
  CHECK(!s.core.desc(irq2).managed_shutdown);
  CHECK(s.core.vectors().chip_data(irq2).cpu == 2);
  CHECK(s.core.vectors().chip_data(irq2).vector == vec);
}

TEST_CASE("irq_alloc_descs: the lowest free range at or above the dynamic base, reused after free") {
  stack s(false);
  irq_alloc_request rq;
  rq.top = &s.top;
  rq.nr = 1;
  const int a = s.core.alloc_irqs(rq), b = s.core.alloc_irqs(rq), c = s.core.alloc_irqs(rq);
  REQUIRE(a > 0);
  CHECK(b == a + 1);
  CHECK(c == a + 2);
  s.core.free_irqs(unsigned(b), 1);
  CHECK(s.core.alloc_irqs(rq) == b);  // the hole is found again
  rq.nr = 2;
  CHECK(s.core.alloc_irqs(rq) == a + 3);  // a+3, a+4
  s.core.free_irqs(unsigned(a), 1);
  CHECK(s.core.alloc_irqs(rq) == a + 5);  // one free slot at a is too small for two
  rq.nr = 1;
  CHECK(s.core.alloc_irqs(rq) == a);
  CHECK(s.core.alloc_irqs(rq) == a + 7);
}
