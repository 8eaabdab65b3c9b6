#include "capsim/sim/JsonSpecs.hpp"

#include "capsim/models/Errors.hpp"

namespace capsim {

using Json = nlohmann::ordered_json;

Json to_json(const GpuSpec& s) {
  return Json{{"id", s.id},
              {"name", s.name},
              {"vendor", s.vendor},
              {"bf16_flop_per_s", s.bf16_flop_per_s},
              {"fp8_flop_per_s", s.fp8_flop_per_s},
              {"tf32_flop_per_s", s.tf32_flop_per_s},
              {"fp32_flop_per_s", s.fp32_flop_per_s},
              {"memory_bytes", s.memory_bytes},
              {"memory_bandwidth_Bps", s.memory_bandwidth_Bps},
              {"memory_efficiency", s.memory_efficiency},
              {"scaleup_link", s.scaleup_link},
              {"scaleup_bandwidth_Bps", s.scaleup_bandwidth_Bps},
              {"scaleup_latency_s", s.scaleup_latency_s},
              {"host_link_Bps", s.host_link_Bps},
              {"tdp_W", s.tdp_W},
              {"matmul_efficiency_bf16", s.matmul_efficiency_bf16},
              {"matmul_efficiency_fp8", s.matmul_efficiency_fp8},
              {"matmul_efficiency_tf32", s.matmul_efficiency_tf32},
              {"efficiency_source", s.efficiency_source},
              {"sm_count", s.sm_count},
              {"gemm_tile_m", s.gemm_tile_m},
              {"gemm_tile_n", s.gemm_tile_n},
              {"gemm_k_overhead", s.gemm_k_overhead},
              {"launch_overhead_s", s.launch_overhead_s},
              {"l2_cache_bytes", s.l2_cache_bytes},
              {"l2_bandwidth_Bps", s.l2_bandwidth_Bps},
              {"attention_efficiency_fwd", s.attention_efficiency_fwd},
              {"attention_efficiency_bwd", s.attention_efficiency_bwd},
              {"attention_half_seq_fwd_tokens", s.attention_half_seq_fwd},
              {"attention_half_seq_bwd_tokens", s.attention_half_seq_bwd},
              {"attention_tail_rows_fwd", s.attention_tail_rows_fwd},
              {"attention_tail_rows_bwd", s.attention_tail_rows_bwd},
              {"kernel_source", s.kernel_source},
              {"source", s.source}};
}

Json to_json(const ServerSpec& s) {
  return Json{{"id", s.id},
              {"name", s.name},
              {"gpu", s.gpu},
              {"gpus", s.gpus},
              {"nvlink_domain_gpus", s.nvlink_domain_gpus},
              {"nic", s.nic},
              {"nics", s.nics},
              {"power_W", s.power_W},
              {"price_usd", s.price_usd},
              {"local_storage_bytes", s.local_storage_bytes},
              {"local_storage_read_Bps", s.local_storage_read_Bps},
              {"local_storage_write_Bps", s.local_storage_write_Bps},
              {"source", s.source}};
}

Json to_json(const NicSpec& s) {
  return Json{{"id", s.id},
              {"name", s.name},
              {"technology", s.technology},
              {"bandwidth_Bps", s.bandwidth_Bps},
              {"latency_s", s.latency_s},
              {"price_usd", s.price_usd},
              {"power_W", s.power_W},
              {"source", s.source}};
}

Json to_json(const SwitchSpec& s) {
  return Json{{"id", s.id},
              {"name", s.name},
              {"technology", s.technology},
              {"ports", s.ports},
              {"port_bandwidth_Bps", s.port_bandwidth_Bps},
              {"latency_s", s.latency_s},
              {"price_usd", s.price_usd},
              {"power_W", s.power_W},
              {"source", s.source}};
}

Json to_json(const OpticSpec& s) {
  return Json{{"id", s.id},
              {"name", s.name},
              {"kind", s.kind},
              {"bandwidth_Bps", s.bandwidth_Bps},
              {"price_usd", s.price_usd},
              {"power_W", s.power_W},
              {"source", s.source}};
}

Json to_json(const StorageSpec& s) {
  return Json{{"id", s.id},
              {"name", s.name},
              {"kind", s.kind},
              {"capacity_bytes", s.capacity_bytes},
              {"read_Bps", s.read_Bps},
              {"write_Bps", s.write_Bps},
              {"network_ports", s.network_ports},
              {"port_bandwidth_Bps", s.port_bandwidth_Bps},
              {"price_usd", s.price_usd},
              {"power_W", s.power_W},
              {"source", s.source}};
}

Json to_json(const ModelSpec& s) {
  return Json{{"id", s.id},
              {"name", s.name},
              {"layers", s.layers},
              {"hidden", s.hidden},
              {"heads", s.heads},
              {"kv_heads", s.kv_heads},
              {"ffn_hidden", s.ffn_hidden},
              {"vocab", s.vocab},
              {"mlp", s.mlp},
              {"tied_embeddings", s.tied_embeddings},
              {"max_seq_len", s.max_seq_len},
              {"moe_experts", s.moe_experts},
              {"moe_topk", s.moe_topk},
              {"source", s.source}};
}

Json to_json(const CloudPriceSpec& s) {
  return Json{{"id", s.id},       {"name", s.name},
              {"gpu", s.gpu},     {"provider", s.provider},
              {"terms", s.terms}, {"usd_per_gpu_hour", s.usd_per_gpu_hour},
              {"date", s.date},   {"source", s.source}};
}

Json to_json(const EconomicsSpec& s) {
  return Json{{"id", s.id},
              {"electricity_usd_per_kWh", s.electricity_usd_per_kWh},
              {"pue", s.pue},
              {"server_lifetime_s", s.server_lifetime_s},
              {"network_lifetime_s", s.network_lifetime_s},
              {"storage_lifetime_s", s.storage_lifetime_s},
              {"maintenance_fraction_per_year", s.maintenance_fraction_per_year},
              {"average_power_fraction", s.average_power_fraction},
              {"source", s.source}};
}

const std::vector<std::string>& catalog_kinds() {
  static const std::vector<std::string> kinds = {"gpus",     "servers",      "nics",
                                                 "switches", "optics",       "storage",
                                                 "models",   "cloud_prices", "economics"};
  return kinds;
}

namespace {
template <typename Spec>
Json entries_of(const std::map<std::string, Spec>& entries) {
  Json list = Json::array();
  for (const auto& [id, spec] : entries) list.push_back(to_json(spec));
  return list;
}
}  // namespace

Json catalog_entries(const Catalog& catalog, const std::string& kind) {
  if (kind == "gpus") return entries_of(catalog.gpus);
  if (kind == "servers") return entries_of(catalog.servers);
  if (kind == "nics") return entries_of(catalog.nics);
  if (kind == "switches") return entries_of(catalog.switches);
  if (kind == "optics") return entries_of(catalog.optics);
  if (kind == "storage") return entries_of(catalog.storage);
  if (kind == "models") return entries_of(catalog.models);
  if (kind == "cloud_prices") return entries_of(catalog.cloud_prices);
  if (kind == "economics") return entries_of(catalog.economics);
  std::string list;
  for (const auto& known : catalog_kinds()) list += (list.empty() ? "" : ", ") + known;
  throw InputError(SourceLocation{"capsim catalog", 0, 0}, "",
                   "'" + kind + "' is not a catalog kind", "one of: " + list);
}

}  // namespace capsim
