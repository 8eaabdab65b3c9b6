#include "CatalogParsing.hpp"

#include <cstdint>
#include <limits>
#include <regex>
#include <vector>

namespace capsim {
namespace {

// A key written with no value ("price:") would otherwise read as absent and silently keep the
// catalog value in an override; say so instead.
void reject_empty(const YamlMap& map, const std::string& key) {
  const YAML::Node& node = map.node();
  if (node.IsMap() && node[key].IsDefined() && node[key].IsNull()) {
    map.fail(key, "has no value", "a value after '" + key + ":', or remove the key");
  }
}

void read(YamlMap& map, const std::string& key, Quantity kind, double& into) {
  reject_empty(map, key);
  if (auto value = map.optional_quantity(key, kind)) into = *value;
}

void read(YamlMap& map, const std::string& key, std::string& into) {
  reject_empty(map, key);
  if (auto value = map.optional_string(key)) into = *value;
}

void read(YamlMap& map, const std::string& key, int& into, std::int64_t minimum) {
  reject_empty(map, key);
  if (auto value = map.optional_integer(key, minimum)) {
    if (*value > std::numeric_limits<int>::max()) {
      map.fail(key, "'" + std::to_string(*value) + "' is too large", "a whole number below 2^31");
    }
    into = static_cast<int>(*value);
  }
}

void read(YamlMap& map, const std::string& key, bool& into) {
  reject_empty(map, key);
  into = map.boolean_or(key, into);
}

void read_choice(YamlMap& map, const std::string& key, const std::vector<std::string>& allowed,
                 std::string& into) {
  reject_empty(map, key);
  into = map.choice(key, allowed, into);
}

const std::vector<std::string> kTechnologies = {"infiniband", "ethernet"};

// Collects the checks of one entry so each message has the same shape and key path.
class Checker {
 public:
  Checker(const SourceLocation& where, const std::string& entry_path)
      : where_(where), entry_path_(entry_path) {}

  [[noreturn]] void fail(const std::string& key, const std::string& problem,
                         const std::string& expected) const {
    throw InputError(where_, entry_path_.empty() ? key : entry_path_ + "." + key, problem,
                     expected);
  }

  void text(const std::string& value, const std::string& key, const std::string& expected) const {
    if (value.empty()) fail(key, "is missing", expected);
  }

  void source(const std::string& value) const {
    if (value.empty()) {
      fail("source", "is missing: every catalog entry must say where its figures come from",
           "a citation such as a datasheet, paper or price list, with any estimate labelled");
    }
  }

  void positive(double value, const std::string& key, Quantity kind) const {
    if (!(value > 0)) fail(key, "is missing or zero", expected_form(kind));
  }

  void non_negative(double value, const std::string& key, Quantity kind) const {
    if (!(value >= 0)) fail(key, "is negative", expected_form(kind) + " >= 0");
  }

  void positive(int value, const std::string& key) const {
    if (value < 1) fail(key, "is missing or zero", "a whole number >= 1");
  }

