// plan_checkpoint(): the writers of a checkpoint (checkpoint_writers()'s rule on job ranks),
// spread over the storage nodes and their ports, and their chunks.
#include "CheckpointPlan.hpp"

#include <algorithm>
#include <cmath>

#include "capsim/models/TrainingPlan.hpp"

namespace capsim::sim_detail {

CheckpointPlan plan_checkpoint(const CheckpointSettings& settings, const TrainingLayout& layout,
                               int storage_nodes, int ports) {
  CheckpointPlan plan;
  if (!(settings.bytes > 0)) return plan;
  plan.enabled = true;
  plan.async = settings.async;
  plan.after_iteration = settings.after_iteration;
  const int gpus = layout.tp * layout.cp * layout.dp * layout.pp;
  const int count = checkpoint_writers(layout.zero_stage, layout.tp, layout.pp, gpus);
  std::vector<int> ranks;
  if (count == gpus) {
    for (int r = 0; r < gpus; ++r) ranks.push_back(r);
  } else {
    // Replica 0, context rank 0 of every stage: ranks t + k x (tp cp dp), t < tp.
    const int stage_stride = layout.tp * layout.cp * layout.dp;
    for (int k = 0; k < layout.pp; ++k)
      for (int t = 0; t < layout.tp; ++t) ranks.push_back(t + k * stage_stride);
  }
  for (std::size_t i = 0; i < ranks.size(); ++i) {
    const int n = static_cast<int>(i);
    plan.writers.push_back({ranks[i], n % storage_nodes, n / storage_nodes % ports});
  }
  const double share_bytes = settings.bytes / static_cast<double>(ranks.size());
  plan.chunks =
      std::clamp(kCheckpointChunkBudget / static_cast<int>(ranks.size()), 1, kCheckpointMaxChunks);
  plan.chunk_bytes = static_cast<std::uint64_t>(std::llround(share_bytes / plan.chunks));
  if (settings.async) plan.snapshot_s = share_bytes / settings.host_link_Bps;
  return plan;
}

}  // namespace capsim::sim_detail
