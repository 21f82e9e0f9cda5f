// Replays the requests of the shared Linux 6.1 trace (../shared/data/linux-trace/ir-smp4.events.csv:
// q35, VT-d IR in xAPIC flat-logical mode, 4 CPUs) into the OS model — allocations, activations,
// deactivations, frees, affinity changes, CPU offline/online — and compares every (cpu, vector)
// decision (vector_update), every matrix decision (irq_matrix_alloc/_managed/reserve_managed) and
// every IRTE written (modify_irte: index, low and high quadword) with the trace.
#include <catch2/catch.hpp>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "models/os/irq/irq_core.h"

using namespace irqf::os;

namespace {

using row = std::map<std::string, std::string>;

std::vector<std::string> split_csv(const std::string& line) {
  std::vector<std::string> out;
  std::string cur;
  bool q = false;
  for (size_t i = 0; i < line.size(); ++i) {
    char c = line[i];
    if (q) {
      if (c == '"' && i + 1 < line.size() && line[i + 1] == '"') {
        cur += '"';
        ++i;
      } else if (c == '"') {
        q = false;
      } else {
        cur += c;
      }
    } else if (c == '"') {
      q = true;
    } else if (c == ',') {
      out.push_back(cur);
      cur.clear();
    } else {
      cur += c;
    }
  }
  out.push_back(cur);
  return out;
}

std::vector<row> load_trace() {
  const char* src = std::getenv("IRQF_SOURCE_DIR");
  std::string path = std::string(src ? src : "/work/main") + "/../shared/data/linux-trace/ir-smp4.events.csv";
  std::ifstream f(path);
  REQUIRE(f.good());
  std::string line;
  std::getline(f, line);
  if (!line.empty() && line.back() == '\r') line.pop_back();
  auto hdr = split_csv(line);
  std::vector<row> rows;
  std::string acc;
  while (std::getline(f, line)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    acc += acc.empty() ? line : "\n" + line;
    // a quoted field may span lines: count quotes
    size_t nq = 0;
    for (char c : acc) nq += c == '"';
    if (nq % 2) continue;
    auto cols = split_csv(acc);
    acc.clear();
    row r;
    for (size_t i = 0; i < hdr.size() && i < cols.size(); ++i)
      if (!cols[i].empty()) r[hdr[i]] = cols[i];
    rows.push_back(std::move(r));
  }
  return rows;
}

int64_t num(const row& r, const char* k, int64_t def = -1) {
  auto it = r.find(k);
  if (it == r.end()) return def;
  return std::strtoll(it->second.c_str(), nullptr, 0);
}
std::string str(const row& r, const char* k) {
  auto it = r.find(k);
  return it == r.end() ? std::string() : it->second;
}

/// A decision as compared: kind, irq (or -1), values.
struct decision {
  std::string kind;
  int64_t irq;
  int64_t a, b, c;
  bool operator==(const decision& o) const { return kind == o.kind && irq == o.irq && a == o.a && b == o.b && c == o.c; }
};

/// Extracts the decisions of a record stream (trace rows or model records, same shape).
struct collector {
  std::vector<decision> matrix;                 // global order
  std::map<int64_t, std::vector<decision>> per_irq;  // vector_update and modify_irte per irq
  int64_t last_ir_irq = -1;
  void add(const std::string& ev, const std::function<int64_t(const char*)>& g) {
    if (ev == "irq_matrix_alloc" || ev == "irq_matrix_alloc_managed" || ev == "irq_matrix_reserve_managed")
      matrix.push_back({ev, -1, g("cpu"), g("bit"), 0});
    else if (ev == "vector_update")
      per_irq[g("irq")].push_back({ev, g("irq"), g("cpu"), g("vector"), 0});
    else if (ev == "ir_activate" || ev == "ir_deactivate" || ev == "ir_set_affinity")
      last_ir_irq = g("irq");
    else if (ev == "modify_irte")
      per_irq[last_ir_irq].push_back({ev, last_ir_irq, g("idx") + g("sub"), g("lo"), g("hi")});
  }
};

struct score {
  size_t total = 0, match = 0;
  double pct() const { return total ? 100.0 * double(match) / double(total) : 100.0; }
};

score compare(const std::vector<decision>& exp, const std::vector<decision>& got, const char* what, int& shown) {
  score s;
  s.total = std::max(exp.size(), got.size());
  for (size_t i = 0; i < s.total; ++i) {
    if (i < exp.size() && i < got.size() && exp[i] == got[i]) {
      ++s.match;
    } else if (shown < 25) {
      ++shown;
      auto p = [](const std::vector<decision>& v, size_t i) {
        if (i >= v.size()) return std::string("(none)");
        char b[160];
        std::snprintf(b, sizeof b, "%s irq=%lld %llx/%llx/%llx", v[i].kind.c_str(), (long long)v[i].irq,
                      (long long)v[i].a, (long long)v[i].b, (long long)v[i].c);
        return std::string(b);
      };
      std::printf("  %s #%zu: trace %s | model %s\n", what, i, p(exp, i).c_str(), p(got, i).c_str());
    }
  }
  return s;
}

}  // namespace

