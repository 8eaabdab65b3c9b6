// End-to-end tests of `capsim catalog` (kinds, one kind as a table or JSON, one entry) and
// `capsim compare` (two runs side by side, cells matching their result.json; bad files rejected).
// Units.hpp first: gtest.h (and RunCapsim.hpp) pull in <signal.h>, whose macro si_value breaks
// Units.hpp's declaration format_quantity(double si_value, ...) when included after them.
#include "capsim/models/Units.hpp"
// clang-format off
#include <gtest/gtest.h>
// clang-format on

#include <regex>
#include <set>

#include "RunCapsim.hpp"

namespace capsim::test {
namespace {

const std::vector<std::string> kKinds = {"gpus",    "servers", "nics",         "switches", "optics",
                                         "storage", "models",  "cloud_prices", "economics"};

/// The cells of a plain-text table row: columns are separated by two or more spaces.
std::vector<std::string> table_cells(const std::string& line) {
  std::vector<std::string> cells;
  static const std::regex kSeparator(R"(\s{2,})");
  std::sregex_token_iterator it(line.begin(), line.end(), kSeparator, -1), end;
  for (; it != end; ++it) {
    if (!it->str().empty()) cells.push_back(*it);
  }
  return cells;
}

/// The rows of a printed table keyed by their first cell.
std::map<std::string, std::vector<std::string>> table_rows(const std::string& text) {
  std::map<std::string, std::vector<std::string>> rows;
  for (const auto& line : lines_of(text)) {
    auto cells = table_cells(line);
    if (cells.empty()) continue;
    const std::string key = cells.front();
    cells.erase(cells.begin());
    rows[key] = cells;
  }
  return rows;
}

using Catalog = CliTest;

TEST_F(Catalog, ListsEveryKindWithItsEntryCount) {
  const CliResult run = capsim({"catalog"});
  ASSERT_EQ(run.exit_code, 0) << run.describe();
  const auto rows = table_rows(run.out);
  for (const auto& kind : kKinds) {
    ASSERT_TRUE(rows.count(kind)) << kind << " not listed in\n" << run.out;
    // The count shown is the number of entries `capsim catalog KIND --json` gives.
    const CliResult entries = capsim({"catalog", kind, "--json"});
    ASSERT_EQ(entries.exit_code, 0) << entries.describe();
    const Json json = Json::parse(entries.out);
    ASSERT_TRUE(json.is_array()) << kind;
    EXPECT_EQ(rows.at(kind).at(0), std::to_string(json.size())) << kind;
  }
  EXPECT_TRUE(tree(dir_).empty()) << "catalog wrote files: " << joined(tree(dir_), ", ");
}

TEST_F(Catalog, GpusListH100WithItsPeak) {
  const CliResult run = capsim({"catalog", "gpus"});
  ASSERT_EQ(run.exit_code, 0) << run.describe();
  const auto rows = table_rows(run.out);
  ASSERT_TRUE(rows.count("h100-sxm-80gb")) << run.out;
  const auto& h100 = rows.at("h100-sxm-80gb");
  EXPECT_NE(std::find(h100.begin(), h100.end(), "989 TFLOP/s"), h100.end())
      << "h100-sxm-80gb row: " << joined(h100, " | ");

  // The table and the JSON list the same ids.
  const CliResult json_run = capsim({"catalog", "gpus", "--json"});
  ASSERT_EQ(json_run.exit_code, 0) << json_run.describe();
  Json json;
  ASSERT_NO_THROW(json = Json::parse(json_run.out)) << "not JSON:\n" << json_run.out;
  std::set<std::string> json_ids, table_ids;
  for (const auto& entry : json) json_ids.insert(entry.at("id").get<std::string>());
  for (const auto& [id, cells] : rows) {
    if (id != "ID") table_ids.insert(id);
  }
  EXPECT_EQ(json_ids, table_ids);
  for (const auto& entry : json) {
    if (entry["id"] == "h100-sxm-80gb") {
      EXPECT_EQ(entry["bf16_flop_per_s"].get<double>(), 989e12);
    }
  }
}

TEST_F(Catalog, OneEntryShowsItsFieldsAndSource) {
  const CliResult run = capsim({"catalog", "gpus", "h100-sxm-80gb"});
  ASSERT_EQ(run.exit_code, 0) << run.describe();
  const auto rows = table_rows(run.out);
  ASSERT_TRUE(rows.count("source")) << run.out;
  EXPECT_FALSE(rows.at("source").empty() || rows.at("source")[0].empty());
  ASSERT_TRUE(rows.count("bf16_flop_per_s")) << run.out;
  EXPECT_EQ(rows.at("bf16_flop_per_s").at(0), "989 TFLOP/s");
  ASSERT_TRUE(rows.count("id"));
  EXPECT_EQ(rows.at("id").at(0), "h100-sxm-80gb");

  const CliResult json_run = capsim({"catalog", "gpus", "h100-sxm-80gb", "--json"});
  ASSERT_EQ(json_run.exit_code, 0) << json_run.describe();
  Json entry;
  ASSERT_NO_THROW(entry = Json::parse(json_run.out)) << json_run.out;
  EXPECT_EQ(entry.at("id"), "h100-sxm-80gb");
  EXPECT_FALSE(entry.at("source").get<std::string>().empty());
}

TEST_F(Catalog, UnknownKindOrIdExitsTwo) {
  const CliResult kind = capsim({"catalog", "gpuz"});
  EXPECT_EQ(kind.exit_code, 2) << kind.describe();
  EXPECT_TRUE(contains(kind.err, "'gpuz'"));
  EXPECT_TRUE(contains(kind.err, "gpus"));  // the kinds that exist
  EXPECT_EQ(kind.out, "");

  const CliResult id = capsim({"catalog", "gpus", "h900"});
  EXPECT_EQ(id.exit_code, 2) << id.describe();
  EXPECT_TRUE(contains(id.err, "'h900'"));
  EXPECT_TRUE(contains(id.err, "h100-sxm-80gb"));  // the ids that exist
  EXPECT_EQ(id.out, "");
  EXPECT_TRUE(tree(dir_).empty());
}

class Compare : public CliTest {
 protected:
  /// Runs the quickstart into `out` with extra `capsim run` arguments.
  void run_quickstart(const std::string& out, std::vector<std::string> extra = {}) {
    std::vector<std::string> args = {"run", quickstart_path().string(), "--out", out, "--quiet"};
    args.insert(args.end(), extra.begin(), extra.end());
    const CliResult run = capsim(args);
    ASSERT_EQ(run.exit_code, 0) << run.describe();
  }

