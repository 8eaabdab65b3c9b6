#include "ServiceRuns.hpp"

#include <cmath>

#include "ChildProcess.hpp"
#include "ServiceJson.hpp"
#include "capsim/models/Errors.hpp"
#include "capsim/models/ServingTraffic.hpp"
#include "capsim/sim/ServingSimulation.hpp"

namespace capsim::sim_detail {
namespace {

std::size_t cluster_index(const Scenario& scenario, const std::string& name) {
  std::size_t c = 0;
  while (scenario.clusters[c].name != name) ++c;
  return c;
}

std::string percentile_name(const LatencySlo& slo) {
  return std::string(slo.measure).append("_p").append(std::to_string(slo.percentile));
}

void price(const ServicePlan& plan, const InferenceService& service, ServiceOutcome& out) {
  const ServiceStats& s = out.stats;
  out.hours = s.end_s / 3600;
  out.owned_usd = plan.gpus * plan.owned_usd_per_gpu_hour * out.hours;
  if (plan.rented_usd_per_gpu_hour) {
    // Disaggregated pools differ in tp: GPU-seconds count each replica's own.
    const double gpu_hours = plan.disaggregated
                                 ? s.gpu_seconds / 3600
                                 : s.replica_seconds / 3600 * service.tp * service.pp;
    out.rented_usd = gpu_hours * *plan.rented_usd_per_gpu_hour;
  }
  if (s.output_tokens > 0) {
    out.owned_usd_per_million_output_tokens = out.owned_usd / (s.output_tokens / 1e6);
    if (out.rented_usd) {
      out.rented_usd_per_million_output_tokens = *out.rented_usd / (s.output_tokens / 1e6);
    }
  }
}

}  // namespace

std::optional<PrefillPoolSetup> prefill_pool_setup(const InferenceService& service,
                                                   const ServicePlan& plan,
                                                   const ClusterConfig& cluster,
                                                   const ClusterPlan& cluster_plan) {
  const Disaggregation& d = service.disaggregation;
  if (!d.enabled) return std::nullopt;
  PrefillPoolSetup pool;
  pool.instance = plan.prefill_instance;
  pool.kv_blocks = prefill_replica_kv_blocks(plan);
  pool.replicas = d.prefill.replicas;
  // From server 0: the prefill pool's servers, then the decode pool's; replicas on consecutive
  // GPUs (tp divides the NVLink domain, so a replica stays in one).
  for (int r = 0; r < d.prefill.replicas; ++r) pool.first_gpus.push_back(r * d.prefill.tp);
  const int decode_base = d.prefill.servers * cluster.server.gpus;
  for (int r = 0; r < d.decode.replicas; ++r)
    pool.decode_first_gpus.push_back(decode_base + r * d.decode.tp);
  pool.topology = &cluster_plan.topology;
  pool.scaleup_efficiency = cluster.gpu.scaleup_collective_efficiency;
  pool.network_efficiency = cluster.nic.collective_efficiency;
  return pool;
}

double percentile_of(const ServiceStats& stats, const LatencySlo& slo) {
  const LatencyStats& s = slo.measure == "ttft"   ? stats.ttft
                          : slo.measure == "tpot" ? stats.tpot
                                                  : stats.e2e;
  return slo.percentile == 50 ? s.p50_s : slo.percentile == 90 ? s.p90_s : s.p99_s;
}

std::uint64_t service_seed(std::uint64_t seed, std::size_t) {
  // Every service draws from the run's seed: services with the same traffic section see the
  // same requests, so a comparison of hardware (scenarios/serving-gpu-comparison.yaml) is like
  // for like.
  return seed;
}

void plan_services(const Scenario& scenario, Result& result) {
  result.services = scenario.services;
  for (const InferenceService& service : scenario.services) {
    const std::size_t c = cluster_index(scenario, service.cluster);
    result.service_plans.push_back(plan_service(service, scenario.clusters[c], result.clusters[c]));
  }
}

void simulate_services_in_child(const Scenario& scenario, Result& result,
                                const std::function<void(double)>& progress) {
  if (scenario.services.empty()) return;
  const std::uint64_t seed = result.seed;
  const ChildOutcome child = run_in_child(
      [&](const ChildProgress& report) {
        std::vector<ServiceSetup> setups;
        for (std::size_t i = 0; i < scenario.services.size(); ++i) {
          const InferenceService& service = scenario.services[i];
          const ServicePlan& plan = result.service_plans[i];
          ServiceSetup setup;
          setup.name = service.name;
          setup.instance = plan.instance;
          setup.engine = service.engine;
          setup.kv_blocks = replica_kv_blocks(plan);
          setup.requests =
              generate_requests(service.traffic, service.duration_s, service_seed(seed, i));
          assign_prefixes(setup.requests, service.engine.prefix_cache, service_seed(seed, i));
          setup.router = service.router;
          setup.autoscaler = service.autoscaler;
          setup.replicas = service.replicas;
          setup.duration_s = service.duration_s;
          setup.slo = service.slo;
          const std::size_t c = cluster_index(scenario, service.cluster);
          setup.prefill_pool =
              prefill_pool_setup(service, plan, scenario.clusters[c], result.clusters[c]);
          setups.push_back(std::move(setup));
        }
        ServingSettings settings;
        settings.progress = report;
        const ServingSimulation sim = simulate_services(setups, settings);
        nlohmann::json out = {{"events", sim.events}, {"services", nlohmann::json::array()}};
        for (const ServiceStats& stats : sim.services) out["services"].push_back(stats_json(stats));
        return out.dump();
      },
      progress);
  result.service_outcomes.assign(scenario.services.size(), {});
  if (!child.ok) {
    for (ServiceOutcome& outcome : result.service_outcomes) outcome.reason = child.text;
    return;
  }
  const nlohmann::json in = nlohmann::json::parse(child.text);
  for (std::size_t i = 0; i < scenario.services.size(); ++i) {
    ServiceOutcome& outcome = result.service_outcomes[i];
    outcome.simulated = true;
    outcome.events = in.at("events").get<std::uint64_t>();
    outcome.stats = stats_from_json(in.at("services").at(i));
    outcome.stats.name = scenario.services[i].name;
    price(result.service_plans[i], scenario.services[i], outcome);
  }
}

void check_service_targets(Result& result) {
  for (std::size_t i = 0; i < result.service_outcomes.size(); ++i) {
    const ServiceOutcome& outcome = result.service_outcomes[i];
    const InferenceService& service = result.services[i];
    if (!outcome.simulated) continue;
    for (const LatencySlo& slo : service.slo.latency) {
      const double value = percentile_of(outcome.stats, slo);
      // Unfinished requests have no latency: any of them misses every limit.
      const bool met = value <= slo.limit_s && outcome.stats.unfinished == 0;
      result.targets.push_back({percentile_name(slo), service.name, slo.limit_s, value, met});
    }
    if (service.slo.goodput) {
      const double value = outcome.stats.goodput_fraction;
      result.targets.push_back(
          {"goodput", service.name, *service.slo.goodput, value, value >= *service.slo.goodput});
    }
  }
}

}  // namespace capsim::sim_detail
