#pragma once
// Bad scenario or command-line input: the CLI prints what() and exits 2 (DESIGN §4, "three kinds of
// error"). what() always starts with "file:line:column: " or "--set key: " so users can find it.
#include <stdexcept>
#include <string>

namespace irqf {

class input_error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// An elaboration-time inconsistency in a platform (overlapping address ranges, duplicate BDF).
class elaboration_error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

}  // namespace irqf
