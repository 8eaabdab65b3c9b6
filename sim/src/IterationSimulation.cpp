// simulate_training_iteration(): takes every stage's costs from the estimate, checks the input,
// finds the routes between adjacent stages, then runs one actor per pipeline stage through
// Megatron-LM's 1F1B schedule (see IterationSimulation.hpp).
#include "capsim/sim/IterationSimulation.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <simgrid/s4u/Actor.hpp>
#include <simgrid/s4u/Comm.hpp>
#include <simgrid/s4u/Engine.hpp>
#include <simgrid/s4u/Host.hpp>
#include <simgrid/s4u/Mailbox.hpp>
#include <string>
#include <utility>
#include <vector>

#include "SimEngine.hpp"
#include "SimPlatform.hpp"
#include "SimRoutes.hpp"
#include "capsim/models/Errors.hpp"
#include "capsim/models/TrainingPlan.hpp"

namespace capsim {
namespace {

namespace s4u = simgrid::s4u;

[[noreturn]] void fail(const std::string& message) {
  throw ConfigurationError(std::string("simulate_training_iteration: ").append(message));
}

// What one stage's actor plays, all from the estimate.
// One collective of a data-parallel ring: `steps` steps, each member sending `bytes` onwards.
struct RingPhase {
  int steps = 0;
  std::uint64_t bytes = 0;
};

struct StageWork {
  int rank = 0;                   ///< GPU of tensor rank 0, context rank 0, replica 0
  double forward_s = 0.0;         ///< one micro-batch's forward without the pipeline send
  double backward_s = 0.0;        ///< and its backward
  double dp_s = 0.0;              ///< exposed data-parallel time (when not played as flows)
  std::vector<int> dp_ranks;      ///< the stage's data-parallel ring, rank first (flows only)
  std::vector<RingPhase> phases;  ///< its collectives in order (flows only)
};

struct Schedule {
  std::vector<StageWork> stages;
  int micro_batches = 0;
  std::uint64_t p2p_bytes = 0;  ///< activation (or gradient) message between adjacent stages
  double optimizer_s = 0.0;
  bool dp_as_flows = false;
};

// Largest data-parallel ring played as flows: dp x pp flows per ring step (notes/simgrid-3.32.md:
// 512 flows per step cost about 16 ms of wall time per step).
constexpr long kMaxRingFlows = 512;

// The gradient reduction is played as a ring when it is the estimate's plain end-of-iteration
// collective: ZeRO-0 (all-reduce) or ZeRO-1 (reduce-scatter, all-gather), not overlapped (the
// overlap windows are closed form), no expert-data-parallel group, small enough, and with every
// member alone in its NVLink domain. With several members per domain NCCL runs one ring per NIC
// (channels), which the estimate's link counts (k members x a NIC's share) and a single ring of
// flows would not: it would squeeze the whole buffer through one NIC per server.
bool dp_as_flows(const TrainingLayout& layout, const Topology& topology) {
  if (layout.dp < 2 || layout.zero_stage > 1 || layout.overlap_dp_comm || layout.ep != 1 ||
      static_cast<long>(layout.dp) * layout.pp > kMaxRingFlows)
    return false;
  std::vector<int> ranks;
  for (int j = 0; j < layout.dp; ++j) ranks.push_back(j * layout.tp * layout.cp);
  return std::isinf(topology.collective_path(ranks).scaleup_Bps);
}

// The stage's ring collectives with Collectives.hpp's steps and the estimate's bytes: gradients
// (fp32 or bf16) and, under ZeRO-1, the bf16 weights, of the stage's local parameters, S / dp per
// step.
std::vector<RingPhase> ring_phases(const ModelShape& model, const TrainingLayout& layout,
                                   int stage) {
  const double params = local_stage_parameters(model, layout, stage).total();
  const double grad_bytes =
      layout.grad_reduce_fp32 ? kGradReduceFp32BytesPerParam : kGradReduceBf16BytesPerParam;
  const int n = layout.dp;
  auto share = [&](double bytes_per_param) {
    return static_cast<std::uint64_t>(std::llround(params * bytes_per_param / n));
  };
  if (layout.zero_stage == 0) return {{2 * (n - 1), share(grad_bytes)}};
  return {{n - 1, share(grad_bytes)}, {n - 1, share(kWeightBytesPerParam)}};
}

Schedule plan_schedule(const ModelShape& model, const TrainingLayout& layout,
                       const GpuPerformance& gpu, const Topology& topology, const CommPaths& comm,
                       int total_gpus) {
  const std::vector<StageEstimate> stages = estimate_stages(model, layout, gpu, comm, total_gpus);
  const TrainingEstimate estimate = estimate_training(model, layout, gpu, comm, total_gpus);
  Schedule s;
  s.micro_batches = estimate.micro_batches;
  s.optimizer_s = estimate.breakdown.optimizer_s;
  // The estimate's message: micro_batch x (seq_len / cp) tokens of hidden 16-bit values, each
  // tensor rank sending its 1/tp share (Megatron's scatter-gather).
  const double local_tokens =
      static_cast<double>(layout.micro_batch) * (layout.seq_len / layout.cp);
  s.p2p_bytes = static_cast<std::uint64_t>(
      std::llround(local_tokens * model.hidden * kActivationBytes / layout.tp));
  const int stage_stride = layout.tp * layout.cp * layout.dp;
  s.dp_as_flows = dp_as_flows(layout, topology);
  for (int k = 0; k < layout.pp; ++k) {
    const MicroBatchTimes& t = stages[k].micro_batch;
    StageWork work{k * stage_stride,
                   t.forward_s - t.pp_forward_s,
                   t.backward_s - t.pp_backward_s,
                   stages[k].dp_comm_exposed_s,
                   {},
                   {}};
    if (s.dp_as_flows) {
      for (int j = 0; j < layout.dp; ++j)
        work.dp_ranks.push_back(work.rank + j * layout.tp * layout.cp);
      work.phases = ring_phases(model, layout, k);
    }
    s.stages.push_back(std::move(work));
  }
  return s;
}

// Routes both ways between adjacent stages and around each stage's dp ring (when played as
// flows), checked before SimGrid starts so that bad input leaves the process able to simulate.
std::vector<std::pair<std::pair<int, int>, std::vector<sim_detail::RouteHop>>> find_routes(
    const Topology& topology, sim_detail::FabricRoutes& routes, const Schedule& s) {
  std::vector<std::pair<std::pair<int, int>, std::vector<sim_detail::RouteHop>>> table;
  std::vector<std::pair<int, int>> pairs;
  for (std::size_t k = 0; k < s.stages.size(); ++k) {
    const StageWork& stage = s.stages[k];
    if (k + 1 < s.stages.size()) {
      pairs.emplace_back(stage.rank, s.stages[k + 1].rank);
      pairs.emplace_back(s.stages[k + 1].rank, stage.rank);
    }
    const std::size_t n = stage.dp_ranks.size();
    for (std::size_t j = 0; j < n; ++j)
      pairs.emplace_back(stage.dp_ranks[j], stage.dp_ranks[(j + 1) % n]);
  }
  for (const auto& [from, to] : pairs) {
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
  return table;
}

void busy(double seconds) {
  if (seconds > 0) s4u::this_actor::execute(seconds * sim_detail::kHostFlops);
}

// Member `position` of stage k's data-parallel ring: every phase's steps, each sending to the next
// member and receiving from the previous one (mailbox "d<k>.<position>"), then the optimizer.
void run_ring_member(const Schedule& s, int k, std::size_t position, double* finish_s) {
  static int payload = 0;  // SimGrid moves only the simulated size; the pointer is never read
  const StageWork& work = s.stages[k];
  const std::size_t n = work.dp_ranks.size();
  auto box = [k](std::size_t p) {
    return s4u::Mailbox::by_name(
        std::string("d").append(std::to_string(k)).append(".").append(std::to_string(p)));
  };
  s4u::Mailbox* outbox = box((position + 1) % n);
  s4u::Mailbox* inbox = box(position);
  for (const RingPhase& phase : work.phases) {
    for (int step = 0; step < phase.steps; ++step) {
      s4u::CommPtr send = outbox->put_async(&payload, phase.bytes);
      inbox->get<int>();
      send->wait();
    }
  }
  busy(s.optimizer_s);
  *finish_s = std::max(*finish_s, s4u::Engine::get_clock());
}

// Megatron-LM's forward_backward_pipelining_without_interleaving for stage k. Mailbox "a<k>"
// carries activations from stage k to k + 1, "g<k>" gradients from stage k + 1 to k.
// With the gradient ring as flows, `dp_hosts` holds the hosts of the stage's ring members.
void run_stage(const Schedule& s, int k, const std::vector<s4u::Host*>& dp_hosts,
               double* pipeline_end_s, double* finish_s) {
  static int payload = 0;  // SimGrid moves only the simulated size; the pointer is never read
  const int pp = static_cast<int>(s.stages.size());
  const StageWork& work = s.stages[k];
  const bool first = k == 0, last = k == pp - 1;
  auto box = [](char kind, int stage) {
    return s4u::Mailbox::by_name(std::string(1, kind).append(std::to_string(stage)));
  };
  auto send = [&](s4u::Mailbox* to) { to->put(&payload, s.p2p_bytes); };
  auto exchange = [&](s4u::Mailbox* to, s4u::Mailbox* from) {
    s4u::CommPtr out = to->put_async(&payload, s.p2p_bytes);
    from->get<int>();
    out->wait();
  };
  auto recv_forward = [&] {
    if (!first) box('a', k - 1)->get<int>();
  };
  auto send_forward = [&] {
    if (!last) send(box('a', k));
  };
  auto recv_backward = [&] {
    if (!last) box('g', k)->get<int>();
  };
  auto send_backward = [&] {
    if (!first) send(box('g', k - 1));
  };

  const int m = s.micro_batches;
  const int warmup = std::min(pp - k - 1, m);
  const int steady = m - warmup;
  for (int i = 0; i < warmup; ++i) {
    recv_forward();
    busy(work.forward_s);
    send_forward();
  }
  if (steady > 0) recv_forward();
  for (int i = 0; i < steady; ++i) {
    busy(work.forward_s);
    if (!last) exchange(box('a', k), box('g', k));  // send_forward_recv_backward
    busy(work.backward_s);
    if (i == steady - 1)
      send_backward();
    else if (!first)
      exchange(box('g', k - 1), box('a', k - 1));  // send_backward_recv_forward
  }
  for (int i = 0; i < warmup; ++i) {
    recv_backward();
    busy(work.backward_s);
    send_backward();
  }
  *pipeline_end_s = s4u::Engine::get_clock();
  if (!s.dp_as_flows) {
    busy(work.dp_s);
    busy(s.optimizer_s);
    *finish_s = s4u::Engine::get_clock();
    return;
  }
  // The other replicas' copies of this stage finish their backward now too (identical work):
  // start their ring members, then take part as member 0.
  for (std::size_t j = 1; j < dp_hosts.size(); ++j) {
    s4u::Actor::create(
        std::string("stage").append(std::to_string(k)).append(".dp").append(std::to_string(j)),
        dp_hosts[j], [&s, k, j, finish_s] { run_ring_member(s, k, j, finish_s); });
  }
  run_ring_member(s, k, 0, finish_s);
}

}  // namespace

SimulatedIteration simulate_training_iteration(const ModelShape& model,
                                               const TrainingLayout& layout,
                                               const GpuPerformance& gpu, const Topology& topology,
                                               const ClusterConfig& cluster, int total_gpus) {
  validate_training_inputs(model, layout, gpu, total_gpus);
  if (layout.vpp != 1)
    fail(std::string("vpp is ")
             .append(std::to_string(layout.vpp))
             .append("; only the non-interleaved 1F1B schedule is simulated (vpp 1)"));
  if (topology.gpu_count() != total_gpus)
    fail(std::string("the topology has ")
             .append(std::to_string(topology.gpu_count()))
             .append(" GPUs; expected total_gpus (")
             .append(std::to_string(total_gpus))
             .append(")"));
  const Schedule schedule = plan_schedule(model, layout, gpu, topology,
                                          comm_paths(topology, cluster, layout), total_gpus);
  sim_detail::FabricRoutes routes(topology.graph());
  const auto table = find_routes(topology, routes, schedule);
  sim_detail::claim_engine("simulate_training_iteration");

  const auto engine = sim_detail::start_engine();
  const sim_detail::LinkEfficiency efficiency{cluster.gpu.scaleup_collective_efficiency,
                                              cluster.nic.collective_efficiency};
  sim_detail::SimPlatform platform(topology, routes, efficiency);
  for (const auto& [pair, hops] : table) platform.add_route(pair.first, pair.second, hops);
  platform.seal();

  const std::size_t pp = schedule.stages.size();
  SimulatedIteration result;
  result.micro_batches = schedule.micro_batches;
  result.optimizer_s = schedule.optimizer_s;
  result.stage_pipeline_s.assign(pp, 0.0);
  result.stage_finish_s.assign(pp, 0.0);
  std::vector<std::vector<s4u::Host*>> dp_hosts(pp);
  for (std::size_t k = 0; k < pp; ++k) {
    for (const int rank : schedule.stages[k].dp_ranks)
      dp_hosts[k].push_back(platform.gpu_host(rank));
  }
  for (std::size_t k = 0; k < pp; ++k) {
    const int stage = static_cast<int>(k);
    s4u::Actor::create(std::string("stage").append(std::to_string(k)),
                       platform.gpu_host(schedule.stages[k].rank),
                       [&schedule, &result, &dp_hosts, stage] {
                         run_stage(schedule, stage, dp_hosts[stage],
                                   &result.stage_pipeline_s[stage], &result.stage_finish_s[stage]);
                       });
  }
  engine->run();

  result.dp_comm_as_flows = schedule.dp_as_flows;
  for (std::size_t k = 0; k < pp; ++k) {
    const StageWork& work = schedule.stages[k];
    result.compute_s =
        std::max(result.compute_s, schedule.micro_batches * (work.forward_s + work.backward_s));
    // Played as flows: from the stage's last backward to its ring's end (before the optimizer).
    const double dp_s = schedule.dp_as_flows ? result.stage_finish_s[k] - schedule.optimizer_s -
                                                   result.stage_pipeline_s[k]
                                             : work.dp_s;
    result.dp_comm_s = std::max(result.dp_comm_s, dp_s);
  }
  result.pipeline_s =
      *std::max_element(result.stage_pipeline_s.begin(), result.stage_pipeline_s.end());
  result.iteration_s =
      *std::max_element(result.stage_finish_s.begin(), result.stage_finish_s.end());
  return result;
}

}  // namespace capsim
