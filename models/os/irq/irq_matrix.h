#pragma once
// The generic interrupt vector matrix allocator (Linux kernel/irq/matrix.c), as used by the x86
// vector domain: per-CPU bitmaps over the allocation range [alloc_start, alloc_end), a system
// bitmap shared by all CPUs, managed reservations and the global reservation count
// (linux-stack.md §1). Every operation fires the irq_matrix tracepoint Linux fires, with the same
// name and fields (include/trace/events/irq_matrix.h). Pure logic: no SystemC.
#include <bitset>
#include <cstdint>
#include <vector>

#include "models/os/irq/cpumask.h"
#include "models/os/irq/trace_events.h"

namespace irqf::os {

/// Linux error numbers returned (negated) by the allocator and the domains.
namespace err {
// (lower-case names: <cerrno> defines the upper-case ones as macros)
inline constexpr int perm = 1, noent = 2, io = 5, nxio = 6, nomem = 12, busy = 16, inval = 22,
                     nospc = 28, range = 34, nosys = 38, notsupp = 524;
}

class irq_matrix {
 public:
  static constexpr unsigned matrix_bits = 256;  // NR_VECTORS
  using bitmap = std::bitset<matrix_bits>;

  /// One CPU's map (struct cpumap).
  struct cpumap {
    unsigned available = 0, allocated = 0, managed = 0, managed_allocated = 0;
    bool initialized = false, online = false;
    bitmap alloc_map, managed_map;
  };

  /// `ncpus` possible CPUs; allocation range [alloc_start, alloc_end) (x86: 0x20,
  /// FIRST_SYSTEM_VECTOR). `tr` may be null (no tracing).
  irq_matrix(unsigned ncpus, unsigned alloc_start, unsigned alloc_end, os_tracer* tr = nullptr);

  /// irq_matrix_online/offline: the CPU `cpu` (the one running the code) comes up / goes down.
  /// The first online initialises available = range − managed − system bits in range.
  void online(unsigned cpu);
  void offline(unsigned cpu);
  /// irq_matrix_assign_system: marks `bit` as a system vector on every CPU (boot, before SMP).
  /// `replace` takes the bit back from `cpu`'s alloc map.
  void assign_system(unsigned bit, bool replace, unsigned cpu = 0);
  /// irq_matrix_assign: takes `bit` on `cpu` (ISA vectors at boot). Out of range or already set:
  /// WARN and nothing else (counted in warnings()).
  void assign(unsigned cpu, unsigned bit);
  /// irq_matrix_reserve_managed: one managed bit on every CPU of `msk` (offline ones too).
  /// Returns 0 or -ENOSPC after rolling back the CPUs already reserved.
  int reserve_managed(const cpumask& msk);
  /// irq_matrix_remove_managed: gives back one unallocated managed bit on every CPU of `msk`.
  void remove_managed(const cpumask& msk);
  /// irq_matrix_alloc_managed: the online CPU of `msk` with the fewest managed_allocated (ties to
  /// the highest id); its lowest reserved-but-unallocated managed bit. Returns the bit, -EINVAL
  /// (empty mask) or -ENOSPC; `cpu` receives the CPU.
  int alloc_managed(const cpumask& msk, unsigned& cpu);
  /// irq_matrix_reserve: global_reserved++ (never fails; warns when reserved reaches available).
  void reserve();
  /// irq_matrix_remove_reserved: global_reserved--.
  void remove_reserved();
  /// irq_matrix_alloc: the online CPU of `msk` with the most available (ties to the lowest id);
  /// its lowest free bit. `reserved` consumes one global reservation. Returns the bit, -EINVAL
  /// (empty mask) or -ENOSPC.
  int alloc(const cpumask& msk, bool reserved, unsigned& cpu);
  /// irq_matrix_free: frees `bit` on `cpu`; `available` is returned only for non-managed bits.
  void free(unsigned cpu, unsigned bit, bool managed);

  /// irq_matrix_available: global_available; with `cpudown`, what is left once `cpu` (the CPU
  /// going down, Linux's this_cpu) takes its own available vectors away (lapic_can_unplug_cpu).
  /// Reservations are not subtracted (Linux reads irq_matrix_reserved apart).
  unsigned available(bool cpudown, unsigned cpu = 0) const;
  /// irq_matrix_allocated: vectors allocated on `cpu` that are not managed (lapic_can_unplug_cpu).
  unsigned allocated_nonmanaged(unsigned cpu) const;

  const cpumap& map(unsigned cpu) const { return maps_[cpu]; }
  unsigned online_maps() const { return online_maps_; }
  unsigned global_available() const { return global_available_; }
  unsigned global_reserved() const { return global_reserved_; }
  unsigned total_allocated() const { return total_allocated_; }
  unsigned systembits_inalloc() const { return systembits_inalloc_; }
  unsigned alloc_start() const { return alloc_start_; }
  unsigned alloc_end() const { return alloc_end_; }
  unsigned ncpus() const { return unsigned(maps_.size()); }
  const bitmap& system_map() const { return system_map_; }
  /// WARN_ON_ONCE / pr_warn hits so far (bad frees, reservation beyond available...).
  unsigned warnings() const { return warnings_; }

 private:
  unsigned alloc_area(cpumap& cm, bool managed);
  unsigned find_best_cpu(const cpumask& msk) const;
  /// Recomputes `cpu`'s path in the tournament tree after its available count or online state
  /// changed (O(log ncpus)).
  void touch(unsigned cpu);
  /// The tree's key for a CPU: available if online, else 0 (never chosen).
  unsigned avl_key(unsigned cpu) const { return cpu < maps_.size() && maps_[cpu].online ? maps_[cpu].available : 0; }
  unsigned find_best_cpu_managed(const cpumask& msk) const;
  void trace_global(const char* ev);
  void trace_cpu(const char* ev, unsigned bit, unsigned cpu);

  unsigned alloc_start_, alloc_end_;
  unsigned online_maps_ = 0, global_available_ = 0, global_reserved_ = 0, systembits_inalloc_ = 0,
           total_allocated_ = 0;
  bitmap system_map_;
  std::vector<cpumap> maps_;
  /// Tournament tree over CPUs answering find_best_cpu for any mask that holds every online CPU
  /// (the usual case: the default affinity) in O(1) instead of Linux's O(ncpus) walk; same answer
  /// (most available, lowest id on ties). Node i holds the winning CPU of its subtree; leaves start
  /// at leaf0_.
  std::vector<unsigned> best_;
  unsigned leaf0_ = 1;
  cpumask online_mask_;
  os_tracer* tr_;
  unsigned warnings_ = 0;
};

}  // namespace irqf::os
