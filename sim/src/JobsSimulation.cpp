// simulate_training_jobs(): checks the jobs and their placement, plans each from its estimate,
// routes every communicating pair, builds the platform once and plays all jobs on it.
#include "capsim/sim/JobsSimulation.hpp"

#include <algorithm>
#include <cmath>
#include <simgrid/s4u/Engine.hpp>
#include <string>
#include <utility>
#include <vector>

#include "IterationPlan.hpp"
#include "JobActors.hpp"
#include "JobsSimulationDetail.hpp"
#include "SimEngine.hpp"
#include "SimPlatform.hpp"
#include "capsim/models/Errors.hpp"
#include "capsim/models/FabricRoutes.hpp"
#include "capsim/models/TrainingPlan.hpp"

namespace capsim {
namespace sim_detail {
namespace {

class Failure {
 public:
  explicit Failure(std::string caller) : caller_(std::move(caller)) {}
  [[noreturn]] void operator()(const std::string& message) const {
    throw ConfigurationError(std::string(caller_).append(": ").append(message));
  }

 private:
  std::string caller_;
};

// Whether replica 0's data-parallel ring members (tensor rank 0 of each replica) each sit alone
// in their NVLink domain: then one ring of flows is what NCCL runs (IterationPlan.cpp).
bool ring_alone_in_domain(const PlacedJob& job, const Topology& topology) {
  const TrainingLayout& layout = job.layout;
  if (layout.dp < 2) return false;
  std::vector<int> ranks;
  for (int j = 0; j < layout.dp; ++j) ranks.push_back(job.gpus[j * layout.tp * layout.cp]);
  return std::isinf(topology.collective_path(ranks).scaleup_Bps);
}

void check_settings(const SimulationSettings& settings, int gpus, const Failure& fail) {
  if (settings.iterations < 1)
    fail(std::string("iterations is ")
             .append(std::to_string(settings.iterations))
             .append("; expected 1 or more"));
  if (settings.gpu_slowdown.empty()) return;
  if (settings.gpu_slowdown.size() != static_cast<std::size_t>(settings.iterations))
    fail("gpu_slowdown has " + std::to_string(settings.gpu_slowdown.size()) +
         " iterations; expected one list per iteration (" + std::to_string(settings.iterations) +
         ")");
  for (const auto& row : settings.gpu_slowdown) {
    if (row.size() != static_cast<std::size_t>(gpus))
      fail("gpu_slowdown lists " + std::to_string(row.size()) +
           " GPUs; expected one factor per GPU of the topology (" + std::to_string(gpus) + ")");
    for (const double factor : row)
      if (!(factor >= 1.0) || !std::isfinite(factor))
        fail("gpu_slowdown holds " + std::to_string(factor) + "; expected finite factors >= 1");
  }
}

// Each played pipeline rank's compute factor per iteration ([iteration][replica x pp + rank]):
// the slowest of its GPUs, those of every replica when one pipeline stands for all (see the
// header), its own replica's when every replica is played.
std::vector<std::vector<double>> stage_slowdown(const PlacedJob& job, int replicas,
                                                const SimulationSettings& settings) {
  if (settings.gpu_slowdown.empty()) return {};
  const TrainingLayout& l = job.layout;
  const int group = l.tp * l.cp, per_stage = group * l.dp;
  std::vector<std::vector<double>> out;
  for (const auto& row : settings.gpu_slowdown) {
    std::vector<double> factors(static_cast<std::size_t>(replicas) * l.pp, 1.0);
    for (std::size_t r = 0; r < job.gpus.size(); ++r) {
      const int k = static_cast<int>(r) / per_stage;
      const int replica = replicas == 1 ? 0 : static_cast<int>(r) % per_stage / group;
      double& factor = factors[static_cast<std::size_t>(replica) * l.pp + k];
      factor = std::max(factor, row[job.gpus[r]]);
    }
    out.push_back(std::move(factors));
  }
  return out;
}

// A storage node's links, each as the hop into the node and the vertex it comes from.
struct StoragePort {
  RouteHop hop;
  TopologyVertex from;
};

std::vector<std::vector<StoragePort>> storage_ports(const Topology& topology,
                                                    const FabricRoutes& routes) {
  const TopologyGraph& graph = topology.graph();
  std::vector<std::vector<StoragePort>> ports;
  for (std::size_t e = 0; e < routes.edge_count(); ++e) {
    for (const bool forward : {true, false}) {
      const TopologyVertex to = forward ? routes.second(e) : routes.first(e);
      const TopologyVertex from = forward ? routes.first(e) : routes.second(e);
      if (graph[to].kind != VertexKind::Storage) continue;
      const auto index = static_cast<std::size_t>(graph[to].index);
      if (ports.size() <= index) ports.resize(index + 1);
      ports[index].push_back({RouteHop{e, forward}, from});
    }
  }
  return ports;
}

// Each storage node's disk (read, write bytes/s): node k belongs to the cluster's storage
// entries in order (fabric_spec numbers them so).
std::vector<std::pair<double, double>> storage_disks(const ClusterConfig& cluster) {
  std::vector<std::pair<double, double>> disks;
  for (const StorageConfig& storage : cluster.storage)
    for (int k = 0; k < storage.count; ++k)
      disks.emplace_back(storage.system.read_Bps, storage.system.write_Bps);
  return disks;
}

void check_checkpoint(const PlacedJob& job, int iterations, std::size_t nodes,
                      const std::vector<std::pair<double, double>>& disks, const std::string& who,
                      const Failure& fail) {
  const CheckpointSettings& c = job.checkpoint;
  if (!(c.bytes > 0)) return;
  if (nodes == 0)
    fail(who + " writes a checkpoint but the cluster has no storage nodes; expected a storage " +
         "entry in the cluster");
  if (disks.size() != nodes)
    fail(who + " writes a checkpoint to " + std::to_string(nodes) +
         " storage nodes but the cluster's storage entries describe " +
         std::to_string(disks.size()) + "; expected one entry per node");
  for (const auto& [read_Bps, write_Bps] : disks)
    if (!(write_Bps > 0) || !(read_Bps > 0))
      fail(who + " writes a checkpoint to storage without a positive read and write bandwidth");
  if (c.after_iteration < 0 || c.after_iteration >= iterations)
    fail(who + "'s checkpoint follows iteration " + std::to_string(c.after_iteration) +
         "; expected 0.." + std::to_string(iterations - 1));
  const TrainingLayout& l = job.layout;
  const int writers = checkpoint_writers(l.zero_stage, l.tp, l.pp, l.tp * l.cp * l.dp * l.pp);
  if (writers > kMaxCheckpointWriters)
    fail(who + "'s checkpoint has " + std::to_string(writers) + " writers; expected at most " +
         std::to_string(kMaxCheckpointWriters) + " (kMaxCheckpointWriters)");
  if (c.async && !(c.host_link_Bps > 0))
    fail(who + " writes an asynchronous checkpoint without a host link bandwidth; expected the " +
         "GPU's host_link");
}

// An asynchronous checkpoint's cost to the iterations it overlapped: their time beyond the mean
// of the job's iterations that did not overlap the write.
void overlap_slowdown(const std::vector<SimulatedIteration>& iterations, CheckpointTiming& c) {
  if (!c.played) return;
  const double end_s = c.start_s + c.write_s;
  std::vector<double> overlapped;
  double clear_sum = 0;
  int clear = 0;
  for (std::size_t i = 0; i < iterations.size(); ++i) {
    const SimulatedIteration& it = iterations[i];
    if (it.start_s >= c.start_s && it.start_s < end_s) {
      overlapped.push_back(it.iteration_s);
    } else {
      clear_sum += it.iteration_s;
      ++clear;
    }
  }
  c.overlapped_iterations = static_cast<int>(overlapped.size());
  if (clear == 0) return;
  const double reference_s = clear_sum / clear;
  double overlapped_s = 0;
  for (const double t : overlapped) overlapped_s += t;
  const double reference_total_s = reference_s * static_cast<double>(overlapped.size());
  c.slowdown_s = overlapped_s - reference_total_s;
  // Equal iterations differ in their last bits (the clock's rounding): no slowdown.
  if (std::abs(c.slowdown_s) <= 1e-9 * reference_total_s) c.slowdown_s = 0;
}

}  // namespace

JobsSimulation simulate_jobs(const std::string& caller, const std::vector<PlacedJob>& placed,
                             const Topology& topology, const ClusterConfig& cluster,
                             const SimulationSettings& settings) {
  const Failure fail(caller);
  if (placed.empty()) fail("no jobs to simulate; expected at least one");
  check_settings(settings, topology.gpu_count(), fail);
  FabricRoutes routes(topology.graph(), topology.routing());
  const std::vector<std::vector<StoragePort>> ports = storage_ports(topology, routes);
  const std::vector<std::pair<double, double>> disks = storage_disks(cluster);
  std::vector<int> owner(topology.gpu_count(), -1);
  std::vector<JobRun> runs;
  for (std::size_t j = 0; j < placed.size(); ++j) {
    const PlacedJob& job = placed[j];
    const TrainingLayout& l = job.layout;
    const long size = static_cast<long>(l.tp) * l.cp * l.dp * l.pp;
    const std::string who = std::string("job '").append(job.name).append("'");
    if (static_cast<long>(job.gpus.size()) != size)
      fail(who + " has " + std::to_string(job.gpus.size()) + " GPUs; its layout needs tp x cp x " +
           "dp x pp = " + std::to_string(size));
    for (const int gpu : job.gpus) {
      if (gpu < 0 || gpu >= topology.gpu_count())
        fail(who + " names GPU " + std::to_string(gpu) + "; the topology has GPUs 0.." +
             std::to_string(topology.gpu_count() - 1));
      if (owner[gpu] >= 0)
        fail(who + " uses GPU " + std::to_string(gpu) + ", already taken by job '" +
             placed[owner[gpu]].name + "'; expected each GPU in one job once");
      owner[gpu] = static_cast<int>(j);
    }
    JobRun run;
    try {
      run.plan = plan_iteration(job.model, l, job.gpu, job.comm, static_cast<int>(size),
                                ring_alone_in_domain(job, topology),
                                topology.routing() == Routing::Static);
    } catch (const ConfigurationError& error) {
      fail(who + ": " + error.what());
    }
    run.plan.input_stall_s = job.input_stall_s;
    run.plan.expected_s += job.input_stall_s;
    run.gpus = job.gpus;
    run.replicas = settings.replay_replicas ? l.dp : 1;
    run.stage_slowdown = stage_slowdown(job, run.replicas, settings);
    run.replay_ring_steps = settings.replay_ring_steps;
    check_checkpoint(job, settings.iterations, ports.size(), disks, who, fail);
    if (job.checkpoint.bytes > 0) {
      std::size_t fewest_ports = ports.front().size();
      for (const auto& node : ports) fewest_ports = std::min(fewest_ports, node.size());
      run.checkpoint = plan_checkpoint(job.checkpoint, l, static_cast<int>(ports.size()),
                                       static_cast<int>(fewest_ports));
    }
    runs.push_back(std::move(run));
  }

  std::vector<std::pair<std::pair<int, int>, std::vector<RouteHop>>> table;
  for (const JobRun& run : runs) {
    for (const auto& [a, b] : communicating_pairs(run.plan, run.replicas)) {
      const int from = run.gpus[a], to = run.gpus[b];
      auto hops = routes.route(topology.gpu_vertex(from), topology.gpu_vertex(to));
      if (hops.empty())
        fail(std::string("no route from GPU ")
                 .append(std::to_string(from))
                 .append(" to GPU ")
                 .append(std::to_string(to))
                 .append(" (pipeline or data-parallel neighbours); Topology::check() lists what "
                         "is broken"));
      table.push_back({{from, to}, std::move(hops)});
    }
  }
  // Each checkpoint writer's route: to the switch of its storage port, then the port's link.
  std::vector<std::pair<std::pair<int, int>, std::vector<RouteHop>>> storage_table;
  for (const JobRun& run : runs) {
    for (const CheckpointWriter& writer : run.checkpoint.writers) {
      const int from = run.gpus[writer.rank];
      const StoragePort& port = ports[writer.storage][writer.port];
      auto hops = routes.route(topology.gpu_vertex(from), port.from);
      if (hops.empty() && topology.gpu_vertex(from) != port.from)
        fail(std::string("no route from GPU ")
                 .append(std::to_string(from))
                 .append(" to storage node ")
                 .append(std::to_string(writer.storage))
                 .append(" (a checkpoint writer); Topology::check() lists what is broken"));
      hops.push_back(port.hop);
      storage_table.push_back({{from, writer.storage}, std::move(hops)});
    }
  }
  claim_engine(caller);

  const auto engine = start_engine();
  const LinkEfficiency efficiency{cluster.gpu.scaleup_collective_efficiency,
                                  cluster.nic.collective_efficiency};
  SimPlatform platform(topology, routes, efficiency);
  for (const auto& [pair, hops] : table) platform.add_route(pair.first, pair.second, hops);
  for (const auto& [pair, hops] : storage_table) {
    const auto& [read_Bps, write_Bps] = disks.at(static_cast<std::size_t>(pair.second));
    platform.use_storage(pair.second, read_Bps, write_Bps);
    platform.add_storage_route(pair.first, pair.second, hops);
  }
  for (const JobRun& run : runs)
    for (int j = 0; j < run.replicas; ++j)
      for (const StagePlan& stage : run.plan.stages)
        platform.use_gpu(run.gpus[stage.rank + j * run.plan.replica_stride]);
  platform.seal();

  JobOutcomes outcomes;
  outcomes.record_spans = settings.record_trace;
  start_jobs(platform, runs, settings.iterations, outcomes);
  if (settings.progress) {
    double expected_s = 0;
    for (const JobRun& run : runs) expected_s = std::max(expected_s, run.plan.expected_s);
    expected_s *= settings.iterations;
    const auto& progress = settings.progress;
    // Reported in steps of 0.1% at most: the clock advances at every event.
    simgrid::s4u::Engine::on_time_advance_cb([&progress, expected_s, last = -1.0](double) mutable {
      const double fraction = std::min(0.99, simgrid::s4u::Engine::get_clock() / expected_s);
      if (fraction < last + 0.001) return;
      last = fraction;
      progress(fraction);
    });
  }
  engine->run();

  JobsSimulation result;
  result.events = played_activities();
  for (const JobRun& run : runs) {
    std::vector<SimulatedIteration> iterations;
    for (const IterationTiming& timing : outcomes.timings[result.jobs.size()])
      iterations.push_back(summarise(run.plan, timing));
    CheckpointTiming checkpoint = outcomes.checkpoints[result.jobs.size()];
    checkpoint.storage_nodes = run.checkpoint.enabled ? static_cast<int>(ports.size()) : 0;
    if (run.checkpoint.async) overlap_slowdown(iterations, checkpoint);
    result.checkpoints.push_back(checkpoint);
    result.jobs.push_back(std::move(iterations));
  }
  for (const WorkSpan& span : outcomes.spans)
    result.trace.push_back(
        {span.job, span.stage, span.gpu, span.iteration, span.name, span.start_s, span.end_s});
  return result;
}

SimulatedIteration summarise(const IterationPlan& plan, const IterationTiming& timing) {
  SimulatedIteration result;
  result.micro_batches = plan.micro_batches;
  result.optimizer_s = plan.optimizer_s;
  result.dp_comm_as_flows = plan.dp_as_flows;
  result.stage_pipeline_s = timing.stage_pipeline_s;
  result.stage_finish_s = timing.stage_finish_s;
  result.dp_comm_s = timing.dp_comm_s;
  for (const StagePlan& stage : plan.stages) {
    double work = 0;
    for (std::size_t c = 0; c < stage.forward_s.size(); ++c)
      work += stage.forward_s[c] + stage.backward_s[c];
    result.compute_s = std::max(result.compute_s, plan.micro_batches * work);
  }
  result.pipeline_s =
      *std::max_element(result.stage_pipeline_s.begin(), result.stage_pipeline_s.end());
  result.iteration_s = timing.iteration_s;
  result.start_s = timing.start_s;
  return result;
}

}  // namespace sim_detail

JobsSimulation simulate_training_jobs(const std::vector<PlacedJob>& jobs, const Topology& topology,
                                      const ClusterConfig& cluster,
                                      const SimulationSettings& settings) {
  return sim_detail::simulate_jobs("simulate_training_jobs", jobs, topology, cluster, settings);
}

}  // namespace capsim
