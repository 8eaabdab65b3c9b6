// End-to-end tests of bad input to `capsim`: every case exits with code 2, prints one line on
// stderr that names where the problem is (file and line:column, or the key path), what is wrong and
// what is expected, prints nothing on stdout, and writes no report folder or file.
#include <gtest/gtest.h>

#include <regex>

#include "RunCapsim.hpp"

namespace capsim::test {
namespace {

class BadInput : public CliTest {
 protected:
  /// The quickstart's text with the first line equal to `from` replaced by `to`; `line` receives
  /// the 1-based number of that line.
  std::string quickstart_with(const std::string& from, const std::string& to, int* line = nullptr) {
    const auto lines = lines_of(read_text(quickstart_path()));
    std::string text;
    bool replaced = false;
    for (std::size_t i = 0; i < lines.size(); ++i) {
      if (!replaced && lines[i] == from) {
        text += to + "\n";
        replaced = true;
        if (line) *line = static_cast<int>(i) + 1;
      } else {
        text += lines[i] + "\n";
      }
    }
    EXPECT_TRUE(replaced) << "scenarios/quickstart.yaml has no line '" << from << "'";
    return text;
  }

  /// Runs `capsim ARGS... --out report` and checks the common contract of bad input; returns
  /// the error line (without its newline) for the case's own assertions.
  std::string expect_bad_input(std::vector<std::string> args) {
    const auto before = tree(dir_);
    args.push_back("--out");
    args.push_back("report");
    const CliResult run = capsim(args);
    EXPECT_EQ(run.exit_code, 2) << run.describe();
    EXPECT_EQ(run.out, "") << "nothing on stdout for bad input";
    EXPECT_TRUE(std::regex_match(run.err, std::regex("error: [^\n]+\n")))
        << "expected one line 'error: ...' on stderr, got:\n"
        << run.err;
    // What is expected: "...; expected X", or a remedy "...; use X" (the fabric check).
    EXPECT_TRUE(contains(run.err, "; expected ") || contains(run.err, "; use "))
        << "the message should say what is expected:\n"
        << run.err;
    EXPECT_FALSE(fs::exists(dir_ / "report")) << "the --out folder was created";
    EXPECT_EQ(tree(dir_), before) << "files were written";
    std::string line = run.err;
    if (!line.empty() && line.back() == '\n') line.pop_back();
    return line;
  }

