#include "fabric/ledger.h"

#include <algorithm>
#include <cassert>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <stdexcept>

#include "fabric/error.h"

namespace irqf {

const char* to_string(ev_state s) {
  switch (s) {
    case ev_state::open: return "pending";
    case ev_state::handled: return "handled";
    case ev_state::merged: return "merged";
    case ev_state::lost: return "lost";
  }
  return "?";
}

conservation_result check_conservation(const ledger_totals& t) {
  conservation_result r;
  uint64_t sum = t.handled + t.merged + t.pending + t.lost;
  uint64_t by_cause = 0;
  for (auto& [k, v] : t.lost_by_cause) by_cause += v;
  if (sum != t.raised) {
    r.ok = false;
    r.message = "ledger does not balance: raised " + std::to_string(t.raised) + " != handled " +
                std::to_string(t.handled) + " + merged " + std::to_string(t.merged) + " + pending " +
                std::to_string(t.pending) + " + lost " + std::to_string(t.lost) + " (= " +
                std::to_string(sum) + ")";
  } else if (by_cause != t.lost) {
    r.ok = false;
    r.message = "lost_by_cause sums to " + std::to_string(by_cause) + ", lost is " + std::to_string(t.lost);
  } else if (t.violations) {
    r.ok = false;
    r.message = std::to_string(t.violations) + " ledger violation(s): an event settled twice or unknown";
  }
  return r;
}

source_id ledger::add_source(const std::string& name) {
  if (auto it = singles_.find(name); it != singles_.end()) return blocks_[it->second].first;
  if (auto slash = name.rfind('/'); slash != std::string::npos && slash + 1 < name.size()) {
    std::string_view prefix(name.data(), slash), idx(name.data() + slash + 1, name.size() - slash - 1);
    uint32_t i = 0;
    auto [end, ec] = std::from_chars(idx.data(), idx.data() + idx.size(), i);
    if (ec == std::errc() && end == idx.data() + idx.size())
      if (auto it = ranges_.find(prefix); it != ranges_.end() && i < blocks_[it->second].count)
        return blocks_[it->second].first + i;
  }
  source_id id = source_id(count_);
  singles_.emplace(name, blocks_.size());
  blocks_.push_back({id, 0, name});
  ++count_;
  return id;
}

source_id ledger::add_source_range(const std::string& prefix, uint32_t count) {
  if (auto it = ranges_.find(prefix); it != ranges_.end()) {
    if (blocks_[it->second].count != count)
      throw std::logic_error("ledger: source range '" + prefix + "' registered again with another size");
    return blocks_[it->second].first;
  }
  source_id id = source_id(count_);
  ranges_.emplace(prefix, blocks_.size());
  blocks_.push_back({id, count, prefix});
  count_ += count;
  return id;
}

std::string ledger::source_name(source_id s) const {
  auto it = std::upper_bound(blocks_.begin(), blocks_.end(), s,
                             [](source_id v, const source_block& b) { return v < b.first; });
  assert(it != blocks_.begin() && s < count_);
  const source_block& b = *std::prev(it);
  return b.count ? b.name + "/" + std::to_string(s - b.first) : b.name;
}

event_id ledger::raise(source_id src, uint64_t now_ps) {
  assert(src < count_);
  event_rec r;
  r.raise_ps = now_ps;
  r.source = src;
  recs_.push_back(r);
  return recs_.size();
}

bool ledger::settle(event_id id, ev_state st, loss_cause c, uint64_t now_ps) {
  if (id == 0 || id > recs_.size()) {
    ++violations_;
    return false;
  }
  event_rec& r = recs_[id - 1];
  if (r.state != ev_state::open) {
    ++violations_;
    return false;
  }
  r.state = st;
  r.cause = c;
  handled_ += st == ev_state::handled;
  r.end_ps = now_ps;
  return true;
}

void ledger::handled(event_id id, uint64_t now_ps) { settle(id, ev_state::handled, loss_cause::count_, now_ps); }
void ledger::merged(event_id id, uint64_t now_ps) { settle(id, ev_state::merged, loss_cause::count_, now_ps); }
void ledger::lost(event_id id, loss_cause cause, uint64_t now_ps) { settle(id, ev_state::lost, cause, now_ps); }

void ledger::settle_handled(std::span<const event_id> ids, uint64_t now_ps) {
  bool first = true;
  for (event_id id : ids) {
    settle(id, first ? ev_state::handled : ev_state::merged, loss_cause::count_, now_ps);
    first = false;
  }
}

void ledger::settle_lost(std::span<const event_id> ids, loss_cause cause, uint64_t now_ps) {
  for (event_id id : ids) settle(id, ev_state::lost, cause, now_ps);
}

void ledger::spurious(const std::string& where) {
  ++spurious_[where];
  ++spurious_total_;
}

namespace {
void count(ledger_totals& t, const event_rec& r) {
  ++t.raised;
  switch (r.state) {
    case ev_state::open: ++t.pending; break;
    case ev_state::handled: ++t.handled; break;
    case ev_state::merged: ++t.merged; break;
    case ev_state::lost:
      ++t.lost;
      ++t.lost_by_cause[std::string(to_string(r.cause))];
      break;
  }
}
}  // namespace

ledger_totals ledger::totals() const {
  ledger_totals t;
  for (auto& r : recs_) count(t, r);
  t.spurious = spurious_total_;
  t.violations = violations_;
  return t;
}

ledger_totals ledger::totals_between(uint64_t from_ps, uint64_t to_ps) const {
  ledger_totals t;
  for (auto& r : recs_)
    if (r.raise_ps >= from_ps && r.raise_ps < to_ps) count(t, r);
  return t;
}

namespace {
latency_summary summarize(std::vector<double>& v) {
  latency_summary s;
  s.count = v.size();
  if (v.empty()) return s;
  std::sort(v.begin(), v.end());
  auto rank = [&](double p) {  // nearest-rank percentile
    size_t k = size_t(std::ceil(p / 100.0 * double(v.size())));
    return v[std::clamp<size_t>(k, 1, v.size()) - 1];
  };
  s.p50 = rank(50), s.p90 = rank(90), s.p99 = rank(99), s.max = v.back();
  return s;
}
}  // namespace

std::vector<double> ledger::latencies_ns() const {
  std::vector<double> v;
  for (auto& r : recs_)
    if (r.state == ev_state::handled) v.push_back(double(r.end_ps - r.raise_ps) / 1000.0);
  std::sort(v.begin(), v.end());
  return v;
}

latency_summary ledger::latency() const {
  auto v = latencies_ns();
  return summarize(v);
}

latency_summary ledger::latency(source_id src) const {
  std::vector<double> v;
  for (auto& r : recs_)
    if (r.source == src && r.state == ev_state::handled) v.push_back(double(r.end_ps - r.raise_ps) / 1000.0);
  return summarize(v);
}

void ledger::write_csv(const std::string& path) const {
  std::FILE* f = std::fopen(path.c_str(), "w");
  if (!f) throw input_error(path + ": cannot write ledger CSV");
  std::fprintf(f, "id,source,raise_ns,end_ns,state,cause,latency_ns\n");
  for (size_t i = 0; i < recs_.size(); ++i) {
    const event_rec& r = recs_[i];
    bool open = r.state == ev_state::open;
    std::fprintf(f, "%zu,%s,%.3f,", i + 1, source_name(r.source).c_str(), double(r.raise_ps) / 1000.0);
    if (open) std::fprintf(f, ",");
    else std::fprintf(f, "%.3f,", double(r.end_ps) / 1000.0);
    std::fprintf(f, "%s,%s,", to_string(r.state),
                 r.state == ev_state::lost ? std::string(to_string(r.cause)).c_str() : "");
    if (r.state == ev_state::handled) std::fprintf(f, "%.3f", double(r.end_ps - r.raise_ps) / 1000.0);
    std::fprintf(f, "\n");
  }
  std::fclose(f);
}

nlohmann::json ledger::per_source_json() const {
  std::vector<ledger_totals> t(count_);
  std::vector<std::vector<double>> lat(count_);
  for (auto& r : recs_) {
    count(t[r.source], r);
    if (r.state == ev_state::handled) lat[r.source].push_back(double(r.end_ps - r.raise_ps) / 1000.0);
  }
  nlohmann::json out = nlohmann::json::array();
  for (size_t s = 0; s < count_; ++s) {
    if (!t[s].raised) continue;
    auto l = summarize(lat[s]);
    out.push_back({{"source", source_name(source_id(s))},
                   {"raised", t[s].raised},
                   {"handled", t[s].handled},
                   {"merged", t[s].merged},
                   {"pending", t[s].pending},
                   {"lost", t[s].lost},
                   {"lost_by_cause", t[s].lost_by_cause},
                   {"latency_ns", {{"p50", l.p50}, {"p99", l.p99}, {"max", l.max}}}});
  }
  return out;
}

}  // namespace irqf
