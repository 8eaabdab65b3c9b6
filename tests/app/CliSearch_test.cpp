// End-to-end tests of `capsim search`: the real binary on the shipped quickstart, its exit codes,
// the ranked table, the line for the scenario's own layout and the search counters.
#include <regex>

#include "RunCapsim.hpp"

namespace capsim::test {
namespace {

class CliSearch : public CliTest {
 protected:
  std::string quickstart() const { return quickstart_path().string(); }
};

// Table rows: a rank (with * for the scenario's layout) followed by the TP, PP, VPP, DP, CP sizes.
std::vector<std::string> table_rows(const std::string& out) {
  std::vector<std::string> rows;
  static const std::regex kRow(
      R"(^\d+\*? +\d+ +\d+ +\d+ +\d+ +\d+ +\d+ +[0-3] +(none|selective|full) .*)");
  for (const auto& line : lines_of(out)) {
    if (std::regex_match(line, kRow)) rows.push_back(line);
  }
  return rows;
}

std::vector<std::string> words(const std::string& line) {
  std::istringstream in(line);
  std::vector<std::string> result;
  for (std::string word; in >> word;) result.push_back(word);
  return result;
}

TEST_F(CliSearch, QuickstartPrintsTheTableTheOwnLayoutAndTheCounts) {
  const CliResult r = capsim({"search", quickstart()});
  ASSERT_EQ(r.exit_code, 0) << r.describe();
  EXPECT_TRUE(r.err.empty()) << r.describe();
  EXPECT_TRUE(
      contains(r.out, "rank  TP  PP  VPP  DP  CP  micro-batch  ZeRO  recompute  iteration"));
  EXPECT_TRUE(contains(r.out, "MFU"));
  EXPECT_TRUE(contains(r.out, "memory/GPU (GiB)"));
  EXPECT_TRUE(contains(r.out, "run cost (rented)"));  // the quickstart rents
  EXPECT_EQ(table_rows(r.out).size(), 10u);           // --top defaults to 10
  // Virtual pipeline stages: powers of two with a layer each on at least 2 stages (32 layers).
  EXPECT_TRUE(contains(r.out, "VPP 1,2,4,8,16 (PP >= 2"));

  // The quickstart's layout as `capsim run` resolves it (README: TP2 PP1 DP16 CP1, micro-batch 2
  // chosen, ZeRO-1), with a rank.
  std::smatch own;
  const std::regex kOwn(
      R"(scenario layout: TP2 PP1 DP16 CP1, micro-batch 2 \(chosen\), ZeRO-1, recompute none: rank (\d+) of (\d+), ([0-9.]+ m?s) per iteration)");
  ASSERT_TRUE(std::regex_search(r.out, own, kOwn)) << r.out;
  const int rank = std::stoi(own[1]);
  const int total = std::stoi(own[2]);
  EXPECT_GE(rank, 1);
  EXPECT_LE(rank, total);

  std::smatch counts;
  const std::regex kCounts(R"(evaluated (\d+) layouts: (\d+) valid, (\d+) fit in memory)");
  ASSERT_TRUE(std::regex_search(r.out, counts, kCounts)) << r.out;
  const long evaluated = std::stol(counts[1]), valid = std::stol(counts[2]),
             fit = std::stol(counts[3]);
  EXPECT_LE(valid, evaluated);
  EXPECT_LE(fit, valid);
  EXPECT_EQ(fit, total);
  EXPECT_TRUE(contains(r.out, "search took"));

  // Listing every layout shows the own one at its rank, marked, with the time the line gives.
  const CliResult all = capsim({"search", quickstart(), "--top", std::to_string(total)});
  ASSERT_EQ(all.exit_code, 0) << all.describe();
  const auto rows = table_rows(all.out);
  ASSERT_EQ(rows.size(), static_cast<std::size_t>(total));
  const auto marked = words(rows[static_cast<std::size_t>(rank - 1)]);
  EXPECT_EQ(marked[0], std::to_string(rank) + "*");
  EXPECT_EQ(marked[1] + marked[2] + marked[4] + marked[5], "21161");  // TP PP DP CP
  EXPECT_EQ(marked[3], "1");                                          // VPP
  EXPECT_EQ(marked[6], "2");                                          // micro-batch
  EXPECT_EQ(marked[9] + " " + marked[10], std::string(own[3]));       // iteration time
  int stars = 0;
  for (const auto& row : rows) stars += words(row)[0].back() == '*';
  EXPECT_EQ(stars, 1);
  // Ranked by iteration time: the printed times never decrease down the table.
  double previous = 0;
  for (const auto& row : rows) {
    const auto w = words(row);
    const auto seconds = parse_printed(w[9] + " " + w[10]);
    ASSERT_TRUE(seconds.has_value()) << row;
    EXPECT_GE(*seconds, previous * (1 - 0.006)) << row;  // printed to 3 digits
    previous = *seconds;
  }
}

TEST_F(CliSearch, CostObjectiveListsTheSameLayoutsFirst) {
  const CliResult by_time = capsim({"search", quickstart(), "--top", "5"});
  const CliResult by_cost = capsim({"search", quickstart(), "--top", "5", "--objective", "cost"});
  ASSERT_EQ(by_time.exit_code, 0) << by_time.describe();
  ASSERT_EQ(by_cost.exit_code, 0) << by_cost.describe();
  EXPECT_TRUE(contains(by_cost.out, "by cost of the run"));
  EXPECT_EQ(table_rows(by_cost.out), table_rows(by_time.out));
}

TEST_F(CliSearch, AModelThatFitsNowhereSaysWhy) {
  const CliResult r =
      capsim({"search", quickstart(), "--set", "workloads[0].model=llama-3.1-405b"});
  ASSERT_EQ(r.exit_code, 0) << r.describe();
  EXPECT_TRUE(contains(r.out, "No layout: no layout fits in GPU memory; the smallest need is"));
  EXPECT_TRUE(contains(r.out, "does not fit in GPU memory"));
  EXPECT_TRUE(table_rows(r.out).empty());
}

TEST_F(CliSearch, AMixtureOfExpertsSearchesAndShowsExpertParallelism) {
  // Mixtral 8x7B on the quickstart's 32 GPUs with tp 2 and ep 8 carved out of dp 16.
  const CliResult r = capsim({"search", quickstart(), "--set", "workloads[0].model=mixtral-8x7b",
                              "--set", "workloads[0].parallelism={tp: 2, pp: 1, ep: 8}", "--set",
                              "workloads[0].recompute=full", "--top", "3"});
  ASSERT_EQ(r.exit_code, 0) << r.describe();
  EXPECT_TRUE(contains(r.out, "rank  TP  PP  VPP  DP  CP  EP  micro-batch  ZeRO  recompute"))
      << r.out;
  EXPECT_TRUE(contains(r.out, "EP 1,2,4,8 dividing DP x CP")) << r.out;
  const std::regex kOwn(
      R"(scenario layout: TP2 PP1 DP16 CP1 EP8, micro-batch \d+ \(chosen\), ZeRO-1, recompute full: rank \d+ of \d+)");
  EXPECT_TRUE(std::regex_search(r.out, kOwn)) << r.out;
  // A dense model's table has no EP column.
  const CliResult dense = capsim({"search", quickstart(), "--top", "1"});
  EXPECT_FALSE(contains(dense.out, "EP")) << dense.out;
}

TEST_F(CliSearch, BadInputExitsWithTwo) {
  CliResult r = capsim({"search", quickstart(), "--objective", "speed"});
  EXPECT_EQ(r.exit_code, 2) << r.describe();
  r = capsim({"search", quickstart(), "--top", "0"});
  EXPECT_EQ(r.exit_code, 2) << r.describe();
  r = capsim({"search", quickstart(), "--workload", "nope"});
  EXPECT_EQ(r.exit_code, 2) << r.describe();
  EXPECT_TRUE(contains(r.err, "no training workload 'nope'"));
  EXPECT_TRUE(contains(r.err, "finetune-8b"));
  r = capsim({"search", (dir_ / "missing.yaml").string()});
  EXPECT_EQ(r.exit_code, 2) << r.describe();
  EXPECT_TRUE(contains(r.err, "cannot open the file"));
  r = capsim({"search", quickstart(), "--set", "workloads[0].seq_len=0"});
  EXPECT_EQ(r.exit_code, 2) << r.describe();
  r = capsim({"search", quickstart(), "--set", "infrastructure.clusters[0].storage=[]"});
  EXPECT_EQ(r.exit_code, 2) << r.describe();
  EXPECT_TRUE(contains(r.err, "has no storage"));
  EXPECT_TRUE(r.out.empty()) << r.out;
}

TEST_F(CliSearch, AServiceGetsTheCheapestHardwareMeetingItsSlo) {
  // scenarios/serving-search-8b.yaml: 2 server types x tp 1, 2 (pp 1: an 8B model fits one GPU)
  // = four rows, ranked by rental
  // cost per hour with those meeting the SLO first; the best line names a row of the table.
  const fs::path scenario = scenarios_dir() / "serving-search-8b.yaml";
  const CliResult r = capsim({"search", scenario.string()});
  ASSERT_EQ(r.exit_code, 0) << r.describe();
  EXPECT_TRUE(contains(r.out, "hardware for service 'chat'")) << r.out;
  EXPECT_TRUE(contains(r.out, "ranked by rental cost per hour")) << r.out;
  EXPECT_TRUE(contains(r.out, "Showing 4 of 4 hardware and parallelism choices.")) << r.out;
  static const std::regex kBest(R"(Cheapest meeting the SLO: (\d+) x (hgx-h[12]00) tp([12]) )");
  std::smatch best;
  ASSERT_TRUE(std::regex_search(r.out, best, kBest)) << r.out;
  static const std::regex kFirstRow(R"(\n1 +(hgx-h[12]00) +h[12]00\S* +([12]) +1 +(\d+) .* yes\n)");
  std::smatch row;
  ASSERT_TRUE(std::regex_search(r.out, row, kFirstRow)) << r.out;
  EXPECT_EQ(row[1], best[2]);
  EXPECT_EQ(row[2], best[3]);
  EXPECT_EQ(row[3], best[1]);
}

TEST_F(CliSearch, AServiceWithoutALatencyLimitOrAnUnknownServerExitsWithTwo) {
  const fs::path scenario = scenarios_dir() / "serving-search-8b.yaml";
  CliResult r = capsim({"search", scenario.string(), "--set", "workloads[0].slo={}"});
  EXPECT_EQ(r.exit_code, 2) << r.describe();
  EXPECT_TRUE(contains(r.err, "search needs an slo")) << r.err;
  EXPECT_TRUE(r.out.empty()) << r.out;
  r = capsim({"search", scenario.string(), "--set", "workloads[0].search.servers=[hgx-h900]"});
  EXPECT_EQ(r.exit_code, 2) << r.describe();
  EXPECT_TRUE(contains(r.err, "unknown server id 'hgx-h900'")) << r.err;
  EXPECT_TRUE(contains(r.err, "workloads[0].search.servers")) << r.err;
}

TEST_F(CliSearch, HelpSaysTimeAndCostRankAlike) {
  const CliResult r = capsim({"search", "--help"});
  EXPECT_EQ(r.exit_code, 0) << r.describe();
  EXPECT_TRUE(contains(r.out, "--objective"));
  EXPECT_TRUE(contains(r.out, "same order"));
  EXPECT_TRUE(contains(r.out, "--top"));
  EXPECT_TRUE(contains(r.out, "--workload"));
}

}  // namespace
}  // namespace capsim::test
