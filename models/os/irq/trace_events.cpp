#include "models/os/irq/trace_events.h"

#include <cstdio>
#include <cstring>

namespace irqf::os {

int64_t trace_record::get(std::string_view name, int64_t def) const {
  for (unsigned i = 0; i < nfields; ++i)
    if (name == fields[i].first) return fields[i].second;
  return def;
}

bool trace_record::has(std::string_view name) const {
  for (unsigned i = 0; i < nfields; ++i)
    if (name == fields[i].first) return true;
  return false;
}

std::vector<trace_record> trace_buffer::of(std::string_view event) const {
  std::vector<trace_record> out;
  for (const auto& r : recs)
    if (event == r.event) out.push_back(r);
  return out;
}

std::string format_ftrace(const trace_record& r) {
  std::string s;
  char buf[64];
  for (unsigned i = 0; i < r.nfields; ++i) {
    const char* n = r.fields[i].first;
    int64_t v = r.fields[i].second;
    if (i) s += ' ';
    // The printed forms of irq_matrix.h / irq_vectors.h: apicdest is 0x%08x, the kprobe values of
    // modify_irte are hex, the two global counters are followed by a comma.
    if (!std::strcmp(n, "apicdest"))
      std::snprintf(buf, sizeof buf, "%s=0x%08x", n, unsigned(v));
    else if (!std::strcmp(n, "lo") || !std::strcmp(n, "hi") || !std::strcmp(n, "mask"))
      std::snprintf(buf, sizeof buf, "%s=0x%llx", n, (unsigned long long)v);
    else
      std::snprintf(buf, sizeof buf, "%s=%lld", n, (long long)v);
    s += buf;
    if (!std::strcmp(n, "global_avl") || !std::strcmp(n, "global_rsvd")) s += ',';
  }
  return s;
}

}  // namespace irqf::os
