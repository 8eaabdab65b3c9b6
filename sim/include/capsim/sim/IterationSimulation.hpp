// One training iteration of one job played out in time on the cluster's network (the `simulate`
// fidelity of a training step): no contention from other jobs, no variability. The costs are the
// estimate's (capsim/models/TrainingEstimate.hpp, estimate_stages); what the simulation adds is
// the schedule: when each stage can run, and the pipeline transfers as flows on the topology.
//
// Structure reduction: every data-parallel replica, context-parallel rank and tensor-parallel
// rank of a stage runs the same work at the same time, so one pipeline stands for all of them:
// the pp stages of data-parallel replica 0, context rank 0, tensor rank 0, i.e. GPU ranks
// k x tp x cp x dp for stage k (ranks ordered tp fastest, then cp, dp, pp, as comm_paths()).
// One actor per stage runs Megatron-LM's 1F1B schedule for m = global_batch / (dp x micro_batch)
// micro-batches, step by step as Megatron issues it (PipelineProgram.hpp): without interleaving
// (vpp 1, forward_backward_pipelining_without_interleaving) min(pp - k - 1, m) warm-up forwards,
// then steady forward/backward pairs, then the cool-down backwards; interleaved (vpp > 1,
// forward_backward_pipelining_with_interleaving, Narayanan et al. SC'21) each GPU holds vpp
// model chunks (virtual stages k, k + pp, ...), and the last rank sends its chunks' activations
// on to the first. Its communication follows Megatron's p2p calls: the transfers of one call
// start together and the call waits for all of them, each completing when its receiver takes it
// (rendezvous, as NCCL's send/recv).
// - A forward or backward is computation on the stage's GPU lasting that stage's per-micro-batch
//   time without the pipeline send: compute plus exposed tensor-, context- and expert-parallel
//   time (MicroBatchTimes::forward_s - pp_forward_s, backward_s - pp_backward_s). Interleaved,
//   each chunk gets the share of its layers, and the last chunk of the last rank the logits
//   (logits_kernel_times). Hosts run at 1e15 flop/s and an activity of t seconds is t x 1e15
//   flops (an exact mapping).
// - Activations (forward) and their gradients (backward) between adjacent stages are real flows
//   of the estimate's bytes, micro_batch x (seq_len / cp) x hidden x 2 / tp, on the route
//   between the two GPUs (through NICs and switches when the stages are on different servers).
// - Link efficiencies: flows see every NVLink link at scaleup_collective_efficiency of its
//   bandwidth and every other link at the NIC's collective_efficiency, the factors comm_link()
//   applies to the estimate's paths, so that an uncontended transfer takes what the estimate's
//   point_to_point_s() gives.
// - After its last backward each stage reduces its gradients over data parallelism, then runs
//   the optimizer step (the estimate's optimizer_s, that of the largest stage). The iteration
//   ends when the last of them finishes.
//   As flows (SimulatedIteration::dp_comm_as_flows) when the reduction is the estimate's plain
//   end-of-iteration collective and small: ZeRO-0 (ring all-reduce) or ZeRO-1 (ring
//   reduce-scatter of the gradients, then ring all-gather of the bf16 weights), no overlap, ep 1,
//   dp x tp x cp x pp <= 32768 ring flows. Then each of the stage's tp x cp data-parallel
//   groups (ranks stage rank + o + j x tp x cp, o its tensor/context rank: every GPU of the
//   stage, each on its own NIC where the server has one per GPU) runs its ring with
//   Collectives.hpp's steps and the estimate's bytes (its local parameters x bytes per parameter
//   / dp per step), every member starting when the stage's replica 0 finishes its backward (the
//   replicas are identical). All the rings are played, not one for all: on a shared fabric the
//   rings of different tensor ranks meet on leaf uplinks. A ring's identical steps are played as
//   one transfer per ring edge of all their bytes after their latencies (JobActors.cpp; the
//   full step-by-step replay agrees to 4 digits at 512 GPUs, docs/simulation.md). Each ring step
//   pays its neighbours' route latency, where the estimate charges the farthest pair's.
//   Otherwise as computation of the estimate's exposed dp time for that stage (closed form; the
//   overlap windows, ZeRO-2/3's per-micro-batch reductions and the expert-data-parallel groups
//   are all counted there).
//
// Why it differs from estimate_training: the estimate charges (m + (pp - 1) / vpp) slots of the
// bottleneck stage, each slot with both pipeline sends (vpp of each when interleaved). Played out,
// the steady state's paired exchanges overlap the forward send of one micro-batch with the backward
// send of another, and faster stages fill and drain the pipeline quicker (with pp 2: m slots of the
// bottleneck plus one of the other stage, each slot with one transfer time). With p2p transfers
// small against compute the two agree closely: the simulation is 0.27% faster on
// megatron-core-h100-70b (pp 2), 0.79% on -177b (pp 6: five stages lighter than the last, which
// holds the logits). Where the stages' dp rings share fabric links while they overlap in time
// (statically routed), the simulation is slower: megatron-sc21-39.1b, -76.1b and -145.6b take
// 2-4% longer (docs/simulation.md, tests/sim/PublishedAgreement_test).
//
// SimGrid allows one engine per process: simulate_training_iteration() runs at most once per
// process, and not after simulate_collectives() (a second simulation throws ConfigurationError).
#pragma once

#include <vector>

#include "capsim/models/Scenario.hpp"
#include "capsim/models/Topology.hpp"
#include "capsim/models/TrainingEstimate.hpp"

namespace capsim {

/// One iteration played out; times in seconds from the iteration's start.
struct SimulatedIteration {
  double start_s = 0.0;           ///< simulated clock when it began (0 for the first)
  double iteration_s = 0.0;       ///< the last stage's optimizer step ends
  double pipeline_s = 0.0;        ///< the last backward of any stage ends (1F1B with its transfers)
  double compute_s = 0.0;         ///< busiest stage: m x its forward + backward (without p2p)
  double dp_comm_s = 0.0;         ///< longest stage's data-parallel time after its last backward
  bool dp_comm_as_flows = false;  ///< the gradient reduction ran as ring flows (see above)
  double optimizer_s = 0.0;       ///< the optimizer step every stage runs
  int micro_batches = 0;          ///< m
  std::vector<double> stage_pipeline_s;  ///< each stage's last backward ends, by stage
  std::vector<double> stage_finish_s;    ///< each stage's optimizer step ends, by stage
};

/// Simulates one iteration of `layout` on `topology` (the cluster's, `total_gpus` GPUs);
/// `cluster` gives the link efficiencies and the paths' rule (comm_paths()).
/// Throws ConfigurationError, before touching SimGrid, for what estimate_training rejects (with
/// its message), for a topology whose GPU count is not total_gpus, for stages with no route between
/// them; and for a second simulation in the same process.
SimulatedIteration simulate_training_iteration(const ModelShape& model,
                                               const TrainingLayout& layout,
                                               const GpuPerformance& gpu, const Topology& topology,
                                               const ClusterConfig& cluster, int total_gpus);

}  // namespace capsim
