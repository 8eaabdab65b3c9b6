// simulate_scenario(): which simulations a scenario needs, each run in a child, and their
// results put into the Result.
#include "ScenarioSimulation.hpp"

#include <cstddef>
#include <string>
#include <vector>

#include "Placement.hpp"
#include "WorkloadSimulation.hpp"
#include "capsim/models/TrainingPlan.hpp"
#include "capsim/sim/Variability.hpp"

namespace capsim::sim_detail {
namespace {

// One simulation: workloads of one cluster played together. `main`: as the scenario runs them
// (their reported outcome); otherwise one placed workload alone, for comparison.
struct SimulationRun {
  std::size_t cluster = 0;
  std::vector<std::size_t> workloads;
  bool main = true;
};

std::size_t cluster_of(const Scenario& scenario, const TrainingWorkload& job) {
  std::size_t c = 0;
  while (scenario.clusters[c].name != job.cluster) ++c;
  return c;
}

std::vector<SimulationRun> plan_runs(const Scenario& scenario,
                                     const std::vector<std::vector<int>>& placements) {
  std::vector<SimulationRun> runs;
  for (std::size_t c = 0; c < scenario.clusters.size(); ++c) {
    SimulationRun shared{c, {}, true};
    for (std::size_t w = 0; w < scenario.training.size(); ++w)
      if (!placements[w].empty() && cluster_of(scenario, scenario.training[w]) == c)
        shared.workloads.push_back(w);
    if (shared.workloads.empty()) continue;
    runs.push_back(shared);
    if (shared.workloads.size() > 1)
      for (const std::size_t w : shared.workloads) runs.push_back({c, {w}, false});
  }
  for (std::size_t w = 0; w < scenario.training.size(); ++w)
    if (placements[w].empty())
      runs.push_back({cluster_of(scenario, scenario.training[w]), {w}, true});
  return runs;
}

long job_gpus(const TrainingPlan& plan) {
  const TrainingLayout& l = plan.layout;
  return static_cast<long>(l.tp) * l.cp * l.dp * l.pp;
}

std::vector<double> times_of(const std::vector<SimulatedIteration>& iterations) {
  std::vector<double> times;
  for (const SimulatedIteration& it : iterations) times.push_back(it.iteration_s);
  return times;
}

void record_main(const Result& result, const SimulationRun& run, const ChildSimulation& sim,
                 std::size_t position, SimulationOutcome& outcome) {
  const std::vector<SimulatedIteration>& iterations = sim.jobs.at(position);
  outcome.simulated = true;
  outcome.events = sim.events;
  outcome.iteration_times_s = times_of(iterations);
  outcome.stats = iteration_stats(outcome.iteration_times_s);
  outcome.iteration_s = outcome.stats.mean_s;
  outcome.pipeline_s = iterations.front().pipeline_s;
  outcome.dp_comm_s = iterations.front().dp_comm_s;
  outcome.dp_comm_as_flows = iterations.front().dp_comm_as_flows;
  outcome.checkpoint = sim.checkpoints.at(position);
  for (const std::size_t other : run.workloads)
    if (other != run.workloads[position])
      outcome.shared_with.push_back(result.workloads[other].name);
}

}  // namespace

std::size_t simulation_count(const Scenario& scenario,
                             const std::vector<std::vector<int>>& placements) {
  return plan_runs(scenario, placements).size();
}

void simulate_scenario(const Scenario& scenario, Result& result, bool trace,
                       const SimulationProgress& progress) {
  const int iterations = scenario.run.iterations;
  const VariabilityConfig& variability = scenario.run.variability;
  const bool variable = variability.gpu_jitter > 0 || variability.slow_servers > 0;
  std::vector<SlowdownDraw> draws(scenario.clusters.size());
  result.slow_servers.assign(scenario.clusters.size(), {});
  for (std::size_t c = 0; c < scenario.clusters.size() && variable; ++c) {
    const ClusterConfig& cluster = scenario.clusters[c];
    draws[c] = draw_slowdowns(variability, result.seed, static_cast<int>(c), cluster.server_count,
                              cluster.server.gpus, iterations);
    result.slow_servers[c] = draws[c].slow_servers;
  }
  result.simulations.assign(scenario.training.size(), {});
  for (std::size_t w = 0; w < scenario.training.size(); ++w)
    result.simulations[w].estimate_iteration_s = result.training[w].estimate.iteration_s;

  const std::vector<SimulationRun> runs = plan_runs(scenario, result.placements);
  for (std::size_t r = 0; r < runs.size(); ++r) {
    const SimulationRun& run = runs[r];
    const ClusterConfig& cluster = scenario.clusters[run.cluster];
    std::vector<PlacedJob> jobs;
    std::string names;
    for (const std::size_t w : run.workloads) {
      const TrainingWorkload& workload = scenario.training[w];
      const TrainingPlan& plan = result.training[w];
      PlacedJob job{workload.name,
                    model_shape(workload.model),
                    plan.layout,
                    plan.gpu,
                    plan.comm,
                    {},
                    {},
                    plan.estimate.breakdown.input_stall_s};
      const int writers = checkpoint_writers(plan.layout.zero_stage, plan.layout.tp, plan.layout.pp,
                                             static_cast<int>(job_gpus(plan)));
      if (plan.checkpoints > 0 && writers > kMaxCheckpointWriters && run.main) {
        result.simulations[w].checkpoint_not_simulated =
            std::to_string(writers) + " GPUs write it, more than the " +
            std::to_string(kMaxCheckpointWriters) + " the simulation plays";
      }
      if (plan.checkpoints > 0 && writers <= kMaxCheckpointWriters) {
        // The run's checkpoints are alike: one is played, after the first iteration.
        job.checkpoint.bytes = plan.checkpoint_bytes;
        job.checkpoint.async = workload.checkpoint_async;
        job.checkpoint.host_link_Bps = cluster.gpu.host_link_Bps;
        job.checkpoint.after_iteration = 0;
      }
      if (result.placements[w].empty()) {
        for (int g = 0; g < cluster.gpu_count(); ++g) job.gpus.push_back(g);
      } else {
        job.gpus = gpus_of(result.placements[w], cluster.server.gpus);
      }
      jobs.push_back(std::move(job));
      names.append(names.empty() ? "" : " + ").append(workload.name);
    }
    SimulationSettings settings;
    settings.iterations = iterations;
    settings.gpu_slowdown = draws[run.cluster].gpu_factor;
    settings.record_trace = trace && run.main;
    const std::string label =
        std::string("simulating ").append(names).append(run.main ? "" : " alone");
    const double base = static_cast<double>(r) / static_cast<double>(runs.size());
    if (progress) progress(base, label);
    const ChildSimulation sim = simulate_in_child(
        jobs, result.clusters[run.cluster].topology, cluster, settings, [&](double fraction) {
          if (progress) progress(base + fraction / static_cast<double>(runs.size()), label);
        });
    for (std::size_t position = 0; position < run.workloads.size(); ++position) {
      SimulationOutcome& outcome = result.simulations[run.workloads[position]];
      if (!sim.simulated) {
        if (run.main) outcome.reason = sim.reason;
        continue;
      }
      if (!run.main) {
        outcome.alone_iteration_s = iteration_stats(times_of(sim.jobs.at(0))).mean_s;
        continue;
      }
      record_main(result, run, sim, position, outcome);
    }
    if (run.main)
      for (TraceSpan span : sim.trace) {
        span.job = static_cast<int>(run.workloads.at(span.job));
        result.trace.push_back(span);
      }
  }
}

}  // namespace capsim::sim_detail
