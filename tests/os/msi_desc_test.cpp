// msi_desc store: MSI_ANY_INDEX, -EBUSY, -ERANGE (kernel/irq/msi.c msi_insert_desc).
#include <catch2/catch.hpp>

#include "models/os/irq/irq_matrix.h"
#include "models/os/msi/msi_desc_store.h"

using namespace irqf::os;

TEST_CASE("msi_desc: any index takes the lowest free slot, errors") {
  msi_desc_store s(4);
  CHECK(s.insert({}, 2) == 2);
  CHECK(s.insert({}, msi_any_index) == 0);
  CHECK(s.insert({}, msi_any_index) == 1);
  CHECK(s.insert({}, msi_any_index) == 3);
  CHECK(s.insert({}, msi_any_index) == -err::busy);
  CHECK(s.insert({}, 2) == -err::busy);
  CHECK(s.insert({}, 4) == -err::range);
  s.erase(1);
  CHECK(s.insert({}, msi_any_index) == 1);
  msi_desc_store ims(0);  // software index space
  CHECK(ims.size() == 65536);
}
