// Scenario parsing: resolution of catalog ids, inline and --set overrides, and every bad-input
// case named in the foundation issue (file, line/column or key path, and what is expected).
#include "capsim/models/Scenario.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "ShippedCatalog.hpp"
#include "TestTempPath.hpp"
#include "capsim/models/Errors.hpp"
#include "capsim/models/TrainingPlan.hpp"

namespace capsim {
namespace {

const Catalog& catalog() { return test::shipped_catalog(); }

// A small valid scenario; tests replace pieces of it.
const std::string kBase = R"(name: small
infrastructure:
  clusters:
    - name: lab
      server: dgx-h100
      count: 4
      fabric:
        template: single-switch
        switch: quantum-2-qm9700
      storage:
        - system: ddn-ai400x2
          count: 2
workloads:
  - name: ft
    kind: training
    model: llama-3.1-8b
    tokens: 1B
    seq_len: 8192
    global_batch: 64
    parallelism: {tp: 2}
economics:
  rental: "$2.50/h"
targets:
  deadline: 2d
  budget: "$50k"
)";

Scenario parse(const std::string& text, const std::vector<KeyOverride>& overrides = {}) {
  return parse_scenario(text, "test.yaml", catalog(), overrides);
}

std::string replace(std::string text, const std::string& from, const std::string& to) {
  const auto at = text.find(from);
  EXPECT_NE(at, std::string::npos) << from;
  return text.replace(at, from.size(), to);
}

// The message of the InputError that parsing `text` throws ("" if none).
std::string error_of(const std::string& text, const std::vector<KeyOverride>& overrides = {}) {
  try {
    parse(text, overrides);
  } catch (const InputError& error) {
    return error.what();
  }
  return "";
}

TEST(Scenario, ResolvesCatalogIdsAndConvertsUnits) {
  const Scenario s = parse(kBase);
  ASSERT_EQ(s.clusters.size(), 1u);
  const ClusterConfig& lab = s.clusters[0];
  EXPECT_EQ(lab.server.id, "dgx-h100");
  EXPECT_EQ(lab.gpu.id, "h100-sxm-80gb");
  EXPECT_DOUBLE_EQ(lab.gpu.bf16_flop_per_s, 989e12);
  EXPECT_EQ(lab.nic.id, "connectx-7-ndr");
  EXPECT_EQ(lab.server_count, 4);
  EXPECT_EQ(lab.gpu_count(), 32);
  EXPECT_EQ(lab.fabric.kind, FabricTemplate::SingleSwitch);
  EXPECT_EQ(lab.fabric.leaf_switch.ports, 64);
  EXPECT_EQ(lab.fabric.spine_switch.id, "quantum-2-qm9700");  // defaults to the leaf switch
  ASSERT_EQ(lab.storage.size(), 1u);
  EXPECT_EQ(lab.storage[0].count, 2);
  ASSERT_EQ(s.training.size(), 1u);
  const TrainingWorkload& job = s.training[0];
  EXPECT_DOUBLE_EQ(job.tokens, 1e9);
  EXPECT_EQ(job.tp, 2);
  EXPECT_EQ(job.pp, 1);
  EXPECT_EQ(job.dp, 0);           // derived later from the GPU count
  EXPECT_EQ(job.micro_batch, 0);  // chosen later
  EXPECT_EQ(job.zero_stage, 1);
  EXPECT_EQ(job.cluster, "lab");
  EXPECT_DOUBLE_EQ(s.economics.rental.usd_per_gpu_hour, 2.5);
  EXPECT_DOUBLE_EQ(*s.targets.deadline_s, 2 * 86400.0);
  EXPECT_DOUBLE_EQ(*s.targets.budget_usd, 50'000.0);
  EXPECT_EQ(s.run.seed, 1u);
}

TEST(Scenario, InlineOverridesReplaceCatalogValues) {
  const Scenario s = parse(replace(kBase, "server: dgx-h100",
                                   "server: {id: dgx-h100, price: \"$300k\"}\n"
                                   "      gpu: {memory: 96GB}"));
  EXPECT_DOUBLE_EQ(s.clusters[0].server.price_usd, 300'000);
  EXPECT_DOUBLE_EQ(s.clusters[0].gpu.memory_bytes, 96e9);
  EXPECT_DOUBLE_EQ(s.clusters[0].gpu.bf16_flop_per_s, 989e12);  // untouched fields stay
}

TEST(Scenario, SetOverridesAnyKeyPath) {
  const Scenario s = parse(kBase, {parse_key_override("workloads[0].tokens=2T"),
                                   parse_key_override("infrastructure.clusters.0.count=8"),
                                   parse_key_override("run.seed=7")});
  EXPECT_DOUBLE_EQ(s.training[0].tokens, 2e12);
  EXPECT_EQ(s.clusters[0].server_count, 8);
  EXPECT_EQ(s.run.seed, 7u);
  EXPECT_NE(s.effective_yaml.find("2T"), std::string::npos);
}

TEST(Scenario, SetErrorsPointAtTheSetting) {
  const std::string message = error_of(kBase, {parse_key_override("workloads[0].tokens=lots")});
  EXPECT_NE(message.find("--set workloads[0].tokens=lots"), std::string::npos) << message;
  EXPECT_NE(message.find("expected"), std::string::npos) << message;
  EXPECT_THROW(parse_key_override("no-equals-sign"), InputError);
  EXPECT_NE(error_of(kBase, {parse_key_override("workloads[5].tokens=1")}).find("index below 1"),
            std::string::npos);
}

TEST(Scenario, RunFidelityIsEstimateOrSimulate) {
  EXPECT_EQ(parse(kBase).run.fidelity, "estimate");
  EXPECT_EQ(parse(kBase + "run:\n  fidelity: simulate\n").run.fidelity, "simulate");
  const std::string message = error_of(kBase + "run:\n  fidelity: exact\n");
  EXPECT_NE(message.find("run.fidelity: 'exact' is not a known choice; expected one of: estimate, "
                         "simulate"),
            std::string::npos)
      << message;
}

// NCCL enables adaptive routing on InfiniBand by default and not on RoCE: the default follows
// the switch's technology (network.yaml), and the key overrides it.
TEST(Scenario, FabricRoutingDefaultsByTechnology) {
  EXPECT_EQ(parse(kBase).clusters[0].fabric.routing, Routing::Adaptive);  // Quantum-2, InfiniBand
  const Scenario ethernet = parse(
      kBase,
      {parse_key_override("infrastructure.clusters[0].fabric.switch=spectrum-4-sn5600-400g")});
  EXPECT_EQ(ethernet.clusters[0].fabric.routing, Routing::Static);
  const Scenario set =
      parse(kBase, {parse_key_override("infrastructure.clusters[0].fabric.routing=static")});
  EXPECT_EQ(set.clusters[0].fabric.routing, Routing::Static);
  EXPECT_EQ(fabric_spec(set.clusters[0]).routing, Routing::Static);
  const std::string message =
      error_of(kBase, {parse_key_override("infrastructure.clusters[0].fabric.routing=ecmp")});
  EXPECT_NE(message.find("'ecmp' is not a known choice; expected one of: static, adaptive"),
            std::string::npos)
      << message;
}

TEST(Scenario, MissingFileNamesThePath) {
  try {
    load_scenario("/nonexistent/plan.yaml", catalog());
    FAIL() << "no error";
  } catch (const InputError& error) {
    EXPECT_NE(std::string(error.what()).find("/nonexistent/plan.yaml"), std::string::npos);
  }
}

TEST(Scenario, YamlSyntaxErrorGivesLineAndColumn) {
  const std::string message = error_of("name: x\ninfrastructure: [unclosed\n");
  EXPECT_NE(message.find("test.yaml:3"), std::string::npos) << message;
  EXPECT_NE(message.find("YAML syntax error"), std::string::npos) << message;
}

TEST(Scenario, UnknownKeyGivesLineColumnAndKeyPath) {
  const std::string message = error_of(replace(kBase, "      count: 4", "      cuont: 4"));
  // line 6, column 7 of kBase holds the misspelt key
  EXPECT_NE(message.find("test.yaml:6:7: infrastructure.clusters[0].cuont: unknown key"),
            std::string::npos)
      << message;
  EXPECT_NE(message.find("count"), std::string::npos) << message;  // lists the known keys
}

TEST(Scenario, ValueWithoutOrWithWrongUnit) {
  std::string message = error_of(replace(kBase, "deadline: 2d", "deadline: 2"));
  EXPECT_NE(message.find("targets.deadline: '2' has no unit"), std::string::npos) << message;
  EXPECT_NE(message.find("\"30min\""), std::string::npos) << message;
  message = error_of(replace(kBase, "deadline: 2d", "deadline: 2GB"));
  EXPECT_NE(message.find("'GB', which is not a unit of this kind"), std::string::npos) << message;
}

TEST(Scenario, ImplementationAndGradientReductionKeys) {
  const TrainingWorkload defaults = parse(kBase).training[0];
  EXPECT_EQ(defaults.attention, AttentionKernel::Fused);
  EXPECT_TRUE(defaults.sequence_parallel);
  EXPECT_FALSE(defaults.dropout);
  EXPECT_TRUE(defaults.grad_reduce_fp32);
  const TrainingWorkload old_stack =
      parse(replace(kBase, "    parallelism: {tp: 2}\n",
                    "    parallelism: {tp: 2}\n    grad_reduce: bf16\n"
                    "    implementation: {attention: materialized, sequence_parallel: false, "
                    "dropout: true, gradient_accumulation_fusion: false, "
                    "cross_entropy: fused}\n"))
          .training[0];
  EXPECT_EQ(old_stack.attention, AttentionKernel::Materialized);
  EXPECT_FALSE(old_stack.sequence_parallel);
  EXPECT_TRUE(old_stack.dropout);
  EXPECT_FALSE(old_stack.grad_reduce_fp32);
  EXPECT_FALSE(old_stack.grad_accumulation_fusion);
  EXPECT_TRUE(defaults.grad_accumulation_fusion);
  EXPECT_TRUE(old_stack.fused_cross_entropy);
  EXPECT_FALSE(defaults.fused_cross_entropy);
  const std::string overlap_message =
      error_of(replace(kBase, "    parallelism: {tp: 2}\n",
                       "    parallelism: {tp: 2}\n"
                       "    implementation: {sequence_parallel: false}\n"
                       "    overlap: {tensor_parallel: true}\n"));
  EXPECT_NE(overlap_message.find("workloads[0].overlap.tensor_parallel: is true while "
                                 "implementation.sequence_parallel is false"),
            std::string::npos)
      << overlap_message;
  const std::string message = error_of(replace(kBase, "    parallelism: {tp: 2}\n",
                                               "    parallelism: {tp: 2}\n"
                                               "    implementation: {attention: flash}\n"));
  EXPECT_NE(message.find("workloads[0].implementation.attention: 'flash'"), std::string::npos)
      << message;
  EXPECT_NE(message.find("fused"), std::string::npos) << message;
}

TEST(Scenario, NegativeOrZeroCounts) {
  std::string message = error_of(replace(kBase, "count: 4", "count: 0"));
  EXPECT_NE(message.find("infrastructure.clusters[0].count: '0' is zero"), std::string::npos)
      << message;
  message = error_of(replace(kBase, "count: 4", "count: -3"));
  EXPECT_NE(message.find("'-3' is negative"), std::string::npos) << message;
  message = error_of(replace(kBase, "global_batch: 64", "global_batch: 6.5"));
  EXPECT_NE(message.find("not a whole number"), std::string::npos) << message;
}

TEST(Scenario, UnknownCatalogIdListsTheKnownOnes) {
  const std::string message = error_of(replace(kBase, "server: dgx-h100", "server: dgx-h900"));
  EXPECT_NE(message.find("test.yaml:5:15: infrastructure.clusters[0].server: unknown server id "
                         "'dgx-h900'"),
            std::string::npos)
      << message;
  EXPECT_NE(message.find("dgx-h100"), std::string::npos) << message;
}

TEST(Scenario, TokensAndStepsAreExclusive) {
  EXPECT_NE(error_of(replace(kBase, "tokens: 1B", "tokens: 1B\n    steps: 10"))
                .find("gives both tokens and steps"),
            std::string::npos);
  EXPECT_NE(error_of(replace(kBase, "    tokens: 1B\n", "")).find("neither tokens nor steps"),
            std::string::npos);
}

TEST(Scenario, Fp8OnAGpuWithoutFp8IsRejected) {
  const std::string message =
      error_of(replace(replace(kBase, "server: dgx-h100", "server: dgx-a100"), "tp: 2}",
                       "tp: 2}\n    precision: fp8"));
  EXPECT_NE(message.find("fp8 is not supported by a100-sxm-80gb"), std::string::npos) << message;
}

TEST(Scenario, LoadScenarioReadsAFile) {
  const std::string path = test_temp_path("plan.yaml");
  std::ofstream(path) << kBase;
  const Scenario s = load_scenario(path, catalog());
  EXPECT_EQ(s.source_file, path);
  EXPECT_EQ(s.name, "small");
  std::filesystem::remove(path);
}

TEST(Scenario, MisspeltRequiredKeySuggestsTheRightOne) {
  const std::string message = error_of(replace(kBase, "global_batch: 64", "global_bach: 64"));
  EXPECT_NE(message.find("workloads[0].global_bach: is not a known key; did you mean "
                         "'global_batch'?"),
            std::string::npos)
      << message;
}

TEST(Scenario, UpperSwitchTiersInheritTheLeafSwitchOverrides) {
  const Scenario s = parse(
      replace(kBase, "switch: quantum-2-qm9700", "switch: {id: quantum-2-qm9700, price: \"$1k\"}"));
  EXPECT_DOUBLE_EQ(s.clusters[0].fabric.spine_switch.price_usd, 1'000);
  EXPECT_DOUBLE_EQ(s.clusters[0].fabric.core_switch.price_usd, 1'000);
}

TEST(Scenario, AnOpticSlowerThanTheSwitchPortsIsRejected) {
  const std::string message =
      error_of(replace(kBase, "switch: quantum-2-qm9700",
                       "switch: quantum-2-qm9700\n        transceiver: qsfp56-200g-sr4"));
  EXPECT_NE(message.find("carries 200Gbps but the switch ports run at 400Gbps"), std::string::npos)
      << message;
}

TEST(Scenario, LocalDrivesAreNotAFabricStorageSystem) {
  const std::string message =
      error_of(replace(kBase, "system: ddn-ai400x2", "system: nvme-pcie4-x4"));
  EXPECT_NE(message.find("is a drive inside a server"), std::string::npos) << message;
}

TEST(Scenario, RentingNeedsARate) {
  // The A100 80GB has no catalog rate, and this scenario names none.
  std::string text = replace(kBase, "server: dgx-h100", "server: dgx-a100");
  text = replace(text, "  rental: \"$2.50/h\"", "  ownership: rent");
  text = replace(text, "quantum-2-qm9700", "quantum-qm8700");
  const std::string message = error_of(text);
  EXPECT_NE(message.find("economics.ownership: is rent but no rental rate is known for "
                         "a100-sxm-80gb"),
            std::string::npos)
      << message;
}

TEST(Scenario, SequenceLongerThanTheModelContextIsRejected) {
  const std::string message = error_of(replace(kBase, "seq_len: 8192", "seq_len: 200000"));
  EXPECT_NE(message.find("longer than llama-3.1-8b's context of 131072"), std::string::npos)
      << message;
}

TEST(Scenario, DefaultRentalIsTheNewestOnDemandRateOfTheGpu) {
  const Scenario s = parse(replace(kBase, "  rental: \"$2.50/h\"\n", ""));
  const CloudPriceSpec& rate = s.economics.rental;
  EXPECT_EQ(rate.gpu, "h100-sxm-80gb");
  EXPECT_EQ(rate.terms, "on-demand");
  for (const auto& [id, other] : catalog().cloud_prices) {
    if (other.gpu == rate.gpu && other.terms == "on-demand") {
      EXPECT_LE(other.date, rate.date) << id;
    }
  }
  EXPECT_FALSE(s.economics.rental_explicit);
}

}  // namespace
}  // namespace capsim
