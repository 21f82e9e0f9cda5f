#pragma once
// A PCIe function (PCIe Base §7.5.1 type-0/type-1 configuration header, §7.7.1 MSI, §7.7.2 MSI-X,
// §2.2.8.1 INTx messages): the base every endpoint model (models/idxd, models/testdev) and every
// bridge port (models/pcie/topology.h) derives from. It owns
//  - the 4 KiB ECAM configuration space (header, capability list: PCI Express at 0x40, MSI at 0x80,
//    MSI-X at 0xA0; models/pcie/config_regs.h), reached through the `cfg` target socket (offsets
//    0..0xFFF; the platform maps it with interconnect::map_config, and it must be bound);
//  - one target socket per implemented BAR (`mmio(bar)`): the platform maps each BAR window with
//    interconnect::map(base, size, f.mmio(bar), name, /*relative=*/true), so offsets are BAR-relative;
//    the MSI-X table and PBA ranges are decoded by this base, everything else goes to the virtual
//    bar_read()/bar_write() of the device;
//  - the `upstream` initiator socket: DMA and interrupt writes toward the root complex, each stamped
//    with the function's requester ID (PCIe §2.2.6.2) and kept in order (§2.4.1: a posted write never
//    passes an earlier posted write, so an MSI never overtakes the function's earlier DMA writes);
//  - its MSI and MSI-X message stores (fabric/endpoint.h irqf::message_store), and INTx.
// Upstream transport is synchronous (b_transport); the annotated delay of every posted write is
// carried into the next one so the annotated times keep PCIe order as well.
#include <tlm_utils/simple_initiator_socket.h>
#include <tlm_utils/simple_target_socket.h>

#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "fabric/bdf.h"
#include "fabric/context.h"
#include "fabric/endpoint.h"
#include "fabric/message.h"
#include "fabric/params.h"
#include "fabric/regtable.h"
#include "models/pcie/config_space.h"
#include "models/pcie/msi.h"
#include "models/pcie/msix.h"

namespace irqf::pcie {

/// A ledger id list as a span (boost small_vector is not a std::contiguous_range).
inline std::span<const event_id> as_span(const event_list& l) { return {l.data(), l.size()}; }

class intx_node;  // models/pcie/topology.h: where this function's INTx virtual wire goes

/// One memory BAR. `index` 0..5 (a 64-bit BAR also uses index+1); `size` a power of two >= 16 bytes.
struct bar_config {
  uint8_t index = 0;
  uint64_t size = 0x1000;
  bool is64 = true;
  bool prefetchable = false;
};

/// PCIe device/port type of the PCI Express capability (PCIe §7.5.3.2).
enum class port_type : uint8_t {
  endpoint = 0x0,
  root_port = 0x4,
  switch_upstream = 0x5,
  switch_downstream = 0x6,
  rc_integrated = 0x9,
};

/// What a function looks like to software.
struct function_config {
  uint16_t vendor_id = 0x8086;
  uint16_t device_id = 0;
  uint32_t class_code = 0xFF0000;  ///< 24 bits: base class, subclass, programming interface
  uint8_t revision = 0;
  uint16_t subsystem_vendor_id = 0;
  uint16_t subsystem_id = 0;
  bool bridge = false;             ///< type-1 header (root/switch ports); no BARs then
  port_type type = port_type::endpoint;
  uint8_t interrupt_pin = 1;       ///< 0 none, 1..4 = INTA..INTD (config 0x3D)
  std::vector<bar_config> bars;
  std::optional<msi_config> msi;   ///< MSI capability when set
  std::optional<msix_config> msix; ///< MSI-X capability when set (table/PBA in one of `bars`)
  /// Ledger/trace device name ("dsa0", "testdev0"); empty = the module's basename.
  std::string device_name;
  /// Upstream link bandwidth for posted writes, bytes per ns: PCIe Gen4 x16 carries 31.5 GB/s raw,
  /// about 25 GB/s of write payload after TLP overhead (PCIe Base §4.2; 128b/130b encoding).
  double link_bytes_per_ns = 25.0;
};

/// A PCIe function. Construct during elaboration; the root complex assigns its BDF at enumeration
/// (root_complex::enumerate). Thread-agnostic: every method may be called from an SC_METHOD or an
/// SC_THREAD (nothing waits).
class pcie_function : public component, public message_sender, public register_view {
 public:
  /// Configuration space, ECAM offsets 0..0xFFF (1, 2 or 4-byte accesses, naturally aligned).
  tlm_utils::simple_target_socket<pcie_function> cfg;
  /// DMA + interrupt writes upstream (bind to root_complex::upstream_in).
  tlm_utils::simple_initiator_socket<pcie_function> upstream;

