// What the simulator plays for one training job, all taken from the estimate (private to sim/,
// SimGrid-free): each pipeline rank's per-chunk compute, the pipeline message, the data-parallel
// reduction (ring flows or closed form) and the optimizer step. See IterationSimulation.hpp for
// the model and the structure reduction (one pipeline stands for every replica and tensor rank).
#pragma once

#include <cstdint>
#include <vector>

#include "capsim/models/TrainingEstimate.hpp"

namespace capsim::sim_detail {

/// One collective of a data-parallel ring: `steps` steps, each member sending `bytes` onwards.
struct RingPhase {
  int steps = 0;
  std::uint64_t bytes = 0;
};

/// When a stage's data-parallel collectives run, as the estimate prices them (TrainingEstimate.cpp
/// dp_comm_s), each a list of ring phases that all the stage's rings play. Not overlapped, the
/// rank waits for each where it stands (ZeRO-3's gathers before a step, scatters after one, the
/// end-of-iteration collectives after the pipeline). Overlapped (Megatron's --overlap-grad-reduce
/// / --overlap-param-gather, DeepSpeed's overlap_comm), each starts beside a step and the rank
/// waits only when it needs it done: per-micro-batch ones at the end of their step; the
/// parameter gather starts when the iteration does (Megatron dispatches it after the optimizer
/// step) and is needed at the end of the first forward; the end-of-iteration reduction starts
/// with the last backward and is needed after the pipeline (finish_grad_sync).
struct DpSchedule {
  bool overlap = false;
  std::vector<RingPhase> each_forward;  ///< ZeRO-3: the weights' gather, every forward
  std::vector<RingPhase>
      each_backward;  ///< ZeRO-2 scatter; ZeRO-3 gather + scatter, every backward
  std::vector<RingPhase> first_forward;   ///< overlapped ZeRO-1/2 gather, by the first forward
  std::vector<RingPhase> after_backward;  ///< ZeRO-0 all-reduce, ZeRO-1 scatter (+ gather unless
                                          ///< overlapped), ZeRO-2 gather unless overlapped; with
                                          ///< the last backward when overlapped
};

/// One pipeline rank of the simulated pipeline.
struct StagePlan {
  int rank = 0;                    ///< job-local GPU: tensor rank 0, context rank 0, replica 0
  std::vector<double> forward_s;   ///< per model chunk: one micro-batch's forward, no p2p send
  std::vector<double> backward_s;  ///< per model chunk: its backward
  double dp_s = 0.0;               ///< exposed data-parallel time (when not played as flows)
  /// The stage's data-parallel rings (flows only): one per tensor x context rank o, members
  /// rank + o + j x tp x cp for replicas j = 0 .. dp - 1; rings[0][0] is `rank`.
  std::vector<std::vector<int>> rings;
  DpSchedule collectives;  ///< what the rings play, and when (flows only)
};

/// One job's iteration as the simulator plays it. Ranks are job-local (0 .. GPUs - 1, ordered
/// tp fastest, then cp, dp, pp, as comm_paths()).
struct IterationPlan {
  int pp = 1;
  int vpp = 1;
  int micro_batches = 0;
  int dp = 1;                   ///< data-parallel replicas
  int replica_stride = 1;       ///< job ranks between replica j and j + 1 of a stage: tp x cp
  std::uint64_t p2p_bytes = 0;  ///< activation (or gradient) message between adjacent stages
  double optimizer_s = 0.0;
  double input_stall_s = 0.0;  ///< waited after the optimizer step (PlacedJob::input_stall_s)
  double expected_s = 0.0;     ///< the estimate's iteration (for progress)
  bool dp_as_flows = false;
  std::vector<StagePlan> stages;  ///< by pipeline rank
};

/// Most data-parallel ring flows played at once: dp x tp x cp x pp (every GPU of the job; the
/// 16,384 of Llama 3.1 405B's TP8 x PP16 x DP128 fit).
inline constexpr long kMaxRingFlows = 32768;

/// The plan of `layout` on a job whose comm_paths() are `comm`; `ring_alone_in_domain` says
/// whether replica 0's data-parallel ring members each sit alone in their NVLink domain and
/// `static_routing` whether the fabric routes statically (see IterationPlan.cpp). Validates as
/// estimate_training does (throws ConfigurationError).
IterationPlan plan_iteration(const ModelShape& model, const TrainingLayout& layout,
                             const GpuPerformance& gpu, const CommPaths& comm, int total_gpus,
                             bool ring_alone_in_domain, bool static_routing);

/// The job-local GPU pairs that exchange data: adjacent pipeline ranks both ways (with the
/// interleaved schedule's wrap-around from the last rank to the first) of the first `replicas`
/// replicas' pipelines, and each ring's neighbours.
std::vector<std::pair<int, int>> communicating_pairs(const IterationPlan& plan, int replicas = 1);

}  // namespace capsim::sim_detail
