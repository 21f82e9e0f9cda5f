#include "models/os/irq/irq_core.h"

#include "fabric/apic_msg.h"

namespace irqf::os {

irq_core::irq_core(const params& p, os_tracer* tr, ir_hw* irhw, core_hw* hw)
    : p_(p), tr_(tr), hw_(hw), vd_(p.version, p.ncpus, p.dest_mode, descs_, online_, tr) {
  if (p.intremap) ir_ = std::make_unique<ir_domain>(vd_, descs_, irhw, tr, p.irte_max_handle_mask, p.x2apic);
  if (tr_) tr_->online = &online_;
}

void irq_core::boot() {
  set_exec(0);
  online_.set(0);
  vd_.boot();
}

int irq_core::alloc_irqs(const irq_alloc_request& rq) {
  unsigned virq;
  if (rq.fixed_virq >= 0) {
    virq = unsigned(rq.fixed_virq);
  } else {  // irq_alloc_descs: lowest free range at or above gsi_top
    // Every virq below first_free_ is in use, so the search starts there; on a clash it resumes
    // past the descriptor in use (same answer as trying each start, without the quadratic scan).
    virq = std::max(p_.first_dynamic_virq, first_free_);
    for (unsigned i = 0; i < rq.nr;) {
      if (exists(virq + i)) {
        virq += i + 1;
        i = 0;
      } else {
        ++i;
      }
    }
    if (virq == std::max(p_.first_dynamic_virq, first_free_)) {
      first_free_ = virq + rq.nr;
      while (exists(first_free_)) ++first_free_;
    }
  }
  if (descs_.size() < virq + rq.nr) descs_.resize(virq + rq.nr);
  if (st_.size() < virq + rq.nr) st_.resize(virq + rq.nr);
  if (all_cpus_->empty()) all_cpus_ = cpumask::first_n(p_.ncpus);
  for (unsigned i = 0; i < rq.nr; ++i) {
    irq_data& d = descs_[virq + i];
    bool keep_activated = d.activated && rq.legacy;
    d = irq_data{};
    d.activated = keep_activated;
    d.irq = virq + i;
    d.in_use = true;
    if (i < rq.affinity.size() && !rq.affinity[i].empty())
      d.affinity = rq.affinity[i];
    else
      d.affinity = all_cpus_;
    d.managed = i < rq.managed.size() && rq.managed[i];
    core_state& s = st_[virq + i];
    s = core_state{};
    s.remapped = rq.remapped && ir_;
    s.move_pcntxt = rq.move_pcntxt || s.remapped;
    s.can_reserve = rq.can_reserve;
    s.top = rq.top;
  }
  bool ir = rq.remapped && ir_;
  if (ir && tr_ && tr_->on()) {
    trace_record r;
    r.event = "ir_alloc";
    r.f("virq", virq).f("nr", rq.nr);
    tr_->kprobe(r);
  }
  vector_alloc_info info;
  info.contiguous = rq.contiguous && !ir;  // IR drops the contiguous-vector requirement
  info.legacy = rq.legacy;
  int e = vd_.alloc(virq, rq.nr, info);
  if (!e && ir) e = ir_->alloc(virq, rq.nr, rq.sid, rq.svt);
  if (ir && tr_ && tr_->on()) {
    trace_record r;
    r.event = "ir_alloc_ret";
    r.f("ret", e);
    tr_->kprobe(r);
  }
  if (e) {
    if (ir) vd_.free(virq, rq.nr);
    for (unsigned i = 0; i < rq.nr; ++i) descs_[virq + i].in_use = false;
    first_free_ = std::min(first_free_, virq);
    return e;
  }
  return int(virq);
}

void irq_core::free_irqs(unsigned virq, unsigned nr) {
  first_free_ = std::min(first_free_, virq);
  if (remapped(virq)) ir_->free(virq, nr);
  vd_.free(virq, nr);
  for (unsigned i = 0; i < nr; ++i)
    if (virq + i < descs_.size()) {
      descs_[virq + i] = irq_data{};
      st_[virq + i] = core_state{};
    }
}

msi_msg irq_core::compose_msg(unsigned virq) const {
  if (remapped(virq)) {
    const irq_2_iommu& d = ir_->data(virq);
    return {ir_domain::remappable_address(d.irte_index, true), d.sub_handle};
  }
  const apic_chip_data& a = vd_.chip_data(virq);
  apic_irq r;
  r.dest = a.cfg_dest_apicid;
  r.logical = p_.dest_mode != apic_dest_mode::physical;
  r.redirection_hint = false;
  r.vector = uint8_t(a.cfg_vector);
  r.mode = delivery_mode::fixed;
  r.level_assert = false;
  return encode_compat_msi(r);
}

void irq_core::write_msg(unsigned virq) {
  if (st_[virq].top) st_[virq].top->write_msg(virq, compose_msg(virq));
}

int irq_core::activate(unsigned virq, bool reserve) {
  irq_data& d = descs_[virq];
  if (d.activated) return 0;
  int e = vd_.activate(virq, reserve);
  if (e) return e;
  if (remapped(virq)) ir_->activate(virq, reserve);
  write_msg(virq);  // msi_domain_activate: compose + write
  d.activated = true;
  return 0;
}

void irq_core::deactivate(unsigned virq) {
  irq_data& d = descs_[virq];
  if (!d.activated) return;
  if (st_[virq].top) st_[virq].top->write_msg(virq, msi_msg{});  // msi_domain_deactivate
  if (remapped(virq)) ir_->deactivate(virq);
  vd_.deactivate(virq);
  d.activated = false;
}

int irq_core::init_virq(unsigned virq) {
  core_state& s = st_[virq];
  if (s.can_reserve) descs_[virq].can_reserve = true;
  int e = activate(virq, s.can_reserve);
  if (e) return e;
  if (s.can_reserve) descs_[virq].activated = false;
  return 0;
}

int irq_core::startup(unsigned virq) {
  irq_data& d = descs_[virq];
  if (d.managed && !(d.affinity & online_).intersects(d.affinity)) {
    d.managed_shutdown = true;  // IRQ_STARTUP_ABORT
    return 0;
  }
  d.managed_shutdown = false;
  int e = activate(virq, false);
  if (e) return e;
  d.started = true;
  // irq_setup_affinity / irq_do_set_affinity with the stored mask (the 6.1 trace shows it after
  // activation, rewriting the IRTE with identical content).
  cpumask m = d.affinity & online_;
  if (m.empty()) m = online_;
  chip_set_affinity(virq, m, false);
  if (st_[virq].top) st_[virq].top->unmask(virq);
  return 0;
}

void irq_core::shutdown(unsigned virq) {
  irq_data& d = descs_[virq];
  if (st_[virq].top && d.started) st_[virq].top->mask(virq);
  d.started = false;
  deactivate(virq);
}

bool irq_core::msi_direct_predicate(unsigned virq) const {
  switch (p_.msi_move) {
    case msi_move_policy::two_step: return false;
    case msi_move_policy::direct: return true;
    case msi_move_policy::by_version: break;
  }
  const kernel_version& v = p_.version;
  // v6.7+: direct when IRQD_CAN_RESERVE is clear ("Fix misconfigured non-maskable MSI quirk").
  if (v.at_least(6, 7)) return !descs_[virq].can_reserve;
  // v6.2..v6.6: the NOMASK quirk flag was never set, so the direct path was always taken.
  if (v.at_least(6, 2)) return true;
  // v6.1: the quirk is set for non-maskable MSI only: maskable ones are written directly.
  return !st_[virq].top || st_[virq].top->can_mask(virq);
}

int irq_core::chip_set_affinity(unsigned virq, const cpumask& mask, bool force) {
  if (remapped(virq)) return ir_->set_affinity(virq, mask, force);
  const apic_chip_data& a = vd_.chip_data(virq);
  unsigned old_vec = a.cfg_vector, old_cpu = descs_[virq].effective->first();
  uint32_t old_dest = a.cfg_dest_apicid;
  int ret = vd_.set_affinity(virq, mask);
  if (ret < 0 || !st_[virq].top) return ret;
  const irq_data& d = descs_[virq];
  bool direct = msi_direct_predicate(virq) || a.cfg_vector == old_vec ||
                old_vec == managed_irq_shutdown_vector || !d.started || a.cfg_dest_apicid == old_dest;
  unsigned local = tr_ ? tr_->exec_cpu : old_cpu;
  if (direct || local != old_cpu) {
    write_msg(virq);
    return ret;
  }
  // Two-step: new vector on the local CPU first (marked RETRIGGERED if unused there), then the
  // final destination; a hit on the temporary target is retriggered on the new one.
  ++two_step_moves_;
  if (vd_.vector_irq(local, a.cfg_vector) < 0) vd_.set_vector_irq(local, a.cfg_vector, vector_retriggered);
  apic_irq r;
  r.dest = vd_.dest_apicid(local);
  r.logical = p_.dest_mode != apic_dest_mode::physical;
  r.vector = uint8_t(a.cfg_vector);
  r.level_assert = false;
  st_[virq].top->write_msg(virq, encode_compat_msi(r));
  write_msg(virq);
  if (hw_ && hw_->irr_pending(local, a.cfg_vector)) {
    ++retriggers_;
    hw_->send_ipi(a.cpu, a.cfg_vector);
  }
  return ret;
}

int irq_core::do_set_affinity(unsigned virq, const cpumask& mask, bool force) {
  cpumask m = force ? mask : mask & online_;
  if (m.empty()) return -err::inval;
  int ret = chip_set_affinity(virq, m, force);
  if (!ret) descs_[virq].affinity = mask;
  return ret;
}

int irq_core::set_affinity(unsigned virq, const cpumask& mask) {
  if (!exists(virq)) return -err::inval;
  irq_data& d = descs_[virq];
  if (d.managed) return -err::io;
  if (!(mask & online_).intersects(mask)) return -err::inval;
  if (!d.activated) {  // irq_set_affinity_deactivated: just store it
    d.affinity = mask;
    return 0;
  }
  core_state& s = st_[virq];
  if (s.move_pcntxt) return do_set_affinity(virq, mask, false);
  s.move_pending = true;
  s.pending_mask = mask;
  return 0;
}

void irq_core::move_pending(unsigned virq, unsigned cpu) {
  core_state& s = st_[virq];
  if (!s.move_pending) return;
  s.move_pending = false;
  set_exec(cpu);
  // irq_move_masked_irq: only if some CPU of the pending mask is online.
  if ((s.pending_mask & online_).empty()) return;
  do_set_affinity(virq, s.pending_mask, false);
}

int irq_core::cpu_down(unsigned cpu) {
  // lapic_can_unplug_cpu: the CPU's non-managed vectors must fit in the others' free space.
  unsigned tomove = vd_.matrix().allocated_nonmanaged(cpu);
  unsigned avl = vd_.matrix().available(true, cpu);
  if (avl < tomove) return -err::nospc;
  set_exec(cpu);
  online_.clear(cpu);  // remove_cpu_from_maps, then fixup_irqs with tracepoints now silent
  std::vector<std::pair<unsigned, unsigned>> irr;  // (virq, old vector) pending on the dying CPU
  for (unsigned virq = 0; virq < descs_.size(); ++virq) {
    if (!exists(virq)) continue;
    irq_data& d = descs_[virq];
    const apic_chip_data& a = vd_.chip_data(virq);
    if (!a.exists) continue;
    if (!d.started || !d.effective->test(cpu)) continue;
    vd_.force_complete_move(virq);
    cpumask aff = st_[virq].move_pending && (st_[virq].pending_mask & online_).intersects(st_[virq].pending_mask)
                      ? st_[virq].pending_mask
                      : d.affinity;
    st_[virq].move_pending = false;
    unsigned oldvec = a.vector;
    if (!(aff & online_).intersects(aff)) {
      if (d.managed) {
        d.managed_shutdown = true;
        shutdown(virq);
        continue;
      }
      aff = online_;  // affinity broken
    }
    if (hw_ && hw_->irr_pending(cpu, oldvec)) {
      irr.emplace_back(virq, oldvec);
      hw_->hand_over_irr(cpu, oldvec, virq);
    }
    cpumask keep = d.affinity;  // (a copy: d.affinity may be re-pointed below)
    chip_set_affinity(virq, aff & online_, false);
    d.affinity = keep == aff ? keep : aff;
  }
  // fixup_irqs: retrigger what is still pending in the dying CPU's IRR on the new target.
  for (auto [virq, v] : irr) {
    (void)v;
    const apic_chip_data& a = vd_.chip_data(virq);
    if (hw_) {
      ++retriggers_;
      hw_->send_ipi(a.cpu, a.cfg_vector);
    }
  }
  vd_.reset_vector_irq(cpu);
  vd_.lapic_offline(cpu);
  return 0;
}

void irq_core::cpu_up(unsigned cpu) {
  set_exec(cpu);
  online_.set(cpu);
  vd_.lapic_online(cpu);
  // irq_affinity_online_cpu: restart managed irqs whose mask contains the CPU.
  for (unsigned virq = 0; virq < descs_.size(); ++virq) {
    if (!exists(virq)) continue;
    irq_data& d = descs_[virq];
    if (!d.managed || !d.affinity->test(cpu)) continue;
    if (d.managed_shutdown) startup(virq);
  }
}

}  // namespace irqf::os
