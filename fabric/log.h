#pragma once
// Logging through spdlog (DESIGN §4): one logger per component, named by its hierarchical path,
// with the SystemC simulation time on every line. Loggers live in the platform's log_hub — nothing
// goes into spdlog's global registry, so several platforms can coexist in one process.
#include <spdlog/spdlog.h>

#include <map>
#include <memory>
#include <string>

namespace irqf {

using logger_ptr = std::shared_ptr<spdlog::logger>;

class log_hub {
 public:
  /// `default_level`: spdlog level name ("warn" unless the scenario or --log says otherwise).
  explicit log_hub(spdlog::level::level_enum default_level = spdlog::level::warn);
  /// The logger for `path` ("platform.cpu0.lapic"); the most specific level set by set_level on
  /// the path or one of its prefixes applies.
  logger_ptr get(const std::string& path);
  /// Sets the level for a path prefix ("platform.iommu" or "*" for all); throws input_error on an
  /// unknown level name.
  void set_level(const std::string& path, const std::string& level);
  /// Parses "path=level" as given to --log.
  void set_from_arg(const std::string& arg);

 private:
  spdlog::level::level_enum level_for(const std::string& path) const;
  spdlog::sink_ptr sink_;
  spdlog::level::level_enum default_;
  std::map<std::string, spdlog::level::level_enum> levels_;
  std::map<std::string, logger_ptr> loggers_;
};

}  // namespace irqf
