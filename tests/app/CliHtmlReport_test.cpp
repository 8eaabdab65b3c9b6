// End-to-end tests of report.html: the real binary on the shipped scenarios. The page must stand
// alone (nothing fetched, no script), escape the scenario's text, and draw what result.json and
// replicas.csv say: bar lengths proportional to the figures, every simulated iteration and every
// replica sample plotted.
#include <cmath>
#include <regex>

#include "RunCapsim.hpp"

namespace capsim::test {
namespace {

class CliHtmlReport : public CliTest {};

// The <figure id="ID"> ... </figure> of `html`, or "" when there is none.
std::string figure(const std::string& html, const std::string& id) {
  const auto start = html.find("<figure id=\"" + id + "\">");
  if (start == std::string::npos) return "";
  return html.substr(start, html.find("</figure>", start) - start);
}

struct Bar {
  std::string label;
  double width_px = 0;
  double value = 0;
};

std::vector<Bar> bars_of(const std::string& svg) {
  static const std::regex bar(
      R"re(<rect class="bar"[^>]* width="([0-9.]+)"[^>]* data-label="([^"]*)" data-value="([^"]+)")re");
  std::vector<Bar> bars;
  for (auto it = std::sregex_iterator(svg.begin(), svg.end(), bar); it != std::sregex_iterator();
       ++it) {
    bars.push_back({(*it)[2], std::stod((*it)[1]), std::stod((*it)[3])});
  }
  return bars;
}

int polyline_points(const std::string& svg) {
  std::smatch match;
  static const std::regex count(R"re(<polyline class="series"[^>]* data-count="([0-9]+)")re");
  return std::regex_search(svg, match, count) ? std::stoi(match[1]) : -1;
}

TEST_F(CliHtmlReport, QuickstartPageStandsAloneAndItsBarsAreTheBreakdown) {
  const CliResult r = capsim({"run", quickstart_path().string(), "--out", "out", "--quiet"});
  ASSERT_EQ(r.exit_code, 0) << r.describe();
  const std::string html = read_text(dir_ / "out/report.html");
  for (const char* fetch : {"<script", " src=", "<link", "@import", "url("})
    EXPECT_EQ(html.find(fetch), std::string::npos) << fetch;
  EXPECT_EQ(html.rfind("</html>\n"), html.size() - 8) << "the page is complete";

  // The iteration's parts as result.json has them; the chart leaves out the zero ones and draws
  // the others at value / longest x 380 px (the plot width), drawn to 0.01 px.
  const Json json = read_json("out/result.json");
  const Json& breakdown = json["training"][0]["iteration"]["breakdown"];
  const std::map<std::string, std::string> key_of{{"compute", "compute_s"},
                                                  {"tensor-parallel communication", "tp_comm_s"},
                                                  {"optimizer step", "optimizer_s"}};
  const auto bars = bars_of(figure(html, "breakdown-0"));
  ASSERT_EQ(bars.size(), 3u) << "quickstart has compute, tensor-parallel traffic and the step";
  double longest = 0;
  for (const auto& bar : bars) longest = std::max(longest, bar.value);
  for (const auto& bar : bars) {
    ASSERT_TRUE(key_of.count(bar.label)) << bar.label;
    EXPECT_DOUBLE_EQ(bar.value, breakdown[key_of.at(bar.label)].get<double>()) << bar.label;
    EXPECT_NEAR(bar.width_px, bar.value / longest * 380.0, 0.006) << bar.label;
  }
  // Memory: one segment per part, the capacity marker at the GPU's memory.
  const std::string memory = figure(html, "memory-0");
  const Json& m = json["training"][0]["memory"];
  static const std::regex segment(
      R"re(<rect class="segment"[^>]* data-label="([^"]*)" data-value="([^"]+)")re");
  const std::map<std::string, std::string> memory_key{{"weights", "weights_bytes"},
                                                      {"gradients", "gradients_bytes"},
                                                      {"optimizer states", "optimizer_bytes"},
                                                      {"activations", "activations_bytes"},
                                                      {"logits buffer", "logits_bytes"}};
  int segments = 0;
  for (auto it = std::sregex_iterator(memory.begin(), memory.end(), segment);
       it != std::sregex_iterator(); ++it, ++segments) {
    ASSERT_TRUE(memory_key.count((*it)[1])) << (*it)[1];
    EXPECT_DOUBLE_EQ(std::stod((*it)[2]), m[memory_key.at((*it)[1])].get<double>());
  }
  EXPECT_EQ(segments, 5);
  std::smatch capacity;
  ASSERT_TRUE(std::regex_search(memory, capacity,
                                std::regex(R"re(class="capacity"[^>]* data-value="([^"]+)")re")));
  EXPECT_DOUBLE_EQ(std::stod(capacity[1]), m["capacity_bytes"].get<double>());
}

TEST_F(CliHtmlReport, TheScenarioTextIsEscaped) {
  std::string text = read_text(quickstart_path());
  const std::string line = "description: Full fine-tune";
  ASSERT_NE(text.find(line), std::string::npos);
  text.replace(text.find(line), line.size(), "description: \"<script>alert('x')</script> & co\" #");
  const std::string scenario = write_file("escaped.yaml", text);
  const CliResult r = capsim({"run", scenario, "--out", "out", "--format", "html", "--quiet"});
  ASSERT_EQ(r.exit_code, 0) << r.describe();
  EXPECT_EQ(tree(dir_ / "out"), std::vector<std::string>{"report.html"});
  const std::string html = read_text(dir_ / "out/report.html");
  EXPECT_NE(html.find("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; co"),
            std::string::npos);
  EXPECT_EQ(html.find("<script"), std::string::npos);
}

TEST_F(CliHtmlReport, EverySimulatedIterationIsPlottedAgainstTheEstimate) {
  const CliResult r = capsim({"run", (scenarios_dir() / "stragglers-llama70b-h100.yaml").string(),
                              "--out", "out", "--fidelity", "simulate", "--quiet"});
  ASSERT_EQ(r.exit_code, 0) << r.describe();
  const Json sim = read_json("out/result.json")["training"][0]["simulation"];
  const std::string chart = figure(read_text(dir_ / "out/report.html"), "iterations-0");
  EXPECT_EQ(polyline_points(chart), static_cast<int>(sim["iteration_times_s"].size()));
  std::smatch reference;
  ASSERT_TRUE(std::regex_search(chart, reference,
                                std::regex(R"re(class="reference"[^>]* data-value="([^"]+)")re")));
  EXPECT_DOUBLE_EQ(std::stod(reference[1]), sim["estimate_iteration_s"].get<double>());
}

TEST_F(CliHtmlReport, AServicesReplicasChartHasEverySampleOfReplicasCsv) {
  const CliResult r = capsim({"run", (scenarios_dir() / "serving-evening-peak-h100.yaml").string(),
                              "--out", "out", "--fidelity", "simulate", "--quiet"});
  ASSERT_EQ(r.exit_code, 0) << r.describe();
  const auto rows = lines_of(read_text(dir_ / "out/replicas.csv"));
  ASSERT_GT(rows.size(), 2u);
  const std::string html = read_text(dir_ / "out/report.html");
  EXPECT_EQ(polyline_points(figure(html, "replicas-0")),
            static_cast<int>(rows.size()) - 1);  // less the header; one service in the file
  EXPECT_NE(html.find("time to first token"), std::string::npos);
}

}  // namespace
}  // namespace capsim::test
