#include "fabric/loss_cause.h"

#include <array>
#include <cassert>

namespace irqf {

namespace {
constexpr std::array<std::string_view, size_t(loss_cause::count_)> names = {
#define IRQF_X(n) #n,
    IRQF_LOSS_CAUSES(IRQF_X)
#undef IRQF_X
};
}  // namespace

std::string_view to_string(loss_cause c) {
  return size_t(c) < names.size() ? names[size_t(c)] : std::string_view("invalid");
}

std::optional<loss_cause> loss_cause_from(std::string_view name) {
  for (size_t i = 0; i < names.size(); ++i)
    if (names[i] == name) return loss_cause(i);
  return std::nullopt;
}

loss_cause ir_fault_cause(uint8_t reason) {
  assert(reason >= 0x20 && reason <= 0x27);
  return loss_cause(size_t(loss_cause::ir_fault_0x20) + (reason - 0x20));
}

}  // namespace irqf
