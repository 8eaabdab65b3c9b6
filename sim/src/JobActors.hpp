// The actors that play training jobs on a SimPlatform (private to sim/). One actor per pipeline
// rank (of replica 0, or of every replica in the full replay) runs its PipelineProgram with the
// plan's costs, then its data-parallel reduction (closed form, or as ring flows with one actor per
// ring member) and the optimizer step; the job's actors meet at a barrier after every iteration
// (Megatron's end-of-step synchronisation: the loss and gradient-norm all-reduces), so iteration i
// + 1 starts when iteration i has ended on every rank. A job's checkpoint (CheckpointPlan) is
// written after its iteration: one actor per writer on its GPU sends its chunks, one per writer
// on the storage node writes them to disk as they arrive. Several jobs play in the same run, on
// disjoint GPUs, and share the links.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "CheckpointPlan.hpp"
#include "IterationPlan.hpp"
#include "SimPlatform.hpp"

namespace capsim::sim_detail {

/// One job to play: its plan, where its ranks are and how slow each stage is.
struct JobRun {
  IterationPlan plan;
  std::vector<int> gpus;  ///< job-local rank -> the cluster's GPU rank
  /// Pipelines played: 1 (replica 0's stands for all: the reduction) or plan.dp (every
  /// replica's, tensor rank 0 each: the full replay).
  int replicas = 1;
  /// Compute-time factor of each played pipeline rank per iteration ([iteration][replica x pp +
  /// rank], 1 = nominal, 1.2 = 20% slower); empty = 1 everywhere.
  std::vector<std::vector<double>> stage_slowdown;
  bool replay_ring_steps = false;  ///< every ring step as flows, not one flow per ring edge
  CheckpointPlan checkpoint;       ///< written after plan's iteration, if enabled
};

/// One iteration of one job, seconds from its start.
struct IterationTiming {
  double start_s = 0.0;      ///< simulated clock when the iteration began
  double iteration_s = 0.0;  ///< until the last rank reached the end-of-step barrier
  double pipeline_s = 0.0;   ///< the last backward of any rank ends
  double dp_comm_s = 0.0;    ///< longest rank's wait for its data-parallel collectives
  std::vector<double> stage_pipeline_s;  ///< by rank: its last backward ends
  std::vector<double> stage_finish_s;    ///< by rank: its optimizer step ends
};

/// A span of work on one GPU for the trace: a forward or backward, a reduction, an optimizer.
struct WorkSpan {
  int job = 0;
  int stage = 0;  ///< pipeline rank
  int gpu = 0;    ///< the cluster's GPU rank
  int iteration = 0;
  std::string name;  ///< "F3.1" (forward of micro-batch 3, chunk 1), "B3.1", "dp", "optimizer"
  double start_s = 0.0;
  double end_s = 0.0;
};

/// Everything the actors write; owned by the caller, filled while the engine runs.
struct JobOutcomes {
  std::vector<std::vector<IterationTiming>> timings;  ///< [job][iteration]
  std::vector<WorkSpan> spans;                        ///< filled only when record_spans
  std::vector<CheckpointTiming> checkpoints;          ///< [job]; timings only (no slowdown)
  bool record_spans = false;
};

/// Computations and transfers the actors have played so far in this process (the simulation's
/// events, for the benchmarks' events per second).
std::uint64_t played_activities();

/// Creates the actors of every job for `iterations` iterations. Routes between every pair of
/// communicating_pairs() of each job (mapped through JobRun::gpus), and from each checkpoint
/// writer's GPU to its storage node, must already be on the platform. `jobs` and `out` must outlive
/// the engine's run.
void start_jobs(const SimPlatform& platform, const std::vector<JobRun>& jobs, int iterations,
                JobOutcomes& out);

}  // namespace capsim::sim_detail
