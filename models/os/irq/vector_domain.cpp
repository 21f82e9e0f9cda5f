#include "models/os/irq/vector_domain.h"

#include <algorithm>
#include <cassert>

namespace irqf::os {

vector_domain::vector_domain(kernel_version kv, unsigned ncpus, apic_dest_mode mode,
                             std::vector<irq_data>& descs, const cpumask& online, os_tracer* tr)
    : kv_(kv),
      mode_(mode),
      descs_(descs),
      online_(online),
      tr_(tr),
      matrix_(ncpus, first_external_vector, kv.first_system_vector(), tr),
      vector_irq_(ncpus),
      cleanup_(ncpus) {
  for (auto& t : vector_irq_) t.fill(vector_unused);
}

uint32_t vector_domain::dest_apicid(unsigned cpu) const {
  switch (mode_) {
    case apic_dest_mode::flat_logical: return cpu < 8 ? 1u << cpu : 0u;
    case apic_dest_mode::physical: return cpu;
    case apic_dest_mode::x2apic_cluster: return (cpu >> 4) << 16 | 1u << (cpu & 15);
  }
  return cpu;
}

void vector_domain::ensure(unsigned virq) {
  if (apicd_.size() <= virq) apicd_.resize(virq + 1);
  if (descs_.size() <= virq) descs_.resize(virq + 1);
}

void vector_domain::boot(unsigned nr_legacy) {
  for (unsigned v : kv_.system_vectors()) matrix_.assign_system(v, false);
  matrix_.online(0);
  for (unsigned i = 0; i < nr_legacy; ++i) {
    if (i == pic_cascade_ir) continue;
    matrix_.assign(0, isa_irq_vector_base + i);
    ensure(i);
    apic_chip_data& a = apicd_[i];
    a.exists = false;  // allocated by the IOAPIC domain later
    a.irq = i;
    a.vector = isa_irq_vector_base + i;
    a.cpu = 0;
    a.is_legacy = true;
    vector_irq_[0][isa_irq_vector_base + i] = int32_t(i);
  }
}

void vector_domain::lapic_online(unsigned cpu) {
  // Nothing targets an offline CPU, so its table is already all UNUSED (fixup_irqs reset it).
  matrix_.online(cpu);
}

void vector_domain::reset_vector_irq(unsigned cpu) {
  for (auto& e : vector_irq_[cpu]) e = vector_unused;
}

void vector_domain::lapic_offline(unsigned cpu) {
  // Pending cleanups on the dying CPU are drained without an IRR check (6.6 lapic_offline).
  run_cleanup(cpu, nullptr);
  matrix_.offline(cpu);
}

void vector_domain::apic_update_irq_cfg(unsigned virq, unsigned vector, unsigned cpu) {
  apic_chip_data& a = apicd_[virq];
  a.cfg_vector = vector;
  a.cfg_dest_apicid = dest_apicid(cpu);
  descs_[virq].effective = single_cpu(cpu);
  trace_record r;
  r.event = "vector_config";
  r.f("irq", virq).f("vector", vector).f("cpu", cpu).f("apicdest", a.cfg_dest_apicid);
  trace(r);
}

void vector_domain::apic_update_vector(unsigned virq, unsigned newvec, unsigned newcpu) {
  apic_chip_data& a = apicd_[virq];
  bool managed = descs_[virq].managed;
  trace_record r;
  r.event = "vector_update";
  r.f("irq", virq).f("vector", newvec).f("cpu", newcpu).f("prev_vector", a.vector).f("prev_cpu", a.cpu);
  trace(r);
  a.prev_vector = 0;
  if (a.vector && a.vector != managed_irq_shutdown_vector) {
    if (online_.test(a.cpu)) {
      a.move_in_progress = true;
      a.prev_vector = a.vector;
      a.prev_cpu = a.cpu;
    } else {
      matrix_.free(a.cpu, a.vector, managed);
    }
  }
  a.vector = newvec;
  a.cpu = newcpu;
  assert(vector_irq_[newcpu][newvec] < 0);
  vector_irq_[newcpu][newvec] = int32_t(virq);
}

void vector_domain::vector_assign_managed_shutdown(unsigned virq) {
  unsigned cpu = online_.first();
  apic_update_irq_cfg(virq, managed_irq_shutdown_vector, cpu == no_cpu ? 0 : cpu);
}

void vector_domain::reserve_irq_vector_locked(unsigned virq) {
  apic_chip_data& a = apicd_[virq];
  matrix_.reserve();
  a.can_reserve = true;
  a.has_reserved = true;
  descs_[virq].can_reserve = true;
  trace_record r;
  r.event = "vector_reserve";
  r.f("irq", virq).f("ret", 0);
  trace(r);
  vector_assign_managed_shutdown(virq);
}

int vector_domain::reserve_managed_vector(unsigned virq) {
  apic_chip_data& a = apicd_[virq];
  a.is_managed = true;
  int ret = matrix_.reserve_managed(descs_[virq].affinity);
  trace_record r;
  r.event = "vector_reserve_managed";
  r.f("irq", virq).f("ret", ret);
  trace(r);
  return ret;
}

int vector_domain::assign_vector_locked(unsigned virq, const cpumask& dest) {
  apic_chip_data& a = apicd_[virq];
  bool resvd = a.has_reserved;
  if (a.vector && online_.test(a.cpu) && dest.test(a.cpu)) return 0;
  if (a.move_in_progress || a.in_cleanup) return -err::busy;
  unsigned cpu = 0;
  int vector = matrix_.alloc(dest, resvd, cpu);
  trace_record r;
  r.event = "vector_alloc";
  r.f("irq", virq).f("vector", vector < 0 ? 0 : vector).f("reserved", resvd).f("ret", vector);
  trace(r);
  if (vector < 0) return vector;
  apic_update_vector(virq, unsigned(vector), cpu);
  apic_update_irq_cfg(virq, unsigned(vector), cpu);
  return 0;
}

int vector_domain::assign_irq_vector_any_locked(unsigned virq) {
  // NUMA_NO_NODE: the node steps of the search collapse; affinity ∩ online, then all online.
  cpumask search = descs_[virq].affinity & online_;
  if (!assign_vector_locked(virq, search)) return 0;
  return assign_vector_locked(virq, online_);
}

int vector_domain::assign_managed_vector(unsigned virq, const cpumask& dest) {
  apic_chip_data& a = apicd_[virq];
  cpumask search = dest & descs_[virq].affinity;
  if (a.vector && search.test(a.cpu)) return 0;
  unsigned cpu = 0;
  int vector = matrix_.alloc_managed(search, cpu);
  trace_record r;
  r.event = "vector_alloc_managed";
  r.f("irq", virq).f("vector", vector < 0 ? 0 : vector).f("ret", vector);
  trace(r);
  if (vector < 0) return vector;
  apic_update_vector(virq, unsigned(vector), cpu);
  apic_update_irq_cfg(virq, unsigned(vector), cpu);
  return 0;
}

int vector_domain::activate_managed(unsigned virq) {
  cpumask search = descs_[virq].affinity & online_;
  if (search.empty()) return -err::inval;  // "Managed startup for irq, but no CPU"
  return assign_managed_vector(virq, search);
}

int vector_domain::activate_reserved(unsigned virq) {
  apic_chip_data& a = apicd_[virq];
  int ret = assign_irq_vector_any_locked(virq);
  if (!ret) {
    a.has_reserved = false;
    if (!descs_[virq].can_reserve) a.can_reserve = false;
  }
  if (!descs_[virq].effective->subset_of(descs_[virq].affinity)) ++broken_warnings_;
  return ret;
}

int vector_domain::alloc(unsigned virq, unsigned nr, const vector_alloc_info& info) {
  if (info.contiguous && nr > 1) return -err::nosys;
  for (unsigned i = 0; i < nr; ++i) {
    unsigned irq = virq + i;
    ensure(irq);
    apic_chip_data& a = apicd_[irq];
    bool legacy_vec = a.is_legacy;
    unsigned lv = a.vector, lc = a.cpu;
    a = apic_chip_data{};
    a.irq = irq;
    a.exists = true;
    irq_data& d = descs_[irq];
    d.single_target = true;
    if (info.legacy && legacy_vec) {
      a.vector = lv;
      a.cpu = lc;
      if (d.activated) {  // stays at its ISA vector (usually the timer)
        a.is_legacy = true;
        trace_record r;
        r.event = "vector_setup";
        r.f("irq", irq).f("is_legacy", 1).f("ret", 0);
        trace(r);
        apic_update_irq_cfg(irq, a.vector, a.cpu);
        continue;
      }
      a.can_reserve = true;
      d.can_reserve = true;
      clear_irq_vector(irq);
    }
    int e;
    if (d.managed)
      e = reserve_managed_vector(irq);
    else if (info.mask)
      e = assign_vector_locked(irq, *info.mask);
    else {
      reserve_irq_vector_locked(irq);
      e = 0;
    }
    trace_record r;
    r.event = "vector_setup";
    r.f("irq", irq).f("is_legacy", 0).f("ret", e);
    trace(r);
    if (e) {
      free(virq, i + 1);
      return e;
    }
  }
  return 0;
}

void vector_domain::clear_irq_vector(unsigned virq) {
  apic_chip_data& a = apicd_[virq];
  bool managed = descs_[virq].managed;
  if (!a.vector) return;
  trace_record r;
  r.event = "vector_clear";
  r.f("irq", virq).f("vector", a.vector).f("cpu", a.cpu).f("prev_vector", a.prev_vector)
      .f("prev_cpu", a.prev_cpu);
  trace(r);
  vector_irq_[a.cpu][a.vector] = vector_shutdown;
  matrix_.free(a.cpu, a.vector, managed);
  a.vector = 0;
  if (!a.prev_vector) return;
  vector_irq_[a.prev_cpu][a.prev_vector] = vector_shutdown;
  matrix_.free(a.prev_cpu, a.prev_vector, managed);
  a.prev_vector = 0;
  a.move_in_progress = false;
  if (a.in_cleanup) {
    auto& l = cleanup_[a.prev_cpu];
    l.erase(std::remove(l.begin(), l.end(), virq), l.end());
    note_cleanup(a.prev_cpu);
    a.in_cleanup = false;
  }
}

void vector_domain::free(unsigned virq, unsigned nr) {
  for (unsigned i = 0; i < nr; ++i) {
    unsigned irq = virq + i;
    if (irq >= apicd_.size() || !apicd_[irq].exists) continue;
    apic_chip_data& a = apicd_[irq];
    clear_irq_vector(irq);
    trace_record r;
    r.event = "vector_teardown";
    r.f("irq", irq).f("is_managed", a.is_managed).f("has_reserved", a.has_reserved);
    trace(r);
    if (a.has_reserved) matrix_.remove_reserved();
    if (a.is_managed) matrix_.remove_managed(descs_[irq].affinity);
    a = apic_chip_data{};
  }
}

int vector_domain::activate(unsigned virq, bool reserve) {
  apic_chip_data& a = apicd_[virq];
  trace_record r;
  r.event = "vector_activate";
  r.f("irq", virq).f("is_managed", a.is_managed).f("can_reserve", a.can_reserve).f("reserve", reserve);
  trace(r);
  int ret = 0;
  if (!a.can_reserve && !a.is_managed)
    assign_irq_vector_any_locked(virq);  // x86_vector_activate ignores this result: activation succeeds
  else if (reserve || descs_[virq].managed_shutdown)
    vector_assign_managed_shutdown(virq);
  else if (a.is_managed)
    ret = activate_managed(virq);
  else if (a.has_reserved)
    ret = activate_reserved(virq);
  return ret;
}

void vector_domain::deactivate(unsigned virq) {
  apic_chip_data& a = apicd_[virq];
  trace_record r;
  r.event = "vector_deactivate";
  r.f("irq", virq).f("is_managed", a.is_managed).f("can_reserve", a.can_reserve).f("reserve", 0);
  trace(r);
  if (!a.is_managed && !a.can_reserve) return;
  if (a.has_reserved) return;
  clear_irq_vector(virq);
  if (a.can_reserve)
    reserve_irq_vector_locked(virq);
  else
    vector_assign_managed_shutdown(virq);
}

int vector_domain::set_affinity(unsigned virq, const cpumask& dest) {
  if (!descs_[virq].activated) return -err::io;
  cpumask search = dest & online_;
  if (descs_[virq].managed) return assign_managed_vector(virq, search);
  return assign_vector_locked(virq, search);
}

void vector_domain::schedule_cleanup(unsigned virq) {
  apic_chip_data& a = apicd_[virq];
  if (!a.move_in_progress) return;
  if (a.prev_vector && online_.test(a.prev_cpu)) {
    if (!a.in_cleanup) {
      cleanup_[a.prev_cpu].push_back(virq);
      note_cleanup(a.prev_cpu);
      a.in_cleanup = true;
    }
  } else {
    a.prev_vector = 0;
  }
  a.move_in_progress = false;
}

void vector_domain::complete_move(unsigned virq, unsigned cpu, unsigned vector) {
  apic_chip_data& a = apicd_[virq];
  if (!a.move_in_progress) return;
  if (vector == a.vector && cpu == a.cpu) schedule_cleanup(virq);
}

void vector_domain::free_moved_vector(unsigned virq) {
  apic_chip_data& a = apicd_[virq];
  unsigned cpu = a.prev_cpu, vector = a.prev_vector;
  bool managed = descs_[virq].managed;
  trace_record r;
  r.event = "vector_free_moved";
  r.f("irq", virq).f("cpu", cpu).f("vector", vector).f("is_managed", managed);
  trace(r);
  matrix_.free(cpu, vector, managed);
  vector_irq_[cpu][vector] = vector_unused;
  a.in_cleanup = false;
  a.prev_vector = 0;
  a.move_in_progress = false;
}

void vector_domain::force_complete_move(unsigned virq) {
  if (virq >= apicd_.size()) return;
  apic_chip_data& a = apicd_[virq];
  if (!a.prev_vector) return;
  if (a.in_cleanup) {
    auto& l = cleanup_[a.prev_cpu];
    l.erase(std::remove(l.begin(), l.end(), virq), l.end());
    note_cleanup(a.prev_cpu);
  }
  free_moved_vector(virq);
}

bool vector_domain::run_cleanup(unsigned cpu, const std::function<bool(unsigned)>& irr_pending) {
  auto list = std::move(cleanup_[cpu]);
  cleanup_[cpu].clear();
  for (unsigned virq : list) {
    apic_chip_data& a = apicd_[virq];
    if (irr_pending && irr_pending(a.prev_vector)) {
      cleanup_[cpu].push_back(virq);  // still pending here: retry on the next IPI/tick
      continue;
    }
    free_moved_vector(virq);
  }
  note_cleanup(cpu);
  return !cleanup_[cpu].empty();
}

}  // namespace irqf::os