  pcie_function(sc_core::sc_module_name nm, sim_context& ctx, const function_config& cfg_in);
  ~pcie_function() override;

  /// The BAR window target of BAR `bar` (its index 0..5, as in bar_config::index). Asserts the BAR
  /// exists. Every implemented BAR must be bound (mapped) before simulation starts.
  tlm::tlm_target_socket<>& mmio(int bar);
  /// The BARs this function implements.
  const std::vector<bar_config>& bars() const { return cfg_.bars; }
  const function_config& config() const { return cfg_; }

  /// An endpoint attached to the root complex's own bus (bus 0, no root port above it) is a Root
  /// Complex Integrated Endpoint: its PCI Express Capabilities register reports Device/Port Type
  /// 1001b instead of 0000b (PCIe Base §7.5.3.2), as DSA instances on Sapphire Rapids do. Called by
  /// root_complex::attach; other port types are left as they are.
  void make_rc_integrated();

  /// Routing ID (bus/device/function); assigned by the root complex at enumeration.
  bdf id() const { return id_; }
  void set_id(bdf b) { id_ = b; }
  /// Device name used in ledger sources "<device>/<kind>/<index>" and traces.
  const std::string& device_name() const { return dev_name_; }

  /// Firmware-style BAR assignment: writes `addr` into the BAR register(s) of `bar` and sets
  /// Command.Memory Space Enable and Bus Master Enable (what a BIOS leaves for Linux).
  void assign_bar(int bar, uint64_t addr);
  /// Current address programmed in BAR `bar` (reads back what software/firmware wrote).
  uint64_t bar_address(int bar) const;

  /// Message stores (nullptr when the capability is absent).
  msi_capability* msi() { return msi_.get(); }
  msix_capability* msix() { return msix_.get(); }

  /// Posted DMA write of `len` bytes (any length; split in <= 64-byte writes), stamped with the
  /// requester ID and `pasid`. Ordered before any later message of this function. Dropped (logged
  /// once) when Command.Bus Master Enable is clear, as a function must not master then.
  void dma_write(uint64_t addr, const void* data, unsigned len,
                 std::optional<uint32_t> pasid = std::nullopt);
  /// The timing of a posted DMA write of `len` bytes without moving data (devices running with
  /// functional data off): occupies the link and orders later messages behind it, as dma_write.
  void dma_write_timing(unsigned len);
  /// Non-posted DMA read; false on a TLM error or when Bus Master Enable is clear.
  bool dma_read(uint64_t addr, void* dst, unsigned len,
                std::optional<uint32_t> pasid = std::nullopt);

  /// message_sender: sends `m` upstream as a 4-byte posted write carrying `events`, behind earlier
  /// DMA writes. With Bus Master Enable clear the message is dropped and its events lost
  /// (loss cause msi_disabled: a function may not send MSIs without bus mastering, PCIe §7.5.1.1.3).
  void send_message(const msi_msg& m, std::span<const event_id> events,
                    std::optional<uint32_t> pasid) override;
  /// Sends an arbitrary 4-byte upstream write with any requester ID (forgery/fault tests only).
  void send_raw(uint64_t addr, uint32_t data, uint16_t requester_id, std::span<const event_id> events);

  /// The device's INTx condition (level). The function sends Assert_INTx/Deassert_INTx for its pin
  /// only while Command.INTx Disable is clear and neither MSI nor MSI-X is enabled; Status.Interrupt
  /// Status follows the condition regardless (PCIe §7.5.1.1.3/§7.5.1.1.4). `events` (ledger ids
  /// folded into this assertion, e.g. an MSI-X event under policy intx) travel with the wire to the
  /// IOAPIC, which delivers them with its next delivery of that pin.
  void raise_intx(bool asserted, std::span<const event_id> events = {});
  bool intx_condition() const { return intx_cond_; }
  /// True when Assert_INTx is currently signalled upstream.
  bool intx_asserted() const { return intx_sent_; }
  /// True when an event could fall back to INTx now (pin implemented, INTx Disable clear, MSI and
  /// MSI-X disabled).
  bool intx_usable() const;