  /// A usage error (CLI11 reports these, in a few lines): exit 2, nothing written.
  void expect_usage_error(const std::vector<std::string>& args) {
    const auto before = tree(dir_);
    const CliResult run = capsim(args);
    EXPECT_EQ(run.exit_code, 2) << run.describe();
    EXPECT_NE(run.err, "") << "a usage error should say what is wrong";
    EXPECT_EQ(tree(dir_), before) << "files were written";
  }
};

TEST_F(BadInput, MissingFile) {
  const std::string message = expect_bad_input({"run", "no-such-scenario.yaml"});
  EXPECT_TRUE(contains(message, "no-such-scenario.yaml"));
  EXPECT_TRUE(contains(message, "cannot open"));
}

TEST_F(BadInput, YamlSyntaxError) {
  const std::string file =
      write_file("syntax.yaml", "name: broken\ninfrastructure:\n  clusters: [\n    {name: a\n");
  const std::string message = expect_bad_input({"run", file});
  EXPECT_TRUE(std::regex_search(message, std::regex(R"(syntax\.yaml:\d+:\d+: )"))) << message;
  EXPECT_TRUE(contains(message, "YAML syntax error"));
}

TEST_F(BadInput, UnknownKeyNamesFileLineColumnAndKeyPath) {
  int line = 0;
  const std::string text =
      quickstart_with("      count: 4", "      count: 4\n      colour: blue", &line);
  const std::string file = write_file("unknown-key.yaml", text);
  const std::string message = expect_bad_input({"run", file});
  // `colour` is on the line after `count`, indented like it (column 7).
  EXPECT_TRUE(contains(message, "unknown-key.yaml:" + std::to_string(line + 1) + ":7: "));
  EXPECT_TRUE(contains(message, "infrastructure.clusters[0].colour"));
  EXPECT_TRUE(contains(message, "unknown key"));
  EXPECT_TRUE(contains(message, "count"));  // the keys that are allowed there
}

TEST_F(BadInput, ValueWithoutUnit) {
  int line = 0;
  const std::string file =
      write_file("no-unit.yaml", quickstart_with("    checkpoint: {interval: 30min}",
                                                 "    checkpoint: {interval: 30}", &line));
  const std::string message = expect_bad_input({"run", file});
  EXPECT_TRUE(
      std::regex_search(message, std::regex("no-unit\\.yaml:" + std::to_string(line) + ":\\d+: ")))
      << message;
  EXPECT_TRUE(contains(message, "workloads[0].checkpoint.interval"));
  EXPECT_TRUE(contains(message, "no unit"));
  EXPECT_TRUE(contains(message, "30min"));  // the example of what is expected
}

// Placed workloads must fit their cluster: the second workload of 3 servers on a cluster of 4
// is named with its key path and the count it exceeds.
TEST_F(BadInput, PlacedWorkloadsBeyondTheClusterAreRejected) {
  std::string text =
      quickstart_with("    global_batch: 64                # sequences per iteration",
                      "    global_batch: 64\n    servers: 3");
  const std::string second =
      "  - name: second\n    kind: training\n    model: llama-3.1-8b\n    tokens: 1B\n"
      "    seq_len: 8192\n    global_batch: 64\n    servers: 2\n";
  text.replace(text.find("\neconomics:"), 1, "\n" + second);
  const std::string message = expect_bad_input({"run", write_file("placed.yaml", text)});
  EXPECT_TRUE(contains(message, "workloads[1].servers")) << message;
  EXPECT_TRUE(contains(message, "to 5, more than its 4")) << message;
}

TEST_F(BadInput, DisaggregatedPoolWhoseTpDoesNotDivideTheNvlinkDomain) {
  const std::string scenario = (scenarios_dir() / "serving-disaggregated-h100.yaml").string();
  const std::string message =
      expect_bad_input({"run", scenario, "--set", "workloads[0].disaggregation.prefill.tp=3"});
  EXPECT_TRUE(contains(message, "workloads[0].disaggregation.prefill.tp")) << message;
  EXPECT_TRUE(contains(message, "does not divide the 8 GPUs")) << message;
}

TEST_F(BadInput, MoreSlowServersThanTheClusterHas) {
  std::string text = quickstart_with("  seed: 1", "  seed: 1\n  variability: {slow_servers: 5}");
  const std::string message = expect_bad_input({"run", write_file("slow.yaml", text)});
  EXPECT_TRUE(contains(message, "run.variability: slow_servers is 5 but cluster 'lab' has 4"))
      << message;
}

TEST_F(BadInput, ValueWithWrongUnit) {
  int line = 0;
  const std::string file =
      write_file("wrong-unit.yaml", quickstart_with("    checkpoint: {interval: 30min}",
                                                    "    checkpoint: {interval: 30GB}", &line));
  const std::string message = expect_bad_input({"run", file});
  EXPECT_TRUE(std::regex_search(
      message, std::regex("wrong-unit\\.yaml:" + std::to_string(line) + ":\\d+: ")))
      << message;
  EXPECT_TRUE(contains(message, "workloads[0].checkpoint.interval"));
  EXPECT_TRUE(contains(message, "GB"));
  EXPECT_TRUE(contains(message, "duration"));
}

TEST_F(BadInput, NegativeCount) {
  int line = 0;
  const std::string file =
      write_file("negative.yaml", quickstart_with("      count: 4", "      count: -4", &line));
  const std::string message = expect_bad_input({"run", file});
  EXPECT_TRUE(contains(message, "negative.yaml:" + std::to_string(line) + ":14: "));
  EXPECT_TRUE(contains(message, "infrastructure.clusters[0].count"));
  EXPECT_TRUE(contains(message, "negative"));
  EXPECT_TRUE(contains(message, ">= 1"));
}

TEST_F(BadInput, ZeroCount) {
  int line = 0;
  const std::string file =
      write_file("zero.yaml", quickstart_with("      count: 4", "      count: 0", &line));
  const std::string message = expect_bad_input({"run", file});
  EXPECT_TRUE(contains(message, "zero.yaml:" + std::to_string(line) + ":14: "));
  EXPECT_TRUE(contains(message, "infrastructure.clusters[0].count"));
  EXPECT_TRUE(contains(message, "zero"));
}

TEST_F(BadInput, NegativeAndZeroCountsFromSetNameTheSetting) {
  EXPECT_TRUE(contains(expect_bad_input({"run", quickstart_path().string(), "--set",
                                         "workloads[0].parallelism.tp=-2"}),
                       "--set workloads[0].parallelism.tp=-2: workloads[0].parallelism.tp: "));
  EXPECT_TRUE(contains(
      expect_bad_input({"run", quickstart_path().string(), "--set", "workloads[0].global_batch=0"}),
      "workloads[0].global_batch: '0' is zero"));
}

TEST_F(BadInput, UnknownCatalogId) {
  int line = 0;
  const std::string file =
      write_file("unknown-id.yaml",
                 quickstart_with("    model: llama-3.1-8b", "    model: llama-9-1t", &line));
  const std::string message = expect_bad_input({"run", file});
  EXPECT_TRUE(contains(message, "unknown-id.yaml:" + std::to_string(line) + ":12: "));
  EXPECT_TRUE(contains(message, "workloads[0].model"));
  EXPECT_TRUE(contains(message, "'llama-9-1t'"));
  EXPECT_TRUE(contains(message, "llama-3.1-8b"));  // lists the ids that exist
}

TEST_F(BadInput, ParallelSizesThatDoNotMultiplyToTheGpuCount) {
  const std::string message = expect_bad_input(
      {"run", quickstart_path().string(), "--set", "workloads[0].parallelism.dp=3"});
  EXPECT_TRUE(contains(message, "quickstart.yaml"));
  EXPECT_TRUE(contains(message, "parallelism"));
  EXPECT_TRUE(contains(message, "dp 3"));
  EXPECT_TRUE(contains(message, "32"));  // the cluster's GPU count
}

TEST_F(BadInput, ModelThatDoesNotFitShowsThePerGpuMemoryBreakdown) {
  const std::string message = expect_bad_input({"run", quickstart_path().string(), "--set",
                                                "workloads[0].model=llama-3.1-405b", "--set",
                                                "workloads[0].parallelism.tp=8"});
  EXPECT_TRUE(contains(message, "quickstart.yaml"));
  EXPECT_TRUE(contains(message, "does not fit"));
  // "weights W GiB + gradients G GiB + optimizer states O GiB + activations A GiB + ... = T GiB
  // of C GiB": the parts are shown and add up to the total, which exceeds the capacity.
  double parts = 0;
  for (const auto& part : {"weights", "gradients", "optimizer", "activations"}) {
    std::smatch match;
    ASSERT_TRUE(std::regex_search(message, match,
                                  std::regex(std::string(part) + R"([a-z ]* ([0-9.]+) GiB)")))
        << "no '" << part << " ... GiB' in: " << message;
    parts += std::stod(match[1]);
  }
  std::smatch logits;
  if (std::regex_search(message, logits, std::regex(R"(logits[a-z ]* ([0-9.]+) GiB)"))) {
    parts += std::stod(logits[1]);
  }
  std::smatch total;
  ASSERT_TRUE(std::regex_search(message, total, std::regex(R"(= ([0-9.]+) GiB of ([0-9.]+) GiB)")))
      << message;
  EXPECT_NEAR(parts, std::stod(total[1]), 0.05);
  EXPECT_GT(std::stod(total[1]), std::stod(total[2]));
  // An 80 GB H100 holds 80e9 / 2^30 = 74.5 GiB.
  EXPECT_NEAR(std::stod(total[2]), 80e9 / (1ull << 30), 0.01);
  // 405B bf16 weights over tp 8: 405e9 x 2 / 8 bytes = 94 GiB give or take the exact count.
  std::smatch weights;
  ASSERT_TRUE(std::regex_search(message, weights, std::regex(R"(weights ([0-9.]+) GiB)")));
  EXPECT_NEAR(std::stod(weights[1]), 405e9 * 2 / 8 / (1ull << 30), 3.0);
}

TEST_F(BadInput, FabricWhoseSwitchRadixCannotConnectTheServers) {
  // 9 DGX H100 x 8 NICs = 72 ports, more than the single 64-port switch has.
  const std::string message = expect_bad_input(
      {"run", quickstart_path().string(), "--set", "infrastructure.clusters[0].count=9"});
  EXPECT_TRUE(contains(message, "quickstart.yaml"));
  EXPECT_TRUE(contains(message, "fabric"));
  EXPECT_TRUE(contains(message, "72"));
  EXPECT_TRUE(contains(message, "64 ports"));
}

TEST_F(BadInput, SetWithoutEquals) {
  const std::string message =
      expect_bad_input({"run", quickstart_path().string(), "--set", "run.seed"});
  EXPECT_TRUE(contains(message, "--set run.seed"));
  EXPECT_TRUE(contains(message, "key.path=value"));
}

TEST_F(BadInput, SetOfAnUnknownKey) {
  const std::string message =
      expect_bad_input({"run", quickstart_path().string(), "--set", "workloads[0].colour=red"});
  EXPECT_TRUE(contains(message, "--set workloads[0].colour=red"));
  EXPECT_TRUE(contains(message, "workloads[0].colour: unknown key"));
}

TEST_F(BadInput, UnknownFormat) {
  const std::string message =
      expect_bad_input({"run", quickstart_path().string(), "--format", "json,pdf"});
  EXPECT_TRUE(contains(message, "--format"));
  EXPECT_TRUE(contains(message, "'pdf'"));
  EXPECT_TRUE(contains(message, "json, md, html, csv"));
}

TEST_F(BadInput, CheckReportsTheSameErrors) {
  const auto before = tree(dir_);
  const CliResult run =
      capsim({"check", quickstart_path().string(), "--set", "workloads[0].parallelism.dp=3"});
  EXPECT_EQ(run.exit_code, 2) << run.describe();
  EXPECT_TRUE(contains(run.err, "dp 3"));
  EXPECT_EQ(tree(dir_), before);
}

TEST_F(BadInput, UsageErrorsExitTwo) {
  expect_usage_error({});                                                    // no subcommand
  expect_usage_error({"frobnicate"});                                        // unknown subcommand
  expect_usage_error({"run"});                                               // no scenario
  expect_usage_error({"run", quickstart_path().string(), "--bogus"});        // unknown option
  expect_usage_error({"run", quickstart_path().string(), "--seed", "abc"});  // not a number
  expect_usage_error({"compare", "a.json", "--format", "html"});             // not a choice
  expect_usage_error({"run", quickstart_path().string(), "--out"});          // option lacks value
}

TEST_F(BadInput, NegativeSeedOnTheCommandLine) {
  const auto before = tree(dir_);
  const CliResult run =
      capsim({"run", quickstart_path().string(), "--seed", "-1", "--out", "report"});
  EXPECT_EQ(run.exit_code, 2) << run.describe();
  EXPECT_FALSE(fs::exists(dir_ / "report")) << "a report was written with a wrapped seed";
  EXPECT_EQ(tree(dir_), before);
}

// An --out that cannot be a folder (an existing regular file) is bad input (exit 2), not an
// internal error (exit 3, as before 751e868).
TEST_F(BadInput, OutIsAnExistingFile) {
  write_file("taken", "not a folder\n");
  const CliResult run = capsim({"run", quickstart_path().string(), "--out", "taken"});
  EXPECT_EQ(run.exit_code, 2) << run.describe();
  EXPECT_TRUE(contains(run.err, "taken"));
  EXPECT_FALSE(contains(run.err, "internal error"));
  EXPECT_EQ(read_text(dir_ / "taken"), "not a folder\n") << "the file was overwritten";
}

}  // namespace
}  // namespace capsim::test
