#pragma once
// A scenario file loaded with yaml-cpp, remembering its name so every error can point at
// file:line:column (yaml-cpp marks are 0-based; we print 1-based like compilers do).
#include <yaml-cpp/yaml.h>

#include <string>
#include <string_view>

namespace irqf {

class yaml_doc {
 public:
  /// Loads `path`; a missing file or YAML syntax error throws input_error("path:line:col: ...").
  static yaml_doc load_file(const std::string& path);
  /// Parses `text` as if it were the file `name` (tests, --set values).
  static yaml_doc load_string(const std::string& text, const std::string& name);

  /// "file:line:col" of a node; "file" (or "--set <key>") when the node has no mark.
  std::string where(const YAML::Node& n) const;
  /// Throws input_error "file:line:col: key 'key': msg".
  [[noreturn]] void fail(const YAML::Node& n, std::string_view key, const std::string& msg) const;

  /// Applies a command-line override "a.b.c=value" (value parsed as YAML). Path elements walk
  /// maps by key and sequences by index or by the `name:` of an element. Creates missing map keys;
  /// strict validation later rejects keys that no component declares. Throws input_error on a
  /// malformed assignment or a path through a scalar.
  void apply_set(const std::string& assignment);

  YAML::Node root;
  std::string file;
};

}  // namespace irqf
