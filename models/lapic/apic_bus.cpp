#include "models/lapic/apic_bus.h"

#include <algorithm>
#include <bit>
#include <cassert>

namespace irqf::lapic {

using sc_core::sc_time;

const component_schema& apic_bus::schema() {
  static const component_schema s{
      "apic_bus",
      "System/APIC bus route stage: MSI decode, destination decode, lowest-priority arbitration, "
      "IPIs, EOI broadcast (Intel SDM Vol.3A §11.6, §11.11)",
      {param_spec::choice("lowest_priority_tiebreak", "lowest_id", {"lowest_id", "round_robin", "focus"},
                          "lowest-priority delivery among equal arbitration priorities: lowest APIC ID, "
                          "rotating, or the focus processor first (SDM §11.6.2.4; the choice is "
                          "model-specific in hardware)"),
       param_spec::real("ipi_latency_ns", "ns", 0.0, 0.0, 1e6,
                        "bus transit of an IPI; while it lasts the sender's ICR delivery status reads "
                        "'send pending'. Default 0: delivered at the ICR write (no datasheet figure)")}};
  return s;
}

apic_bus::apic_bus(sc_core::sc_module_name nm, sim_context& c, const param_values& p)
    : component(nm, c), msi_in("msi_in"), ipi_latency_(ns(p.r("ipi_latency_ns"))) {
  const std::string& t = p.s("lowest_priority_tiebreak");
  tie_ = t == "round_robin" ? tie_break::round_robin : t == "focus" ? tie_break::focus : tie_break::lowest_id;
  msi_in.register_b_transport(this, &apic_bus::b_transport);
  track_ = ctx.trace.add_track("bus", name());
  SC_HAS_PROCESS(apic_bus);
  SC_METHOD(on_ipi_due);
  sensitive << ipi_ev_;
  dont_initialize();
}

void apic_bus::attach(local_apic& a) {
  apics_.push_back(&a);
  index_dirty_ = true;
}

void apic_bus::ids_changed() { index_dirty_ = true; }

local_apic* apic_bus::find_id(uint32_t id) {
  if (index_dirty_) {
    dense_ids_.clear();
    sparse_ids_.clear();
    x2apic_count_ = 0;
    for (uint32_t i = 0; i < apics_.size(); ++i) {
      local_apic& a = *apics_[i];
      if (a.mode() == apic_mode::disabled) continue;  // not on the bus
      if (a.mode() == apic_mode::x2apic) ++x2apic_count_;
      uint32_t pid = a.physical_id();
      bool dup;
      if (pid <= 0xFFFF) {
        if (dense_ids_.size() <= pid) dense_ids_.resize(pid + 1, -1);
        dup = dense_ids_[pid] >= 0;
        if (!dup) dense_ids_[pid] = int32_t(i);
      } else {
        dup = !sparse_ids_.emplace(pid, i).second;
      }
      if (dup) log->warn("APIC ID {:#x} used by more than one local APIC; {} ignored", pid, a.name());
    }
    index_dirty_ = false;
  }
  if (id < dense_ids_.size()) return dense_ids_[id] >= 0 ? apics_[size_t(dense_ids_[id])] : nullptr;
  auto it = sparse_ids_.find(id);
  return it == sparse_ids_.end() ? nullptr : apics_[it->second];
}

bool apic_bus::wide_for(dest_width w) {
  if (w != dest_width::by_mode) return w == dest_width::wide;
  find_id(0);  // refresh the index (and the x2APIC count)
  return x2apic_count_ > 0;
}

void apic_bus::add_all(local_apic* except) {
  for (local_apic* a : apics_)
    if (a != except && a->mode() != apic_mode::disabled) targets_.push_back(a);
}

void apic_bus::collect_physical(uint32_t dest, bool wide) {
  // Broadcast: 0xFF in xAPIC format, 0xFFFFFFFF in x2APIC format (SDM §11.6.2.1, §11.12.9).
  if ((!wide && dest == 0xFF) || dest == 0xFFFF'FFFFu) return add_all(nullptr);
  if (local_apic* a = find_id(dest)) targets_.push_back(a);
}

void apic_bus::collect_logical(uint32_t dest, bool wide) {
  find_id(0);
  if (wide && x2apic_count_ == apics_.size() && dest != 0xFFFF'FFFFu) {
    // x2APIC logical IDs are derived from the x2APIC ID (cluster = ID[19:4], member = 1 << ID[3:0]),
    // so the selected members are found from the destination alone.
    uint32_t cluster = uint32_t(X2_LDR_CLUSTER.get(dest));
    uint32_t members = uint32_t(X2_LDR_MEMBERS.get(dest));
    const uint32_t base = uint32_t(X2_ID_CLUSTER.set(0, cluster));
    for (; members; members &= members - 1)  // each set member bit, lowest first
      if (local_apic* a = find_id(base | uint32_t(X2_ID_MEMBER.set(0, uint32_t(std::countr_zero(members))))))
        targets_.push_back(a);
    return;
  }
  for (local_apic* a : apics_)
    if (a->mode() != apic_mode::disabled && a->matches_logical(dest, wide)) targets_.push_back(a);
}

void apic_bus::collect(const apic_irq& irq, dest_width width, uint8_t shorthand, local_apic* from) {
  targets_.clear();
  switch (shorthand) {
    case icr::self:
      if (from) targets_.push_back(from);
      return;
    case icr::all_including_self: return add_all(nullptr);
    case icr::all_excluding_self: return add_all(from);
    default: break;
  }
  bool wide = wide_for(width);
  if (irq.logical)
    collect_logical(irq.dest, wide);
  else
    collect_physical(irq.dest, wide);
}

local_apic* apic_bus::arbitrate(uint8_t vector) {
  ++stats_.arbitrations;
  // Candidates: software-enabled APICs (a disabled one would only drop the interrupt).
  size_t n = 0;
  for (local_apic* a : targets_)
    if (a->sw_enabled()) targets_[n++] = a;
  if (n == 0) return targets_.front();
  targets_.resize(n);
  if (tie_ == tie_break::focus)
    for (local_apic* a : targets_)
      if (a->is_focus_for(vector)) return a;
  uint8_t best = 0xFF;
  for (local_apic* a : targets_) best = std::min(best, a->apr());
  local_apic* pick = nullptr;
  if (tie_ == tie_break::round_robin) {
    // The first lowest-priority APIC at or after the rotating pointer (by position on the bus).
    size_t best_pos = SIZE_MAX;
    for (local_apic* a : targets_) {
      if (a->apr() != best) continue;
      size_t pos = (a->cpu_index() + apics_.size() - rr_next_ % apics_.size()) % apics_.size();
      if (pos < best_pos) best_pos = pos, pick = a;
    }
    rr_next_ = pick->cpu_index() + 1;
    return pick;
  }
  for (local_apic* a : targets_)
    if (a->apr() == best && (!pick || a->physical_id() < pick->physical_id())) pick = a;
  return pick;
}

void apic_bus::route(const apic_irq& irq, dest_width width, std::span<const event_id> events, sc_time delay,
                     uint8_t shorthand, local_apic* from) {
  collect(irq, width, shorthand, from);
  if (ctx.trace.on())
    ctx.trace.instant(track_, stage::route, now_ps(), events,
                      {{"vec", irq.vector}, {"dest", irq.dest}, {"logical", irq.logical}, {"targets", int64_t(targets_.size())}});
  if (targets_.empty()) {
    ++stats_.no_destination;
    log->debug("no destination for {} dest {:#x} vector {:#x}", irq.logical ? "logical" : "physical", irq.dest, irq.vector);
    ctx.led.settle_lost(events, loss_cause::no_destination, now_ps());
    if (ctx.trace.on()) ctx.trace.instant(track_, stage::drop, now_ps(), events, {{"vec", irq.vector}});
    return;
  }
  // Lowest priority: the delivery mode, or a Fixed message with the redirection hint (SDM §11.11.1).
  bool lowest = irq.mode == delivery_mode::lowest || (irq.redirection_hint && irq.mode == delivery_mode::fixed);
  if (lowest && targets_.size() > 1) {
    local_apic* a = arbitrate(irq.vector);
    targets_.assign(1, a);
  }
  // targets_ may be reused by a nested route (an EOI broadcast re-sending): iterate over a copy
  // only when there is more than one target.
  if (targets_.size() == 1) return targets_.front()->accept(irq, events, delay);
  std::vector<local_apic*> set(targets_);
  for (size_t i = 0; i < set.size(); ++i) {
    if (i == 0) {
      set[i]->accept(irq, events, delay);
      continue;
    }
    // One ledger event per delivery: further targets get fresh ids with the same source and raise time.
    clone_.clear();
    for (event_id e : events) {
      const event_rec& r = ctx.led.record(e);
      clone_.push_back(ctx.led.raise(r.source, r.raise_ps));
      ++stats_.multicast_clones;
    }
    set[i]->accept(irq, span_of(clone_), delay);
  }
}

void apic_bus::send_ipi(local_apic& from, const apic_irq& irq, dest_width width, uint8_t shorthand,
                        std::span<const event_id> events, sc_time delay) {
  ++stats_.ipis;
  if (ipi_latency_ == sc_core::SC_ZERO_TIME) {
    from.ipi_sent();
    return route(irq, width, events, delay, shorthand, &from);
  }
  uint64_t due = now_ps() + (delay + ipi_latency_).value();
  ipi_q_.push_back(queued_ipi{due, ipi_seq_++, &from, irq, width, shorthand, std::vector<event_id>(events.begin(), events.end())});
  auto later = [](const queued_ipi& a, const queued_ipi& b) { return a.due_ps != b.due_ps ? a.due_ps > b.due_ps : a.seq > b.seq; };
  std::push_heap(ipi_q_.begin(), ipi_q_.end(), later);
  ipi_ev_.notify(sc_time::from_value(ipi_q_.front().due_ps - now_ps()));
}

void apic_bus::on_ipi_due() {
  auto later = [](const queued_ipi& a, const queued_ipi& b) { return a.due_ps != b.due_ps ? a.due_ps > b.due_ps : a.seq > b.seq; };
  while (!ipi_q_.empty() && ipi_q_.front().due_ps <= now_ps()) {
    std::pop_heap(ipi_q_.begin(), ipi_q_.end(), later);
    queued_ipi q = std::move(ipi_q_.back());
    ipi_q_.pop_back();
    q.from->ipi_sent();
    route(q.irq, q.width, q.events, sc_core::SC_ZERO_TIME, q.shorthand, q.from);
  }
  if (!ipi_q_.empty()) ipi_ev_.notify(sc_time::from_value(ipi_q_.front().due_ps - now_ps()));
}

void apic_bus::eoi_broadcast(uint8_t vector) {
  if (ctx.trace.on()) ctx.trace.instant(track_, stage::eoi, now_ps(), {}, {{"vec", vector}, {"broadcast", 1}});
  for (eoi_listener_if* l : eoi_listeners_) l->eoi_broadcast(vector);
}

void apic_bus::b_transport(tlm::tlm_generic_payload& gp, sc_time& delay) {
  ++stats_.messages;
  requester_ext* ext = ext_of(gp);
  std::span<const event_id> events;
  if (ext) events = span_of(ext->events);
  if (gp.get_command() != tlm::TLM_WRITE_COMMAND || gp.get_data_length() != 4) {
    // Interrupt messages are DWORD writes (PCIe §6.1.4; SDM §11.11).
    log->warn("non-DWORD-write access at {:#x} in the interrupt window: not an interrupt", gp.get_address());
    ctx.led.settle_lost(events, loss_cause::unsupported_delivery, now_ps());
    gp.set_response_status(gp.get_command() == tlm::TLM_WRITE_COMMAND ? tlm::TLM_BURST_ERROR_RESPONSE
                                                                      : tlm::TLM_COMMAND_ERROR_RESPONSE);
    return;
  }
  uint64_t addr = gp.get_address();
  if (addr < msi_window_size) addr += msi_window_base;  // mapped relative
  gp.set_response_status(tlm::TLM_OK_RESPONSE);
  if (!in_msi_window(addr)) {
    ctx.led.settle_lost(events, loss_cause::msi_bad_address, now_ps());
    return;
  }
  apic_irq irq;
  dest_width width;
  if (auto* ai = gp.get_extension<apic_irq_ext>()) {
    irq = ai->irq;
    width = dest_width::by_mode;
  } else {
    if (msi_fields::ADDR_IF.test(addr)) log->debug("remappable-format MSI {:#x} without an IOMMU: decoded as compatibility", addr);
    irq = decode_compat_msi(addr, msi_data_of(gp));
    width = dest_width::narrow;
    // MSI delivery modes 011 and 110 are reserved (SDM §11.11.2).
    if (irq.mode == delivery_mode(3) || irq.mode == delivery_mode::startup) {
      log->warn("MSI with reserved delivery mode {} dropped", unsigned(irq.mode));
      ctx.led.settle_lost(events, loss_cause::unsupported_delivery, now_ps());
      return;
    }
  }
  route(irq, width, events, delay);
}

}  // namespace irqf::lapic
