#pragma once
// Tracing (DESIGN §1, §4): when enabled, every journey stage of every interrupt is written as a
// Chrome/Perfetto trace-event JSON ("Open trace file" in ui.perfetto.dev), one track per CPU, per
// device and per IOMMU. Disabled tracing costs one branch per call site (check `on()` first).
#include <cstdint>
#include <cstdio>
#include <initializer_list>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "fabric/ledger.h"

namespace irqf {

/// Journey stages, named as in DESIGN §1.
enum class stage : uint8_t { raise, store, post, remap, route, accept, dispatch, handle, eoi, drop, merge, fault, note };
const char* to_string(stage s);

using track_id = uint32_t;

class tracer {
 public:
  tracer() = default;
  ~tracer();
  tracer(const tracer&) = delete;
  tracer& operator=(const tracer&) = delete;

  /// Starts writing to `path`; throws input_error if it cannot be opened.
  void open(const std::string& path);
  void close();
  bool on() const { return f_ != nullptr; }

  /// A track in group "cpu", "device", "iommu", "ioapic", "os"...; `name` shown in the UI.
  track_id add_track(const std::string& group, const std::string& name);
  /// An instant at `now_ps` on `track` for the stage, naming the event ids it carries and
  /// free-form integer arguments (vector, cpu, irte index...).
  void instant(track_id track, stage st, uint64_t now_ps, std::span<const event_id> events,
               std::initializer_list<std::pair<const char*, int64_t>> args = {});
  /// A slice [begin_ps, end_ps) on `track` (handler bodies, resize windows).
  void slice(track_id track, std::string_view name, uint64_t begin_ps, uint64_t end_ps,
             std::initializer_list<std::pair<const char*, int64_t>> args = {});

 private:
  void sep();
  std::FILE* f_ = nullptr;
  bool first_ = true;
  std::vector<std::pair<std::string, uint32_t>> groups_;
  uint32_t ntracks_ = 0;
  struct track_info {
    uint32_t pid, tid;
    std::string name;
  };
  std::vector<track_info> tracks_;
};

}  // namespace irqf
