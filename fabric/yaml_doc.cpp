#include "fabric/yaml_doc.h"

#include <fstream>
#include <sstream>

#include "fabric/error.h"

namespace irqf {

namespace {
std::string mark_text(const std::string& file, const YAML::Mark& m) {
  if (m.is_null()) return file;
  return file + ":" + std::to_string(m.line + 1) + ":" + std::to_string(m.column + 1);
}
}  // namespace

yaml_doc yaml_doc::load_string(const std::string& text, const std::string& name) {
  yaml_doc d;
  d.file = name;
  try {
    d.root = YAML::Load(text);
  } catch (const YAML::Exception& e) {
    throw input_error(mark_text(name, e.mark) + ": YAML syntax error: " + e.msg);
  }
  return d;
}

yaml_doc yaml_doc::load_file(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw input_error(path + ": cannot open file");
  std::stringstream ss;
  ss << in.rdbuf();
  return load_string(ss.str(), path);
}

std::string yaml_doc::where(const YAML::Node& n) const {
  if (!n.IsDefined()) return file;
  return mark_text(file, n.Mark());
}

void yaml_doc::fail(const YAML::Node& n, std::string_view key, const std::string& msg) const {
  throw input_error(where(n) + ": key '" + std::string(key) + "': " + msg);
}

void yaml_doc::apply_set(const std::string& assignment) {
  auto eq = assignment.find('=');
  if (eq == std::string::npos || eq == 0)
    throw input_error("--set " + assignment + ": expected path.to.key=value");
  std::string path = assignment.substr(0, eq), value = assignment.substr(eq + 1);
  std::vector<std::string> parts;
  std::stringstream ss(path);
  for (std::string p; std::getline(ss, p, '.');) {
    if (p.empty()) throw input_error("--set " + path + ": empty path element");
    parts.push_back(p);
  }
  YAML::Node v;
  try {
    v = YAML::Load(value);
  } catch (const YAML::Exception& e) {
    throw input_error("--set " + path + ": cannot parse value '" + value + "': " + e.msg);
  }
  if (!root.IsDefined() || root.IsNull()) root = YAML::Node(YAML::NodeType::Map);
  // Walk with copies of handles (yaml-cpp nodes are references into the document).
  YAML::Node cur = root;
  for (size_t i = 0; i + 1 < parts.size(); ++i) {
    const std::string& p = parts[i];
    if (cur.IsSequence()) {
      YAML::Node next;
      bool found = false;
      bool all_digits = !p.empty() && p.find_first_not_of("0123456789") == std::string::npos;
      if (all_digits && std::stoul(p) < cur.size()) {
        next.reset(cur[std::stoul(p)]);
        found = true;
      } else {
        for (size_t k = 0; k < cur.size(); ++k) {
          YAML::Node e = cur[k];
          if (e.IsMap() && e["name"] && e["name"].IsScalar() && e["name"].Scalar() == p) {
            next.reset(e);
            found = true;
          }
        }
      }
      if (!found) throw input_error("--set " + path + ": no element '" + p + "' in that list");
      cur.reset(next);
    } else if (cur.IsMap() || cur.IsNull()) {
      if (!cur[p] || cur[p].IsNull()) cur[p] = YAML::Node(YAML::NodeType::Map);
      YAML::Node next = cur[p];
      cur.reset(next);
    } else {
      throw input_error("--set " + path + ": '" + parts[i - (i ? 1 : 0)] + "' is a scalar");
    }
  }
  if (!(cur.IsMap() || cur.IsNull()))
    throw input_error("--set " + path + ": parent of '" + parts.back() + "' is not a map");
  cur[parts.back()] = v;
}

}  // namespace irqf
