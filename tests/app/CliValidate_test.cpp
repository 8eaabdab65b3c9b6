// End-to-end tests of `capsim validate training`: the real binary on the published runs of
// shared/validation, its table, its summary lines, its CSV and its accuracy.
#include <algorithm>
#include <cmath>
#include <map>
#include <regex>

#include "RunCapsim.hpp"

namespace capsim::test {
namespace {

const std::string kPublic = CAPSIM_SHARED_DIR "/validation/training_public.csv";

class CliValidate : public CliTest {};

// The CSV written by --out, as one map per row keyed by the header's names.
std::vector<std::map<std::string, std::string>> read_csv(const fs::path& path) {
  const auto lines = lines_of(read_text(path));
  auto split = [](const std::string& line) {
    std::vector<std::string> fields;
    std::istringstream in(line);
    for (std::string field; std::getline(in, field, ',');) fields.push_back(field);
    return fields;
  };
  std::vector<std::map<std::string, std::string>> rows;
  if (lines.empty()) return rows;
  const auto header = split(lines[0]);
  for (std::size_t i = 1; i < lines.size(); ++i) {
    const auto fields = split(lines[i]);
    std::map<std::string, std::string> row;
    for (std::size_t c = 0; c < header.size() && c < fields.size(); ++c) row[header[c]] = fields[c];
    rows.push_back(row);
  }
  return rows;
}

TEST_F(CliValidate, PrintsEveryRowAndEndsWithTheMapeLine) {
  const CliResult r = capsim({"validate", "training", kPublic, "--out", "validation.csv"});
  ASSERT_EQ(r.exit_code, 0) << r.describe();
  for (const char* id :
       {"megatron-sc21-1.7b", "megatron-sc21-1008.0b", "megatron-core-h100-462b"}) {
    EXPECT_TRUE(contains(r.out, id));
  }
  const auto lines = lines_of(r.out);
  ASSERT_FALSE(lines.empty());
  static const std::regex kLast(R"(^MAPE \d+\.\d% worst \d+\.\d% \(\S+\) over 19 rows$)");
  EXPECT_TRUE(std::regex_match(lines.back(), kLast)) << lines.back();
  EXPECT_TRUE(contains(r.out, "a100-sxm-80gb: MAPE "));
  EXPECT_TRUE(contains(r.out, "h100-sxm-80gb: MAPE "));
}

// The CSV's breakdown columns are where each predicted iteration goes: they add up to it.
TEST_F(CliValidate, TheCsvBreakdownAddsUpToThePrediction) {
  const CliResult r = capsim({"validate", "training", kPublic, "--out", "validation.csv"});
  ASSERT_EQ(r.exit_code, 0) << r.describe();
  const auto rows = read_csv(dir_ / "validation.csv");
  ASSERT_EQ(rows.size(), 19u);
  for (const auto& row : rows) {
    double parts = 0;
    for (const char* column : {"compute_s", "tp_comm_s", "cp_comm_s", "pp_comm_s", "ep_comm_s",
                               "dp_comm_s", "bubble_s", "optimizer_s"}) {
      ASSERT_EQ(row.count(column), 1u) << column;
      parts += std::stod(row.at(column));
    }
    EXPECT_TRUE(near_rel(parts, std::stod(row.at("predicted_iter_s")), 1e-5)) << row.at("id");
    const double error =
        std::stod(row.at("predicted_iter_s")) / std::stod(row.at("measured_iter_s")) - 1;
    EXPECT_NEAR(std::stod(row.at("error")), error, 1e-5) << row.at("id");
  }
  // Every SC'21 row published full recompute; the Megatron-Core rows leave it blank and get the
  // practitioner's choice: none, which fits (fused attention stores no score matrix).
  EXPECT_EQ(rows.front().at("recompute"), "full");
  EXPECT_EQ(rows.back().at("recompute"), "none");
}

// Accuracy as measured on 2026-11-26 (A100 MAPE 6.2%, H100 10.9%, all 8.4%, worst 24.4%): a guard
// against regressions, not the issue's target (5% overall, 6% per GPU, 12% worst), which the model
// does not reach yet.
TEST_F(CliValidate, AccuracyDoesNotRegress) {
  const CliResult r = capsim({"validate", "training", kPublic, "--out", "validation.csv"});
  ASSERT_EQ(r.exit_code, 0) << r.describe();
  std::map<std::string, std::pair<double, int>> by_gpu;
  double sum = 0, worst = 0;
  const auto rows = read_csv(dir_ / "validation.csv");
  for (const auto& row : rows) {
    const double error = std::fabs(std::stod(row.at("error")));
    by_gpu[row.at("gpu")].first += error;
    ++by_gpu[row.at("gpu")].second;
    sum += error;
    worst = std::max(worst, error);
  }
  EXPECT_LE(sum / rows.size(), 0.09);
  EXPECT_LE(by_gpu["a100-sxm-80gb"].first / by_gpu["a100-sxm-80gb"].second, 0.065);
  EXPECT_LE(by_gpu["h100-sxm-80gb"].first / by_gpu["h100-sxm-80gb"].second, 0.115);
  EXPECT_LE(worst, 0.25);
}

TEST_F(CliValidate, NoPredictableRowEndsWithASayingLineNotAMapeOfNothing) {
  // The published 462B row with pp 16 x vpp 8 = 128 virtual stages for 112 layers: not a layout
  // Megatron can run, so the row is reported as not predicted and no MAPE is made up.
  const auto lines = lines_of(read_text(kPublic));
  std::string row = lines.back();
  const std::string published = ",8,16,48,1,,1,,bf16,";
  ASSERT_NE(row.find(published), std::string::npos) << row;
  row.replace(row.find(published), published.size(), ",8,16,48,1,8,1,,bf16,");
  const std::string csv = write_file("runs.csv", lines.front() + "\n" + row + "\n");
  const CliResult r = capsim({"validate", "training", csv});
  EXPECT_EQ(r.exit_code, 1) << r.describe();
  EXPECT_TRUE(contains(r.out, "not predicted: megatron-core-h100-462b")) << r.out;
  EXPECT_TRUE(contains(r.out, "no row could be predicted (1 failed)")) << r.out;
  EXPECT_FALSE(contains(r.out, "MAPE")) << r.out;
}

TEST_F(CliValidate, AMissingFileExitsWithTwoAndNamesIt) {
  const CliResult r = capsim({"validate", "training", "no-such-runs.csv"});
  EXPECT_EQ(r.exit_code, 2) << r.describe();
  EXPECT_TRUE(contains(r.err, "no-such-runs.csv"));
  EXPECT_TRUE(r.out.empty());
}

}  // namespace
}  // namespace capsim::test
