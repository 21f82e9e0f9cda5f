#pragma once
// Contracts shared by every interrupt-capable device function (models/pcie, models/idxd,
// models/testdev): one message-store interface that MSI, MSI-X and device-specific (IMS) storage all
// implement, so a device raises "event on vector i" the same way whatever storage backs it
// (DESIGN §1 stage `store`).
#include <cstdint>
#include <optional>
#include <span>
#include <string>

#include "fabric/ledger.h"
#include "fabric/message.h"

namespace irqf {

/// Sends an interrupt message upstream for a function: stamps its requester ID and keeps it behind
/// the function's earlier DMA writes (PCIe §2.4.1 posted ordering). Implemented by pcie_function.
class message_sender {
 public:
  virtual ~message_sender() = default;
  virtual void send_message(const msi_msg& m, std::span<const event_id> events,
                            std::optional<uint32_t> pasid) = 0;
};

/// A bank of interrupt message storage: the MSI capability, an MSI-X table + PBA, an IMS table.
class message_store {
 public:
  virtual ~message_store() = default;
  /// "msi", "msix" or "ims" — also the middle part of the ledger source names "<dev>/<kind>/<i>".
  virtual const char* kind() const = 0;
  /// Number of vectors/entries.
  virtual unsigned vectors() const = 0;
  /// An event on vector `i` already raised in the ledger as `ev`: sends it, latches it as pending
  /// (merging into a pending bit already set), or drops it per the storage's policy — settling the
  /// ledger for whatever it does not forward.
  virtual void event(unsigned i, event_id ev) = 0;
  /// The ledger source of vector `i` (registered once by the store).
  virtual source_id source(unsigned i) const = 0;
};

}  // namespace irqf
