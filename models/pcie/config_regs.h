#pragma once
// Configuration header offsets and fields (PCIe Base §7.5.1: common header, §7.5.1.2 type 0,
// §7.5.1.3 type 1) and the capability IDs this model implements (PCI Code and ID Assignment).
#include <cstdint>

#include "fabric/regtable.h"

namespace irqf::pcie::cfgreg {

inline constexpr uint16_t VENDOR_ID = 0x00, DEVICE_ID = 0x02, COMMAND = 0x04, STATUS = 0x06,
                          REVISION_ID = 0x08, PROG_IF = 0x09, SUBCLASS = 0x0A, BASE_CLASS = 0x0B,
                          CACHE_LINE_SIZE = 0x0C, LATENCY_TIMER = 0x0D, HEADER_TYPE = 0x0E,
                          BIST = 0x0F, BAR0 = 0x10, SUBSYSTEM_VENDOR_ID = 0x2C,
                          SUBSYSTEM_ID = 0x2E, EXPANSION_ROM = 0x30, CAP_PTR = 0x34,
                          INTERRUPT_LINE = 0x3C, INTERRUPT_PIN = 0x3D;
// type 1
inline constexpr uint16_t PRIMARY_BUS = 0x18, SECONDARY_BUS = 0x19, SUBORDINATE_BUS = 0x1A,
                          SECONDARY_LATENCY = 0x1B, IO_BASE = 0x1C, IO_LIMIT = 0x1D,
                          SECONDARY_STATUS = 0x1E, MEMORY_BASE = 0x20, MEMORY_LIMIT = 0x22,
                          PREF_MEMORY_BASE = 0x24, PREF_MEMORY_LIMIT = 0x26,
                          PREF_BASE_UPPER = 0x28, PREF_LIMIT_UPPER = 0x2C,
                          BRIDGE_EXPANSION_ROM = 0x38, BRIDGE_CONTROL = 0x3E;

/// Command register (§7.5.1.1.3).
inline constexpr bitfield CMD_IO_SPACE{0, 1};
inline constexpr bitfield CMD_MEMORY_SPACE{1, 1};
inline constexpr bitfield CMD_BUS_MASTER{2, 1};
inline constexpr bitfield CMD_PARITY_ERROR_RESPONSE{6, 1};
inline constexpr bitfield CMD_SERR_ENABLE{8, 1};
inline constexpr bitfield CMD_INTX_DISABLE{10, 1};
/// Status register (§7.5.1.1.4).
inline constexpr bitfield STS_INTERRUPT_STATUS{3, 1};
inline constexpr bitfield STS_CAP_LIST{4, 1};
inline constexpr uint16_t STS_ERROR_W1C = 0xF900;  // MDPE, STA, RTA, RMA, SSE, DPE
/// Memory BAR low bits (§7.5.1.2.1).
inline constexpr bitfield BAR_TYPE64{2, 1};
inline constexpr bitfield BAR_PREFETCHABLE{3, 1};
inline constexpr uint32_t BAR_ADDR_MASK = 0xFFFFFFF0u;
inline constexpr bitfield HEADER_LAYOUT{0, 7};

/// Capability IDs.
inline constexpr uint8_t CAP_ID_MSI = 0x05, CAP_ID_PCIE = 0x10, CAP_ID_MSIX = 0x11;
/// Where this model places its capabilities.
inline constexpr uint16_t PCIE_CAP = 0x40, MSI_CAP = 0x80, MSIX_CAP = 0xA0;
/// PCI Express Capabilities register (§7.5.3.2).
inline constexpr bitfield PCIE_CAP_VERSION{0, 4};
inline constexpr bitfield PCIE_DEVICE_PORT_TYPE{4, 4};

}  // namespace irqf::pcie::cfgreg