TEST_CASE("replay: the shared Linux 6.1 trace (ir-smp4)") {
  auto rows = load_trace();
  REQUIRE(rows.size() > 2000);

  trace_buffer buf;
  os_tracer tr;
  tr.sink = &buf;
  irq_core::params p;
  kernel_version::parse("6.1", p.version);
  p.ncpus = 4;
  p.intremap = true;
  p.dest_mode = apic_dest_mode::flat_logical;
  irq_core core(p, &tr, nullptr, nullptr);
  tr.kprobes_on = false;  // armed by the boot command line part-way through the IOAPIC setup
  int onlining = -1;
  // The kprobes were armed during the request that produced the first kprobe row.
  size_t kprobe_from = 0;
  for (size_t k = 0; k < rows.size(); ++k) {
    std::string e = str(rows[k], "event");
    if (e == "vector_activate") kprobe_from = k;
    if (e.rfind("ir_", 0) == 0 || e == "modify_irte") break;
  }

  collector exp;
  std::vector<unsigned> sysvec_trace;
  bool booted = false;
  std::string step;
  int dying = -1;
  unsigned ops = 0, skipped = 0;
  // Irqs whose last alloc was an MSI (early activation with reserve clears IRQD_ACTIVATED).
  for (size_t i = 0; i < rows.size(); ++i) {
    const row& r = rows[i];
    std::string ev = str(r, "event");
    exp.add(ev, [&](const char* k) { return num(r, k); });
    if (i >= kprobe_from) tr.kprobes_on = true;
    tr.exec_cpu = unsigned(num(r, "exec_cpu", 0));
    if (ev == "STEP") {
      step = str(r, "raw");
      unsigned c = 0, on = 0;
      if (std::sscanf(step.c_str(), "CPU %u online=%u", &c, &on) == 2) {
        if (!on) {
          dying = int(c);
          REQUIRE(core.cpu_down(c) == 0);
          ++ops;
        } else {
          dying = -1;
          onlining = int(c);
        }
      } else {
        onlining = -1;
      }
      continue;
    }
    if (ev == "irq_matrix_assign_system") {
      sysvec_trace.push_back(unsigned(num(r, "bit")));
      continue;
    }
    if (ev == "irq_matrix_online") {
      if (!booted) {
        core.boot();
        booted = true;
      } else {
        core.cpu_up(unsigned(num(r, "exec_cpu")));
      }
      ++ops;
      continue;
    }
    if (!booted) continue;
    auto irq = num(r, "irq");
    // Allocation requests.
    bool legacy_start = (ev == "vector_clear" && irq >= 0 && irq < 16 && !core.exists(unsigned(irq))) ||
                        (ev == "vector_setup" && num(r, "is_legacy") == 1 && !core.exists(unsigned(irq)));
    bool plain_start = (ev == "vector_reserve" || ev == "vector_reserve_managed") && irq >= 16 &&
                       !core.exists(unsigned(irq));
    if (ev == "ir_alloc" || legacy_start || plain_start) {
      unsigned virq = unsigned(ev == "ir_alloc" ? num(r, "virq") : irq);
      unsigned nr = unsigned(ev == "ir_alloc" ? num(r, "nr") : 1);
      irq_alloc_request rq;
      rq.fixed_virq = int(virq);
      rq.nr = nr;
      rq.remapped = ev == "ir_alloc" || legacy_start;
      rq.legacy = legacy_start;
      rq.sid = 0xff00;  // IOAPIC (QEMU's source-id), replaced below for PCI devices
      // Look ahead: managed reservation and its CPUs, and the source-id of the first IRTE.
      cpumask mask;
      bool managed = false, sid_found = false;
      for (size_t k = i + 1; k < rows.size() && k < i + 400; ++k) {
        const row& n = rows[k];
        std::string e = str(n, "event");
        if (e == "irq_matrix_reserve_managed" && !managed) mask.set(unsigned(num(n, "cpu")));
        if (e == "vector_reserve_managed" && num(n, "irq") == virq) managed = true;
        if (e == "ir_activate" && num(n, "irq") == virq) {
          for (size_t j = k + 1; j < rows.size() && j < k + 5; ++j)
            if (str(rows[j], "event") == "modify_irte") {
              rq.sid = uint16_t(num(rows[j], "irte_sid"));
              sid_found = true;
              break;
            }
        }
        if (sid_found) break;
        if (e == "ir_free" && num(n, "virq") == virq) break;
      }
      if (managed) {
        rq.managed = {true};
        rq.affinity = {mask};
      }
      if (virq == 0) core.desc(0).activated = true;  // the PIC timer is live before the IOAPIC takes it
      int v = core.alloc_irqs(rq);
      CHECK(v == int(virq));
      ++ops;
      continue;
    }
    if (ev == "vector_activate") {
      if (!core.exists(unsigned(irq)) || core.desc(unsigned(irq)).activated) {
        ++skipped;
        continue;
      }
      bool reserve = num(r, "reserve") == 1;
      core.activate(unsigned(irq), reserve);
      if (reserve)
        core.desc(unsigned(irq)).activated = false;  // msi_init_virq: request_irq activates for real
      else
        core.desc(unsigned(irq)).started = true;
      ++ops;
      continue;
    }
    if (ev == "ir_deactivate" || (ev == "vector_deactivate" && !core.remapped(unsigned(irq)))) {
      if (dying >= 0 && num(r, "exec_cpu") == dying) {
        ++skipped;  // fixup_irqs on the dying CPU: the model did it in cpu_down
        continue;
      }
      if (core.exists(unsigned(irq)) && core.desc(unsigned(irq)).activated) {
        core.desc(unsigned(irq)).started = false;
        core.deactivate(unsigned(irq));
        ++ops;
      }
      continue;
    }
    if (ev == "ir_free" || (ev == "vector_teardown" && !core.remapped(unsigned(irq)))) {
      unsigned virq = unsigned(ev == "ir_free" ? num(r, "virq") : irq);
      unsigned nr = unsigned(ev == "ir_free" ? num(r, "nr") : 1);
      if (core.exists(virq)) {
        core.free_irqs(virq, nr);
        ++ops;
      }
      continue;
    }
    if (ev == "ir_set_affinity") {
      bool restart = onlining >= 0 && num(r, "exec_cpu") == onlining && core.desc(unsigned(irq)).managed;
      if ((dying >= 0 && num(r, "exec_cpu") == dying) || restart) {
        ++skipped;
        continue;
      }
      int e = core.do_set_affinity(unsigned(irq), cpumask::from_u64(uint64_t(num(r, "mask"))), false);
      if (e) {
        const auto& a = core.vectors().chip_data(unsigned(irq));
        std::printf("set_affinity seq %s irq %lld -> %d (vec %u cpu %u prev %u/%u mip %d clean %d)\n",
                    str(r, "seq").c_str(), (long long)irq, e, a.vector, a.cpu, a.prev_vector, a.prev_cpu,
                    a.move_in_progress, a.in_cleanup);
      }
      CHECK(e == 0);
      ++ops;
      continue;
    }
    if (ev == "vector_free_moved") {
      // The cleanup IPI ran on that CPU: free the queued old vectors there.
      unsigned c = unsigned(num(r, "cpu"));
      if (core.vectors().cleanup_pending(c)) core.vectors().run_cleanup(c, nullptr);
      continue;
    }
  }
  // Pending cleanups of the final moves.
  for (unsigned c = 0; c < 4; ++c) core.vectors().run_cleanup(c, nullptr);

  collector got;
  for (const auto& rec : buf.recs) got.add(rec.event, [&](const char* k) { return rec.get(k); });

  // The system vectors the model assigns for 6.1 are the trace's.
  CHECK(sysvec_trace == kernel_version{6, 1}.system_vectors());

  int shown = 0;
  score m = compare(exp.matrix, got.matrix, "matrix", shown);
  score vu, ir, idx;
  for (auto& [irq, list] : exp.per_irq) {
    std::vector<decision> e1, g1, e2, g2, e3, g3;
    for (auto& d : list) (d.kind == "vector_update" ? e1 : e2).push_back(d);
    for (auto& d : got.per_irq[irq]) (d.kind == "vector_update" ? g1 : g2).push_back(d);
    score a = compare(e1, g1, "vector_update", shown), b = compare(e2, g2, "modify_irte", shown);
    vu.total += a.total, vu.match += a.match, ir.total += b.total, ir.match += b.match;
    for (size_t k = 0; k < std::max(e2.size(), g2.size()); ++k) {
      ++idx.total;
      if (k < e2.size() && k < g2.size() && e2[k].a == g2[k].a) ++idx.match;
    }
  }
  if (std::getenv("REPLAY_DUMP_IRQ")) {
    int64_t q = std::atoll(std::getenv("REPLAY_DUMP_IRQ"));
    for (auto& d : exp.per_irq[q]) std::printf("T %s %llx %llx %llx\n", d.kind.c_str(), (long long)d.a, (long long)d.b, (long long)d.c);
    for (auto& d : got.per_irq[q]) std::printf("M %s %llx %llx %llx\n", d.kind.c_str(), (long long)d.a, (long long)d.b, (long long)d.c);
  }
  std::printf("replay: %u ops driven, %u trace rows skipped (done by the model itself)\n", ops, skipped);
  std::printf("replay: matrix decisions %zu/%zu (%.1f%%)\n", m.match, m.total, m.pct());
  std::printf("replay: vector_update (irq, cpu, vector) %zu/%zu (%.1f%%)\n", vu.match, vu.total, vu.pct());
  std::printf("replay: modify_irte (index, lo, hi) %zu/%zu (%.1f%%)\n", ir.match, ir.total, ir.pct());
  std::printf("replay: IRTE index %zu/%zu (%.1f%%)\n", idx.match, idx.total, idx.pct());
  // Pinned agreement (see the report): the two misses in each of the first two categories are the
  // same two allocations after CPU 1 and 3 went offline, where hidden fixup_irqs work (tracepoints
  // suppressed on the dying CPU) left cpu2's bits 0x2b..0x2e in a state the trace does not show.
  CHECK(m.total == 112);
  CHECK(m.match == 110);
  CHECK(vu.total == 100);
  CHECK(vu.match == 98);
  CHECK(ir.total == 294);
  CHECK(ir.match == 292);
  CHECK(idx.match == idx.total);
}
