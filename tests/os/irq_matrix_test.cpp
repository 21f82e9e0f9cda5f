// linux-stack.md §9 behaviours 1, 2 and 4 on the irq_matrix alone (kernel/irq/matrix.c).
#include <catch2/catch.hpp>

#include <random>

#include "models/os/irq/irq_matrix.h"
#include "models/os/irq/kernel_version.h"

using namespace irqf::os;

namespace {
/// A 4-CPU x86 matrix booted like Linux: system vectors, CPU 0 online with the ISA vectors.
struct booted {
  trace_buffer buf;
  os_tracer tr;
  irq_matrix m;
  explicit booted(const char* ver, unsigned ncpu = 4, bool isa = true)
      : m(ncpu, 0x20, [&] { kernel_version k; kernel_version::parse(ver, k); return k.first_system_vector(); }(), &tr) {
    tr.sink = &buf;
    kernel_version k;
    kernel_version::parse(ver, k);
    for (unsigned v : k.system_vectors()) m.assign_system(v, false);
    m.online(0);
    if (isa)
      for (unsigned i = 0; i < 16; ++i)
        if (i != 2) m.assign(0, 0x30 + i);
    for (unsigned c = 1; c < ncpu; ++c) m.online(c);
  }
};
}  // namespace

TEST_CASE("matrix: per-CPU available by kernel version") {
  booted a("6.1", 4, false), b("6.6", 4, false), c("6.10", 4, false);
  CHECK(a.m.map(1).available == 201);  // 0x20..0xeb minus 0x20, 0x32, 0x80 (the shared trace: 201)
  CHECK(b.m.map(1).available == 202);  // no cleanup vector since 6.6
  CHECK(c.m.map(1).available == 201);  // FIRST_SYSTEM_VECTOR 0xeb
  CHECK(a.m.global_available() == 804);
  // The trace's online events: global_avl 201, 400 (after 15 ISA vectors...), checked in replay.
  CHECK(a.buf.of("irq_matrix_assign_system").size() == 39);
}

TEST_CASE("matrix: behaviour 1, non-managed alloc picks most available, lowest id, lowest bit") {
  booted b("6.6");
  unsigned cpu = 99;
  cpumask all = cpumask::first_n(4);
  int v = b.m.alloc(all, false, cpu);
  CHECK(v == 0x20);  // fresh CPU, v6.6+: 0x20 is allocatable
  CHECK(cpu == 1);   // CPU 0 holds 15 ISA vectors; 1,2,3 tie -> lowest
  v = b.m.alloc(all, false, cpu);
  CHECK((cpu == 2 && v == 0x20));
  v = b.m.alloc(all, false, cpu);
  CHECK((cpu == 3 && v == 0x20));
  v = b.m.alloc(all, false, cpu);
  CHECK((cpu == 1 && v == 0x21));
  v = b.m.alloc(cpumask{0}, false, cpu);
  CHECK((cpu == 0 && v == 0x20));
  v = b.m.alloc(cpumask{0}, false, cpu);
  CHECK((cpu == 0 && v == 0x21));
  v = b.m.alloc(cpumask{0}, false, cpu);
  CHECK((cpu == 0 && v == 0x22));
  v = b.m.alloc(cpumask{0}, false, cpu);
  CHECK((cpu == 0 && v == 0x23));  // 0x30.. are ISA, 0x32 system; below that free
  CHECK(b.m.map(0).available == 202 - 15 - 4);
  // Offline CPUs are never chosen; empty mask is -EINVAL.
  b.m.offline(3);
  v = b.m.alloc(cpumask{3}, false, cpu);
  CHECK(v == -err::nospc);
  CHECK(b.m.alloc(cpumask{}, false, cpu) == -err::inval);
  // the trace record carries Linux's fields
  auto recs = b.buf.of("irq_matrix_alloc");
  REQUIRE(recs.size() == 8);
  CHECK(format_ftrace(recs[0]) ==
        "bit=32 cpu=1 online=1 avl=201 alloc=1 managed=0 online_maps=4 global_avl=792, global_rsvd=0, total_alloc=16");
}

TEST_CASE("matrix: behaviour 2, managed alloc picks fewest managed_allocated, highest id") {
  booted b("6.6");
  cpumask all = cpumask::first_n(4);
  REQUIRE(b.m.reserve_managed(all) == 0);
  REQUIRE(b.m.reserve_managed(all) == 0);
  unsigned avl1 = b.m.map(1).available;
  CHECK(avl1 == 200);  // reservation charges available
  CHECK(b.m.map(1).managed == 2);
  unsigned cpu = 99;
  int v = b.m.alloc_managed(all, cpu);
  CHECK((cpu == 3 && v == 0x20));
  v = b.m.alloc_managed(all, cpu);
  CHECK((cpu == 2 && v == 0x20));
  v = b.m.alloc_managed(cpumask{1, 2}, cpu);
  CHECK((cpu == 1 && v == 0x20));
  CHECK(b.m.map(1).available == avl1);  // alloc does not change available
  b.m.free(1, 0x20, true);
  CHECK(b.m.map(1).available == avl1);  // nor does free of a managed bit
  CHECK(b.m.map(1).managed_allocated == 0);
  // On CPU 0 the managed bits sit below the ISA range.
  v = b.m.alloc_managed(cpumask{0}, cpu);
  CHECK((cpu == 0 && v == 0x20));
}

