#include <nlohmann/json.hpp>

#include "ServiceReports.hpp"
#include "capsim/sim/JsonSpecs.hpp"
#include "capsim/sim/Report.hpp"

namespace capsim {
namespace {

using Json = nlohmann::ordered_json;

template <typename T>
Json optional_value(const std::optional<T>& value) {
  return value ? Json(*value) : Json(nullptr);
}

// A cluster's hourly rates (CostRates.hpp).
Json rates_json(const CostRates& rates) {
  return {{"it_power_W", rates.it_power_W},
          {"facility_power_W", rates.facility_power_W},
          {"amortisation_usd_per_h", rates.amortisation_usd_per_h},
          {"maintenance_usd_per_h", rates.maintenance_usd_per_h},
          {"energy_usd_per_h", rates.energy_usd_per_h},
          {"owned_usd_per_h", rates.owned_usd_per_h},
          {"rental_usd_per_h", optional_value(rates.rental_usd_per_h)},
          {"break_even_utilisation", optional_value(rates.break_even_utilisation)}};
}

Json cluster_json(const ClusterPlan& plan, const ClusterConfig& config) {
  const BillOfMaterials& bom = plan.bom;
  Json topology = {{"leaf_switches", bom.leaf_switches},
                   {"storage_leaf_switches", bom.storage_leaf_switches},
                   {"spine_switches", bom.spine_switches},
                   {"core_switches", bom.core_switches},
                   {"nics", bom.nics},
                   {"nvlink_domains", bom.nvlink_domains},
                   {"nic_leaf_cables", bom.nic_leaf_cables},
                   {"leaf_spine_cables", bom.leaf_spine_cables},
                   {"spine_core_cables", bom.spine_core_cables},
                   {"storage_cables", bom.storage_cables},
                   {"copper_cables", bom.copper_cables},
                   {"fiber_cables", bom.fiber_cables},
                   {"transceivers", bom.transceivers},
                   {"bisection_Bps", plan.bisection_Bps},
                   {"max_switch_hops", plan.max_switch_hops}};
  const CostRates& rates = plan.cost;
  Json capex = {{"servers_usd", rates.capex.servers_usd},
                {"switches_usd", rates.capex.switches_usd},
                {"optics_usd", rates.capex.optics_usd},
                {"storage_usd", rates.capex.storage_usd},
                {"total_usd", rates.capex.total_usd()}};
  const Json cost_rates = rates_json(rates);
  Json json = {{"name", plan.name}, {"servers", plan.servers}, {"gpus", plan.gpus}};
  // The site whose TCO values priced the cluster (null: the scenario's economics.tco did).
  json["site"] = config.site.empty() ? Json() : Json(config.site);
  json["tco"] = config.site_economics ? to_json(*config.site_economics) : Json();
  Json storage = Json::array();
  for (const auto& item : config.storage) {
    storage.push_back({{"system", to_json(item.system)}, {"count", item.count}});
  }
  json["server"] = to_json(config.server);
  json["gpu"] = to_json(config.gpu);
  json["nic"] = to_json(config.nic);
  json["fabric"] = {{"template", to_string(config.fabric.kind)},
                    {"oversubscription", config.fabric.oversubscription},
                    {"leaf_switch", to_json(config.fabric.leaf_switch)},
                    {"spine_switch", to_json(config.fabric.spine_switch)},
                    {"core_switch", to_json(config.fabric.core_switch)},
                    {"transceiver", to_json(config.fabric.transceiver)},
                    {"fiber_cable", to_json(config.fabric.fiber_cable)},
                    {"copper_cable", to_json(config.fabric.copper_cable)}};
  json["storage"] = storage;
  json["topology"] = topology;
  json["storage_read_Bps"] = plan.storage_read_Bps;
  json["storage_write_Bps"] = plan.storage_write_Bps;
  json["storage_capacity_bytes"] = plan.storage_capacity_bytes;
  json["capex"] = capex;
  json["rates"] = cost_rates;
  return json;
}

Json sites_json(const std::vector<SiteConfig>& sites) {
  Json json = Json::array();
  for (const auto& site : sites) {
    json.push_back({{"name", site.name},
                    {"location", site.location},
                    {"description", site.description},
                    {"tco", to_json(site.economics)}});
  }
  return json;
}

Json link_json(const CommLink& link) {
  if (link.bandwidth_Bps <= 0) return nullptr;  // a group of one GPU uses no link
  return {{"bandwidth_Bps", link.bandwidth_Bps}, {"latency_s", link.latency_s}};
}

const char* recompute_name(Recompute mode) {
  switch (mode) {
    case Recompute::None:
      return "none";
    case Recompute::Selective:
      return "selective";
    case Recompute::Full:
      return "full";
  }
  return "unknown";
}

Json training_json(const TrainingPlan& plan, const TrainingWorkload& job) {
  const TrainingLayout& l = plan.layout;
  const TrainingEstimate& e = plan.estimate;
  const IterationBreakdown& b = e.breakdown;
  const MemoryBreakdown& m = e.memory;
  Json json = {{"workload", plan.workload}, {"cluster", plan.cluster}};
  json["purpose"] = job.purpose;
  json["model"] = to_json(job.model);
  json["layout"] = {{"tp", l.tp},
                    {"pp", l.pp},
                    {"dp", l.dp},
                    {"cp", l.cp},
                    {"vpp", l.vpp},
                    {"ep", l.ep},
                    {"micro_batch", l.micro_batch},
                    {"micro_batch_chosen", plan.micro_batch_chosen},
                    {"global_batch", l.global_batch},
                    {"seq_len", l.seq_len},
                    {"zero_stage", l.zero_stage},
                    {"recompute", recompute_name(l.recompute)},
                    {"precision", l.precision == Precision::FP8 ? "fp8" : "bf16"}};
  const KernelParameters& k = plan.gpu.kernels;
  json["gpu_performance"] = {{"peak_flop_per_s", plan.gpu.peak_flop_per_s},
                             {"memory_bytes", plan.gpu.memory_bytes},
                             {"kernels",
                              {{"gemm_efficiency_bf16", k.gemm_efficiency_bf16},
                               {"gemm_efficiency_fp8", k.gemm_efficiency_fp8},
                               {"sm_count", k.sm_count},
                               {"gemm_tile_m", k.gemm_tile_m},
                               {"gemm_tile_n", k.gemm_tile_n},
                               {"gemm_k_overhead", k.gemm_k_overhead},
                               {"memory_bandwidth_Bps", k.memory_bandwidth_Bps},
                               {"launch_s", k.launch_s},
                               {"attention_efficiency_fwd", k.attention_efficiency_fwd},
                               {"attention_efficiency_bwd", k.attention_efficiency_bwd},
                               {"provenance", k.provenance}}}};
  json["comm"] = {{"tp", link_json(plan.comm.tp)},
                  {"cp", link_json(plan.comm.cp)},
                  {"dp", link_json(plan.comm.dp)},
                  {"pp", link_json(plan.comm.pp)},
                  {"ep", link_json(plan.comm.ep)},
                  {"ep_dp", link_json(plan.comm.ep_dp)},
                  {"dp_contention",
                   {{"sharing", plan.comm.dp_contention.sharing},
                    {"stage_span", plan.comm.dp_contention.stage_span}}}};
  json["parameters"] = e.parameters.total;
  json["iteration"] = {{"iteration_s", e.iteration_s},
                       {"tokens_per_s", e.tokens_per_s},
                       {"mfu", e.mfu},
                       {"hfu", e.hfu},
                       {"micro_batches", e.micro_batches},
                       {"model_flops", e.flops.model_per_iteration},
                       {"hardware_flops", e.flops.hardware_per_iteration},
                       {"breakdown",
                        {{"compute_s", b.compute_s},
                         {"tp_comm_s", b.tp_comm_s},
                         {"cp_comm_s", b.cp_comm_s},
                         {"pp_comm_s", b.pp_comm_s},
                         {"ep_comm_s", b.ep_comm_s},
                         {"dp_comm_s", b.dp_comm_s},
                         {"bubble_s", b.bubble_s},
                         {"optimizer_s", b.optimizer_s},
                         {"input_stall_s", b.input_stall_s}}},
                       {"dp_comm_total_s", e.dp_comm_total_s}};
  json["data_loading"] = {{"bytes_per_iteration", plan.input.bytes_per_iteration},
                          {"demand_Bps", plan.input.demand_Bps},
                          {"supply_Bps", plan.input.supply_Bps},
                          {"stall_s", plan.input.stall_s}};
  json["memory"] = {{"stage", m.stage},
                    {"weights_bytes", m.weights_bytes},
                    {"gradients_bytes", m.gradients_bytes},
                    {"optimizer_bytes", m.optimizer_bytes},
                    {"activations_bytes", m.activations_bytes},
                    {"logits_bytes", m.logits_bytes},
                    {"total_bytes", m.total_bytes},
                    {"capacity_bytes", m.capacity_bytes},
                    {"fits", m.fits}};
  json["run"] = {{"steps", plan.steps},
                 {"tokens", plan.tokens},
                 {"compute_time_s", plan.compute_time_s},
                 {"checkpoints", plan.checkpoints},
                 {"checkpoint_bytes", plan.checkpoint_bytes},
                 {"checkpoint_mode", job.checkpoint_async ? "async" : "sync"},
                 {"checkpoint_write_s", plan.checkpoint_write_s},
                 {"checkpoint_snapshot_s", plan.checkpoint_snapshot_s},
                 {"checkpoint_stall_s", plan.checkpoint_stall_s},
                 {"time_to_train_s", plan.time_to_train_s}};
  json["cost"] = {
      {"energy_J", plan.cost.energy_J},
      {"owned_usd", plan.cost.owned_usd},
      {"rented_usd", optional_value(plan.cost.rented_usd)},
      {"owned_usd_per_million_tokens", plan.cost.owned_usd_per_million_tokens},
      {"rented_usd_per_million_tokens", optional_value(plan.cost.rented_usd_per_million_tokens)}};
  json["assumptions"] = plan.assumptions;
  return json;
}

Json stats_json(const IterationStats& stats) {
  return {{"count", stats.count}, {"mean_s", stats.mean_s}, {"p50_s", stats.p50_s},
          {"p90_s", stats.p90_s}, {"p99_s", stats.p99_s},   {"min_s", stats.min_s},
          {"max_s", stats.max_s}};
}

// The `simulate` fidelity's block; the same keys whether or not the workload was simulated.
// The simulated checkpoint (CheckpointTiming), or null when none was played.
Json checkpoint_json(const SimulationOutcome& outcome, const TrainingWorkload& job) {
  const CheckpointTiming& c = outcome.checkpoint;
  if (!outcome.simulated || !c.played) return Json();
  return {{"mode", job.checkpoint_async ? "async" : "sync"},
          {"writers", c.writers},
          {"storage_nodes", c.storage_nodes},
          {"start_s", c.start_s},
          {"stall_s", c.stall_s},
          {"write_s", c.write_s},
          {"overlapped_iterations", c.overlapped_iterations},
          {"slowdown_s", c.slowdown_s},
          {"cost_s", outcome.checkpoint_cost_s(job.checkpoint_async, job.checkpoint_interval_s)}};
}

Json simulation_json(const SimulationOutcome& outcome, const TrainingWorkload& job) {
  auto when = [&](double value) { return outcome.simulated ? Json(value) : Json(); };
  return {
      {"simulated", outcome.simulated},
      {"reason", outcome.simulated ? Json() : Json(outcome.reason)},
      {"iteration_s", when(outcome.iteration_s)},
      {"run_iteration_s", when(outcome.run_iteration_s())},
      {"pipeline_s", when(outcome.pipeline_s)},
      {"dp_comm_s", when(outcome.dp_comm_s)},
      {"dp_comm_as_flows", outcome.simulated ? Json(outcome.dp_comm_as_flows) : Json()},
      {"estimate_iteration_s", outcome.estimate_iteration_s},
      {"estimate_time_to_train_s", outcome.estimate_time_to_train_s},
      {"estimate_checkpoint_stall_s", outcome.estimate_checkpoint_stall_s},
      {"checkpoint", checkpoint_json(outcome, job)},
      {"checkpoint_not_simulated",
       outcome.checkpoint_not_simulated.empty() ? Json() : Json(outcome.checkpoint_not_simulated)},
      {"estimate_owned_usd", outcome.estimate_cost.owned_usd},
      {"estimate_rented_usd",
       outcome.estimate_cost.rented_usd ? Json(*outcome.estimate_cost.rented_usd) : Json()},
      {"relative_difference", when(outcome.relative_difference())},
      {"iterations", outcome.simulated ? stats_json(outcome.stats) : Json()},
      {"iteration_times_s", outcome.iteration_times_s},
      {"events", outcome.simulated ? Json(outcome.events) : Json()},
      {"shared_with", outcome.shared_with},
      {"alone_iteration_s", outcome.simulated && !outcome.shared_with.empty()
                                ? Json(outcome.alone_iteration_s)
                                : Json()},
      {"contention_slowdown", outcome.simulated && !outcome.shared_with.empty()
                                  ? Json(outcome.contention_slowdown())
                                  : Json()}};
}

// Where a workload runs: its servers by its cluster's placement, the GPUs and hourly rates of
// those servers (what its estimate and cost are for), or null for the whole cluster.
Json placement_json(const std::vector<int>& servers, const ClusterConfig& cluster,
                    const std::optional<ClusterPlan>& own) {
  if (servers.empty() || !own) return Json();
  return {{"policy", cluster.placement},
          {"servers", servers},
          {"gpus", own->gpus},
          {"rates", rates_json(own->cost)}};
}

}  // namespace

void write_json_report(const Result& result, std::ostream& out) {
  Json clusters = Json::array();
  for (std::size_t i = 0; i < result.clusters.size(); ++i) {
    clusters.push_back(cluster_json(result.clusters[i], result.cluster_configs.at(i)));
    clusters.back()["placement"] = result.cluster_configs.at(i).placement;
    if (i < result.slow_servers.size()) clusters.back()["slow_servers"] = result.slow_servers[i];
  }
  Json training = Json::array();
  for (std::size_t i = 0; i < result.training.size(); ++i) {
    training.push_back(training_json(result.training[i], result.workloads.at(i)));
    if (i < result.placements.size()) {
      std::size_t c = 0;
      while (result.cluster_configs.at(c).name != result.workloads.at(i).cluster) ++c;
      training.back()["placement"] =
          placement_json(result.placements[i], result.cluster_configs.at(c),
                         i < result.placed_clusters.size() ? result.placed_clusters[i]
                                                           : std::optional<ClusterPlan>());
    }
    if (i < result.simulations.size())
      training.back()["simulation"] =
          simulation_json(result.simulations[i], result.workloads.at(i));
  }
  Json targets = Json::array();
  for (const auto& target : result.targets) {
    targets.push_back({{"name", target.name},
                       {"workload", target.workload},
                       {"limit", target.limit},
                       {"value", target.value},
                       {"met", target.met}});
  }
  Json json = {{"capsim_version", result.capsim_version},
               {"scenario",
                {{"name", result.scenario_name},
                 {"description", result.scenario_description},
                 {"file", result.scenario_file},
                 {"fidelity", result.fidelity},
                 {"seed", result.seed},
                 {"yaml", result.effective_yaml}}},
               {"economics",
                {{"ownership", result.economics.ownership},
                 {"tco", to_json(result.economics.params)},
                 {"rental", to_json(result.economics.rental)}}},
               {"sites", sites_json(result.sites)},
               {"clusters", clusters},
               {"training", training},
               {"services", sim_detail::services_json(result)},
               {"targets", targets},
               {"targets_met", result.targets_met()}};
  out << json.dump(2) << "\n";
}

}  // namespace capsim
