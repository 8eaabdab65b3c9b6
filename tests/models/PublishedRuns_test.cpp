// Reading published training runs and the FLOP conventions used to compare with them.
#include "capsim/models/PublishedRuns.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>

#include "ShippedCatalog.hpp"
#include "TestTempPath.hpp"
#include "capsim/models/Errors.hpp"

namespace capsim {
namespace {

const std::string kPublic = CAPSIM_SHARED_DIR "/validation/training_public.csv";

TEST(PublishedRuns, ReadsEveryRowOfThePublicFile) {
  const auto runs = load_published_training_runs(kPublic);
  ASSERT_EQ(runs.size(), 19u);
  const PublishedTrainingRun& first = runs.front();
  EXPECT_EQ(first.id, "megatron-sc21-1.7b");
  EXPECT_EQ(first.gpu, "a100-sxm-80gb");
  EXPECT_EQ(first.gpus, 32);
  EXPECT_DOUBLE_EQ(first.nic_Bps, 200e9 / 8);
  EXPECT_FALSE(first.heads.has_value());        // blank: head dim 128 applies
  EXPECT_FALSE(first.micro_batch.has_value());  // blank: capsim chooses
  EXPECT_EQ(first.recompute.value_or(""), "full");
  const PublishedTrainingRun& h100 = runs[10];
  EXPECT_EQ(h100.id, "megatron-core-h100-1.7b");
  EXPECT_EQ(h100.heads.value_or(0), 16);
  EXPECT_EQ(h100.zero_stage, 1);
  EXPECT_FALSE(h100.recompute.has_value());
}

// The file derives each iteration time from the published TFLOP/s with the source's own FLOP
// formula; applying our implementation of that formula must give the TFLOP/s back.
TEST(PublishedRuns, FlopConventionsReproduceThePublishedRates) {
  for (const auto& run : load_published_training_runs(kPublic)) {
    const double tflops =
        published_flops_per_iteration(run) / (run.measured_iter_s * run.gpus) / 1e12;
    EXPECT_NEAR(tflops / run.measured_tflops_per_gpu, 1.0, 0.005) << run.id;
  }
}

TEST(PublishedRuns, SixNdIsSixTimesParametersTimesTokens) {
  PublishedTrainingRun run = load_published_training_runs(kPublic)[10];
  run.flops_formula = "6nd";
  // 1.7B GPT: 24 layers x (12 h^2 matrices + 2 h norm weights) + 2 x 131072 x h (untied
  // embedding and output) + the final norm h; h = 2048.
  const double h = 2048, params = 24 * (12 * h * h + 2 * h) + 2 * 131072 * h + h;
  EXPECT_NEAR(published_flops_per_iteration(run), 6 * params * 192 * 4096, 1.0);
}

// The megatron-sc21 convention names Megatron-LM as in 2021: scores materialized, no sequence
// parallelism, dropout on. Rows under a later convention run today's defaults.
TEST(PublishedRuns, TheSc21ConventionPredictsWithTheSoftwareOfItsTime) {
  const auto runs = load_published_training_runs(kPublic);
  const Catalog& shipped = test::shipped_catalog();
  const TrainingPrediction sc21 = predict_published_run(runs[3], shipped);  // 18.4B, tp 8
  EXPECT_EQ(sc21.layout.attention, AttentionKernel::Materialized);
  EXPECT_FALSE(sc21.layout.sequence_parallel);
  EXPECT_TRUE(sc21.layout.dropout);
  EXPECT_FALSE(sc21.layout.grad_accumulation_fusion);
  const TrainingPrediction core = predict_published_run(runs[13], shipped);  // 32B, tp 8
  EXPECT_EQ(core.layout.attention, AttentionKernel::Fused);
  EXPECT_TRUE(core.layout.sequence_parallel);
  EXPECT_FALSE(core.layout.dropout);
  EXPECT_TRUE(core.layout.grad_accumulation_fusion);
  // The same run with the 2021 software is slower: every tp rank runs the norms on all tokens
  // and the s x s scores go through memory.
  PublishedTrainingRun modern = runs[3];
  modern.flops_formula = "megatron-core";
  EXPECT_GT(sc21.predicted_iter_s, predict_published_run(modern, shipped).predicted_iter_s);
}

// A run that happened did fit; where capsim's memory model disagrees the time is still
// predicted, and the prediction says so.
TEST(PublishedRuns, ALayoutTheMemoryModelRejectsIsStillPredicted) {
  PublishedTrainingRun run = load_published_training_runs(kPublic)[18];  // 462B, tp 8 pp 16
  run.zero_stage = 0;
  run.recompute = "none";
  const TrainingPrediction p = predict_published_run(run, test::shipped_catalog());
  EXPECT_FALSE(p.fits);
  EXPECT_GT(p.estimate.memory.total_bytes, p.estimate.memory.capacity_bytes);
  EXPECT_GT(p.predicted_iter_s, 0.0);
  EXPECT_TRUE(std::isfinite(p.predicted_iter_s));
  EXPECT_TRUE(
      predict_published_run(load_published_training_runs(kPublic)[18], test::shipped_catalog())
          .fits);
}

// A mixture-of-experts row without an ep column: capsim picks the expert-parallel size a
// practitioner would, the fastest that fits of the divisors of the expert count that divide
// dp x cp, and says it chose.
TEST(PublishedRuns, AnUnpublishedExpertParallelSizeIsTheFastestThatFits) {
  PublishedTrainingRun run = load_published_training_runs(kPublic)[10];  // 1.7B, dp 48
  run.moe_experts = 8;
  run.moe_topk = 2;
  const TrainingPrediction chosen = predict_published_run(run, test::shipped_catalog());
  EXPECT_TRUE(chosen.ep_chosen);
  EXPECT_TRUE(chosen.fits);
  for (int ep : {1, 2, 4, 8}) {
    PublishedTrainingRun fixed = run;
    fixed.ep = ep;
    const TrainingPrediction p = predict_published_run(fixed, test::shipped_catalog());
    EXPECT_FALSE(p.ep_chosen);
    EXPECT_EQ(p.layout.ep, ep);
    if (p.fits) {
      EXPECT_LE(chosen.predicted_iter_s, p.predicted_iter_s) << "ep " << ep;
    }
  }
}

class BadRuns : public testing::Test {
 protected:
  void TearDown() override { std::filesystem::remove(test_temp_path("runs.csv")); }
  std::string write(const std::string& text) {
    const std::string path = test_temp_path("runs.csv");
    std::ofstream(path) << text;
    return path;
  }
  std::string header_and(const std::string& row) {
    std::ifstream in(kPublic);
    std::string header;
    std::getline(in, header);
    return header + "\n" + row + "\n";
  }
  std::string first_row() {
    std::ifstream in(kPublic);
    std::string line;
    std::getline(in, line);
    std::getline(in, line);
    return line;
  }
  std::string error_of(const std::string& text) {
    try {
      load_published_training_runs(write(text));
    } catch (const InputError& error) {
      return error.what();
    }
    return "";
  }
};

TEST_F(BadRuns, AMalformedNumberNamesLineColumnAndColumnName) {
  std::string row = first_row();
  row.replace(row.find(",32,8,"), 6, ",3x2,8,");
  const std::string message = error_of(header_and(row));
  EXPECT_NE(message.find(":2:4: gpus: '3x2' is not a number"), std::string::npos) << message;
}

TEST_F(BadRuns, AShortRowAndAnEmptyFileAreRejected) {
  EXPECT_NE(error_of(header_and("a,b,c")).find("has 3 fields"), std::string::npos);
  EXPECT_NE(error_of("").find("has no rows"), std::string::npos);
  EXPECT_THROW(load_published_training_runs("/nonexistent.csv"), InputError);
}

TEST_F(BadRuns, AnUnknownFabricIsRejected) {
  std::string row = first_row();
  row.replace(row.find(",ib,"), 4, ",opa,");
  EXPECT_NE(error_of(header_and(row)).find("fabric: 'opa' is not a known value"),
            std::string::npos);
}

}  // namespace
}  // namespace capsim
