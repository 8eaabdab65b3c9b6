// Several training jobs played out together on one cluster's network, for several iterations,
// with slow GPUs: contention between jobs, stragglers and the iteration-time distribution.
//
// Each job is simulated as simulate_training_iteration() simulates one (IterationSimulation.hpp:
// the estimate's costs, Megatron's 1F1B schedule, pipeline transfers and plain gradient rings as
// flows, one pipeline standing for its replicas), on the cluster GPUs its placement gives it.
// All jobs start at time 0 and share every link: where their flows cross the same link (an
// oversubscribed spine, a leaf uplink) they split its bandwidth max-min fairly.
//
// Iterations: every rank of a job meets at the end of each iteration (Megatron's end-of-step
// all-reduces of the loss and the gradient norm), so iteration i + 1 starts when i has ended
// everywhere; each job runs its own iterations, unsynchronised with the other jobs.
//
// Slow GPUs: SimulationSettings::gpu_slowdown multiplies the compute time (forward, backward,
// optimizer; not communication) of a GPU in an iteration. Structure reduction: a stage's
// tensor ranks synchronise at every layer and its replicas at the gradient reduction, so the
// simulated pipeline's stage k runs at the pace of the slowest GPU among all of stage k's GPUs
// (every tensor, context and data-parallel rank). This is exact when the slow GPUs of an
// iteration sit in one replica (one slow server, any number of slow GPUs in it) and an upper
// bound otherwise (replicas slow in different stages are played as one pipeline slow in both).
// With replay_replicas every replica's pipeline is played and runs at its own GPUs' pace.
//
// SimGrid allows one engine per process: one call per process, not after any other simulation
// (a second throws ConfigurationError).
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "capsim/models/Scenario.hpp"
#include "capsim/models/Topology.hpp"
#include "capsim/models/TrainingEstimate.hpp"
#include "capsim/sim/IterationSimulation.hpp"

namespace capsim {

/// A checkpoint a job writes in the simulation, once, when one of its iterations has ended
/// (CheckpointPlan.hpp in sim/src says who writes what where).
///
/// The writers (checkpoint_writers(): every GPU under ZeRO >= 1, else the tp x pp GPUs of the
/// first replica) each write an equal share of `bytes` to a storage node (writer i to node
/// i mod nodes, over its port (i / nodes) mod ports), in chunks sent one after the other over
/// the GPU's NIC and the fabric; the storage node writes each chunk to its disk as it arrives
/// (network and disk pipelined; the disks and links are shared max-min fairly).
/// Synchronous: training waits until every chunk is on disk. Asynchronous: training waits for
/// the copy of each writer's share to host memory (bytes / writers / host_link_Bps), then goes on
/// while the write drains, its flows sharing links with the training's own traffic; if the
/// write outlasts the simulated iterations, the job waits for it after the last one.
struct CheckpointSettings {
  double bytes = 0;          ///< the whole checkpoint, all writers together; 0 = none
  bool async = false;        ///< write in the background after a copy to host memory
  double host_link_Bps = 0;  ///< async: each writer's copy to host memory, bytes/s
  int after_iteration = 0;   ///< written when this iteration (0-based) has ended everywhere
};

/// Most checkpoint writers a simulation plays: each is a host, two actors and a route to its
/// storage port, and SimGrid's full zone costs one pointer per pair of hosts (a 16k-GPU job's
/// 16,384 writers would take minutes and gigabytes for one checkpoint). Above it the scenario
/// run keeps the closed form's checkpoint stall and says so.
inline constexpr int kMaxCheckpointWriters = 4096;

/// One training job on the cluster.
struct PlacedJob {
  std::string name;  ///< for messages and the trace
  ModelShape model;
  TrainingLayout layout;
  GpuPerformance gpu;
  CommPaths comm;                 ///< the links its estimate uses (the job alone on its servers)
  std::vector<int> gpus;          ///< job rank -> the cluster's GPU rank; tp x cp x dp x pp of them
  CheckpointSettings checkpoint;  ///< none by default
  /// Waiting for input data after each iteration's optimizer step: the estimate's closed form
  /// (DataLoading.hpp; the reads are not played as flows)
  double input_stall_s = 0.0;
};

/// A job's simulated checkpoint (all zero when it wrote none).
struct CheckpointTiming {
  bool played = false;
  double start_s = 0;  ///< simulated clock when its iteration had ended everywhere
  /// Training's wait: synchronous, until the last chunk is on disk; asynchronous, the copy to
  /// host memory plus any wait after the last iteration for a write that outlasted them.
  double stall_s = 0;
  double write_s = 0;             ///< from start_s until the last chunk is on disk
  int overlapped_iterations = 0;  ///< async: iterations that started before the write ended
  /// async: those iterations' time beyond the mean of the job's iterations that did not
  /// overlap the write (what the checkpoint's traffic cost the training); 0 when synchronous.
  double slowdown_s = 0;
  int writers = 0;
  int storage_nodes = 0;
};

/// A span of work on one GPU: one forward or backward, a gradient reduction, an optimizer step.
struct TraceSpan {
  int job = 0;           ///< index into the jobs
  int stage = 0;         ///< pipeline rank
  int gpu = 0;           ///< the cluster's GPU rank it ran on
  int iteration = 0;     ///< 0-based
  std::string name;      ///< "F3.1" forward of micro-batch 3, chunk 1; "B3.1"; "dp"; "optimizer"
  double start_s = 0.0;  ///< simulated time, seconds from the start
  double end_s = 0.0;
};

struct SimulationSettings {
  int iterations = 1;  ///< iterations per job, >= 1
  /// Compute-time factor of each cluster GPU in each iteration ([iteration][GPU rank]; 1 =
  /// nominal, 1.2 = 20% slower, every value >= 1 finite); empty = 1 everywhere.
  std::vector<std::vector<double>> gpu_slowdown;
  bool record_trace = false;  ///< fill JobsSimulation::trace
  /// Play every step of the gradient rings as its own flows (the full replay) instead of one
  /// flow per ring edge carrying all the steps' bytes (the default reduction; docs/simulation.md).
  bool replay_ring_steps = false;
  /// Play every data-parallel replica's pipeline (tensor rank 0 of each) instead of replica 0's
  /// standing for all (the default reduction); slow GPUs then slow only their own replica.
  bool replay_replicas = false;
  /// Called as simulated time advances with the fraction done (simulated time over the jobs'
  /// expected end, capped below 1); may be empty.
  std::function<void(double)> progress;
};

struct JobsSimulation {
  std::vector<std::vector<SimulatedIteration>> jobs;  ///< [job][iteration]; times from its start
  std::vector<TraceSpan> trace;                       ///< every job's spans, when recorded
  std::uint64_t events = 0;  ///< activities played: computations and transfers (flows)
  std::vector<CheckpointTiming> checkpoints;  ///< [job]
};

/// Plays `jobs` together on `topology` (the cluster's; `cluster` gives the link efficiencies).
/// Throws ConfigurationError, before SimGrid starts, for an invalid layout (the estimate's
/// message, prefixed with the job's name), a job whose GPU list does not match its layout's size
/// or names a GPU outside the topology or one another job (or itself) already uses, bad
/// settings, no route between communicating GPUs; and for a second simulation in the process.
JobsSimulation simulate_training_jobs(const std::vector<PlacedJob>& jobs, const Topology& topology,
                                      const ClusterConfig& cluster,
                                      const SimulationSettings& settings = {});

}  // namespace capsim
