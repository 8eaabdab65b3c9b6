#include "capsim/sim/Run.hpp"

#include <algorithm>

#include "Placement.hpp"
#include "ScenarioSimulation.hpp"
#include "ServiceRuns.hpp"
#include "capsim/models/Errors.hpp"

namespace capsim {

std::string capsim_version() { return CAPSIM_VERSION; }

bool Result::targets_met() const {
  for (const auto& target : targets) {
    if (!target.met) return false;
  }
  return true;
}

double SimulationOutcome::relative_difference() const {
  if (!simulated || estimate_iteration_s <= 0) return 0;
  return (iteration_s - estimate_iteration_s) / estimate_iteration_s;
}

double SimulationOutcome::contention_slowdown() const {
  if (!simulated || shared_with.empty() || alone_iteration_s <= 0) return 0;
  return iteration_s / alone_iteration_s - 1;
}

double SimulationOutcome::run_iteration_s() const {
  if (!simulated || !checkpoint.played || iteration_times_s.empty()) return iteration_s;
  return iteration_s - checkpoint.slowdown_s / static_cast<double>(iteration_times_s.size());
}

double SimulationOutcome::checkpoint_cost_s(bool async, double interval_s) const {
  if (!simulated || !checkpoint.played) return 0;
  double cost_s = checkpoint.stall_s + checkpoint.slowdown_s;
  if (async) cost_s += std::max(0.0, checkpoint.write_s - interval_s);
  return cost_s;
}

namespace {

constexpr const char* kSimulatedAssumption =
    "Fidelity simulate: run.iterations iterations are also played out in SimGrid (1F1B pipeline "
    "with its transfers as flows on the topology, data-parallel rings as flows where "
    "IterationSimulation can, workloads placed on one cluster sharing its fabric, slow GPUs from "
    "run.variability); the time to train and the cost use the mean simulated iteration (the "
    "estimate's are kept beside it in result.json).";

// A placed workload is planned on a cluster of its own servers: its estimate is the job alone
// on them (the simulation adds the other jobs).
ClusterConfig servers_of(const ClusterConfig& cluster, int servers) {
  ClusterConfig own = cluster;
  own.server_count = servers;
  return own;
}

std::string fidelity_of(const Scenario& scenario, const RunOptions& options) {
  const std::string fidelity = options.fidelity.value_or(scenario.run.fidelity);
  if (fidelity != "estimate" && fidelity != "simulate")
    throw ConfigurationError(
        std::string("fidelity '")
            .append(fidelity)
            .append("' is not a known choice; expected one of: estimate, simulate"));
  return fidelity;
}

// Simulated workloads are timed and priced by their mean simulated iteration: contention and
// slow GPUs are what the user asked the simulation for, so the run's length and cost include them.
void time_runs_by_simulation(const Scenario& scenario, Result& result) {
  for (std::size_t w = 0; w < result.simulations.size(); ++w) {
    SimulationOutcome& outcome = result.simulations[w];
    TrainingPlan& plan = result.training[w];
    outcome.estimate_time_to_train_s = plan.time_to_train_s;
    outcome.estimate_cost = plan.cost;
    outcome.estimate_checkpoint_stall_s = plan.checkpoint_stall_s;
    if (!outcome.simulated) continue;
    const ClusterPlan* cluster = nullptr;
    if (result.placed_clusters[w]) {
      cluster = &*result.placed_clusters[w];
    } else {
      for (const auto& candidate : result.clusters)
        if (candidate.name == plan.cluster) cluster = &candidate;
    }
    const TrainingWorkload& job = scenario.training[w];
    RunFigures run =
        run_figures(job, *cluster, plan.estimate.parameters.total, outcome.run_iteration_s());
    // One checkpoint was simulated (if the estimate's run writes any): every one of the run's
    // costs what it cost; otherwise the closed form's stall stays.
    if (outcome.checkpoint.played) {
      run.checkpoint_stall_s =
          run.checkpoints *
          outcome.checkpoint_cost_s(job.checkpoint_async, job.checkpoint_interval_s);
      run.time_to_train_s = run.compute_time_s + run.checkpoint_stall_s;
      run.cost = run_cost(cluster->cost, run.time_to_train_s, run.tokens);
    }
    plan.compute_time_s = run.compute_time_s;
    plan.checkpoints = run.checkpoints;
    plan.checkpoint_stall_s = run.checkpoint_stall_s;
    plan.time_to_train_s = run.time_to_train_s;
    plan.cost = run.cost;
  }
}

void check_targets(const Scenario& scenario, Result& result) {
  for (const auto& plan : result.training) {
    if (scenario.targets.deadline_s) {
      const double limit = *scenario.targets.deadline_s;
      result.targets.push_back(
          {"deadline", plan.workload, limit, plan.time_to_train_s, plan.time_to_train_s <= limit});
    }
    if (scenario.targets.budget_usd) {
      const double limit = *scenario.targets.budget_usd;
      const bool rent = scenario.economics.ownership == "rent" && plan.cost.rented_usd;
      const double cost = rent ? *plan.cost.rented_usd : plan.cost.owned_usd;
      result.targets.push_back({"budget", plan.workload, limit, cost, cost <= limit});
    }
  }
}

}  // namespace

Result run(const Scenario& scenario, const RunOptions& options, const ProgressCallback& progress) {
  Result result;
  result.capsim_version = capsim_version();
  result.scenario_name = scenario.name;
  result.scenario_description = scenario.description;
  result.scenario_file = scenario.source_file;
  result.fidelity = fidelity_of(scenario, options);
  const bool simulate = result.fidelity == "simulate";
  if (options.trace && !simulate)
    throw ConfigurationError(
        "a trace records the simulated timeline, but the fidelity is estimate; expected "
        "--fidelity simulate (or run.fidelity: simulate) with --trace");
  result.seed = options.seed.value_or(scenario.run.seed);
  // The variability model draws servers per cluster; checked whatever the fidelity.
  for (const auto& cluster : scenario.clusters) {
    const int slow = scenario.run.variability.slow_servers;
    if (slow > cluster.server_count)
      throw ConfigurationError(std::string("run.variability: slow_servers is ")
                                   .append(std::to_string(slow))
                                   .append(" but cluster '")
                                   .append(cluster.name)
                                   .append("' has ")
                                   .append(std::to_string(cluster.server_count))
                                   .append(" servers; expected 0 .. ")
                                   .append(std::to_string(cluster.server_count)));
  }
  result.ownership = scenario.economics.ownership;
  result.economics = scenario.economics;
  result.sites = scenario.sites;
  result.effective_yaml = scenario.effective_yaml;
  result.cluster_configs = scenario.clusters;
  result.workloads = scenario.training;

  result.placements = sim_detail::place_workloads(scenario);

  const double simulations =
      simulate ? static_cast<double>(sim_detail::simulation_count(scenario, result.placements))
               : 0.0;
  const double service_simulation = simulate && !scenario.services.empty() ? 1.0 : 0.0;
  const double steps = static_cast<double>(scenario.clusters.size() + scenario.training.size() +
                                           scenario.services.size()) +
                       simulations + service_simulation;
  double done = 0;
  auto report = [&](const std::string& stage) {
    if (progress) progress(done / steps, stage);
    done += 1;
  };
  for (const auto& cluster : scenario.clusters) {
    report("building cluster " + cluster.name);
    result.clusters.push_back(plan_cluster(cluster, scenario.economics));
  }
  for (std::size_t w = 0; w < scenario.training.size(); ++w) {
    const TrainingWorkload& job = scenario.training[w];
    report("estimating " + job.name);
    std::size_t index = 0;
    while (scenario.clusters[index].name != job.cluster) ++index;
    result.placed_clusters.emplace_back();
    if (job.servers > 0) {
      const ClusterConfig own = servers_of(scenario.clusters[index], job.servers);
      result.placed_clusters.back() = plan_cluster(own, scenario.economics);
      result.training.push_back(plan_training(job, own, *result.placed_clusters.back()));
    } else {
      result.training.push_back(
          plan_training(job, scenario.clusters[index], result.clusters[index]));
    }
  }
  for (const InferenceService& service : scenario.services) {
    report("estimating service " + service.name);
  }
  sim_detail::plan_services(scenario, result);
  if (simulate) {
    sim_detail::simulate_scenario(scenario, result, options.trace,
                                  [&](double fraction, const std::string& stage) {
                                    if (progress)
                                      progress((done + fraction * simulations) / steps, stage);
                                  });
    time_runs_by_simulation(scenario, result);
    for (auto& plan : result.training) plan.assumptions.push_back(kSimulatedAssumption);
  }
  if (service_simulation > 0) {
    const double base = done + simulations;
    sim_detail::simulate_services_in_child(scenario, result, [&](double fraction) {
      if (progress) progress((base + fraction) / steps, "simulating services");
    });
  }
  check_targets(scenario, result);
  sim_detail::check_service_targets(result);
  if (progress) progress(1.0, "done");
  return result;
}

}  // namespace capsim
