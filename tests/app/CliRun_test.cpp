// End-to-end tests of `capsim run` and `capsim check`: every scenario in scenarios/ runs through
// the real binary, writes all its reports (and no partial file), exits 1 exactly when it misses a
// target it states, and its result.json agrees with itself by independent arithmetic. Also the
// quickstart's terminal summary, determinism, --version, --help and `check`.
#include <gtest/gtest.h>

#include <cmath>
#include <regex>
#include <set>

#include "RunCapsim.hpp"
#include "capsim/sim/Run.hpp"

namespace capsim::test {
namespace {

const std::vector<std::string> kReportFiles = {"result.json", "training.csv", "breakdown.csv",
                                               "memory.csv",  "bom.csv",      "cost.csv",
                                               "serving.csv", "replicas.csv", "summary.md"};

/// Every *.yaml in scenarios/, found at run time so a new scenario is covered without editing
/// this file.
std::vector<fs::path> scenario_files() {
  std::vector<fs::path> files;
  for (const auto& entry : fs::directory_iterator(scenarios_dir())) {
    const auto extension = entry.path().extension();
    if (entry.is_regular_file() && (extension == ".yaml" || extension == ".yml")) {
      files.push_back(entry.path());
    }
  }
  std::sort(files.begin(), files.end());
  return files;
}

std::string test_name(const ::testing::TestParamInfo<fs::path>& info) {
  std::string name = info.param.stem().string();
  for (char& c : name) {
    if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
  }
  return name;
}

/// What a scenario file asks of one workload, read from its text by a deliberately small scanner
/// (not capsim's parser): `tokens: 15T` or `steps: 1000` in the order the workloads appear.
struct RequestedLength {
  std::optional<double> tokens;
  std::optional<double> steps;
};

std::optional<double> parse_count(const std::string& text) {
  static const std::regex kCount(
      R"(^\"?([0-9]+(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?)\s*([kMGBT]?)\"?$)");
  std::smatch match;
  if (!std::regex_match(text, match, kCount)) return std::nullopt;
  const std::map<std::string, double> suffix = {{"", 1},    {"k", 1e3}, {"M", 1e6},
                                                {"G", 1e9}, {"B", 1e9}, {"T", 1e12}};
  return std::stod(match[1].str()) * suffix.at(match[2].str());
}

std::vector<RequestedLength> requested_lengths(const fs::path& scenario) {
  static const std::regex kItem(R"(^(\s*)-\s)");
  static const std::regex kLength(R"(^\s*(?:-\s+)?(tokens|steps):\s*(\S+)\s*$)");
  std::vector<RequestedLength> lengths;
  bool in_workloads = false;
  std::optional<std::size_t> item_indent;  // of the "- " that starts each workload
  for (std::string line : lines_of(read_text(scenario))) {
    if (const auto hash = line.find('#'); hash != std::string::npos) line.erase(hash);
    if (line.find_first_not_of(' ') == std::string::npos) continue;
    if (!std::isspace(static_cast<unsigned char>(line[0]))) {
      in_workloads = line.rfind("workloads:", 0) == 0;
      continue;
    }
    if (!in_workloads) continue;
    std::smatch match;
    if (std::regex_search(line, match, kItem)) {
      if (!item_indent) item_indent = match[1].length();
      if (static_cast<std::size_t>(match[1].length()) == *item_indent) lengths.emplace_back();
    }
    if (std::regex_match(line, match, kLength) && !lengths.empty()) {
      (match[1] == "tokens" ? lengths.back().tokens : lengths.back().steps) =
          parse_count(match[2].str());
    }
  }
  return lengths;
}

/// The target names (`deadline`, `budget`) the scenario's top-level `targets:` section states.
std::set<std::string> stated_targets(const fs::path& scenario) {
  static const std::regex kKey(R"(^\s+([a-z_]+):\s*(\S.*)?$)");
  std::set<std::string> names;
  bool in_targets = false;
  for (std::string line : lines_of(read_text(scenario))) {
    if (const auto hash = line.find('#'); hash != std::string::npos) line.erase(hash);
    if (line.find_first_not_of(' ') == std::string::npos) continue;
    if (!std::isspace(static_cast<unsigned char>(line[0]))) {
      in_targets = line.rfind("targets:", 0) == 0;
      continue;
    }
    std::smatch match;
    if (in_targets && std::regex_match(line, match, kKey) && match[2].length() > 0 &&
        match[2] != "~") {
      names.insert(match[1]);
    }
  }
  return names;
}

/// A minimal CSV reader (quoted cells allowed) for the report tables.
std::vector<std::vector<std::string>> read_csv(const fs::path& path) {
  std::vector<std::vector<std::string>> rows;
  for (const auto& line : lines_of(read_text(path))) {
    std::vector<std::string> cells(1);
    bool quoted = false;
    for (std::size_t i = 0; i < line.size(); ++i) {
      const char c = line[i];
      if (c == '"' && quoted && i + 1 < line.size() && line[i + 1] == '"') {
        cells.back().push_back('"');
        ++i;
      } else if (c == '"') {
        quoted = !quoted;
      } else if (c == ',' && !quoted) {
        cells.emplace_back();
      } else {
        cells.back().push_back(c);
      }
    }
    rows.push_back(cells);
  }
  return rows;
}

const Json* find_by_name(const Json& array, const std::string& name) {
  for (const auto& item : array) {
    if (item.value("name", "") == name) return &item;
  }
  return nullptr;
}

/// A simulated service's figures agree with each other: requests add up, percentiles are
/// ordered, costs are rates x hours and per million output tokens their quotient.
void check_services(const Json& result) {
  for (const auto& service : result["services"]) {
    SCOPED_TRACE("service " + service["name"].get<std::string>());
    const Json& sim = service["simulation"];
    if (sim.is_null()) continue;
    ASSERT_TRUE(sim["simulated"].get<bool>()) << sim.dump();
    EXPECT_EQ(sim["completed"].get<long>() + sim["unfinished"].get<long>(),
              sim["requests"].get<long>());
    for (const char* measure : {"ttft", "tpot", "e2e"}) {
      const Json& l = sim[measure];
      EXPECT_LE(l["p50_s"].get<double>(), l["p90_s"].get<double>()) << measure;
      EXPECT_LE(l["p90_s"].get<double>(), l["p99_s"].get<double>()) << measure;
      EXPECT_LE(l["p99_s"].get<double>(), l["max_s"].get<double>()) << measure;
    }
    EXPECT_TRUE(near_rel(sim["goodput_fraction"].get<double>(),
                         sim["good_requests"].get<double>() / sim["requests"].get<double>()));
    const double hours = sim["end_s"].get<double>() / 3600;
    EXPECT_TRUE(near_rel(sim["hours"].get<double>(), hours));
    const Json& estimate = service["estimate"];
    EXPECT_TRUE(near_rel(
        sim["owned_usd"].get<double>(),
        service["gpus"].get<double>() * estimate["owned_usd_per_gpu_hour"].get<double>() * hours));
    EXPECT_TRUE(
        near_rel(sim["owned_usd_per_million_output_tokens"].get<double>(),
                 sim["owned_usd"].get<double>() / (sim["output_tokens"].get<double>() / 1e6)));
    EXPECT_EQ(sim["rented_usd"].is_null(), estimate["rented_usd_per_gpu_hour"].is_null());
    if (!sim["rented_usd"].is_null()) {
      EXPECT_TRUE(near_rel(sim["rented_usd"].get<double>(),
                           sim["gpu_seconds"].get<double>() / 3600 *
                               estimate["rented_usd_per_gpu_hour"].get<double>()));
    }
    // GPU-seconds are replica-seconds x tp, except for disaggregated pools of different tp.
    if (service["disaggregation"].is_null()) {
      EXPECT_TRUE(near_rel(sim["gpu_seconds"].get<double>(),
                           sim["replica_seconds"].get<double>() * service["tp"].get<double>()));
    }
    EXPECT_GE(sim["peak_replicas"].get<int>(), service["replicas"].get<int>());
    EXPECT_GE(sim["replica_seconds"].get<double>(),
              service["replicas"].get<double>() * sim["duration_s"].get<double>() * (1 - 1e-12) *
                  (service["autoscaler"].is_null() ? 1.0 : 0.0));
  }
}

/// The checks every scenario's run must pass. `out` is the report folder (relative to `cwd`).
void check_scenario_run(const fs::path& scenario, const fs::path& cwd) {
  const std::string out = "report";
  const CliResult run = run_capsim({"run", scenario.string(), "--out", out}, cwd);
  ASSERT_FALSE(run.timed_out) << run.describe();
  ASSERT_TRUE(run.exit_code == 0 || run.exit_code == 1) << run.describe();
  EXPECT_EQ(run.err, "") << "a successful run prints nothing on stderr";

  // All reports written, nothing partial left anywhere, nothing written outside --out.
  for (const auto& name : kReportFiles) {
    EXPECT_TRUE(fs::is_regular_file(cwd / out / name)) << name << " missing";
    EXPECT_GT(fs::file_size(cwd / out / name), 0u) << name << " is empty";
  }
  for (const auto& path : tree(cwd)) {
    EXPECT_EQ(path.find(".partial"), std::string::npos) << "left behind: " << path;
    EXPECT_TRUE(path == out || path.rfind(out + "/", 0) == 0) << "written outside --out: " << path;
  }
  EXPECT_NE(run.out.find("Reports in " + out + ":"), std::string::npos) << run.out;

  Json result;
  ASSERT_NO_THROW(result = Json::parse(read_text(cwd / out / "result.json")))
      << "result.json is not valid JSON";
  ASSERT_TRUE(result.contains("training") && result["training"].is_array());
  ASSERT_TRUE(result.contains("services") && result["services"].is_array());
  ASSERT_FALSE(result["training"].empty() && result["services"].empty());
  std::set<std::string> services;
  for (const auto& service : result["services"]) services.insert(service["name"]);

  // Exit code 1 exactly when a stated target is missed; each target's verdict is its arithmetic
  // (a service's goodput is a floor, every other target a ceiling).
  bool all_met = true;
  for (const auto& target : result["targets"]) {
    const bool floor = target["name"] == "goodput";
    const bool met = floor ? target["value"].get<double>() >= target["limit"].get<double>()
                           : target["value"].get<double>() <= target["limit"].get<double>();
    EXPECT_EQ(target["met"].get<bool>(), met) << target.dump();
    all_met = all_met && met;
    for (const auto& training : result["training"]) {
      if (training["workload"] != target["workload"]) continue;
      if (target["name"] == "deadline") {
        EXPECT_DOUBLE_EQ(target["value"].get<double>(),
                         training["run"]["time_to_train_s"].get<double>());
      }
    }
  }
  // Every target the file states is checked on every training workload, and no other; a
  // service's targets are the limits of its slo (when simulated).
  const auto stated = stated_targets(scenario);
  std::size_t training_targets = 0;
  for (const auto& target : result["targets"]) {
    const std::string workload = target["workload"];
    if (services.count(workload)) {
      const Json* service = find_by_name(result["services"], workload);
      const std::string name = target["name"];
      const std::string key = name == "goodput" ? name : name + "_s";
      EXPECT_FALSE((*service)["slo"][key].is_null()) << target.dump();
      continue;
    }
    ++training_targets;
    EXPECT_TRUE(stated.count(target["name"].get<std::string>())) << target.dump();
  }
  EXPECT_EQ(training_targets, stated.size() * result["training"].size())
      << "stated: " << joined({stated.begin(), stated.end()}, ", ") << "; checked "
      << result["targets"].dump();
  EXPECT_EQ(result["targets_met"].get<bool>(), all_met);
  EXPECT_EQ(run.exit_code, all_met ? 0 : 1) << run.describe();
  if (result["targets"].empty()) {
    EXPECT_EQ(run.exit_code, 0) << "no target stated, so none can be missed";
  }

  // Training workloads come before services in the scenarios that have both.
  const auto lengths = requested_lengths(scenario);
  ASSERT_EQ(lengths.size(), result["training"].size() + result["services"].size())
      << "the scanner found " << lengths.size() << " workloads in " << scenario;

  const auto training_csv = read_csv(cwd / out / "training.csv");
  ASSERT_EQ(training_csv.size(), result["training"].size() + 1) << "header + one row per workload";
  const auto& csv_header = training_csv[0];
  auto csv_cell = [&](std::size_t row, const std::string& column) {
    const auto at = std::find(csv_header.begin(), csv_header.end(), column);
    EXPECT_NE(at, csv_header.end()) << "training.csv has no column " << column;
    if (at == csv_header.end()) return std::nan("");
    return std::stod(training_csv[row + 1].at(static_cast<std::size_t>(at - csv_header.begin())));
  };
  for (const auto& table : {"training.csv", "breakdown.csv", "memory.csv", "bom.csv", "cost.csv",
                            "serving.csv", "replicas.csv"}) {
    const auto rows = read_csv(cwd / out / table);
    const bool serving =
        std::string(table) == "serving.csv" || std::string(table) == "replicas.csv";
    const bool expected = serving
                              ? !result["services"].empty()
                              : !result["training"].empty() || std::string(table) == "bom.csv" ||
                                    std::string(table) == "cost.csv";
    if (expected) {
      ASSERT_GE(rows.size(), 2u) << table << " has no data row";
    }
    for (const auto& row : rows) {
      EXPECT_EQ(row.size(), rows[0].size()) << table << " ragged row";
    }
  }

  for (std::size_t i = 0; i < result["training"].size(); ++i) {
    const Json& job = result["training"][i];
    SCOPED_TRACE("workload " + job["workload"].get<std::string>());
    const Json* cluster = find_by_name(result["clusters"], job["cluster"].get<std::string>());
    ASSERT_NE(cluster, nullptr) << "no cluster named " << job["cluster"];
    const Json& layout = job["layout"];
    const Json& iteration = job["iteration"];
    const Json& breakdown = iteration["breakdown"];
    const Json& memory = job["memory"];
    const Json& run_figures = job["run"];
    const Json& cost = job["cost"];
    const double iteration_s = iteration["iteration_s"].get<double>();
    const double steps = run_figures["steps"].get<double>();
    // A placed workload (`servers`) runs on its own servers and is priced for them.
    const Json& placement = job["placement"];
    const bool placed = !placement.is_null();
    const double gpus = placed ? placement["gpus"].get<double>() : (*cluster)["gpus"].get<double>();
    const double time_to_train_s = run_figures["time_to_train_s"].get<double>();
    const double tokens_per_step =
        layout["global_batch"].get<double>() * layout["seq_len"].get<double>();
    ASSERT_GT(iteration_s, 0);

    // Time to train = steps x iteration + checkpoint stalls, the iteration being the mean
    // simulated one where the workload was simulated.
    const bool simulated = job.contains("simulation") && job["simulation"]["simulated"] == true;
    // (run_iteration_s: the mean less an asynchronous checkpoint's slowdown, which is charged
    // with each checkpoint instead; the mean itself otherwise.)
    const double run_iteration_s =
        simulated ? job["simulation"]["run_iteration_s"].get<double>() : iteration_s;
    if (simulated && job["simulation"]["checkpoint"].is_null()) {
      EXPECT_EQ(job["simulation"]["run_iteration_s"], job["simulation"]["iteration_s"]);
    }
    EXPECT_TRUE(near_rel(time_to_train_s, steps * run_iteration_s +
                                              run_figures["checkpoint_stall_s"].get<double>()));
    EXPECT_TRUE(near_rel(run_figures["compute_time_s"].get<double>(), steps * run_iteration_s));
    // Checkpoint stalls: checkpoints x one checkpoint's cost, the simulated one where a
    // checkpoint was played, else the closed form's (the write when synchronous; the copy to
    // host memory plus what of the write outlasts the interval when asynchronous, which the
    // scenarios here never reach: their writes take seconds, their intervals minutes).
    const Json* simulated_checkpoint = simulated && !job["simulation"]["checkpoint"].is_null()
                                           ? &job["simulation"]["checkpoint"]
                                           : nullptr;
    const double per_checkpoint_s = simulated_checkpoint
                                        ? (*simulated_checkpoint)["cost_s"].get<double>()
                                    : run_figures["checkpoint_mode"] == "async"
                                        ? run_figures["checkpoint_snapshot_s"].get<double>()
                                        : run_figures["checkpoint_write_s"].get<double>();
    EXPECT_TRUE(near_rel(run_figures["checkpoint_stall_s"].get<double>(),
                         run_figures["checkpoints"].get<double>() * per_checkpoint_s));
    EXPECT_EQ(run_figures["checkpoints"].get<double>(),
              std::floor(run_figures["checkpoints"].get<double>()));

    // The breakdown's parts make up the iteration.
    double parts = 0;
    for (const auto& [name, seconds] : breakdown.items()) {
      EXPECT_GE(seconds.get<double>(), 0) << name;
      parts += seconds.get<double>();
    }
    // compute, tp, cp, pp, ep (expert-parallel all-to-alls), dp, bubble, optimizer, waiting
    // for input data.
    EXPECT_EQ(breakdown.size(), 9u) << breakdown.dump();
    EXPECT_TRUE(near_rel(parts, iteration_s));

    // Throughput and length: tokens/s = batch x seq / iteration; steps cover the tokens asked for.
    EXPECT_TRUE(near_rel(iteration["tokens_per_s"].get<double>(), tokens_per_step / iteration_s));
    if (lengths[i].tokens) {
      EXPECT_EQ(steps, std::ceil(*lengths[i].tokens / tokens_per_step))
          << "tokens requested " << *lengths[i].tokens;
    } else {
      ASSERT_TRUE(lengths[i].steps.has_value()) << "neither tokens nor steps found in " << scenario;
      EXPECT_EQ(steps, *lengths[i].steps);
    }
    EXPECT_TRUE(near_rel(run_figures["tokens"].get<double>(), steps * tokens_per_step));
    EXPECT_TRUE(near_rel(iteration["micro_batches"].get<double>(),
                         layout["global_batch"].get<double>() /
                             (layout["dp"].get<double>() * layout["micro_batch"].get<double>())));

    // The parallel layout covers the cluster (or the placed workload's servers) exactly.
    EXPECT_EQ(layout["tp"].get<long>() * layout["pp"].get<long>() * layout["dp"].get<long>() *
                  layout["cp"].get<long>(),
              static_cast<long>(gpus));
    if (placed) {
      EXPECT_EQ(static_cast<long>(gpus), static_cast<long>(placement["servers"].size()) *
                                             (*cluster)["server"]["gpus"].get<long>());
    }
    EXPECT_EQ((*cluster)["gpus"].get<long>(),
              (*cluster)["servers"].get<long>() * (*cluster)["server"]["gpus"].get<long>());

    // Memory: the parts make up the total, which fits the GPU.
    const double memory_total = memory["total_bytes"].get<double>();
    EXPECT_TRUE(near_rel(memory_total, memory["weights_bytes"].get<double>() +
                                           memory["gradients_bytes"].get<double>() +
                                           memory["optimizer_bytes"].get<double>() +
                                           memory["activations_bytes"].get<double>() +
                                           memory["logits_bytes"].get<double>()));
    EXPECT_LE(memory_total, memory["capacity_bytes"].get<double>());
    EXPECT_LE(memory["capacity_bytes"].get<double>(),
              (*cluster)["gpu"]["memory_bytes"].get<double>());
    EXPECT_TRUE(memory["fits"].get<bool>());

    // Cost: hourly rates x hours; per million tokens over the tokens processed.
    const Json& rates = placed ? placement["rates"] : (*cluster)["rates"];
    const double hours = time_to_train_s / 3600;
    EXPECT_TRUE(
        near_rel(cost["owned_usd"].get<double>(), rates["owned_usd_per_h"].get<double>() * hours));
    EXPECT_TRUE(
        near_rel(cost["owned_usd_per_million_tokens"].get<double>(),
                 cost["owned_usd"].get<double>() / (run_figures["tokens"].get<double>() / 1e6)));
    EXPECT_EQ(cost["rented_usd"].is_null(), rates["rental_usd_per_h"].is_null());
    if (!cost["rented_usd"].is_null()) {
      EXPECT_TRUE(near_rel(cost["rented_usd"].get<double>(),
                           rates["rental_usd_per_h"].get<double>() * hours));
    }
    EXPECT_TRUE(near_rel(rates["owned_usd_per_h"].get<double>(),
                         rates["amortisation_usd_per_h"].get<double>() +
                             rates["maintenance_usd_per_h"].get<double>() +
                             rates["energy_usd_per_h"].get<double>()));

    // MFU = model FLOPs per iteration / (iteration time x GPUs x peak).
    const double peak = job["gpu_performance"]["peak_flop_per_s"].get<double>();
    EXPECT_TRUE(near_rel(iteration["mfu"].get<double>(),
                         iteration["model_flops"].get<double>() / (iteration_s * gpus * peak)));
    EXPECT_GT(iteration["mfu"].get<double>(), 0);
    EXPECT_LE(iteration["mfu"].get<double>(), iteration["hfu"].get<double>());
    EXPECT_LT(iteration["hfu"].get<double>(), 1);

    // training.csv carries the same figures (10 significant digits).
    EXPECT_TRUE(near_rel(csv_cell(i, "iteration_s"), iteration_s, 1e-8));
    EXPECT_TRUE(near_rel(csv_cell(i, "time_to_train_s"), time_to_train_s, 1e-8));
    EXPECT_TRUE(near_rel(csv_cell(i, "steps"), steps, 1e-8));
    EXPECT_TRUE(near_rel(csv_cell(i, "owned_usd"), cost["owned_usd"].get<double>(), 1e-8));
  }
  check_services(result);
}

using CliRun = CliTest;

class ScenarioRun : public CliTest, public ::testing::WithParamInterface<fs::path> {};

TEST_P(ScenarioRun, WritesEveryReportAndTheFiguresAgree) { check_scenario_run(GetParam(), dir_); }

TEST_P(ScenarioRun, SameScenarioAndSeedGiveByteIdenticalReports) {
  const CliResult first = capsim({"run", GetParam().string(), "--out", "a", "--seed", "42"});
  const CliResult second = capsim({"run", GetParam().string(), "--out", "b", "--seed", "42"});
  ASSERT_LE(first.exit_code, 1) << first.describe();
  ASSERT_LE(second.exit_code, 1) << second.describe();
  EXPECT_EQ(first.exit_code, second.exit_code);
  EXPECT_EQ(read_json("a/result.json")["scenario"]["seed"], 42);
  for (const auto& name : kReportFiles) {
    EXPECT_EQ(read_text(dir_ / "a" / name), read_text(dir_ / "b" / name)) << name << " differs";
  }
}

INSTANTIATE_TEST_SUITE_P(Scenarios, ScenarioRun, ::testing::ValuesIn(scenario_files()), test_name);

// ctest registers the parametrised cases when this executable is built; this one loops over the
// folder when it runs, so a scenario added since the last build is still run.
TEST_F(CliRun, EveryScenarioFileInTheFolderRunsConsistently) {
  const auto files = scenario_files();
  ASSERT_FALSE(files.empty());
  for (const auto& scenario : files) {
    SCOPED_TRACE(scenario.string());
    const fs::path cwd = dir_ / scenario.stem();
    fs::create_directories(cwd);
    check_scenario_run(scenario, cwd);
  }
}

// Two clusters and two workloads, one given in steps: figures are checked per workload against
// its own cluster, and the exit code follows the one missed deadline.
TEST_F(CliRun, TwoClustersAndTwoWorkloadsAgreeToo) {
  fs::create_directories(dir_ / "input");
  fs::create_directories(dir_ / "work");
  write_file("input/two-clusters.yaml", R"(name: two-clusters
description: two clusters, two jobs
infrastructure:
  clusters:
    - name: h100s
      server: dgx-h100
      count: 4
      fabric: {template: single-switch, switch: quantum-2-qm9700}
      storage:
        - {system: ddn-ai400x2, count: 1}
    - name: a100s
      server: dgx-a100
      count: 2
      fabric: {template: single-switch, switch: quantum-qm8700}
workloads:
  - name: on-a100
    kind: training
    cluster: a100s
    model: llama-3.2-1b
    steps: 100
    seq_len: 4096
    global_batch: 32
    parallelism: {tp: 1}
  - name: on-h100
    kind: training
    cluster: h100s
    model: llama-3.1-8b
    tokens: 2B
    seq_len: 8192
    global_batch: 64
    parallelism: {tp: 2}
    checkpoint: {interval: 10min}
economics:
  ownership: own
targets:
  deadline: 1h
  budget: $200
)");
  check_scenario_run(dir_ / "input" / "two-clusters.yaml", dir_ / "work");
  const Json result = read_json("work/report/result.json");
  ASSERT_EQ(result["training"].size(), 2u);
  EXPECT_EQ(result["training"][0]["cluster"], "a100s");
  EXPECT_EQ(result["training"][0]["layout"]["dp"], 16);  // 2 DGX A100 x 8, tp 1
  EXPECT_EQ(result["training"][1]["layout"]["dp"], 16);  // 4 DGX H100 x 8, tp 2
  EXPECT_EQ(result["targets"].size(), 4u);               // deadline and budget for each workload
}

// A report that cannot be written (here: the disk is full) leaves nothing behind: no partial
// file, no report, exit code 2 naming the file.
TEST_F(CliRun, FullDiskLeavesNoPartialReport) {
  if (!fs::exists("/dev/full")) GTEST_SKIP() << "needs /dev/full";
  fs::create_directories(dir_ / "report");
  fs::create_symlink("/dev/full", dir_ / "report" / ".summary.md.partial");
  const CliResult run = capsim({"run", quickstart_path().string(), "--out", "report"});
  EXPECT_EQ(run.exit_code, 2) << run.describe();
  EXPECT_TRUE(contains(run.err, "summary.md"));
  EXPECT_EQ(tree(dir_), std::vector<std::string>{"report"});
}

TEST_F(CliRun, FailedRenameLeavesNoReportOfTheFailedRun) {
  fs::create_directories(dir_ / "report" / "cost.csv");
  const CliResult run = capsim({"run", quickstart_path().string(), "--out", "report"});
  EXPECT_EQ(run.exit_code, 2) << run.describe();
  EXPECT_EQ(tree(dir_), (std::vector<std::string>{"report", "report/cost.csv"}));
}

TEST_F(CliRun, FailedRenameSaysWhy) {
  fs::create_directories(dir_ / "report" / "result.json");
  const CliResult run = capsim({"run", quickstart_path().string(), "--out", "report"});
  EXPECT_EQ(run.exit_code, 2) << run.describe();
  EXPECT_TRUE(contains(run.err, "result.json"));
  EXPECT_FALSE(contains(run.err, "Success")) << "the cause of the failure is lost";
}

TEST_F(CliRun, QuickstartPrintsItsHeadlineAndWhereTheReportsAre) {
  const CliResult run = capsim({"run", quickstart_path().string(), "--out", "qs"});
  ASSERT_EQ(run.exit_code, 0) << run.describe();
  const Json result = read_json("qs/result.json");
  const Json& job = result["training"][0];

  // "  label    value" rows of the terminal summary.
  std::map<std::string, std::string> rows;
  static const std::regex kRow(R"(^  (\S.*?)\s{2,}(\S.*)$)");
  for (const auto& line : lines_of(run.out)) {
    std::smatch match;
    if (std::regex_match(line, match, kRow)) rows[match[1]] = match[2];
  }
  for (const auto& label :
       {"time to train", "iteration time", "MFU / HFU", "cost if owned", "cost if rented"}) {
    EXPECT_TRUE(rows.count(label)) << "no '" << label << "' line in\n" << run.out;
  }
  EXPECT_TRUE(printed_matches(rows["time to train"], job["run"]["time_to_train_s"].get<double>()));
  EXPECT_TRUE(
      printed_matches(rows["iteration time"], job["iteration"]["iteration_s"].get<double>()));
  EXPECT_TRUE(printed_matches(rows["MFU / HFU"].substr(0, rows["MFU / HFU"].find(" /")),
                              job["iteration"]["mfu"].get<double>()));
  EXPECT_TRUE(printed_matches(rows["cost if owned"].substr(0, rows["cost if owned"].find(" (")),
                              job["cost"]["owned_usd"].get<double>()));
  EXPECT_TRUE(printed_matches(rows["cost if rented"].substr(0, rows["cost if rented"].find(" (")),
                              job["cost"]["rented_usd"].get<double>()));
  EXPECT_NE(run.out.find("Reports in qs: result.json summary.md"), std::string::npos) << run.out;
  EXPECT_EQ(run.out.find("Targets missed"), std::string::npos);
}

// scenarios/two-sites-h100.yaml: each cluster's costs are shown with the site that priced them.
TEST_F(CliRun, TwoSitesReportsNameEachClustersSiteAndItsPrices) {
  const fs::path scenario = scenarios_dir() / "two-sites-h100.yaml";
  const CliResult run = capsim({"run", scenario.string(), "--out", "sites"});
  ASSERT_EQ(run.exit_code, 0) << run.describe();
  const Json result = read_json("sites/result.json");
  ASSERT_EQ(result["sites"].size(), 2u);
  EXPECT_EQ(result["sites"][0]["name"], "hyperscale");
  EXPECT_EQ(result["sites"][0]["location"], "Hillsboro, Oregon");
  EXPECT_DOUBLE_EQ(result["sites"][1]["tco"]["pue"].get<double>(), 1.25);
  EXPECT_EQ(result["clusters"][0]["site"], "hyperscale");
  EXPECT_EQ(result["clusters"][1]["site"], "colocation");
  EXPECT_DOUBLE_EQ(result["clusters"][1]["tco"]["electricity_usd_per_kWh"].get<double>(), 0.083);
  // Facility power is IT power x the site's PUE (docs/scenario-format.md 6.5).
  for (int c = 0; c < 2; ++c) {
    const Json& rates = result["clusters"][c]["rates"];
    EXPECT_DOUBLE_EQ(rates["facility_power_W"].get<double>(),
                     rates["it_power_W"].get<double>() * (c == 0 ? 1.1 : 1.25));
  }
  const std::string summary = read_text(dir_ / "sites" / "summary.md");
  EXPECT_NE(summary.find("Site hyperscale: electricity $0.077/kWh, PUE 1.1."), std::string::npos)
      << summary;
  EXPECT_NE(summary.find("Site colocation: electricity $0.083/kWh, PUE 1.25."), std::string::npos);
  EXPECT_NE(run.out.find("colocation (electricity $0.083/kWh, PUE 1.25)"), std::string::npos)
      << run.out;
  const auto cost = read_csv(dir_ / "sites" / "cost.csv");
  ASSERT_EQ(cost.size(), 3u);
  EXPECT_EQ(cost[0].back(), "site");
  EXPECT_EQ(cost[1].back(), "hyperscale");
  EXPECT_EQ(cost[2].back(), "colocation");
}

TEST_F(CliRun, MissedTargetExitsOneAndStillWritesTheReports) {
  const CliResult run = capsim(
      {"run", quickstart_path().string(), "--out", "late", "--set", "targets.deadline=10min"});
  ASSERT_EQ(run.exit_code, 1) << run.describe();
  EXPECT_NE(run.out.find("MISSED"), std::string::npos) << run.out;
  EXPECT_NE(run.out.find("Targets missed"), std::string::npos) << run.out;
  const Json result = read_json("late/result.json");
  EXPECT_FALSE(result["targets_met"].get<bool>());
  ASSERT_EQ(result["targets"].size(), 1u);
  EXPECT_EQ(result["targets"][0]["limit"].get<double>(), 600.0);
  for (const auto& name : kReportFiles) EXPECT_TRUE(fs::exists(dir_ / "late" / name)) << name;

  // The quickstart rents, so the budget is checked against the rented cost.
  const CliResult budget =
      capsim({"run", quickstart_path().string(), "--out", "poor", "--set", "targets.budget=$10"});
  ASSERT_EQ(budget.exit_code, 1) << budget.describe();
  const Json poor = read_json("poor/result.json");
  const Json* target = nullptr;
  for (const auto& t : poor["targets"]) {
    if (t["name"] == "budget") target = &t;
  }
  ASSERT_NE(target, nullptr) << poor["targets"].dump();
  EXPECT_EQ((*target)["limit"].get<double>(), 10.0);
  EXPECT_DOUBLE_EQ((*target)["value"].get<double>(),
                   poor["training"][0]["cost"]["rented_usd"].get<double>());
}

TEST_F(CliRun, FormatChoosesTheReportsWritten) {
  const CliResult run =
      capsim({"run", quickstart_path().string(), "--out", "j", "--format", "json", "--quiet"});
  ASSERT_EQ(run.exit_code, 0) << run.describe();
  EXPECT_EQ(tree(dir_ / "j"), std::vector<std::string>{"result.json"});
  EXPECT_EQ(run.out, "Reports in j: result.json\n") << "--quiet prints only the report paths";
}

TEST_F(CliRun, RunWithoutOutWritesUnderOutScenarioName) {
  const CliResult run = capsim({"run", quickstart_path().string(), "--format", "json,md"});
  ASSERT_EQ(run.exit_code, 0) << run.describe();
  EXPECT_EQ(tree(dir_),
            (std::vector<std::string>{"out", "out/quickstart", "out/quickstart/result.json",
                                      "out/quickstart/summary.md"}));
}

TEST_F(CliRun, VersionPrintsTheVersion) {
  const CliResult run = capsim({"--version"});
  EXPECT_EQ(run.exit_code, 0) << run.describe();
  EXPECT_TRUE(std::regex_search(run.out, std::regex(R"(\b\d+\.\d+\.\d+\b)"))) << run.out;
  EXPECT_NE(run.out.find(capsim_version()), std::string::npos) << run.out;
  EXPECT_TRUE(tree(dir_).empty());
}

TEST_F(CliRun, RunHelpMentionsSet) {
  const CliResult run = capsim({"run", "--help"});
  EXPECT_EQ(run.exit_code, 0) << run.describe();
  for (const auto& option : {"--set", "--out", "--format", "--seed"}) {
    EXPECT_NE(run.out.find(option), std::string::npos) << option << " not in\n" << run.out;
  }
  EXPECT_TRUE(tree(dir_).empty());
}

TEST_F(CliRun, CheckValidatesTheQuickstartAndWritesNothing) {
  const CliResult run = capsim({"check", quickstart_path().string()});
  EXPECT_EQ(run.exit_code, 0) << run.describe();
  EXPECT_NE(run.out.find("ok"), std::string::npos) << run.out;
  EXPECT_EQ(run.err, "");
  EXPECT_TRUE(tree(dir_).empty()) << joined(tree(dir_), ", ");
}

TEST_F(CliRun, CheckEveryScenario) {
  for (const auto& scenario : scenario_files()) {
    const CliResult run = capsim({"check", scenario.string()});
    EXPECT_EQ(run.exit_code, 0) << scenario << "\n" << run.describe();
  }
  EXPECT_TRUE(tree(dir_).empty()) << joined(tree(dir_), ", ");
}

}  // namespace
}  // namespace capsim::test
