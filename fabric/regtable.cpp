#include "fabric/regtable.h"

#include <cassert>
#include <cstdio>
#include <sstream>

namespace irqf {

reg_table::reg_table(std::vector<reg_def> defs) : defs_(std::move(defs)) {
  for (size_t i = 0; i < defs_.size(); ++i) {
    assert(defs_[i].size == 1 || defs_[i].size == 2 || defs_[i].size == 4 || defs_[i].size == 8);
    for (size_t j = 0; j < i; ++j) {
      bool overlap = defs_[i].offset < defs_[j].offset + defs_[j].size &&
                     defs_[j].offset < defs_[i].offset + defs_[i].size;
      assert(!overlap && "register table entries overlap");
      (void)overlap;
    }
  }
}

std::optional<size_t> reg_table::at_offset(uint32_t offset) const {
  for (size_t i = 0; i < defs_.size(); ++i)
    if (offset >= defs_[i].offset && offset < defs_[i].offset + defs_[i].size) return i;
  return std::nullopt;
}

std::optional<size_t> reg_table::by_name(std::string_view name) const {
  for (size_t i = 0; i < defs_.size(); ++i)
    if (defs_[i].name == name) return i;
  return std::nullopt;
}

std::string reg_table::markdown() const {
  std::ostringstream o;
  o << "| register | offset | size | reset | description |\n|---|---|---|---|---|\n";
  for (auto& d : defs_) {
    char b[64];
    std::snprintf(b, sizeof b, "0x%03x | %u | 0x%llx", d.offset, d.size, (unsigned long long)d.reset);
    o << "| " << d.name << " | " << b << " | " << d.description << " |\n";
  }
  return o.str();
}

reg_file::reg_file(const reg_table& t) : t_(t), v_(t.size()) { reset(); }

void reg_file::reset() {
  for (size_t i = 0; i < t_.size(); ++i) v_[i] = t_[i].reset;
}

uint64_t reg_file::write(size_t i, uint64_t v) {
  const reg_def& d = t_[i];
  uint64_t cur = v_[i];
  cur = (cur & ~d.writable) | (v & d.writable);
  cur &= ~(v & d.w1c);
  v_[i] = cur;
  return cur;
}

}  // namespace irqf
