// Checkpoints under `capsim run --fidelity simulate`, end to end, on
// scenarios/checkpoint-burst-shared-spine.yaml: Llama 3.1 8B on 4 DGX H100 (TP8 DP4, ZeRO-1) on a
// 2:1 leaf/spine, one DDN AI400X2 Turbo (80 GB/s write, 8 x 400G ports) on the spines.
#include <cmath>
#include <string>
#include <vector>

#include "RunCapsim.hpp"

namespace capsim::test {
namespace {

class CliCheckpoint : public CliTest {
 protected:
  Json run_scenario(const std::vector<std::string>& extra) {
    std::vector<std::string> args = {
        "run", (scenarios_dir() / "checkpoint-burst-shared-spine.yaml").string(), "--out", "out"};
    args.insert(args.end(), extra.begin(), extra.end());
    last_ = capsim(args);
    EXPECT_EQ(last_.exit_code, 0) << last_.describe();
    return read_json("out/result.json")["training"][0];
  }
  CliResult last_;
};

// Asynchronous (the scenario's mode): training waits for the copy to host memory only (the
// estimate's copy: 1/32 of the checkpoint over the H100's PCIe link, the same in both), then
// the shards drain to storage while training goes on; their flows share the NICs and the
// oversubscribed leaf uplinks with the gradient rings, so the iterations the write overlaps are
// slower than the others, and each of the run's checkpoints is charged stall + that slowdown.
TEST_F(CliCheckpoint, AnAsynchronousBurstSlowsTheIterationsItOverlaps) {
  const Json job = run_scenario({});
  const Json& sim = job["simulation"];
  const Json& run = job["run"];
  const Json& c = sim["checkpoint"];
  ASSERT_TRUE(c.is_object()) << sim.dump(2);
  EXPECT_EQ(c["mode"], "async");
  EXPECT_EQ(c["writers"], 32);  // ZeRO-1: every GPU holds a shard
  EXPECT_EQ(c["storage_nodes"], 1);
  EXPECT_TRUE(
      near_rel(c["stall_s"].get<double>(), run["checkpoint_snapshot_s"].get<double>(), 1e-9));
  EXPECT_GE(c["overlapped_iterations"].get<int>(), 1);
  EXPECT_GT(c["slowdown_s"].get<double>(), 0.01 * sim["iteration_s"].get<double>());
  // The write cannot beat the storage's 80 GB/s: the closed form's write time is a lower bound.
  EXPECT_GT(c["write_s"].get<double>(), run["checkpoint_write_s"].get<double>());
  EXPECT_TRUE(near_rel(c["cost_s"].get<double>(),
                       c["stall_s"].get<double>() + c["slowdown_s"].get<double>(), 1e-12));
  EXPECT_TRUE(near_rel(run["checkpoint_stall_s"].get<double>(),
                       run["checkpoints"].get<double>() * c["cost_s"].get<double>(), 1e-12));
  // The iterations the write did not touch (the first, the last) are alike; the run is timed
  // by them, the slowdown being charged per checkpoint.
  const std::vector<double> times = sim["iteration_times_s"].get<std::vector<double>>();
  EXPECT_TRUE(near_rel(sim["run_iteration_s"].get<double>(), times.front(), 1e-9));
  EXPECT_TRUE(near_rel(times.back(), times.front(), 1e-9));
  // The closed form's figure stays beside the simulated one.
  EXPECT_TRUE(near_rel(sim["estimate_checkpoint_stall_s"].get<double>(),
                       std::floor(sim["estimate_time_to_train_s"].get<double>() / 1800) *
                           run["checkpoint_snapshot_s"].get<double>(),
                       1e-3));
  EXPECT_TRUE(contains(last_.out, "checkpoint stalls")) << last_.out;
  EXPECT_TRUE(contains(last_.out, "(simulated; estimate ")) << last_.out;
  EXPECT_TRUE(contains(last_.out, "asynchronous: training stalled ")) << last_.out;
}

// Synchronous: training waits for the whole write, and nothing overlaps it. The closed form
// (checkpoint bytes / min(80 GB/s disk, 8 x 50 GB/s ports)) holds where the storage end is the
// bottleneck, as here; the simulation adds the pipeline's fill: every writer's first chunk
// (1/16 of its 1/32 share) crosses the 8 storage ports (400 GB/s) before the disk starts, S / 16
// / 400e9 = 17.6 ms for S = 112.4 GB, plus microseconds of route latency per chunk.
TEST_F(CliCheckpoint, ASynchronousWriteTakesTheClosedFormPlusThePipelineFill) {
  const Json job = run_scenario({"--set", "workloads[0].checkpoint.mode=sync"});
  const Json& sim = job["simulation"];
  const Json& run = job["run"];
  const Json& c = sim["checkpoint"];
  ASSERT_TRUE(c.is_object()) << sim.dump(2);
  EXPECT_EQ(c["mode"], "sync");
  EXPECT_EQ(c["overlapped_iterations"], 0);
  EXPECT_EQ(c["slowdown_s"], 0.0);
  EXPECT_EQ(c["stall_s"], c["write_s"]);
  const double bytes = run["checkpoint_bytes"].get<double>();
  const double closed_form_s = bytes / 80e9;
  EXPECT_TRUE(near_rel(run["checkpoint_write_s"].get<double>(), closed_form_s, 1e-9));
  EXPECT_TRUE(near_rel(c["write_s"].get<double>(), closed_form_s + bytes / 16 / 400e9, 2e-3))
      << c["write_s"] << " against " << closed_form_s + bytes / 16 / 400e9;
  EXPECT_EQ(sim["run_iteration_s"], sim["iteration_s"]);
  const std::vector<double> times = sim["iteration_times_s"].get<std::vector<double>>();
  for (const double t : times) EXPECT_TRUE(near_rel(t, times.front(), 1e-9));
}

}  // namespace
}  // namespace capsim::test
