// Parameters of dsa_device and its PCIe identity. Sources of the defaults:
//  [ACFG] `accel-config list` of a DSA 1.0 instance (version 0x100) on a Sapphire/Emerald Rapids
//         Xeon, posted to dmaengine@vger.kernel.org (K. Manaouil, 2025): max_work_queues 8,
//         max_engines 4, max_groups 4, work_queue_size 128, max_read_buffers 96,
//         max_batch_size 1024, gen_cap 0x40915f0107 (cmd_cap 0, max_xfer_shift 31,
//         max_batch_shift 10, max_ims_mult 8 -> 2048 IMS entries, config_en 1).
//  [LNX]  Linux drivers/dma/idxd: irq.c (vector 0 misc, one vector per WQ after it), registers.h.
#include "models/idxd/dsa_device.h"

namespace irqf::idxd {

const component_schema& dsa_device::schema() {
  static const component_schema s{
      "idxd",
      "DSA/IDXD-like accelerator: work queues, engines, completion interrupts over MSI-X and IMS",
      {param_spec::integer("wq_count", "wqs", 8, 1, 64,
                           "work queues (WQCAP.num_wqs); 8 as max_work_queues of a SPR/EMR DSA 1.0 "
                           "[accel-config list, dmaengine list 2025]"),
       param_spec::integer("engines", "engines", 4, 1, 64,
                           "processing engines (ENGCAP); 4 as max_engines [accel-config list]"),
       param_spec::integer("groups", "groups", 4, 1, 64,
                           "groups (GRPCAP.num_groups); 4 as max_groups [accel-config list]"),
       param_spec::integer("msix_entries", "entries", 9, 2, 2048,
                           "MSI-X table size: entry 0 misc + one per WQ = 9 for 8 WQs (Linux "
                           "drivers/dma/idxd/irq.c)"),
       param_spec::integer("ims_entries", "entries", 2048, 0, 16128,
                           "IMS entries, a multiple of 256 (GENCAP.max_ims_mult x 256); 2048 from "
                           "gen_cap 0x40915f0107 (max_ims_mult 8) [accel-config list]"),
       param_spec::integer("total_wq_size", "descriptors", 128, 1, 65535,
                           "WQ entries shared by all WQs (WQCAP.total_wq_size); 128 as "
                           "work_queue_size [accel-config list]"),
       param_spec::integer("max_xfer_shift", "log2 bytes", 31, 0, 31,
                           "GENCAP.max_xfer_shift; 31 (2 GiB) from gen_cap 0x40915f0107"),
       param_spec::integer("max_batch_shift", "log2 descriptors", 10, 1, 15,
                           "GENCAP.max_batch_shift; 10 (1024) from gen_cap 0x40915f0107"),
       param_spec::real("engine_bytes_per_ns", "bytes/ns", 30.0, 0.001, 1000.0,
                        "engine throughput; ~30 GB/s is the per-device peak reported for a SPR DSA "
                        "(Kuper et al., ASPLOS 2024, 'A Quantitative Analysis ... of Data Streaming "
                        "Accelerator'); applied per engine (model simplification)"),
       param_spec::real("descriptor_overhead_ns", "ns", 200.0, 0.0, 1e6,
                        "fixed cost per descriptor (fetch, validate, completion); model choice, no "
                        "published per-descriptor figure"),
       param_spec::real("cmd_latency_ns", "ns", 1000.0, 0.0, 1e9,
                        "time from a CMD write to CMDSTS.active clearing; model choice"),
       param_spec::choice("ims_masked_policy", "latch", {"latch", "drop"},
                          "event on a masked IMS entry: latch in a device-internal pending bit or "
                          "drop; the DSA spec defines no PBA for IMS (hardware.md §5), model choice"),
       param_spec::boolean("int_handle_support", false,
                           "REQUEST/RELEASE_INT_HANDLE supported (GENCAP.cmd_cap, CMDCAP bits "
                           "13/14); false as on DSA 1.0: gen_cap 0x40915f0107 has cmd_cap = 0"),
       param_spec::boolean("occupancy_int_support", false,
                           "WQCAP.occupancy/occupancy_int: WQ occupancy interrupt (INTCAUSE.OCCUPY); "
                           "off by default (not reported for DSA 1.0 by Linux's sysfs; doubt)"),
       param_spec::boolean("functional_data", true,
                           "move and compare real bytes through DMA (false: timing and completions "
                           "only, for large workloads)"),
       param_spec::integer("device_id", "", 0x0B25, 0, 0xFFFF,
                           "PCI device ID; 0x0b25 = PCI_DEVICE_ID_INTEL_DSA_SPR0 (Linux "
                           "include/linux/pci_ids.h)"),
       pcie::msix_disabled_policy_param()}};
  return s;
}

pcie::function_config dsa_function_config(const param_values& p, const dsa_layout& l) {
  pcie::function_config c;
  c.vendor_id = 0x8086;
  c.device_id = uint16_t(p.i("device_id"));
  c.class_code = 0x088000;  // base class 08h (system peripheral), subclass 80h (other)
  c.interrupt_pin = 0;      // DSA uses MSI-X only
  c.bars = {{0, l.bar0_size, true, false}, {2, l.bar2_size, true, false}};
  pcie::msix_config m;
  m.table_size = l.msix_entries;
  m.table_bar = 0;
  m.table_offset = l.msix_table;
  m.pba_bar = 0;
  m.pba_offset = l.msix_pba;
  m.disabled_policy = pcie::msix_disabled_policy_from(p.s("msix_disabled_policy"));
  c.msix = m;
  return c;
}

}  // namespace irqf::idxd
