// Text edits at a node's position: everything not edited stays byte for byte.
#include "ScenarioText.hpp"

#include <gtest/gtest.h>

namespace capsim::studio {
namespace {

const std::string kText = R"(# header comment
name: demo   # trailing comment
infrastructure:
  clusters:
    - name: lab
      server: dgx-h100              # catalog id
      count: 4
      fabric:
        template: single-switch
        switch: quantum-2-qm9700
      storage:
        - system: ddn-ai400x2
          count: 1

workloads:
  - name: job
    parallelism: {tp: 2, pp: 1}     # dp follows
    tokens: 1B
)";

TEST(ScenarioText, ReplacesAScalarAndKeepsItsComment) {
  const std::string edited = set_value(kText, "infrastructure.clusters[0].count", "16");
  std::string expected = kText;
  expected.replace(expected.find("count: 4"), 8, "count: 16");
  EXPECT_EQ(edited, expected);
}

TEST(ScenarioText, ReplacesInsideAFlowMapping) {
  const std::string edited = set_value(kText, "workloads[0].parallelism.pp", "4");
  std::string expected = kText;
  expected.replace(expected.find("pp: 1}"), 6, "pp: 4}");
  EXPECT_EQ(edited, expected);
}

TEST(ScenarioText, AddsAMissingKeyInTheMappingsStyle) {
  // Block style: a new line after the mapping's last entry, at its keys' indentation.
  const std::string block = set_value(kText, "workloads[0].seq_len", "8192");
  EXPECT_NE(block.find("    tokens: 1B\n    seq_len: 8192\n"), std::string::npos) << block;
  // Flow style: appended inside the braces.
  const std::string flow = set_value(kText, "workloads[0].parallelism.cp", "2");
  EXPECT_NE(flow.find("{tp: 2, pp: 1, cp: 2}     # dp follows"), std::string::npos) << flow;
  // A missing section is created with the key inside it.
  const std::string section = set_value(kText, "targets.deadline", "1d");
  EXPECT_EQ(YAML::Load(section)["targets"]["deadline"].as<std::string>(), "1d");
  EXPECT_EQ(section.substr(0, kText.size() - 1), kText.substr(0, kText.size() - 1));
}

TEST(ScenarioText, QuotesValuesThatWouldReadDifferently) {
  EXPECT_EQ(yaml_scalar("400Gbps"), "400Gbps");
  EXPECT_EQ(yaml_scalar("2:1"), "2:1");
  EXPECT_EQ(yaml_scalar("$2.99/h"), "$2.99/h");
  EXPECT_EQ(yaml_scalar("a: b"), "\"a: b\"");
  EXPECT_EQ(yaml_scalar(""), "\"\"");
  EXPECT_EQ(yaml_scalar("x, y", true), "\"x, y\"");
  const std::string edited = set_value(kText, "name", "two words: here");
  EXPECT_EQ(YAML::Load(edited)["name"].as<std::string>(), "two words: here");
}

TEST(ScenarioText, RemovesWholeLinesOfAnEntry) {
  const std::string without = remove_entry(kText, "infrastructure.clusters[0].fabric");
  EXPECT_EQ(without.find("fabric"), std::string::npos);
  EXPECT_EQ(without.find("single-switch"), std::string::npos);
  EXPECT_NE(without.find("      count: 4\n      storage:\n"), std::string::npos) << without;
  // The last item of a list takes its key with it.
  const std::string no_storage = remove_entry(kText, "infrastructure.clusters[0].storage[0]");
  EXPECT_EQ(no_storage.find("storage"), std::string::npos) << no_storage;
  // A key inside a flow mapping.
  const std::string flow = remove_entry(kText, "workloads[0].parallelism.tp");
  EXPECT_NE(flow.find("parallelism: {pp: 1}"), std::string::npos) << flow;
}

TEST(ScenarioText, AppendsListItemsAtTheListsIndentation) {
  const std::string more =
      append_item(kText, "infrastructure.clusters[0].storage", {"system: vast-data", "count: 2"});
  EXPECT_NE(more.find("          count: 1\n        - system: vast-data\n          count: 2\n"),
            std::string::npos)
      << more;
  const YAML::Node root = YAML::Load(more);
  EXPECT_EQ(root["infrastructure"]["clusters"][0]["storage"].size(), 2u);
  const std::string jobs = append_item(kText, "workloads", {"name: second", "kind: training"});
  EXPECT_EQ(YAML::Load(jobs)["workloads"][1]["name"].as<std::string>(), "second");
  EXPECT_EQ(jobs.substr(0, kText.size()), kText);
}

TEST(ScenarioText, RejectsPathsThroughScalars) {
  EXPECT_THROW(set_value(kText, "name.first", "x"), TextEditError);
  EXPECT_THROW(set_value(kText, "workloads[3].name", "x"), TextEditError);
  EXPECT_THROW(set_value(kText, "infrastructure.clusters", "x"), TextEditError);
}

}  // namespace
}  // namespace capsim::studio
