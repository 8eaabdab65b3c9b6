// Who writes a job's simulated checkpoint, how much, to which storage node and port, in what
// chunks (private to sim/, SimGrid-free). The model is described at CheckpointSettings
// (JobsSimulation.hpp).
#pragma once

#include <cstdint>
#include <vector>

#include "capsim/models/TrainingEstimate.hpp"
#include "capsim/sim/JobsSimulation.hpp"

namespace capsim::sim_detail {

/// One GPU's part of the checkpoint.
struct CheckpointWriter {
  int rank = 0;     ///< job-local GPU
  int storage = 0;  ///< storage node (its index in the topology)
  int port = 0;     ///< which of that node's links
};

/// A job's checkpoint as the actors play it.
struct CheckpointPlan {
  bool enabled = false;
  bool async = false;
  int after_iteration = 0;
  double snapshot_s = 0;  ///< async: each writer's copy to host memory
  int chunks = 1;         ///< per writer, sent one after the other
  std::uint64_t chunk_bytes = 0;
  std::vector<CheckpointWriter> writers;
};

/// Most chunks a writer sends; fewer when many GPUs write (kCheckpointChunkBudget / writers, at
/// least 1), so that a checkpoint of every GPU of a 16k-GPU job stays a few flows per writer.
inline constexpr int kCheckpointMaxChunks = 16;
inline constexpr int kCheckpointChunkBudget = 4096;
/// Chunks of one writer that may wait for the storage node's disk at once (the storage's flow
/// control: a write buffer of two chunks, one being written while the next arrives).
inline constexpr int kCheckpointWindowChunks = 2;

/// The plan of `settings` for a job of `layout` (ranks ordered tp, cp, dp, pp) on a cluster
/// with `storage_nodes` storage nodes of `ports` links each. settings.bytes 0 gives a disabled
/// plan. Expects storage_nodes >= 1 and ports >= 1 when bytes > 0 (the caller checks).
CheckpointPlan plan_checkpoint(const CheckpointSettings& settings, const TrainingLayout& layout,
                               int storage_nodes, int ports);

}  // namespace capsim::sim_detail
