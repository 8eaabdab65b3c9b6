// The hardware, model and price catalog: real products with cited figures, loaded from the YAML
// files in models/catalog/ (or CAPSIM_CATALOG_DIR).
//
// Every entry carries a `source` citation. Values are SI (bytes, bytes/s, FLOP/s, W, s) or USD.
// Scenario files refer to entries by id and may override any field inline (see Scenario.hpp).
#pragma once

#include <map>
#include <string>
#include <vector>

namespace capsim {

/// An accelerator. Peaks are datasheet dense figures; achieved speed comes from the efficiencies.
struct GpuSpec {
  std::string id, name, vendor, source;
  double bf16_flop_per_s = 0;  ///< dense BF16/FP16 peak
  double fp8_flop_per_s = 0;   ///< dense FP8 peak; 0 = not supported
  double fp4_flop_per_s = 0;   ///< dense FP4 (NVFP4) peak; 0 = not supported
  double tf32_flop_per_s = 0;
  double fp32_flop_per_s = 0;
  double memory_bytes = 0;
  double memory_bandwidth_Bps = 0;   ///< HBM/GDDR peak
  double memory_efficiency = 0;      ///< achieved (copy kernel) / peak memory bandwidth
  std::string scaleup_link;          ///< "nvlink4", "infinity-fabric", "none"
  double scaleup_bandwidth_Bps = 0;  ///< per GPU per direction; 0 = no scale-up fabric
  double scaleup_latency_s = 0;      ///< GPU to GPU through the scale-up fabric
  /// Measured collective bus bandwidth inside the scale-up domain / scaleup_bandwidth (NCCL).
  double scaleup_collective_efficiency = 0;
  double host_link_Bps = 0;  ///< PCIe per direction
  double tdp_W = 0;
  double matmul_efficiency_bf16 = 0;  ///< GEMM main-loop rate / peak (fitted, else published best)
  double matmul_efficiency_fp8 = 0;   ///< same for FP8; 0 = unknown
  double matmul_efficiency_fp4 = 0;   ///< same for FP4; 0 = unknown
  double matmul_efficiency_tf32 = 0;  ///< same for TF32
  std::string efficiency_source;      ///< where the efficiencies come from
  // Kernel time model (KernelModel.hpp): fitted to measurements where a calibration exists.
  int sm_count = 0;     ///< streaming multiprocessors (AMD: compute units)
  int gemm_tile_m = 0;  ///< GEMM output tile one SM computes at a time
  int gemm_tile_n = 0;
  double gemm_k_overhead = 0;    ///< per-tile prologue/epilogue cost, in elements of k
  double launch_overhead_s = 0;  ///< fixed cost of one kernel launch
  double l2_cache_bytes = 0;     ///< L2 cache size (the device's l2CacheSize); 0 = not given
  /// Rate a GEMM reads and writes operands that stay resident in L2 between back-to-back
  /// launches (fitted; KernelModel.hpp); 0 = not measured.
  double l2_bandwidth_Bps = 0;
  double attention_efficiency_fwd = 0;  ///< fused causal attention at long sequences / BF16 peak
  double attention_efficiency_bwd = 0;
  double attention_half_seq_fwd = 0;  ///< sequence length (tokens) at which attention reaches
  double attention_half_seq_bwd = 0;  ///< half its long-sequence efficiency
  double attention_tail_rows_fwd = 0;  ///< query rows of work the last, uneven wave adds
  double attention_tail_rows_bwd = 0;  ///< (KernelModel.hpp); 0 = none
  /// BF16 matmul rate the GPU sustains at its power cap (KernelModel.hpp); 0 = not measured.
  double sustained_matmul_bf16_flop_per_s = 0;
  double sustained_matmul_fp8_flop_per_s = 0;  ///< the same for FP8 (E4M3) GEMMs; 0 = not measured
  /// KV-cache bytes per second one decode-attention kernel reads (fitted); 0 = not measured.
  double decode_attention_Bps = 0;
  std::string kernel_source;  ///< where the kernel-model figures come from
};

/// A server (or rack-scale system) type: its GPUs, NVLink domain, NICs, power and price.
struct ServerSpec {
  std::string id, name, source;
  std::string gpu;  ///< GpuSpec id
  int gpus = 0;
  int nvlink_domain_gpus = 0;  ///< GPUs sharing one scale-up domain (8, 72); 1 = none
  std::string nic;             ///< NicSpec id of the scale-out (compute fabric) NICs
  int nics = 0;
  double power_W = 0;              ///< maximum system power
  double price_usd = 0;            ///< purchase price of one server
  double local_storage_bytes = 0;  ///< local NVMe capacity
  double local_storage_read_Bps = 0;
  double local_storage_write_Bps = 0;
};

/// A network adapter for the scale-out fabric.
struct NicSpec {
  std::string id, name, source;
  std::string technology;  ///< "infiniband" or "ethernet"
  double bandwidth_Bps = 0;
  double latency_s = 0;              ///< adapter + wire one-way latency
  double collective_efficiency = 0;  ///< measured NCCL bus bandwidth / bandwidth
  double price_usd = 0;
  double power_W = 0;
};

/// A fabric switch.
struct SwitchSpec {
  std::string id, name, source;
  std::string technology;  ///< "infiniband" or "ethernet"
  int ports = 0;           ///< radix at port_bandwidth_Bps
  double port_bandwidth_Bps = 0;
  double latency_s = 0;  ///< port-to-port
  double price_usd = 0;
  double power_W = 0;
};

/// A transceiver or cable, priced per piece, for the bill of materials.
struct OpticSpec {
  std::string id, name, source;
  std::string kind;  ///< "transceiver", "dac" (copper cable) or "fiber" (optical cable)
  double bandwidth_Bps = 0;
  double price_usd = 0;
  double power_W = 0;
};

/// A storage system (one appliance, one object-store unit, or one NVMe drive).
struct StorageSpec {
  std::string id, name, source;
  std::string kind;  ///< "parallel-fs", "object" or "local-nvme"
  double capacity_bytes = 0;
  double read_Bps = 0;
  double write_Bps = 0;
  int network_ports = 0;  ///< fabric links per unit
  double port_bandwidth_Bps = 0;
  double price_usd = 0;
  double power_W = 0;
};

/// A transformer architecture (public model card or paper), dense or mixture-of-experts.
struct ModelSpec {
  std::string id, name, source;
  int layers = 0, hidden = 0, heads = 0, kv_heads = 0, ffn_hidden = 0, vocab = 0;
  std::string mlp;  ///< "gelu" (two matrices) or "swiglu" (gated, three matrices)
  bool tied_embeddings = false;
  int max_seq_len = 0;
  int moe_experts = 0;  ///< experts of every layer's (mixture-of-experts) MLP; 0 = dense
  int moe_topk = 0;     ///< experts each token is routed to, 1..moe_experts; 0 when dense
};

/// A dated cloud rental rate for one GPU of a given type.
struct CloudPriceSpec {
  std::string id, name, source;
  std::string gpu;  ///< GpuSpec id
  std::string provider;
  std::string terms;  ///< "on-demand", "reserved-1y", "reserved-3y", "capacity-block", ...
  double usd_per_gpu_hour = 0;
  std::string date;  ///< when the price was published, "2025-03"
};

/// Defaults for owning hardware (TCO parameters), each with its source.
struct EconomicsSpec {
  std::string id, source;
  double electricity_usd_per_kWh = 0;
  double pue = 0;
  double server_lifetime_s = 0;
  double network_lifetime_s = 0;
  double storage_lifetime_s = 0;
  double maintenance_fraction_per_year = 0;  ///< of capex, per year
  double average_power_fraction = 0;         ///< average draw / maximum power while busy
};

/// All catalog entries, by id.
struct Catalog {
  std::map<std::string, GpuSpec> gpus;
  std::map<std::string, ServerSpec> servers;
  std::map<std::string, NicSpec> nics;
  std::map<std::string, SwitchSpec> switches;
  std::map<std::string, OpticSpec> optics;
  std::map<std::string, StorageSpec> storage;
  std::map<std::string, ModelSpec> models;
  std::map<std::string, CloudPriceSpec> cloud_prices;
  std::map<std::string, EconomicsSpec> economics;
  std::vector<std::string> files;  ///< the data files it was loaded from
};

/// The catalog folder: $CAPSIM_CATALOG_DIR if set, else the source tree's models/catalog.
std::string default_catalog_dir();

/// Loads every *.yaml file in `directory` (sorted by name). Throws InputError for a bad entry,
/// a missing `source`, a duplicate id or a reference to an unknown id.
Catalog load_catalog(const std::string& directory);

}  // namespace capsim
