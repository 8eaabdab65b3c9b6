// search_service(): see ServiceSearch.hpp.
#include "capsim/sim/ServiceSearch.hpp"

#include <algorithm>
#include <cmath>
#include <map>

#include "ChildProcess.hpp"
#include "ServiceJson.hpp"
#include "ServiceRuns.hpp"
#include "capsim/models/Cost.hpp"
#include "capsim/models/Errors.hpp"
#include "capsim/models/ServicePlan.hpp"
#include "capsim/models/ServingTraffic.hpp"

namespace capsim {
namespace {

using sim_detail::ChildOutcome;
using sim_detail::ChildProgress;

// The degrees tried on `server`: the scenario's, or the powers of two within its NVLink domain.
std::vector<int> tp_degrees(const ServingSearchSpace& space, const ServerSpec& server) {
  if (!space.tp.empty()) return space.tp;
  std::vector<int> degrees;
  const int domain = std::max(1, std::min(server.nvlink_domain_gpus, server.gpus));
  for (int tp = 1; tp <= domain; tp *= 2)
    if (domain % tp == 0) degrees.push_back(tp);
  return degrees;
}

// Whole servers for `replicas` replicas of `gpus` GPUs each (tp x pp).
int servers_for(int replicas, int gpus, const ServerSpec& server) {
  return (replicas * gpus + server.gpus - 1) / server.gpus;
}

// Owned cost per hour of `servers` whole servers, nothing else.
CostRates server_rates(const ServerSpec& server, int servers, const EconomicsSpec& economics,
                       double rental_usd_per_gpu_hour) {
  Inventory inventory;
  inventory.servers = servers;
  inventory.gpus = servers * server.gpus;
  inventory.server = server;
  return cost_rates(inventory, economics, rental_usd_per_gpu_hour);
}

bool meets(const ServiceStats& stats, const ServiceSlo& slo) {
  if (stats.unfinished > 0) return false;
  for (const LatencySlo& limit : slo.latency)
    if (sim_detail::percentile_of(stats, limit) > limit.limit_s) return false;
  return !slo.goodput || stats.goodput_fraction >= *slo.goodput;
}

// One simulation of `replicas` fixed replicas, in a child process.
ServiceStats simulate(const ServiceSetup& base, int replicas) {
  const ChildOutcome child = sim_detail::run_in_child([&](const ChildProgress&) {
    ServiceSetup setup = base;
    setup.replicas = replicas;
    const ServingSimulation sim = simulate_services({setup});
    return sim_detail::stats_json(sim.services.at(0)).dump();
  });
  if (!child.ok) throw ConfigurationError(child.text);
  return sim_detail::stats_from_json(nlohmann::json::parse(child.text));
}

}  // namespace

ServingSearchResult search_service(const Scenario& scenario, const InferenceService& service,
                                   std::optional<std::uint64_t> seed,
                                   const std::function<void(double)>& progress) {
  const std::string who = std::string("service '").append(service.name).append("'");
  if (service.slo.latency.empty()) {
    throw ConfigurationError(who +
                             ": search needs an slo with at least one latency limit (ttft_p99, "
                             "tpot_p99, ...) to meet");
  }
  if (service.disaggregation.enabled) {
    throw ConfigurationError(who +
                             ": search does not size disaggregated prefill and decode pools yet; "
                             "expected a service without a disaggregation key");
  }
  ServingSearchResult result;
  result.service = service.name;
  result.rented = scenario.economics.ownership == "rent";
  const ClusterConfig& home = scenario.cluster(service.cluster);
  std::vector<ServingRequest> requests =
      generate_requests(service.traffic, service.duration_s, seed.value_or(scenario.run.seed));
  assign_prefixes(requests, service.engine.prefix_cache, seed.value_or(scenario.run.seed));
  const ServingSearchSpace& space = service.search;

  std::size_t done = 0, total = 0;
  for (const ServingHardware& h : space.hardware) total += tp_degrees(space, h.server).size();
  // One hardware x tp x pp: skipped with its reason, or simulated and ranked. Returns false when
  // plan_service refused the replica (it does not hold the model or the longest request).
  auto try_candidate = [&](const ServingHardware& h, int tp, int pp) {
    const int domain = std::max(1, std::min(h.server.nvlink_domain_gpus, h.server.gpus));
    if (domain % tp != 0) {
      result.skipped.push_back(
          {h.server.id, tp, pp,
           "tp does not divide the " + std::to_string(domain) + " GPUs of one NVLink domain"});
      return true;
    }
    const int replica_gpus = tp * pp;
    if (pp > 1 && h.server.gpus % replica_gpus != 0 && replica_gpus % h.server.gpus != 0) {
      result.skipped.push_back({h.server.id, tp, pp,
                                "tp x pp = " + std::to_string(replica_gpus) +
                                    " neither divides nor spans whole servers of " +
                                    std::to_string(h.server.gpus) + " GPUs"});
      return true;
    }
    InferenceService trial = service;
    trial.tp = tp;
    trial.pp = pp;
    trial.autoscaler.enabled = false;
    ClusterConfig cluster = home;
    cluster.server = h.server;
    cluster.gpu = h.gpu;
    cluster.server_count = servers_for(space.max_replicas, replica_gpus, h.server);
    trial.servers = cluster.server_count;
    ClusterPlan cluster_plan;
    ServicePlan plan;
    try {
      // Pipeline stages send over the candidate's fabric: build it (pp 1 needs no topology).
      if (pp > 1) cluster_plan = plan_cluster(cluster, scenario.economics);
      cluster_plan.gpus = cluster.gpu_count();
      cluster_plan.cost =
          server_rates(h.server, cluster.server_count, cluster_tco(cluster, scenario.economics),
                       h.rental_usd_per_gpu_hour);
      plan = plan_service(trial, cluster, cluster_plan);
    } catch (const ConfigurationError& error) {
      result.skipped.push_back({h.server.id, tp, pp, error.what()});
      return false;
    }
    const int first = std::max(1, plan.replicas_for_peak);
    if (first > space.max_replicas) {
      result.skipped.push_back({h.server.id, tp, pp,
                                "the peak of " + std::to_string(plan.peak_rate_per_s) +
                                    " requests/s needs " + std::to_string(first) +
                                    " replicas at the estimate's capacity, above " +
                                    "search.max_replicas " + std::to_string(space.max_replicas)});
      return true;
    }
    ServiceSetup setup;
    setup.name = service.name;
    setup.instance = plan.instance;
    setup.engine = service.engine;
    setup.kv_blocks = replica_kv_blocks(plan);
    setup.requests = requests;
    setup.router = service.router;
    setup.duration_s = service.duration_s;
    setup.slo = service.slo;

    std::map<int, ServiceStats> tried;
    auto passes = [&](int replicas) {
      auto found = tried.find(replicas);
      if (found == tried.end()) {
        found = tried.emplace(replicas, simulate(setup, replicas)).first;
        ++result.simulations;
      }
      return meets(found->second, service.slo);
    };
    // Grow until a count meets the SLO, then bisect between the last miss and it.
    int miss = first - 1, hit = -1;
    for (int step = 1, n = first; hit < 0; n = std::min(space.max_replicas, n + step), step *= 2) {
      if (passes(n)) {
        hit = n;
      } else {
        miss = n;
        if (n == space.max_replicas) break;
      }
    }
    while (hit > 0 && hit - miss > 1) {
      const int mid = miss + (hit - miss) / 2;
      if (passes(mid)) {
        hit = mid;
      } else {
        miss = mid;
      }
    }
    ServingCandidate c;
    c.server = h.server.id;
    c.gpu = h.gpu.id;
    c.tp = tp;
    c.pp = pp;
    c.replicas = hit > 0 ? hit : miss;
    c.servers = servers_for(c.replicas, replica_gpus, h.server);
    c.replica_requests_per_s = plan.replica_requests_per_s;
    c.replicas_for_peak = plan.replicas_for_peak;
    c.meets_slo = hit > 0;
    c.stats = tried.at(c.replicas);
    c.simulations = static_cast<int>(tried.size());
    const CostRates rates = server_rates(h.server, c.servers, cluster_tco(home, scenario.economics),
                                         h.rental_usd_per_gpu_hour);
    c.owned_usd_per_h = rates.owned_usd_per_h;
    if (h.rental_usd_per_gpu_hour > 0) {
      c.rented_usd_per_h = c.replicas * replica_gpus * h.rental_usd_per_gpu_hour;
    }
    c.usd_per_h = result.rented ? c.rented_usd_per_h : std::optional(c.owned_usd_per_h);
    if (c.usd_per_h && c.stats.output_tokens_per_s > 0) {
      c.usd_per_million_output_tokens = *c.usd_per_h / (c.stats.output_tokens_per_s * 3600 / 1e6);
    }
    result.ranked.push_back(c);
    return true;
  };
  for (const ServingHardware& h : space.hardware) {
    const std::vector<int> tps = tp_degrees(space, h.server);
    bool any_held = false;
    for (const int tp : tps) {
      if (progress) progress(static_cast<double>(done++) / static_cast<double>(total));
      if (space.pp.empty()) {
        any_held = try_candidate(h, tp, 1) || any_held;
      } else {
        for (const int pp : space.pp) try_candidate(h, tp, pp);
      }
    }
    // By default pipeline stages only where no tp of one NVLink domain holds the model: the
    // fewest stages (2, 4, ...) that do at the domain's tp.
    if (space.pp.empty() && !any_held) {
      const int domain = std::max(1, std::min(h.server.nvlink_domain_gpus, h.server.gpus));
      const int layers = service.model.layers;
      for (int pp = 2; pp <= layers; pp *= 2) {
        if (try_candidate(h, domain, pp)) break;
      }
    }
  }
  std::stable_sort(result.ranked.begin(), result.ranked.end(),
                   [](const ServingCandidate& a, const ServingCandidate& b) {
                     if (a.meets_slo != b.meets_slo) return a.meets_slo;
                     if (a.usd_per_h.has_value() != b.usd_per_h.has_value())
                       return a.usd_per_h.has_value();
                     if (a.usd_per_h && *a.usd_per_h != *b.usd_per_h)
                       return *a.usd_per_h < *b.usd_per_h;
                     return a.usd_per_million_output_tokens.value_or(0) <
                            b.usd_per_million_output_tokens.value_or(0);
                   });
  if (progress) progress(1.0);
  return result;
}

}  // namespace capsim
