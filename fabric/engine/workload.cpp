#include "fabric/engine/workload.h"

#include <filesystem>
#include <fstream>
#include <sstream>

#include "fabric/engine/platform.h"
#include "fabric/engine/run_state.h"
#include "fabric/error.h"
#include "models/testdev/testdev.h"
#if __has_include("models/idxd/nic_device.h")
#include "models/idxd/nic_device.h"
#define IRQF_HAVE_NIC 1
#endif

namespace irqf {

const component_schema& workload_schema() {
  static const component_schema s{
      "workload",
      "one traffic generator (an item of the workload: list)",
      {param_spec::string("name", "", "generator name (progress and logs)"),
       param_spec::string("device", "", "device name from platform.devices"),
       param_spec::choice("target", "wq", {"wq", "msix", "msi", "dmt", "queue"},
                          "dsa: wq (descriptors through the driver); testdev: msix|msi|dmt vector "
                          "events; nic: queue receives"),
       param_spec::string("queues", "0", "list of WQs/vectors/queues, or ranges \"a-b,c-d\"; used round-robin"),
       param_spec::choice("process", "poisson", {"periodic", "poisson", "onoff", "replay"},
                          "arrival process"),
       param_spec::real("period_ns", "ns", 1000, 0.001, 1e12, "periodic: gap between arrivals"),
       param_spec::real("rate_per_us", "1/us", 1.0, 1e-9, 1e6,
                        "poisson/onoff: mean arrivals per microsecond (all queues together)"),
       param_spec::real("on_us", "us", 10, 0.001, 1e9, "onoff: burst length"),
       param_spec::real("off_us", "us", 10, 0, 1e9, "onoff: silence between bursts"),
       param_spec::integer("size_bytes", "bytes", 4096, 0, 1 << 30, "dsa: descriptor transfer size"),
       param_spec::real("start_us", "us", 0, 0, 1e12, "first arrival not before"),
       param_spec::real("stop_us", "us", 1e12, 0, 1e12, "no arrival after"),
       param_spec::integer("count", "events", 0, 0, INT64_MAX, "stop after this many (0: no limit)"),
       param_spec::string("file", "", "replay: CSV of time_ns,queue (relative to the scenario)")}};
  return s;
}

namespace {
std::vector<unsigned> parse_queues(const yaml_doc& doc, const YAML::Node& n) {
  std::vector<unsigned> q;
  auto bad = [&] { doc.fail(n, "queues", "expected a number, a list of numbers or ranges \"a-b,c-d\""); };
  try {
    if (!n.IsDefined() || n.IsNull()) return {0};
    if (n.IsSequence()) {
      for (size_t i = 0; i < n.size(); ++i) q.push_back(n[i].as<unsigned>());
    } else if (n.IsScalar()) {
      // "a", "a-b" or a comma-separated list of both (like a Linux cpulist: "16-31,0-15").
      std::string s = n.Scalar();
      for (size_t at = 0; at <= s.size();) {
        size_t comma = s.find(',', at);
        if (comma == std::string::npos) comma = s.size();
        std::string part = s.substr(at, comma - at);
        auto dash = part.find('-');
        if (dash == std::string::npos) q.push_back(unsigned(std::stoul(part, nullptr, 0)));
        else {
          unsigned a = unsigned(std::stoul(part.substr(0, dash))), b = unsigned(std::stoul(part.substr(dash + 1)));
          if (b < a || b - a > 65536 || q.size() + (b - a) > 65536) bad();
          for (unsigned i = a; i <= b; ++i) q.push_back(i);
        }
        at = comma + 1;
      }
    } else bad();
  } catch (const input_error&) {
    throw;
  } catch (...) {
    bad();
  }
  if (q.empty()) bad();
  return q;
}
}  // namespace

std::vector<workload_item> parse_workload(const yaml_doc& doc, const YAML::Node& node) {
  std::vector<workload_item> out;
  if (!node.IsDefined() || node.IsNull()) return out;
  if (!node.IsSequence()) doc.fail(node, "workload", "expected a list of generators");
  for (size_t i = 0; i < node.size(); ++i) {
    YAML::Node n = node[i];
    workload_item w;
    w.where = doc.where(n);
    w.p = param_values::bind(workload_schema(), doc, n, {"queues"});
    w.name = w.p.s("name").empty() ? "gen" + std::to_string(i) : w.p.s("name");
    w.device = w.p.s("device");
    if (w.device.empty()) doc.fail(n, "device", "a generator needs a device");
    w.target = w.p.s("target");
    w.process = w.p.s("process");
    w.queues = parse_queues(doc, n["queues"]);
    if (w.process == "replay") {
      if (w.p.s("file").empty()) doc.fail(n, "file", "process replay needs a CSV file");
      auto path = std::filesystem::path(doc.file).parent_path() / w.p.s("file");
      std::ifstream in(path);
      if (!in) doc.fail(n["file"], "file", "cannot open " + path.string());
      std::string line;
      size_t ln = 0;
      while (std::getline(in, line)) {
        ++ln;
        if (line.empty() || line[0] == '#' || (ln == 1 && !std::isdigit(uint8_t(line[0])))) continue;
        std::istringstream ls(line);
        double t;
        char comma;
        unsigned q;
        if (!(ls >> t >> comma >> q) || comma != ',')
          throw input_error(path.string() + ":" + std::to_string(ln) + ": expected time_ns,queue");
        w.replay.emplace_back(t, q);
      }
    }
    out.push_back(std::move(w));
  }
  return out;
}

traffic_gen::traffic_gen(sc_core::sc_module_name nm, sim_context& c, platform& plat, run_state& rs,
                         workload_item w)
    : component(nm, c), plat_(plat), rs_(rs), w_(std::move(w)) {
  start_ns_ = w_.p.r("start_us") * 1000.0;
  stop_ns_ = w_.p.r("stop_us") * 1000.0;
  double rate = w_.p.r("rate_per_us") / 1000.0;  // per ns
  exp_ = std::exponential_distribution<double>(rate);
  SC_HAS_PROCESS(traffic_gen);
  auto* fn = plat_.find_device(w_.device);
  if (!fn) throw input_error(w_.where + ": key 'device': no device named '" + w_.device + "'");
  std::string type;
  for (auto& d : plat_.devices())
    if (d.name == w_.device) type = d.type;
  bool ok = (w_.target == "wq" && type == "dsa") || (w_.target == "queue" && type == "nic") ||
            ((w_.target == "msix" || w_.target == "msi" || w_.target == "dmt") && type == "testdev");
  if (!ok)
    throw input_error(w_.where + ": key 'target': '" + w_.target + "' does not apply to a " + type +
                      " device (dsa: wq, nic: queue, testdev: msix|msi|dmt)");
  proc_ = w_.process == "periodic" ? proc::periodic : w_.process == "onoff" ? proc::onoff
        : w_.process == "replay" ? proc::replay : proc::poisson;
  period_ns_ = w_.p.r("period_ns");
  on_ns_ = w_.p.r("on_us") * 1000.0;
  cycle_ns_ = (w_.p.r("on_us") + w_.p.r("off_us")) * 1000.0;
  bytes_ = uint32_t(w_.p.i("size_bytes"));
  limit_ = uint64_t(w_.p.i("count"));
  if (w_.target == "wq") {
    tgt_ = tgt::wq;
  } else if (w_.target == "queue") {
    tgt_ = tgt::nic_queue;
#ifdef IRQF_HAVE_NIC
    dev_ = dynamic_cast<idxd::nic_device*>(fn);
#endif
  } else {
    tgt_ = tgt::testdev_store;
    dev_ = dynamic_cast<testdev::testdev*>(fn);
    store_ = int(*testdev::store_kind_from(w_.target));
  }
  SC_METHOD(arrive);
  sensitive << ev_;
  dont_initialize();
  double first = start_ns_;
  if (proc_ == proc::replay) first = w_.replay.empty() ? -1 : std::max(start_ns_, w_.replay[0].first);
  else if (proc_ != proc::periodic) first = start_ns_ + next_gap_ns();
  if (first >= 0 && first <= stop_ns_) ev_.notify(sc_core::sc_time(first, sc_core::SC_NS));
}

void traffic_gen::start_in(double delay_ns) {
  start_ns_ = double(now_ps()) / 1000.0 + delay_ns;
  stop_ns_ = std::max(stop_ns_, start_ns_);
  ev_.cancel();
  ev_.notify(sc_core::sc_time(delay_ns, sc_core::SC_NS));
}

double traffic_gen::next_gap_ns() {
  if (proc_ == proc::periodic) return period_ns_;
  double gap = exp_(rng);
  if (proc_ == proc::onoff) {
    // Bursts of on_us every on_us+off_us, Poisson inside a burst.
    double now = double(now_ps()) / 1000.0, t = now + gap;
    double phase = std::fmod(t - start_ns_, cycle_ns_);
    if (phase >= on_ns_) t += cycle_ns_ - phase;
    return t - now;
  }
  return gap;
}

void traffic_gen::arrive() {
  unsigned q = proc_ == proc::replay ? w_.replay[replay_i_].second : w_.queues[rr_++ % w_.queues.size()];
  ++n_;
  switch (tgt_) {
    case tgt::wq: {
      // Drivers appear when the timeline probes them; look them up once, not per descriptor.
      if (!vfio_ && !idxd_) {
        if (auto it = rs_.vfio.find(w_.device); it != rs_.vfio.end()) vfio_ = it->second.get();
        else if (auto jt = rs_.idxd.find(w_.device); jt != rs_.idxd.end()) idxd_ = jt->second.get();
      }
      bool ok = vfio_ ? vfio_->submit(q, bytes_)
              : idxd_ ? idxd_->submit(q, bytes_)
                      : (++rs_.submit_no_driver, false);
      if (!ok) ++rs_.submit_rejected;
      break;
    }
    case tgt::nic_queue:
#ifdef IRQF_HAVE_NIC
      static_cast<idxd::nic_device*>(dev_)->rx(q);
#endif
      break;
    case tgt::testdev_store:
      static_cast<testdev::testdev*>(dev_)->raise(testdev::store_kind(store_), q);
      break;
  }
  if (limit_ && n_ >= limit_) return;
  double now = double(now_ps()) / 1000.0, next;
  if (proc_ == proc::replay) {
    if (++replay_i_ >= w_.replay.size()) return;
    next = std::max(w_.replay[replay_i_].first - now, 0.0);
  } else {
    next = next_gap_ns();
  }
  if (now + next <= stop_ns_) ev_.notify(sc_core::sc_time::from_value(uint64_t(next * 1000.0 + 0.5)));
}

}  // namespace irqf
