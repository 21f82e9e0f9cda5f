#include "fabric/log.h"

#include <spdlog/pattern_formatter.h>
#include <spdlog/sinks/stdout_sinks.h>

#include <systemc>

#include "fabric/error.h"

namespace irqf {

namespace {
/// %* in the pattern: the SystemC simulation time of the line, in ns.
class sim_time_flag : public spdlog::custom_flag_formatter {
 public:
  void format(const spdlog::details::log_msg&, const std::tm&, spdlog::memory_buf_t& dest) override {
    double t = double(sc_core::sc_time_stamp().value()) / 1000.0;
    auto s = fmt::format("{:>14.3f} ns", t);
    dest.append(s.data(), s.data() + s.size());
  }
  std::unique_ptr<custom_flag_formatter> clone() const override {
    return std::make_unique<sim_time_flag>();
  }
};
}  // namespace

log_hub::log_hub(spdlog::level::level_enum default_level) : default_(default_level) {
  sink_ = std::make_shared<spdlog::sinks::stderr_sink_mt>();
  auto f = std::make_unique<spdlog::pattern_formatter>();
  f->add_flag<sim_time_flag>('*').set_pattern("[%*] [%l] %n: %v");
  sink_->set_formatter(std::move(f));
}

spdlog::level::level_enum log_hub::level_for(const std::string& path) const {
  spdlog::level::level_enum lv = default_;
  size_t best = 0;
  for (auto& [prefix, l] : levels_) {
    if (prefix == "*") {
      if (best == 0) lv = l;
      continue;
    }
    if (path.compare(0, prefix.size(), prefix) == 0 &&
        (path.size() == prefix.size() || path[prefix.size()] == '.') && prefix.size() >= best) {
      best = prefix.size();
      lv = l;
    }
  }
  return lv;
}

logger_ptr log_hub::get(const std::string& path) {
  auto it = loggers_.find(path);
  if (it != loggers_.end()) return it->second;
  auto lg = std::make_shared<spdlog::logger>(path, sink_);
  lg->set_level(level_for(path));
  loggers_.emplace(path, lg);
  return lg;
}

void log_hub::set_level(const std::string& path, const std::string& level) {
  auto lv = spdlog::level::from_str(level);
  if (lv == spdlog::level::off && level != "off")
    throw input_error("log level '" + level + "' for '" + path +
                      "' is not one of trace|debug|info|warn|error|critical|off");
  if (path == "*" || path.empty()) default_ = lv;
  levels_[path.empty() ? "*" : path] = lv;
  for (auto& [p, lg] : loggers_) lg->set_level(level_for(p));
}

void log_hub::set_from_arg(const std::string& arg) {
  auto eq = arg.find('=');
  if (eq == std::string::npos) set_level("*", arg);
  else set_level(arg.substr(0, eq), arg.substr(eq + 1));
}

}  // namespace irqf
