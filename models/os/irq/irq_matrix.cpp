#include "models/os/irq/irq_matrix.h"

#include <cassert>
#include <climits>

namespace irqf::os {

irq_matrix::irq_matrix(unsigned ncpus, unsigned alloc_start, unsigned alloc_end, os_tracer* tr)
    : alloc_start_(alloc_start), alloc_end_(alloc_end), maps_(ncpus), tr_(tr) {
  assert(alloc_start < alloc_end && alloc_end <= matrix_bits && ncpus > 0 && ncpus <= max_cpus);
  while (leaf0_ < ncpus) leaf0_ *= 2;
  best_.assign(2 * leaf0_, ncpus);  // padding leaves name a CPU that does not exist (key 0)
  for (unsigned c = 0; c < ncpus; ++c) best_[leaf0_ + c] = c;
  for (unsigned n = leaf0_ - 1; n >= 1; --n) best_[n] = best_[2 * n];
}

void irq_matrix::trace_global(const char* ev) {
  if (!tr_ || !tr_->on()) return;
  trace_record r;
  r.event = ev;
  r.f("online_maps", online_maps_).f("global_avl", global_available_)
      .f("global_rsvd", global_reserved_).f("total_alloc", total_allocated_);
  tr_->tracepoint(r);
}

void irq_matrix::trace_cpu(const char* ev, unsigned bit, unsigned cpu) {
  if (!tr_ || !tr_->on()) return;
  const cpumap& cm = maps_[cpu];
  trace_record r;
  r.event = ev;
  r.f("bit", bit).f("cpu", cpu).f("online", cm.online).f("avl", cm.available)
      .f("alloc", cm.allocated).f("managed", cm.managed).f("online_maps", online_maps_)
      .f("global_avl", global_available_).f("global_rsvd", global_reserved_)
      .f("total_alloc", total_allocated_);
  tr_->tracepoint(r);
}

void irq_matrix::online(unsigned cpu) {
  cpumap& cm = maps_[cpu];
  assert(!cm.online);
  if (!cm.initialized) {
    cm.available = (alloc_end_ - alloc_start_) - cm.managed - systembits_inalloc_;
    cm.initialized = true;
  }
  global_available_ += cm.available;
  cm.online = true;
  online_mask_.set(cpu);
  touch(cpu);
  ++online_maps_;
  trace_global("irq_matrix_online");
}

void irq_matrix::offline(unsigned cpu) {
  cpumap& cm = maps_[cpu];
  global_available_ -= cm.available;
  cm.online = false;
  online_mask_.clear(cpu);
  touch(cpu);
  --online_maps_;
  trace_global("irq_matrix_offline");
}

void irq_matrix::assign_system(unsigned bit, bool replace, unsigned cpu) {
  assert(bit < matrix_bits && !(online_maps_ > 1 || (online_maps_ && !replace)));
  system_map_.set(bit);
  if (replace) {
    cpumap& cm = maps_[cpu];
    assert(cm.alloc_map.test(bit));
    cm.alloc_map.reset(bit);
    --cm.allocated;
    --total_allocated_;
  }
  if (bit >= alloc_start_ && bit < alloc_end_) ++systembits_inalloc_;
  if (tr_ && tr_->on()) {
    trace_record r;
    r.event = "irq_matrix_assign_system";
    r.f("bit", bit).f("online_maps", online_maps_).f("global_avl", global_available_)
        .f("global_rsvd", global_reserved_).f("total_alloc", total_allocated_);
    tr_->tracepoint(r);
  }
}

void irq_matrix::assign(unsigned cpu, unsigned bit) {
  cpumap& cm = maps_[cpu];
  if (bit < alloc_start_ || bit >= alloc_end_ || cm.alloc_map.test(bit)) {
    ++warnings_;
    return;
  }
  cm.alloc_map.set(bit);
  ++cm.allocated;
  ++total_allocated_;
  --cm.available;
  touch(cpu);
  --global_available_;
  trace_cpu("irq_matrix_assign", bit, cpu);
}

unsigned irq_matrix::alloc_area(cpumap& cm, bool managed) {
  bitmap used = cm.managed_map | system_map_ | cm.alloc_map;
  for (unsigned b = alloc_start_; b < alloc_end_; ++b) {
    if (used.test(b)) continue;
    (managed ? cm.managed_map : cm.alloc_map).set(b);
    return b;
  }
  return alloc_end_;
}

int irq_matrix::reserve_managed(const cpumask& msk) {
  unsigned failed = no_cpu;
  for (unsigned cpu = msk.first(); cpu != no_cpu && cpu < ncpus(); cpu = msk.next(cpu + 1)) {
    cpumap& cm = maps_[cpu];
    unsigned bit = alloc_area(cm, true);
    if (bit >= alloc_end_) {
      failed = cpu;
      break;
    }
    ++cm.managed;
    if (cm.online) {
      --cm.available;
      --global_available_;
      touch(cpu);
    }
    trace_cpu("irq_matrix_reserve_managed", bit, cpu);
  }
  if (failed == no_cpu) return 0;
  for (unsigned cpu = msk.first(); cpu != failed; cpu = msk.next(cpu + 1)) {
    cpumask one;
    one.set(cpu);
    remove_managed(one);
  }
  return -err::nospc;
}

void irq_matrix::remove_managed(const cpumask& msk) {
  for (unsigned cpu = msk.first(); cpu != no_cpu && cpu < ncpus(); cpu = msk.next(cpu + 1)) {
    cpumap& cm = maps_[cpu];
    if (!cm.managed) {
      ++warnings_;
      continue;
    }
    bitmap free_managed = cm.managed_map & ~cm.alloc_map;
    unsigned bit = alloc_end_;
    for (unsigned b = 0; b < alloc_end_; ++b)
      if (free_managed.test(b)) {
        bit = b;
        break;
      }
    if (bit >= alloc_end_) {
      ++warnings_;
      continue;
    }
    cm.managed_map.reset(bit);
    --cm.managed;
    if (cm.online) {
      ++cm.available;
      ++global_available_;
      touch(cpu);
    }
    trace_cpu("irq_matrix_remove_managed", bit, cpu);
  }
}

void irq_matrix::touch(unsigned cpu) {
  for (unsigned n = (leaf0_ + cpu) / 2; n >= 1; n /= 2) {
    unsigned a = best_[2 * n], b = best_[2 * n + 1];
    best_[n] = avl_key(b) > avl_key(a) ? b : a;  // a < b: ties keep the lower id
  }
}

unsigned irq_matrix::find_best_cpu(const cpumask& msk) const {
  if ((online_mask_ & msk) == online_mask_) {
    unsigned c = best_[1];
    return avl_key(c) ? c : no_cpu;
  }
  unsigned best = no_cpu, maxavl = 0;
  for (unsigned cpu = msk.first(); cpu != no_cpu && cpu < ncpus(); cpu = msk.next(cpu + 1)) {
    const cpumap& cm = maps_[cpu];
    if (!cm.online || cm.available <= maxavl) continue;
    best = cpu;
    maxavl = cm.available;
  }
  return best;
}

unsigned irq_matrix::find_best_cpu_managed(const cpumask& msk) const {
  unsigned best = no_cpu, allocated = UINT_MAX;
  for (unsigned cpu = msk.first(); cpu != no_cpu && cpu < ncpus(); cpu = msk.next(cpu + 1)) {
    const cpumap& cm = maps_[cpu];
    // `>` keeps scanning on ties: the last (highest) CPU with the minimum wins [M].
    if (!cm.online || cm.managed_allocated > allocated) continue;
    best = cpu;
    allocated = cm.managed_allocated;
  }
  return best;
}

int irq_matrix::alloc_managed(const cpumask& msk, unsigned& out_cpu) {
  if (msk.empty()) return -err::inval;
  unsigned cpu = find_best_cpu_managed(msk);
  if (cpu == no_cpu) return -err::nospc;
  cpumap& cm = maps_[cpu];
  bitmap free_managed = cm.managed_map & ~cm.alloc_map;
  unsigned bit = alloc_end_;
  for (unsigned b = 0; b < alloc_end_; ++b)
    if (free_managed.test(b)) {
      bit = b;
      break;
    }
  if (bit >= alloc_end_) return -err::nospc;
  cm.alloc_map.set(bit);
  ++cm.allocated;
  ++cm.managed_allocated;
  ++total_allocated_;
  out_cpu = cpu;
  trace_cpu("irq_matrix_alloc_managed", bit, cpu);
  return int(bit);
}

void irq_matrix::reserve() {
  if (global_reserved_ == global_available_) ++warnings_;  // "reservation exceeds available"
  ++global_reserved_;
  trace_global("irq_matrix_reserve");
}

void irq_matrix::remove_reserved() {
  --global_reserved_;
  trace_global("irq_matrix_remove_reserved");
}

int irq_matrix::alloc(const cpumask& msk, bool reserved, unsigned& out_cpu) {
  if (msk.empty()) return -err::inval;
  unsigned cpu = find_best_cpu(msk);
  if (cpu == no_cpu) return -err::nospc;
  cpumap& cm = maps_[cpu];
  unsigned bit = alloc_area(cm, false);
  if (bit >= alloc_end_) return -err::nospc;
  ++cm.allocated;
  --cm.available;
  touch(cpu);
  ++total_allocated_;
  --global_available_;
  if (reserved) --global_reserved_;
  out_cpu = cpu;
  trace_cpu("irq_matrix_alloc", bit, cpu);
  return int(bit);
}

void irq_matrix::free(unsigned cpu, unsigned bit, bool managed) {
  cpumap& cm = maps_[cpu];
  if (bit < alloc_start_ || bit >= alloc_end_ || !cm.alloc_map.test(bit)) {
    ++warnings_;
    return;
  }
  cm.alloc_map.reset(bit);
  --cm.allocated;
  if (managed) --cm.managed_allocated;
  if (cm.online) --total_allocated_;
  if (!managed) {
    ++cm.available;
    if (cm.online) ++global_available_;
    touch(cpu);
  }
  trace_cpu("irq_matrix_free", bit, cpu);
}

unsigned irq_matrix::available(bool cpudown, unsigned cpu) const {
  // The dying CPU is still online when asked (its share is in global_available); guard anyway.
  return cpudown && maps_[cpu].online ? global_available_ - maps_[cpu].available : global_available_;
}

unsigned irq_matrix::allocated_nonmanaged(unsigned cpu) const {
  const cpumap& cm = maps_[cpu];
  return cm.allocated - cm.managed_allocated;
}

}  // namespace irqf::os
