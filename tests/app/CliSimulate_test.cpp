// `capsim run --fidelity simulate` end to end: each training workload's iteration is also played
// out in SimGrid (in a child process per workload), reported next to the estimate.
#include <algorithm>
#include <cmath>
#include <vector>

#include "RunCapsim.hpp"

namespace capsim::test {
namespace {

class CliSimulate : public CliTest {};

// The simulation block of training workload 0 in `folder`/result.json.
Json simulation_of(const Json& result) { return result["training"][0]["simulation"]; }

TEST_F(CliSimulate, QuickstartSimulatesTheIterationNextToTheEstimate) {
  const CliResult run =
      capsim({"run", quickstart_path().string(), "--fidelity", "simulate", "--out", "out"});
  ASSERT_EQ(run.exit_code, 0) << run.describe();
  EXPECT_TRUE(contains(run.out, "quickstart (capsim "));
  EXPECT_TRUE(contains(run.out, ", simulate)"));
  EXPECT_TRUE(contains(run.out, "  simulated iteration "));
  EXPECT_TRUE(contains(run.out, "; data-parallel time in closed form"));

  const Json result = read_json("out/result.json");
  EXPECT_EQ(result["scenario"]["fidelity"], "simulate");
  const Json sim = simulation_of(result);
  ASSERT_TRUE(sim.is_object()) << result["training"][0].dump(2);
  EXPECT_EQ(sim["simulated"], true);
  EXPECT_TRUE(sim["reason"].is_null());
  const double estimate = result["training"][0]["iteration"]["iteration_s"].get<double>();
  EXPECT_TRUE(near_rel(sim["estimate_iteration_s"].get<double>(), estimate));
  // pp 1: no pipeline transfers and no bubble, so the simulation is m forward/backward passes,
  // then the exposed data-parallel time and the optimizer step: the estimate's own sum, equal up
  // to rounding (well inside 2%). The dp ring stays closed form: tp 2 puts four dp members in
  // each server's NVLink domain (IterationSimulation.hpp).
  const double simulated = sim["iteration_s"].get<double>();
  EXPECT_TRUE(near_rel(simulated, estimate, 1e-9));
  EXPECT_EQ(sim["dp_comm_as_flows"], false);
  EXPECT_GT(sim["pipeline_s"].get<double>(), 0);
  EXPECT_LT(sim["pipeline_s"].get<double>(), simulated);  // the optimizer step follows
  EXPECT_GE(sim["dp_comm_s"].get<double>(), 0);           // overlapped with the backward by default
  EXPECT_TRUE(
      near_rel(sim["relative_difference"].get<double>(), (simulated - estimate) / estimate, 1e-9));
  // The report says what was simulated and that the time to train follows the simulation.
  EXPECT_TRUE(contains(result["training"][0]["assumptions"].dump(), "Fidelity simulate"));
  EXPECT_TRUE(contains(read_text(dir_ / "out/summary.md"), "simulated iteration "));

  // Same inputs, same numbers.
  const CliResult again =
      capsim({"run", quickstart_path().string(), "--fidelity", "simulate", "--out", "again"});
  ASSERT_EQ(again.exit_code, 0) << again.describe();
  EXPECT_EQ(simulation_of(read_json("again/result.json")), sim);
}

TEST_F(CliSimulate, TheScenarioKeySelectsItToo) {
  const CliResult run = capsim({"run", quickstart_path().string(), "--set", "run.fidelity=simulate",
                                "--out", "out", "--format", "json"});
  ASSERT_EQ(run.exit_code, 0) << run.describe();
  EXPECT_TRUE(simulation_of(read_json("out/result.json")).is_object());
  // The flag replaces the scenario's choice.
  const CliResult flag =
      capsim({"run", quickstart_path().string(), "--set", "run.fidelity=simulate", "--fidelity",
              "estimate", "--out", "est", "--format", "json"});
  ASSERT_EQ(flag.exit_code, 0) << flag.describe();
  const Json estimate = read_json("est/result.json");
  EXPECT_EQ(estimate["scenario"]["fidelity"], "estimate");
  EXPECT_FALSE(estimate["training"][0].contains("simulation"));
  EXPECT_FALSE(contains(flag.out, "simulated iteration"));
}

// GPT-3 175B with vpp 2: 32 virtual stages of 3 layers, m = 192 (whole rounds of pp 16); the
// interleaved schedule is played out, and its bubble is the estimate's within 2%.
TEST_F(CliSimulate, AnInterleavedScheduleIsSimulated) {
  const CliResult run =
      capsim({"run", (scenarios_dir() / "gpt3-175b-1k-a100.yaml").string(), "--set",
              "workloads[0].parallelism.vpp=2", "--fidelity", "simulate", "--out", "out"});
  ASSERT_EQ(run.exit_code, 0) << run.describe();
  EXPECT_TRUE(contains(run.out, "  simulated iteration "));
  const Json sim = simulation_of(read_json("out/result.json"));
  EXPECT_EQ(sim["simulated"], true);
  EXPECT_LT(std::abs(sim["relative_difference"].get<double>()), 0.02);
}

TEST_F(CliSimulate, EachWorkloadIsSimulatedInItsOwnProcess) {
  // A second workload before the quickstart's, with pp 2 (pipeline transfers as flows): SimGrid
  // allows one engine per process, so both simulating proves each got its own.
  std::string text = read_text(quickstart_path());
  const std::string second =
      "workloads:\n  - name: second\n    kind: training\n"
      "    model: llama-3.1-8b\n    tokens: 1B\n    seq_len: 8192\n"
      "    global_batch: 64\n    parallelism: {tp: 1, pp: 2}\n";
  text.replace(text.find("workloads:\n"), std::string("workloads:\n").size(), second);
  const CliResult run = capsim({"run", write_file("two.yaml", text), "--fidelity", "simulate",
                                "--out", "out", "--format", "json"});
  ASSERT_EQ(run.exit_code, 0) << run.describe();
  const Json training = read_json("out/result.json")["training"];
  ASSERT_EQ(training.size(), 2u);
  for (const Json& workload : training) {
    EXPECT_EQ(workload["simulation"]["simulated"], true) << workload["simulation"].dump();
    // pp 2 plays the pipeline out: faster than the estimate's (m + pp - 1) bottleneck slots.
    EXPECT_TRUE(near_rel(workload["simulation"]["iteration_s"].get<double>(),
                         workload["iteration"]["iteration_s"].get<double>(), 0.05));
  }
}

TEST_F(CliSimulate, AnUnknownFidelityIsAUsageError) {
  const CliResult run = capsim({"run", quickstart_path().string(), "--fidelity", "bogus"});
  EXPECT_EQ(run.exit_code, 2) << run.describe();
  EXPECT_TRUE(contains(run.err, "--fidelity"));
  EXPECT_TRUE(contains(run.err, "bogus"));
  EXPECT_FALSE(fs::exists(dir_ / "out"));
}

// scenarios/two-jobs-shared-spine.yaml: scattered placement deals the 8 servers round robin
// (alpha 0, 2, 4, 6; bravo 1, 3, 5, 7, as docs/scenario-format.md says); both jobs are simulated
// together and alone, and sharing the 2:1 spine costs each of them time.
TEST_F(CliSimulate, ScatteredJobsShareTheSpineAndSayWhatItCosts) {
  const CliResult run =
      capsim({"run", (scenarios_dir() / "two-jobs-shared-spine.yaml").string(), "--out", "out"});
  ASSERT_EQ(run.exit_code, 0) << run.describe();
  EXPECT_TRUE(contains(run.out, "  runs on servers 0, 2, 4, 6 (scattered)"));
  EXPECT_TRUE(contains(run.out, "sharing the fabric with bravo: +"));
  const Json training = read_json("out/result.json")["training"];
  ASSERT_EQ(training.size(), 2u);
  EXPECT_EQ(training[0]["placement"]["servers"], Json::parse("[0, 2, 4, 6]"));
  EXPECT_EQ(training[1]["placement"]["servers"], Json::parse("[1, 3, 5, 7]"));
  EXPECT_EQ(training[0]["placement"]["gpus"], 32);
  for (const Json& job : training) {
    const Json& sim = job["simulation"];
    EXPECT_EQ(sim["iterations"]["count"], 3);
    EXPECT_EQ(sim["iteration_times_s"].size(), 3u);
    EXPECT_GT(sim["alone_iteration_s"].get<double>(), 0);
    EXPECT_GT(sim["contention_slowdown"].get<double>(), 0.01);
    EXPECT_DOUBLE_EQ(sim["iteration_s"].get<double>() / sim["alone_iteration_s"].get<double>() - 1,
                     sim["contention_slowdown"].get<double>());
  }
}

// Packed, the first job takes servers 0-3 and the second 4-7.
TEST_F(CliSimulate, PackedPlacementTakesConsecutiveServers) {
  const CliResult run = capsim({"run", (scenarios_dir() / "two-jobs-shared-spine.yaml").string(),
                                "--set", "infrastructure.clusters[0].placement=packed",
                                "--fidelity", "estimate", "--out", "out", "--format", "json"});
  ASSERT_EQ(run.exit_code, 0) << run.describe();
  const Json training = read_json("out/result.json")["training"];
  EXPECT_EQ(training[0]["placement"]["servers"], Json::parse("[0, 1, 2, 3]"));
  EXPECT_EQ(training[1]["placement"]["servers"], Json::parse("[4, 5, 6, 7]"));
  EXPECT_EQ(training[0]["placement"]["policy"], "packed");
}

// scenarios/stragglers-llama70b-h100.yaml: 20 iterations with one slow server and jitter; the
// reports give the distribution, ordered as percentiles must be, and the server drawn slow.
TEST_F(CliSimulate, StragglersGiveAnIterationTimeDistribution) {
  const CliResult run =
      capsim({"run", (scenarios_dir() / "stragglers-llama70b-h100.yaml").string(), "--out", "out"});
  ASSERT_EQ(run.exit_code, 0) << run.describe();
  EXPECT_TRUE(contains(run.out, "simulated iteration, mean of 20, "));
  EXPECT_TRUE(contains(run.out, "slow servers drawn (run.variability): pod "));
  const Json result = read_json("out/result.json");
  ASSERT_EQ(result["clusters"][0]["slow_servers"].size(), 1u);
  const Json& sim = simulation_of(result);
  const Json& it = sim["iterations"];
  EXPECT_EQ(it["count"], 20);
  const std::vector<double> times = sim["iteration_times_s"].get<std::vector<double>>();
  ASSERT_EQ(times.size(), 20u);
  EXPECT_EQ(it["min_s"].get<double>(), *std::min_element(times.begin(), times.end()));
  EXPECT_EQ(it["max_s"].get<double>(), *std::max_element(times.begin(), times.end()));
  EXPECT_LE(it["min_s"].get<double>(), it["p50_s"].get<double>());
  EXPECT_LE(it["p50_s"].get<double>(), it["p90_s"].get<double>());
  EXPECT_LE(it["p90_s"].get<double>(), it["p99_s"].get<double>());
  EXPECT_LE(it["p99_s"].get<double>(), it["max_s"].get<double>());
  EXPECT_LT(it["min_s"].get<double>(), it["max_s"].get<double>());  // the jitter varies them
  // Every GPU is at least nominal and one server is 20% slow: slower than the estimate.
  EXPECT_GT(it["min_s"].get<double>(), sim["estimate_iteration_s"].get<double>());
  const std::string summary = read_text(dir_ / "out" / "summary.md");
  EXPECT_TRUE(contains(summary, "p50 ")) << summary;
  EXPECT_TRUE(contains(summary, "Simulated with slow servers drawn")) << summary;

  // The run lasts steps x the mean simulated iteration (no checkpoints in this scenario), and
  // owning costs in proportion to its length: the estimate's figures scale by the ratio of the
  // two iterations.
  const Json& run_figures = result["training"][0]["run"];
  const double steps = run_figures["steps"].get<double>();
  const double mean = it["mean_s"].get<double>();
  EXPECT_TRUE(near_rel(run_figures["time_to_train_s"].get<double>(), steps * mean, 1e-12));
  EXPECT_TRUE(near_rel(sim["estimate_time_to_train_s"].get<double>(),
                       steps * sim["estimate_iteration_s"].get<double>(), 1e-12));
  const double ratio = mean / sim["estimate_iteration_s"].get<double>();
  EXPECT_TRUE(near_rel(result["training"][0]["cost"]["owned_usd"].get<double>(),
                       sim["estimate_owned_usd"].get<double>() * ratio, 1e-9));
  EXPECT_TRUE(contains(run.out, "(simulated; estimate ")) << run.out;
}

// --trace writes the simulated timeline in the Chrome trace event format: one process per
// workload, named after it, and complete events with times in microseconds.
TEST_F(CliSimulate, TraceWritesChromeTraceEvents) {
  const CliResult run = capsim({"run", quickstart_path().string(), "--fidelity", "simulate",
                                "--trace", "timeline.json", "--out", "out", "--quiet"});
  ASSERT_EQ(run.exit_code, 0) << run.describe();
  const Json trace = read_json("timeline.json");
  int complete = 0;
  bool named = false;
  for (const Json& event : trace["traceEvents"]) {
    if (event["ph"] == "M" && event["name"] == "process_name")
      named = event["args"]["name"] == "finetune-8b";
    if (event["ph"] != "X") continue;
    ++complete;
    EXPECT_EQ(event["pid"], 0);
    EXPECT_GE(event["dur"].get<double>(), 0);
  }
  EXPECT_TRUE(named);
  // pp 1, m micro-batches: m forwards, m backwards, the reduction and the optimizer, and the
  // checkpoint the quickstart writes (played after the first iteration, a stall on stage 0).
  const int m = read_json("out/result.json")["training"][0]["iteration"]["micro_batches"];
  EXPECT_EQ(complete, 2 * m + 3);
}

TEST_F(CliSimulate, TraceNeedsTheSimulation) {
  const CliResult run = capsim({"run", quickstart_path().string(), "--fidelity", "estimate",
                                "--trace", "timeline.json", "--out", "out"});
  EXPECT_EQ(run.exit_code, 2) << run.describe();
  EXPECT_TRUE(contains(run.err, "expected --fidelity simulate")) << run.err;
  EXPECT_FALSE(fs::exists(dir_ / "timeline.json"));
  EXPECT_FALSE(fs::exists(dir_ / "out"));
}

// The bar is drawn on stderr only for runs longer than a second, and only on a terminal unless
// --progress forces it (the tests' stderr is a pipe). GPT-3 175B, 100 iterations: ~3.5 s on the
// 2-core development machine (~0.03 s per iteration).
TEST_F(CliSimulate, ProgressBarOnlyWhenForcedOrOnATerminal) {
  const std::vector<std::string> args = {
      "run",        (scenarios_dir() / "gpt3-175b-1k-a100.yaml").string(),
      "--fidelity", "simulate",
      "--set",      "run.iterations=100",
      "--out",      "out",
      "--quiet"};
  std::vector<std::string> forced = args;
  forced.push_back("--progress");
  const CliResult bar = capsim(forced);
  ASSERT_EQ(bar.exit_code, 0) << bar.describe();
  EXPECT_TRUE(contains(bar.err, "% simulating gpt3")) << bar.err;
  ASSERT_GE(bar.err.size(), 4u);
  EXPECT_EQ(bar.err.substr(bar.err.size() - 4), "\r\033[K");  // the bar's line cleared
  const CliResult plain = capsim(args);
  ASSERT_EQ(plain.exit_code, 0) << plain.describe();
  EXPECT_EQ(plain.err, "");
}

}  // namespace
}  // namespace capsim::test