TEST_CASE("matrix: behaviour 4, exhaustion, reserve never fails, reserve_managed rolls back") {
  booted b("6.6", 2, false);
  unsigned cpu = 0;
  for (int i = 0; i < 202; ++i) REQUIRE(b.m.alloc(cpumask{1}, false, cpu) >= 0);
  CHECK(b.m.map(1).available == 0);
  CHECK(b.m.alloc(cpumask{1}, false, cpu) == -err::nospc);
  // reserve_managed over {0,1}: CPU 0 succeeds, CPU 1 is full -> rollback of CPU 0.
  unsigned avl0 = b.m.map(0).available;
  CHECK(b.m.reserve_managed(cpumask{0, 1}) == -err::nospc);
  CHECK(b.m.map(0).managed == 0);
  CHECK(b.m.map(0).available == avl0);
  CHECK(b.buf.of("irq_matrix_remove_managed").size() == 1);
  // Global reservation beyond everything: counted, never fails.
  for (int i = 0; i < 300; ++i) b.m.reserve();
  CHECK(b.m.global_reserved() == 300);
  CHECK(b.m.warnings() == 1);
  // A bad free WARNs and changes nothing.
  b.m.free(0, 0x90, false);
  CHECK(b.m.warnings() == 2);
}

TEST_CASE("matrix: the best-CPU shortcut gives the answer of Linux's walk under churn") {
  // matrix_find_best_cpu: the online CPU of the mask with the most available vectors, lowest id
  // on ties. The model answers masks covering every online CPU from a tournament tree; this walks
  // the maps itself after every step of a seeded random churn (allocs, frees, offline/online,
  // managed reservations) on 70 CPUs (a tree with padding leaves) and compares.
  booted b("6.6", 70);
  std::mt19937 rng(7);
  std::vector<std::pair<unsigned, unsigned>> held;  // (cpu, bit)
  std::vector<bool> online(70, true);
  auto walk = [&](const cpumask& msk) {
    unsigned best = no_cpu, avl = 0;
    for (unsigned c = 0; c < 70; ++c)
      if (msk.test(c) && online[c] && b.m.map(c).available > avl) best = c, avl = b.m.map(c).available;
    return best;
  };
  const cpumask all = cpumask::first_n(70);
  for (int step = 0; step < 4000; ++step) {
    unsigned r = rng() % 100;
    if (r < 60) {
      unsigned want = walk(all), cpu = no_cpu;
      int bit = b.m.alloc(all, false, cpu);
      if (want == no_cpu) {
        REQUIRE(bit == -err::nospc);
      } else {
        REQUIRE(bit >= 0x20);
        REQUIRE(cpu == want);
        held.emplace_back(cpu, unsigned(bit));
      }
    } else if (r < 90 && !held.empty()) {
      size_t k = rng() % held.size();
      b.m.free(held[k].first, held[k].second, false);
      held.erase(held.begin() + long(k));
    } else if (r < 95) {
      unsigned c = 1 + rng() % 69;
      if (online[c]) b.m.offline(c); else b.m.online(c);
      online[c] = !online[c];
    } else {
      cpumask one{unsigned(rng() % 70)};
      if (b.m.reserve_managed(one) == 0) b.m.remove_managed(one);
    }
  }
  CHECK(held.size() > 1000);
  CHECK(b.m.warnings() == 0);
}

TEST_CASE("shared_cpumask: value semantics, one copy for holders of the same mask") {
  shared_cpumask a = cpumask::first_n(1024), b = a, e;
  CHECK(&a.get() == &b.get());  // shared, not copied
  CHECK(a->weight() == 1024);
  CHECK(e->empty());
  b = cpumask{3};  // re-pointing one holder leaves the other alone
  CHECK(a->weight() == 1024);
  CHECK(b == cpumask{3});
  const cpumask* before = &b.get();
  b = cpumask{3};  // same value: kept, no new allocation
  CHECK(&b.get() == before);
  b = cpumask{};
  CHECK(b->empty());
}

TEST_CASE("matrix: irq_matrix_available with and without cpudown, reservations not subtracted") {
  booted b("6.6", 4, false);  // 202 available per CPU
  unsigned cpu = 0;
  b.m.reserve();
  b.m.alloc(cpumask{2}, false, cpu);
  CHECK(b.m.global_available() == 4 * 202 - 1);
  CHECK(b.m.available(false) == 4 * 202 - 1);        // global_reserved (1) is not subtracted
  CHECK(b.m.available(true, 2) == 3 * 202);          // what the other three CPUs can take
  CHECK(b.m.available(true, 1) == 3 * 202 - 1);
}