  /// Configuration space, for the root complex / tests (software goes through `cfg`).
  config_space& config_regs() { return cs_; }
  uint32_t config_read(uint16_t off, unsigned len) { return cs_.read(off, len); }
  void config_write(uint16_t off, uint32_t v, unsigned len);

  /// register_view: config registers by name ("COMMAND", "MSIX.MESSAGE_CONTROL"), MSI-X entries
  /// "MSIX[i].ADDR_LO|ADDR_HI|DATA|VECTOR_CONTROL", "MSIX.PBA[q]", plus device registers from
  /// device_register_*().
  std::vector<std::string> register_names() const override;
  std::optional<uint64_t> read_register(std::string_view name) override;
  bool write_register(std::string_view name, uint64_t value) override;

  /// Wired by the topology: where Assert/Deassert_INTx go.
  void set_intx_parent(intx_node* n) { intx_parent_ = n; }
  intx_node* intx_parent() const { return intx_parent_; }

  /// Trace track of this function (device group).
  track_id track() const { return track_; }

 protected:
  /// Device-specific BAR registers (offsets relative to the BAR; MSI-X table and PBA excluded).
  /// Defaults: reads return 0, writes are ignored.
  /// `len` is 1, 2, 4 or 8; values little-endian in the low `len` bytes.
  virtual uint64_t bar_read(int bar, uint64_t off, unsigned len);
  virtual void bar_write(int bar, uint64_t off, uint64_t val, unsigned len);
  /// Accesses longer than 8 bytes (e.g. 64-byte MOVDIR64B/ENQCMD portal writes) or with a length
  /// that is not 1/2/4/8. Defaults split them into 8-byte (then smaller) bar_read/bar_write calls.
  /// Return false to answer TLM_GENERIC_ERROR_RESPONSE (e.g. a rejected ENQCMD, as the device sees
  /// fit); the defaults return true.
  virtual bool bar_read_block(int bar, uint64_t off, uint8_t* dst, unsigned len);
  virtual bool bar_write_block(int bar, uint64_t off, const uint8_t* src, unsigned len);
  /// Called after a configuration write (hook for devices, e.g. FLR); default does nothing.
  virtual void config_written(uint16_t off, unsigned len) { (void)off; (void)len; }
  /// Device registers exposed to scenarios by name (added to the function's register_view).
  virtual std::vector<std::string> device_register_names() const { return {}; }
  virtual std::optional<uint64_t> device_register_read(std::string_view) { return std::nullopt; }
  virtual bool device_register_write(std::string_view, uint64_t) { return false; }

 private:
  void cfg_b_transport(tlm::tlm_generic_payload& gp, sc_core::sc_time& delay);
  void bar_b_transport(int slot, tlm::tlm_generic_payload& gp, sc_core::sc_time& delay);
  void send_posted(tlm::tlm_generic_payload& gp);
  void update_intx();
  void on_command_write(uint16_t old_cmd);
  int slot_of(int bar) const;

  function_config cfg_;
  std::string dev_name_;
  bdf id_{};
  config_space cs_;
  std::unique_ptr<msi_capability> msi_;
  std::unique_ptr<msix_capability> msix_;
  sc_core::sc_vector<tlm_utils::simple_target_socket_tagged<pcie_function>> bar_sockets_;
  upstream_write uw_;
  sc_core::sc_time posted_done_ = sc_core::SC_ZERO_TIME;  // when the last posted write became visible
  sc_core::sc_time link_free_ = sc_core::SC_ZERO_TIME;    // when the link can start the next TLP
  sc_core::sc_time dma_latency_ = sc_core::SC_ZERO_TIME;  // path latency of the last DMA write
  intx_node* intx_parent_ = nullptr;
  bool intx_cond_ = false;
  bool intx_sent_ = false;
  event_list intx_events_;  // events folded into an INTx assertion not yet signalled
  bool warned_bme_ = false;
  track_id track_ = 0;
};

/// The `msix_disabled_policy` parameter every MSI-X-capable device puts in its schema
/// (choices drop|latch|intx, default drop as AMD QDMA documents, pg302 "MSIX Interrupt Options").
param_spec msix_disabled_policy_param();
/// Parses the choice text ("drop", "latch", "intx").
msix_disabled_policy msix_disabled_policy_from(const std::string& s);

}  // namespace irqf::pcie
