#include "fabric/trace.h"

#include "fabric/error.h"

namespace irqf {

const char* to_string(stage s) {
  switch (s) {
    case stage::raise: return "raise";
    case stage::store: return "store";
    case stage::post: return "post";
    case stage::remap: return "remap";
    case stage::route: return "route";
    case stage::accept: return "accept";
    case stage::dispatch: return "dispatch";
    case stage::handle: return "handle";
    case stage::eoi: return "eoi";
    case stage::drop: return "drop";
    case stage::merge: return "merge";
    case stage::fault: return "fault";
    case stage::note: return "note";
  }
  return "?";
}

tracer::~tracer() { close(); }

void tracer::open(const std::string& path) {
  close();
  f_ = std::fopen(path.c_str(), "w");
  if (!f_) throw input_error(path + ": cannot write trace file");
  std::fputs("{\"displayTimeUnit\":\"ns\",\"traceEvents\":[\n", f_);
  first_ = true;
  // Name the tracks created before the file was opened.
  for (auto& [g, pid] : groups_) {
    sep();
    std::fprintf(f_, R"({"ph":"M","name":"process_name","pid":%u,"args":{"name":"%s"}})", pid, g.c_str());
  }
  for (auto& t : tracks_) {
    sep();
    std::fprintf(f_, R"({"ph":"M","name":"thread_name","pid":%u,"tid":%u,"args":{"name":"%s"}})", t.pid,
                 t.tid, t.name.c_str());
  }
}

void tracer::close() {
  if (!f_) return;
  std::fputs("\n]}\n", f_);
  std::fclose(f_);
  f_ = nullptr;
}

void tracer::sep() {
  if (!first_) std::fputs(",\n", f_);
  first_ = false;
}

track_id tracer::add_track(const std::string& group, const std::string& name) {
  uint32_t pid = 0;
  for (auto& [g, p] : groups_)
    if (g == group) pid = p;
  if (!pid) {
    pid = uint32_t(groups_.size() + 1);
    groups_.emplace_back(group, pid);
    if (f_) {
      sep();
      std::fprintf(f_, R"({"ph":"M","name":"process_name","pid":%u,"args":{"name":"%s"}})", pid, group.c_str());
    }
  }
  track_id t = ntracks_++;
  tracks_.push_back({pid, t + 1, name});
  if (f_) {
    sep();
    std::fprintf(f_, R"({"ph":"M","name":"thread_name","pid":%u,"tid":%u,"args":{"name":"%s"}})", pid,
                 t + 1, name.c_str());
  }
  return t;
}

void tracer::instant(track_id track, stage st, uint64_t now_ps, std::span<const event_id> events,
                     std::initializer_list<std::pair<const char*, int64_t>> args) {
  if (!f_) return;
  const auto& ti = tracks_.at(track);
  uint32_t pid = ti.pid, tid = ti.tid;
  sep();
  std::fprintf(f_, R"({"ph":"i","s":"t","name":"%s","pid":%u,"tid":%u,"ts":%.6f,"args":{"ev":[)",
               to_string(st), pid, tid, double(now_ps) / 1e6);
  bool first = true;
  for (event_id e : events) {
    std::fprintf(f_, first ? "%llu" : ",%llu", (unsigned long long)e);
    first = false;
  }
  std::fputs("]", f_);
  for (auto& [k, v] : args) std::fprintf(f_, ",\"%s\":%lld", k, (long long)v);
  std::fputs("}}", f_);
}

void tracer::slice(track_id track, std::string_view name, uint64_t begin_ps, uint64_t end_ps,
                   std::initializer_list<std::pair<const char*, int64_t>> args) {
  if (!f_) return;
  const auto& ti = tracks_.at(track);
  uint32_t pid = ti.pid, tid = ti.tid;
  sep();
  std::fprintf(f_, R"({"ph":"X","name":"%.*s","pid":%u,"tid":%u,"ts":%.6f,"dur":%.6f,"args":{)",
               int(name.size()), name.data(), pid, tid, double(begin_ps) / 1e6,
               double(end_ps - begin_ps) / 1e6);
  bool first = true;
  for (auto& [k, v] : args) {
    std::fprintf(f_, first ? "\"%s\":%lld" : ",\"%s\":%lld", k, (long long)v);
    first = false;
  }
  std::fputs("}}", f_);
}

}  // namespace irqf
