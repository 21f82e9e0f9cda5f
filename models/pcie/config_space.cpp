#include "models/pcie/config_space.h"

#include <cassert>

namespace irqf::pcie {

void config_space::finalize() {
  table_ = std::make_unique<reg_table>(std::move(defs_));
  defs_.clear();
  wmask_.fill(0);
  w1c_.fill(0);
  for (const reg_def& d : table_->defs()) {
    assert(d.offset + d.size <= 4096);
    for (unsigned b = 0; b < d.size; ++b) {
      wmask_[d.offset + b] = uint8_t(d.writable >> (8 * b));
      w1c_[d.offset + b] = uint8_t(d.w1c >> (8 * b));
    }
  }
  reset();
}

void config_space::reset() {
  for (const reg_def& d : table_->defs())
    for (unsigned b = 0; b < d.size; ++b) bytes_[d.offset + b] = uint8_t(d.reset >> (8 * b));
}

uint32_t config_space::raw_tail(uint16_t off, unsigned len) const {
  uint32_t v = 0;
  for (unsigned b = 0; b < len && off + b < 4096; ++b) v |= uint32_t(bytes_[off + b]) << (8 * b);
  return v;
}

void config_space::set_raw(uint16_t off, uint32_t val, unsigned len) {
  for (unsigned b = 0; b < len && off + b < 4096; ++b) bytes_[off + b] = uint8_t(val >> (8 * b));
}

void config_space::set_writable(uint16_t off, uint32_t mask, unsigned len) {
  for (unsigned b = 0; b < len && off + b < 4096; ++b) wmask_[off + b] = uint8_t(mask >> (8 * b));
}

uint32_t config_space::read(uint16_t off, unsigned len) const { return raw(off, len); }

void config_space::write(uint16_t off, uint32_t val, unsigned len) {
  for (unsigned b = 0; b < len && off + b < 4096; ++b) {
    const unsigned o = off + b;
    const uint8_t v = uint8_t(val >> (8 * b));
    uint8_t cur = bytes_[o];
    cur = uint8_t((cur & ~wmask_[o]) | (v & wmask_[o]));
    cur = uint8_t(cur & ~(v & w1c_[o]));
    bytes_[o] = cur;
  }
}

std::optional<uint64_t> config_space::read_named(std::string_view name) const {
  auto i = table_->by_name(name);
  if (!i) return std::nullopt;
  const reg_def& d = (*table_)[*i];
  return raw(uint16_t(d.offset), d.size);
}

bool config_space::write_named(std::string_view name, uint64_t v, uint16_t& off_out, unsigned& len_out) {
  auto i = table_->by_name(name);
  if (!i) return false;
  const reg_def& d = (*table_)[*i];
  off_out = uint16_t(d.offset);
  len_out = d.size;
  write(off_out, uint32_t(v), d.size);
  return true;
}

}  // namespace irqf::pcie
