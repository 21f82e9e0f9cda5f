#include <catch2/catch.hpp>

#include "models/idxd/descriptor.h"

using namespace irqf::idxd;

TEST_CASE("descriptor encodes at the Linux dsa_hw_desc offsets") {
  auto d = make_memmove(0x1000, 0x2000, 256, 0x3000, true, 5);
  d.pasid = 0x12345;
  auto b = d.encode();
  CHECK(b[0] == 0x45);
  CHECK(b[2] == 0x01);
  CHECK(b[4] == 0x1c);  // flags CRAV|RCR|RCI
  CHECK(b[7] == op_memmove);
  CHECK(b[9] == 0x30);
  CHECK(b[17] == 0x10);
  CHECK(b[25] == 0x20);
  CHECK(b[33] == 0x01);  // xfer_size 256
  CHECK(b[36] == 5);
  auto r = dsa_descriptor::decode(b.data());
  CHECK(r.pasid == 0x12345);
  CHECK(r.flags == 0x1c);
  CHECK(r.src == 0x1000);
  CHECK(r.dst == 0x2000);
  CHECK(r.int_handle == 5);
}
