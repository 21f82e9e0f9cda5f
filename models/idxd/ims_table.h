#pragma once
// The DSA's IMS table is the shared IMS store of models/pcie (ims_table.h), with the DSA layout
// (no software-visible pending bit).
#include "models/pcie/ims_table.h"

namespace irqf::idxd {
using pcie::ims_masked_policy;
using pcie::ims_masked_policy_from;
using pcie::ims_table;
namespace ims_entry = pcie::ims_entry;
}  // namespace irqf::idxd