 private:
  SourceLocation where_;
  std::string entry_path_;
};

}  // namespace

void read_fields(YamlMap& map, GpuSpec& into) {
  read(map, "name", into.name);
  read(map, "vendor", into.vendor);
  read(map, "source", into.source);
  read(map, "bf16", Quantity::FlopRate, into.bf16_flop_per_s);
  read(map, "fp8", Quantity::FlopRate, into.fp8_flop_per_s);
  read(map, "fp4", Quantity::FlopRate, into.fp4_flop_per_s);
  read(map, "tf32", Quantity::FlopRate, into.tf32_flop_per_s);
  read(map, "fp32", Quantity::FlopRate, into.fp32_flop_per_s);
  read(map, "memory", Quantity::Bytes, into.memory_bytes);
  read(map, "memory_bandwidth", Quantity::Bandwidth, into.memory_bandwidth_Bps);
  read(map, "memory_efficiency", Quantity::Fraction, into.memory_efficiency);
  read_choice(map, "scaleup_link", {"nvlink3", "nvlink4", "nvlink5", "infinity-fabric", "none"},
              into.scaleup_link);
  read(map, "scaleup_bandwidth", Quantity::Bandwidth, into.scaleup_bandwidth_Bps);
  read(map, "scaleup_latency", Quantity::Time, into.scaleup_latency_s);
  read(map, "scaleup_collective_efficiency", Quantity::Fraction,
       into.scaleup_collective_efficiency);
  read(map, "host_link", Quantity::Bandwidth, into.host_link_Bps);
  read(map, "tdp", Quantity::Power, into.tdp_W);
  read(map, "matmul_efficiency_bf16", Quantity::Fraction, into.matmul_efficiency_bf16);
  read(map, "matmul_efficiency_fp8", Quantity::Fraction, into.matmul_efficiency_fp8);
  read(map, "matmul_efficiency_fp4", Quantity::Fraction, into.matmul_efficiency_fp4);
  read(map, "matmul_efficiency_tf32", Quantity::Fraction, into.matmul_efficiency_tf32);
  read(map, "efficiency_source", into.efficiency_source);
  read(map, "sm_count", into.sm_count, 1);
  read(map, "gemm_tile_m", into.gemm_tile_m, 1);
  read(map, "gemm_tile_n", into.gemm_tile_n, 1);
  read(map, "gemm_k_overhead", Quantity::Number, into.gemm_k_overhead);
  read(map, "launch_overhead", Quantity::Time, into.launch_overhead_s);
  read(map, "l2_cache", Quantity::Bytes, into.l2_cache_bytes);
  read(map, "l2_bandwidth", Quantity::Bandwidth, into.l2_bandwidth_Bps);
  read(map, "attention_efficiency_fwd", Quantity::Fraction, into.attention_efficiency_fwd);
  read(map, "attention_efficiency_bwd", Quantity::Fraction, into.attention_efficiency_bwd);
  read(map, "attention_half_seq_fwd", Quantity::Number, into.attention_half_seq_fwd);
  read(map, "attention_half_seq_bwd", Quantity::Number, into.attention_half_seq_bwd);
  read(map, "attention_tail_rows_fwd", Quantity::Number, into.attention_tail_rows_fwd);
  read(map, "attention_tail_rows_bwd", Quantity::Number, into.attention_tail_rows_bwd);
  read(map, "sustained_matmul_bf16", Quantity::FlopRate, into.sustained_matmul_bf16_flop_per_s);
  read(map, "sustained_matmul_fp8", Quantity::FlopRate, into.sustained_matmul_fp8_flop_per_s);
  read(map, "decode_attention_bandwidth", Quantity::Bandwidth, into.decode_attention_Bps);
  read(map, "kernel_source", into.kernel_source);
}

void read_fields(YamlMap& map, ServerSpec& into) {
  read(map, "name", into.name);
  read(map, "source", into.source);
  read(map, "gpu", into.gpu);
  read(map, "gpus", into.gpus, 1);
  read(map, "nvlink_domain_gpus", into.nvlink_domain_gpus, 1);
  read(map, "nic", into.nic);
  read(map, "nics", into.nics, 1);
  read(map, "power", Quantity::Power, into.power_W);
  read(map, "price", Quantity::Money, into.price_usd);
  read(map, "local_storage", Quantity::Bytes, into.local_storage_bytes);
  read(map, "local_storage_read", Quantity::Bandwidth, into.local_storage_read_Bps);
  read(map, "local_storage_write", Quantity::Bandwidth, into.local_storage_write_Bps);
}

void read_fields(YamlMap& map, NicSpec& into) {
  read(map, "name", into.name);
  read(map, "source", into.source);
  read_choice(map, "technology", kTechnologies, into.technology);
  read(map, "bandwidth", Quantity::Bandwidth, into.bandwidth_Bps);
  read(map, "latency", Quantity::Time, into.latency_s);
  read(map, "collective_efficiency", Quantity::Fraction, into.collective_efficiency);
  read(map, "price", Quantity::Money, into.price_usd);
  read(map, "power", Quantity::Power, into.power_W);
}

void read_fields(YamlMap& map, SwitchSpec& into) {
  read(map, "name", into.name);
  read(map, "source", into.source);
  read_choice(map, "technology", kTechnologies, into.technology);
  read(map, "ports", into.ports, 1);
  read(map, "port_bandwidth", Quantity::Bandwidth, into.port_bandwidth_Bps);
  read(map, "latency", Quantity::Time, into.latency_s);
  read(map, "price", Quantity::Money, into.price_usd);
  read(map, "power", Quantity::Power, into.power_W);
}

void read_fields(YamlMap& map, OpticSpec& into) {
  read(map, "name", into.name);
  read(map, "source", into.source);
  read_choice(map, "kind", {"transceiver", "dac", "fiber"}, into.kind);
  read(map, "bandwidth", Quantity::Bandwidth, into.bandwidth_Bps);
  read(map, "price", Quantity::Money, into.price_usd);
  read(map, "power", Quantity::Power, into.power_W);
}

void read_fields(YamlMap& map, StorageSpec& into) {
  read(map, "name", into.name);
  read(map, "source", into.source);
  read_choice(map, "kind", {"parallel-fs", "object", "local-nvme"}, into.kind);
  read(map, "capacity", Quantity::Bytes, into.capacity_bytes);
  read(map, "read_bandwidth", Quantity::Bandwidth, into.read_Bps);
  read(map, "write_bandwidth", Quantity::Bandwidth, into.write_Bps);
  read(map, "ports", into.network_ports, 0);
  read(map, "port_bandwidth", Quantity::Bandwidth, into.port_bandwidth_Bps);
  read(map, "price", Quantity::Money, into.price_usd);
  read(map, "power", Quantity::Power, into.power_W);
}

void read_fields(YamlMap& map, ModelSpec& into) {
  read(map, "name", into.name);
  read(map, "source", into.source);
  read(map, "layers", into.layers, 1);
  read(map, "hidden", into.hidden, 1);
  read(map, "heads", into.heads, 1);
  read(map, "kv_heads", into.kv_heads, 1);
  read(map, "ffn_hidden", into.ffn_hidden, 1);
  read(map, "vocab", into.vocab, 1);
  read_choice(map, "mlp", {"gelu", "swiglu"}, into.mlp);
  read(map, "tied_embeddings", into.tied_embeddings);
  read(map, "max_seq_len", into.max_seq_len, 1);
  read(map, "moe_experts", into.moe_experts, 0);
  read(map, "moe_topk", into.moe_topk, 0);
}

void read_fields(YamlMap& map, CloudPriceSpec& into) {
  read(map, "name", into.name);
  read(map, "source", into.source);
  read(map, "gpu", into.gpu);
  read(map, "provider", into.provider);
  read_choice(map, "terms", {"on-demand", "spot", "capacity-block", "reserved-1y", "reserved-3y"},
              into.terms);
  read(map, "price_per_gpu_hour", Quantity::MoneyPerHour, into.usd_per_gpu_hour);
  read(map, "date", into.date);
}

void read_fields(YamlMap& map, EconomicsSpec& into) {
  read(map, "source", into.source);
  read(map, "electricity_price", Quantity::MoneyPerEnergy, into.electricity_usd_per_kWh);
  read(map, "pue", Quantity::Number, into.pue);
  read(map, "server_lifetime", Quantity::Time, into.server_lifetime_s);
  read(map, "network_lifetime", Quantity::Time, into.network_lifetime_s);
  read(map, "storage_lifetime", Quantity::Time, into.storage_lifetime_s);
  read(map, "maintenance_per_year", Quantity::Fraction, into.maintenance_fraction_per_year);
  read(map, "average_power_fraction", Quantity::Fraction, into.average_power_fraction);
}

void check_complete(const GpuSpec& spec, const SourceLocation& where,
                    const std::string& entry_path) {
  const Checker check(where, entry_path);
  check.text(spec.name, "name", "a product name");
  check.source(spec.source);
  check.text(spec.vendor, "vendor", "the maker, such as NVIDIA or AMD");
  check.positive(spec.bf16_flop_per_s, "bf16", Quantity::FlopRate);
  check.positive(spec.tf32_flop_per_s, "tf32", Quantity::FlopRate);
  check.positive(spec.fp32_flop_per_s, "fp32", Quantity::FlopRate);
  check.positive(spec.memory_bytes, "memory", Quantity::Bytes);
  check.positive(spec.memory_bandwidth_Bps, "memory_bandwidth", Quantity::Bandwidth);
  check.positive(spec.memory_efficiency, "memory_efficiency", Quantity::Fraction);
  check.text(spec.scaleup_link, "scaleup_link",
             "nvlink3, nvlink4, nvlink5, infinity-fabric or none");
  if (spec.scaleup_link == "none" && spec.scaleup_bandwidth_Bps > 0) {
    check.fail("scaleup_bandwidth", "is set but scaleup_link is none",
               "0GB/s, or a scale-up link such as nvlink4");
  }
  if (spec.scaleup_link != "none") {
    check.positive(spec.scaleup_bandwidth_Bps, "scaleup_bandwidth", Quantity::Bandwidth);
    check.positive(spec.scaleup_latency_s, "scaleup_latency", Quantity::Time);
    check.positive(spec.scaleup_collective_efficiency, "scaleup_collective_efficiency",
                   Quantity::Fraction);
  }
  check.positive(spec.host_link_Bps, "host_link", Quantity::Bandwidth);
  check.positive(spec.tdp_W, "tdp", Quantity::Power);
  check.positive(spec.matmul_efficiency_bf16, "matmul_efficiency_bf16", Quantity::Fraction);
  if (spec.matmul_efficiency_fp8 > 0 && !(spec.fp8_flop_per_s > 0)) {
    check.fail("matmul_efficiency_fp8", "is set but the GPU has no fp8 peak",
               "0, or an fp8 peak such as \"1979TFLOP/s\"");
  }
  if (spec.matmul_efficiency_fp4 > 0 && !(spec.fp4_flop_per_s > 0)) {
    check.fail("matmul_efficiency_fp4", "is set but the GPU has no fp4 peak",
               "0, or an fp4 peak such as \"9000TFLOP/s\"");
  }
  check.positive(spec.matmul_efficiency_tf32, "matmul_efficiency_tf32", Quantity::Fraction);
  check.text(spec.efficiency_source, "efficiency_source",
             "where the matmul efficiencies come from, with any estimate labelled");
  // The kernel time model needs every one of these; a missing key would silently be 0.
  check.positive(spec.sm_count, "sm_count");
  check.positive(spec.gemm_tile_m, "gemm_tile_m");
  check.positive(spec.gemm_tile_n, "gemm_tile_n");
  check.positive(spec.gemm_k_overhead, "gemm_k_overhead", Quantity::Number);
  check.positive(spec.launch_overhead_s, "launch_overhead", Quantity::Time);
  if (spec.l2_bandwidth_Bps > 0 && !(spec.l2_cache_bytes > 0)) {
    check.fail("l2_bandwidth", "is set but l2_cache is not",
               "l2_cache, the GPU's L2 size such as \"50MiB\", beside it");
  }
  check.positive(spec.attention_efficiency_fwd, "attention_efficiency_fwd", Quantity::Fraction);
  check.positive(spec.attention_efficiency_bwd, "attention_efficiency_bwd", Quantity::Fraction);
  check.positive(spec.attention_half_seq_fwd, "attention_half_seq_fwd", Quantity::Number);
  check.positive(spec.attention_half_seq_bwd, "attention_half_seq_bwd", Quantity::Number);
  check.non_negative(spec.attention_tail_rows_fwd, "attention_tail_rows_fwd", Quantity::Number);
  check.non_negative(spec.attention_tail_rows_bwd, "attention_tail_rows_bwd", Quantity::Number);
  check.text(spec.kernel_source, "kernel_source",
             "where the kernel-model figures come from: a calibration file, or ESTIMATE");
}

void check_complete(const ServerSpec& spec, const SourceLocation& where,
                    const std::string& entry_path) {
  const Checker check(where, entry_path);
  check.text(spec.name, "name", "a product name");
  check.source(spec.source);
  check.text(spec.gpu, "gpu", "a gpus id such as h100-sxm-80gb");
  check.positive(spec.gpus, "gpus");
  check.positive(spec.nvlink_domain_gpus, "nvlink_domain_gpus");
  if (spec.gpus % spec.nvlink_domain_gpus != 0) {
    check.fail("nvlink_domain_gpus",
               std::to_string(spec.nvlink_domain_gpus) + " does not divide the server's " +
                   std::to_string(spec.gpus) + " GPUs",
               "a divisor of gpus (1 for no scale-up fabric)");
  }
  check.text(spec.nic, "nic", "a nics id such as connectx-7-ndr");
  check.positive(spec.nics, "nics");
  check.positive(spec.power_W, "power", Quantity::Power);
  check.positive(spec.price_usd, "price", Quantity::Money);
  if ((spec.local_storage_read_Bps > 0 || spec.local_storage_write_Bps > 0) &&
      !(spec.local_storage_bytes > 0)) {
    check.fail("local_storage", "is missing but local storage bandwidth is given",
               expected_form(Quantity::Bytes));
  }
}

void check_complete(const NicSpec& spec, const SourceLocation& where,
                    const std::string& entry_path) {
  const Checker check(where, entry_path);
  check.text(spec.name, "name", "a product name");
  check.source(spec.source);
  check.text(spec.technology, "technology", "infiniband or ethernet");
  check.positive(spec.bandwidth_Bps, "bandwidth", Quantity::Bandwidth);
  check.positive(spec.latency_s, "latency", Quantity::Time);
  check.positive(spec.collective_efficiency, "collective_efficiency", Quantity::Fraction);
  check.positive(spec.price_usd, "price", Quantity::Money);
  check.positive(spec.power_W, "power", Quantity::Power);
}

void check_complete(const SwitchSpec& spec, const SourceLocation& where,
                    const std::string& entry_path) {
  const Checker check(where, entry_path);
  check.text(spec.name, "name", "a product name");
  check.source(spec.source);
  check.text(spec.technology, "technology", "infiniband or ethernet");
  check.positive(spec.ports, "ports");
  check.positive(spec.port_bandwidth_Bps, "port_bandwidth", Quantity::Bandwidth);
  check.positive(spec.latency_s, "latency", Quantity::Time);
  check.positive(spec.price_usd, "price", Quantity::Money);
  check.positive(spec.power_W, "power", Quantity::Power);
}

void check_complete(const OpticSpec& spec, const SourceLocation& where,
                    const std::string& entry_path) {
  const Checker check(where, entry_path);
  check.text(spec.name, "name", "a product name");
  check.source(spec.source);
  check.text(spec.kind, "kind", "transceiver, dac or fiber");
  check.positive(spec.bandwidth_Bps, "bandwidth", Quantity::Bandwidth);
  check.positive(spec.price_usd, "price", Quantity::Money);
  // Cables may be passive (0 W); a transceiver always draws power.
  if (spec.kind == "transceiver") check.positive(spec.power_W, "power", Quantity::Power);
}

void check_complete(const StorageSpec& spec, const SourceLocation& where,
                    const std::string& entry_path) {
  const Checker check(where, entry_path);
  check.text(spec.name, "name", "a product name");
  check.source(spec.source);
  check.text(spec.kind, "kind", "parallel-fs, object or local-nvme");
  check.positive(spec.capacity_bytes, "capacity", Quantity::Bytes);
  check.positive(spec.read_Bps, "read_bandwidth", Quantity::Bandwidth);
  check.positive(spec.write_Bps, "write_bandwidth", Quantity::Bandwidth);
  // Network-attached storage reaches the servers through its own fabric ports.
  if (spec.kind != "local-nvme") {
    check.positive(spec.network_ports, "ports");
    check.positive(spec.port_bandwidth_Bps, "port_bandwidth", Quantity::Bandwidth);
  }
  check.positive(spec.price_usd, "price", Quantity::Money);
  check.positive(spec.power_W, "power", Quantity::Power);
}

void check_complete(const ModelSpec& spec, const SourceLocation& where,
                    const std::string& entry_path) {
  const Checker check(where, entry_path);
  check.text(spec.name, "name", "a model name");
  check.source(spec.source);
  check.positive(spec.layers, "layers");
  check.positive(spec.hidden, "hidden");
  check.positive(spec.heads, "heads");
  check.positive(spec.kv_heads, "kv_heads");
  check.positive(spec.ffn_hidden, "ffn_hidden");
  check.positive(spec.vocab, "vocab");
  check.text(spec.mlp, "mlp", "gelu or swiglu");
  check.positive(spec.max_seq_len, "max_seq_len");
  if (spec.hidden % spec.heads != 0) {
    check.fail(
        "heads",
        std::to_string(spec.heads) + " does not divide hidden " + std::to_string(spec.hidden),
        "a head count that divides the hidden size");
  }
  if (spec.heads % spec.kv_heads != 0) {
    check.fail(
        "kv_heads",
        std::to_string(spec.kv_heads) + " does not divide heads " + std::to_string(spec.heads),
        "a divisor of heads (heads itself without grouped-query attention)");
  }
  if (spec.moe_experts > 0 && (spec.moe_topk < 1 || spec.moe_topk > spec.moe_experts)) {
    check.fail(
        "moe_topk",
        std::to_string(spec.moe_topk) + " with " + std::to_string(spec.moe_experts) + " experts",
        "1 to moe_experts (" + std::to_string(spec.moe_experts) +
            "): the experts each token is routed to");
  }
  if (spec.moe_experts == 0 && spec.moe_topk != 0) {
    check.fail("moe_topk", std::to_string(spec.moe_topk) + " without moe_experts",
               "moe_topk 0 for a dense model, or moe_experts for a mixture of experts");
  }
}

void check_complete(const CloudPriceSpec& spec, const SourceLocation& where,
                    const std::string& entry_path) {
  const Checker check(where, entry_path);
  check.text(spec.name, "name", "the offering's name");
  check.source(spec.source);
  check.text(spec.gpu, "gpu", "a gpus id such as h100-sxm-80gb");
  check.text(spec.provider, "provider", "the cloud's name");
  check.text(spec.terms, "terms", "on-demand, spot, capacity-block, reserved-1y or reserved-3y");
  check.positive(spec.usd_per_gpu_hour, "price_per_gpu_hour", Quantity::MoneyPerHour);
  check.text(spec.date, "date", "when the price was published, such as 2025-03");
  // Dates are compared as text to find the newest rate, so only one spelling is allowed.
  static const std::regex kDate(R"(\d{4}(-(0[1-9]|1[0-2]))?)");
  if (!std::regex_match(spec.date, kDate)) {
    check.fail("date", "'" + spec.date + "' is not a year or year-month", "YYYY or YYYY-MM");
  }
}

void check_complete(const EconomicsSpec& spec, const SourceLocation& where,
                    const std::string& entry_path) {
  const Checker check(where, entry_path);
  check.source(spec.source);
  check.positive(spec.electricity_usd_per_kWh, "electricity_price", Quantity::MoneyPerEnergy);
  if (!(spec.pue >= 1.0)) {
    check.fail("pue", spec.pue > 0 ? "is below 1" : "is missing or zero",
               "a power usage effectiveness >= 1, such as 1.2");
  }
  check.positive(spec.server_lifetime_s, "server_lifetime", Quantity::Time);
  check.positive(spec.network_lifetime_s, "network_lifetime", Quantity::Time);
  check.positive(spec.storage_lifetime_s, "storage_lifetime", Quantity::Time);
  // maintenance_per_year may be 0 (no support contract); the average power may not.
  check.positive(spec.average_power_fraction, "average_power_fraction", Quantity::Fraction);
}

}  // namespace capsim
