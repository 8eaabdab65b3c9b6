// run() and the reports: targets, the JSON's fidelity to the Result, CSV arithmetic, and report
// files written all-or-nothing.
#include "capsim/sim/Report.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "ShippedCatalog.hpp"
#include "TestTempPath.hpp"
#include "capsim/models/Errors.hpp"
#include "capsim/sim/Run.hpp"

namespace capsim {
namespace {

namespace fs = std::filesystem;

const Catalog& catalog() { return test::shipped_catalog(); }

Result run_quickstart(const std::vector<std::string>& settings = {}) {
  std::vector<KeyOverride> overrides;
  for (const auto& setting : settings) overrides.push_back(parse_key_override(setting));
  return run(load_scenario(CAPSIM_SOURCE_DIR "/scenarios/quickstart.yaml", catalog(), overrides));
}

std::string json_of(const Result& result) {
  std::ostringstream out;
  write_json_report(result, out);
  return out.str();
}

TEST(SimulationLine, SaysWhatWasSimulatedOrWhyNot) {
  SimulationOutcome outcome;
  outcome.reason = "vpp is 2";
  EXPECT_EQ(simulation_line(outcome), "not simulated: vpp is 2");
  EXPECT_EQ(outcome.relative_difference(), 0);
  outcome.simulated = true;
  outcome.iteration_s = 2.5;
  outcome.estimate_iteration_s = 2.5075;
  outcome.dp_comm_as_flows = true;
  EXPECT_EQ(simulation_line(outcome),
            "simulated iteration 2.5 s (estimate 2.51 s, -0.3%); data-parallel rings as flows");
}

TEST(Run, DeadlineAndBudgetTargetsAreChecked) {
  const Result met = run_quickstart({"targets.deadline=1d", "targets.budget=$1M"});
  ASSERT_EQ(met.targets.size(), 2u);
  EXPECT_TRUE(met.targets_met());
  EXPECT_DOUBLE_EQ(met.targets[0].value, met.training[0].time_to_train_s);
  // The quickstart says ownership: rent, so the budget is checked against the rented cost.
  EXPECT_DOUBLE_EQ(met.targets[1].value, *met.training[0].cost.rented_usd);

  const Result missed = run_quickstart({"targets.deadline=1min"});
  EXPECT_FALSE(missed.targets_met());
  EXPECT_FALSE(missed.targets[0].met);
}

TEST(Run, ProgressIsReportedAndEnds) {
  std::vector<double> fractions;
  const Scenario scenario =
      load_scenario(CAPSIM_SOURCE_DIR "/scenarios/quickstart.yaml", catalog());
  run(scenario, {}, [&](double fraction, const std::string&) { fractions.push_back(fraction); });
  ASSERT_GE(fractions.size(), 2u);
  EXPECT_DOUBLE_EQ(fractions.front(), 0.0);
  EXPECT_DOUBLE_EQ(fractions.back(), 1.0);
}

TEST(Run, SameScenarioAndSeedGiveTheSameReportBitForBit) {
  EXPECT_EQ(json_of(run_quickstart()), json_of(run_quickstart()));
}

TEST(JsonReport, CarriesTheResultFiguresAndEchoesTheInputs) {
  const Result result = run_quickstart();
  const auto json = nlohmann::json::parse(json_of(result));
  const TrainingPlan& plan = result.training[0];
  const auto& job = json["training"][0];
  EXPECT_EQ(job["workload"], plan.workload);
  EXPECT_DOUBLE_EQ(job["iteration"]["iteration_s"].get<double>(), plan.estimate.iteration_s);
  EXPECT_DOUBLE_EQ(job["run"]["time_to_train_s"].get<double>(), plan.time_to_train_s);
  EXPECT_EQ(job["layout"]["dp"], plan.layout.dp);
  double parts = 0;
  for (const auto& [key, value] : job["iteration"]["breakdown"].items())
    parts += value.get<double>();
  EXPECT_NEAR(parts, plan.estimate.iteration_s, 1e-12 * plan.estimate.iteration_s);
  EXPECT_EQ(json["clusters"][0]["gpu"]["id"], "h100-sxm-80gb");
  EXPECT_FALSE(json["clusters"][0]["gpu"]["source"].get<std::string>().empty());
  EXPECT_NE(json["scenario"]["yaml"].get<std::string>().find("llama-3.1-8b"), std::string::npos);
  EXPECT_EQ(json["targets_met"], true);
}

TEST(CsvReport, BreakdownSharesAddUpToOne) {
  const Result result = run_quickstart();
  std::ostringstream out;
  write_csv_table(result, "breakdown.csv", out);
  std::istringstream lines(out.str());
  std::string line;
  std::getline(lines, line);
  EXPECT_EQ(line, "workload,part,seconds,share");
  double share = 0;
  int rows = 0;
  while (std::getline(lines, line)) {
    share += std::stod(line.substr(line.rfind(',') + 1));
    ++rows;
  }
  EXPECT_EQ(rows, 8);  // compute, tp, cp, pp, dp, bubble, optimizer, input wait
  EXPECT_NEAR(share, 1.0, 1e-9);
}

TEST(ReportFormats, ParsesTheListAndRejectsUnknownFormats) {
  EXPECT_EQ(parse_report_formats("json,md,csv").size(), 3u);
  EXPECT_THROW(parse_report_formats("json,pdf"), InputError);
  EXPECT_THROW(parse_report_formats(""), InputError);
}

TEST(ReportFiles, WritesEveryFileAndNoTemporaryOnes) {
  const Result result = run_quickstart();
  const fs::path dir = fs::path(test_temp_path("reports"));
  fs::remove_all(dir);
  const auto written = write_reports(result, dir.string(), parse_report_formats("json,md,csv"));
  EXPECT_EQ(written.size(), 2 + csv_table_names().size());
  for (const auto& entry : fs::directory_iterator(dir)) {
    EXPECT_EQ(entry.path().filename().string().find(".partial"), std::string::npos);
  }
  std::ifstream summary(dir / "summary.md");
  std::stringstream text;
  text << summary.rdbuf();
  EXPECT_NE(text.str().find("| time to train |"), std::string::npos);
  fs::remove_all(dir);
}

TEST(ReportFiles, AFolderThatCannotBeCreatedLeavesNothingBehind) {
  const Result result = run_quickstart();
  const fs::path blocker = fs::path(test_temp_path("blocker"));
  std::ofstream(blocker) << "a file where the report folder should go";
  EXPECT_THROW(write_reports(result, (blocker / "out").string(), {ReportFormat::Json}),
               std::runtime_error);
  EXPECT_TRUE(fs::is_regular_file(blocker));
  fs::remove(blocker);
}

}  // namespace
}  // namespace capsim