  /// Two runs: the quickstart (4 servers) and the same with 8 servers and dp 32. Eight DGX need
  /// 64 NIC ports plus the storage's, more than one 64-port switch has, hence leaf-spine.
  void run_both() {
    run_quickstart("small");
    run_quickstart("big", {"--set", "infrastructure.clusters[0].count=8", "--set",
                           "workloads[0].parallelism.dp=32", "--set",
                           "infrastructure.clusters[0].fabric.template=leaf-spine"});
  }

  /// Writes a copy of small/result.json changed by `edit` and returns its path.
  template <typename Edit>
  std::string edited_result(const std::string& name, Edit edit) {
    Json result = read_json("small/result.json");
    edit(result);
    return write_file(name, result.dump(2));
  }

  /// `capsim compare ARGS` must refuse with exit 2 and one line naming `file`.
  void expect_rejected(const std::vector<std::string>& args, const std::string& file) {
    const CliResult run = capsim(args);
    EXPECT_EQ(run.exit_code, 2) << run.describe();
    EXPECT_EQ(run.out, "");
    EXPECT_TRUE(std::regex_match(run.err, std::regex("error: [^\n]+\n"))) << run.err;
    EXPECT_TRUE(contains(run.err, file));
  }
};

TEST_F(Compare, TwoRunsSideBySideMatchTheirResults) {
  run_both();
  const Json small = read_json("small/result.json");
  const Json big = read_json("big/result.json");
  ASSERT_EQ(big["clusters"][0]["gpus"], 64);

  const CliResult run = capsim({"compare", "small/result.json", "big/"});
  ASSERT_EQ(run.exit_code, 0) << run.describe();
  EXPECT_EQ(run.err, "");
  const auto rows = table_rows(run.out);
  for (const auto& label : {"scenario/workload", "cluster", "iteration time", "time to train",
                            "cost (owned)", "cost (rented)", "MFU"}) {
    ASSERT_TRUE(rows.count(label)) << "no row '" << label << "' in\n" << run.out;
    ASSERT_EQ(rows.at(label).size(), 2u) << label << ": " << joined(rows.at(label), " | ");
  }
  EXPECT_EQ(rows.at("cluster")[0], "32 x h100-sxm-80gb");
  EXPECT_EQ(rows.at("cluster")[1], "64 x h100-sxm-80gb");

  const std::vector<const Json*> results = {&small, &big};
  for (std::size_t column = 0; column < 2; ++column) {
    SCOPED_TRACE(column == 0 ? "small" : "big");
    const Json& job = (*results[column])["training"][0];
    const double iteration_s = job["iteration"]["iteration_s"].get<double>();
    const double time_to_train_s = job["run"]["time_to_train_s"].get<double>();
    const double owned_usd = job["cost"]["owned_usd"].get<double>();
    const double rented_usd = job["cost"]["rented_usd"].get<double>();
    // Read back as numbers, independently of capsim's formatting...
    EXPECT_TRUE(printed_matches(rows.at("iteration time")[column], iteration_s));
    EXPECT_TRUE(printed_matches(rows.at("time to train")[column], time_to_train_s));
    EXPECT_TRUE(printed_matches(rows.at("cost (owned)")[column], owned_usd));
    EXPECT_TRUE(printed_matches(rows.at("cost (rented)")[column], rented_usd));
    EXPECT_TRUE(printed_matches(rows.at("MFU")[column], job["iteration"]["mfu"].get<double>()));
    // ...and exactly as the CLI formats them.
    EXPECT_EQ(rows.at("iteration time")[column], format_quantity(iteration_s, Quantity::Time));
    EXPECT_EQ(rows.at("cost (owned)")[column], format_quantity(owned_usd, Quantity::Money));
    EXPECT_EQ(rows.at("cost (rented)")[column], format_quantity(rented_usd, Quantity::Money));
  }
  // Twice the GPUs: each iteration is faster, so is the whole run.
  EXPECT_LT(big["training"][0]["iteration"]["iteration_s"].get<double>(),
            small["training"][0]["iteration"]["iteration_s"].get<double>());
}

TEST_F(Compare, MarkdownTableHasTheSameCells) {
  run_both();
  const CliResult table = capsim({"compare", "small", "big/result.json"});
  const CliResult markdown = capsim({"compare", "small", "big/result.json", "--format", "md"});
  ASSERT_EQ(table.exit_code, 0) << table.describe();
  ASSERT_EQ(markdown.exit_code, 0) << markdown.describe();
  const auto lines = lines_of(markdown.out);
  ASSERT_GE(lines.size(), 3u);
  EXPECT_EQ(lines[1], "|---|---|---|");
  const auto plain = table_rows(table.out);
  for (const auto& line : lines) {
    if (line == lines[1]) continue;
    ASSERT_TRUE(line.size() > 4 && line.front() == '|' && line.back() == '|') << line;
    std::vector<std::string> cells;
    std::stringstream stream(line.substr(2, line.size() - 4));
    for (std::string cell; std::getline(stream, cell, '|');) {
      cell.erase(0, cell.find_first_not_of(' '));
      cell.erase(cell.find_last_not_of(' ') + 1);
      cells.push_back(cell);
    }
    ASSERT_EQ(cells.size(), 3u) << line;
    ASSERT_TRUE(plain.count(cells[0])) << cells[0];
    EXPECT_EQ(plain.at(cells[0]), std::vector<std::string>(cells.begin() + 1, cells.end()));
  }
}

TEST_F(Compare, MissingFileExitsTwo) {
  expect_rejected({"compare", "nowhere/result.json"}, "nowhere/result.json");
}

TEST_F(Compare, FileThatIsNotAResultExitsTwo) {
  expect_rejected({"compare", write_file("other.json", R"({"name": "not a result"})")},
                  "other.json");
  expect_rejected({"compare", write_file("text.json", "# not JSON at all\n")}, "text.json");
  run_quickstart("small");
  expect_rejected({"compare", "small/summary.md"}, "small/summary.md");
}

TEST_F(Compare, ResultWithoutClustersExitsTwoInsteadOfCrashing) {
  run_quickstart("small");
  const std::string file =
      edited_result("no-clusters.json", [](Json& r) { r["clusters"] = Json::array(); });
  expect_rejected({"compare", file}, "no-clusters.json");
}

TEST_F(Compare, ResultLackingAFieldNamesIt) {
  run_quickstart("small");
  const std::string file = edited_result("no-iteration-time.json", [](Json& r) {
    r["training"][0]["iteration"].erase("iteration_s");
  });
  expect_rejected({"compare", file}, "no-iteration-time.json");
  const CliResult run = capsim({"compare", file});
  EXPECT_TRUE(contains(run.err, "iteration_s"));
}

TEST_F(Compare, TrainingJobOnAnUnlistedClusterIsRejected) {
  run_quickstart("small");
  const std::string file = edited_result(
      "stray-cluster.json", [](Json& r) { r["training"][0]["cluster"] = "elsewhere"; });
  expect_rejected({"compare", file}, "stray-cluster.json");
}

// The HTML comparison (story 9: finalists for a board): each charted question is one bar per
// run carrying the run's figure from result.json, lengths proportional; changes from the first
// run are signed and coloured by which way is better; the page fetches nothing.
TEST_F(Compare, HtmlPageChartsEachQuestionFromTheResults) {
  run_both();
  const CliResult run =
      capsim({"compare", "small", "big", "--format", "html", "--out", "board.html"});
  ASSERT_EQ(run.exit_code, 0) << run.describe();
  EXPECT_EQ(run.out, "");
  const std::string html = read_text(dir_ / "board.html");
  for (const char* fetch : {"<script", " src=", "<link", "url("})
    EXPECT_EQ(html.find(fetch), std::string::npos) << fetch;

  const Json small = read_json("small/result.json");
  const Json big = read_json("big/result.json");
  const double small_s = small["training"][0]["run"]["time_to_train_s"].get<double>();
  const double big_s = big["training"][0]["run"]["time_to_train_s"].get<double>();
  // "time to train" is row 3 of the training table (cluster, layout, iteration time, ...).
  const auto start = html.find("<figure id=\"training-3\">");
  ASSERT_NE(start, std::string::npos);
  const std::string chart = html.substr(start, html.find("</figure>", start) - start);
  EXPECT_NE(chart.find("time to train (shorter is better)"), std::string::npos);
  static const std::regex bar(
      R"re(width="([0-9.]+)"[^>]* data-label="([^"]*)" data-value="([^"]+)")re");
  std::vector<std::pair<double, double>> bars;  // width, value
  for (auto it = std::sregex_iterator(chart.begin(), chart.end(), bar);
       it != std::sregex_iterator(); ++it)
    bars.emplace_back(std::stod((*it)[1]), std::stod((*it)[3]));
  ASSERT_EQ(bars.size(), 2u);
  EXPECT_DOUBLE_EQ(bars[0].second, small_s);
  EXPECT_DOUBLE_EQ(bars[1].second, big_s);
  EXPECT_NEAR(bars[1].first / bars[0].first, big_s / small_s, 1e-3);

  // Twice the GPUs finish sooner: the change is negative and marked better.
  char change[32];
  std::snprintf(change, sizeof change, "%+.1f%%", 100 * (big_s - small_s) / small_s);
  EXPECT_NE(html.find(std::string("<th>time to train</th>") + "<td>" +
                      format_quantity(small_s, Quantity::Time) + "</td><td>" +
                      format_quantity(big_s, Quantity::Time) + "</td><td class=\"better\">" +
                      change + "</td>"),
            std::string::npos)
      << html;
}

TEST_F(Compare, AMissedTargetMakesTheComparisonExitOneAndSaysWhich) {
  run_quickstart("small");
  // A 10-minute deadline the 49-minute fine-tune cannot meet: `run` writes its reports and
  // exits 1, and so does the comparison that includes it.
  const CliResult late = capsim({"run", quickstart_path().string(), "--out", "late", "--quiet",
                                 "--set", "targets.deadline=10min"});
  ASSERT_EQ(late.exit_code, 1) << late.describe();
  const CliResult run = capsim({"compare", "small", "late"});
  EXPECT_EQ(run.exit_code, 1) << run.describe();
  EXPECT_TRUE(contains(run.out, "quickstart (late) misses a target:")) << run.out;
  // The line names the target, the fine-tune's own time (about 49 min) and the verdict.
  const std::size_t at = run.out.find("deadline of finetune-8b: 49");
  ASSERT_NE(at, std::string::npos) << run.out;
  const std::string line = run.out.substr(at, run.out.find('\n', at) - at);
  const std::string verdict = " min against 10 min, MISSED";
  ASSERT_GT(line.size(), verdict.size()) << line;
  EXPECT_EQ(line.substr(line.size() - verdict.size()), verdict) << line;
  // Same results, same folder names: the columns are told apart by their folders.
  EXPECT_TRUE(contains(run.out, "quickstart/finetune-8b (small)")) << run.out;
  EXPECT_TRUE(contains(run.out, "quickstart/finetune-8b (late)")) << run.out;
}

TEST_F(Compare, ServicesGetTheirOwnTableOfSimulatedFigures) {
  const CliResult serve =
      capsim({"run", (scenarios_dir() / "serving-evening-peak-h100.yaml").string(), "--out",
              "serve", "--quiet", "--fidelity", "simulate"});
  ASSERT_EQ(serve.exit_code, 0) << serve.describe();
  const CliResult run = capsim({"compare", "serve"});
  ASSERT_EQ(run.exit_code, 0) << run.describe();
  const Json sim = read_json("serve/result.json")["services"][0]["simulation"];
  const auto rows = table_rows(run.out);
  ASSERT_TRUE(rows.count("TTFT p99")) << run.out;
  EXPECT_EQ(rows.at("TTFT p99")[0],
            format_quantity(sim["ttft"]["p99_s"].get<double>(), Quantity::Time));
  EXPECT_EQ(
      rows.at("$/M output tokens (owned)")[0],
      format_quantity(sim["owned_usd_per_million_output_tokens"].get<double>(), Quantity::Money));
  EXPECT_EQ(rows.at("peak replicas")[0],
            format_quantity(sim["peak_replicas"].get<double>(), Quantity::Count));
}

}  // namespace
}  // namespace capsim::test
