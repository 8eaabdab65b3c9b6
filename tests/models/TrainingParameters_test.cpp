// Parameter counts of the training estimate: whole models against published counts, each
// pipeline stage's share, and how the layers are split over pipeline stages. Every expected
// number is derived in the comment above it.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "capsim/models/Errors.hpp"
#include "capsim/models/TrainingEstimate.hpp"
#include "models/TrainingTestFixtures.hpp"

namespace capsim::test {
namespace {

// ---------------------------------------------------------------------------------------------
// Parameter counts
// ---------------------------------------------------------------------------------------------

TEST(TrainingEstimate, Llama31_8bParameterCount) {
  // h = 4096, head_dim = 128, kv_dim = 8 x 128 = 1024.
  // attention 2 h^2 + 2 h kv_dim = 33,554,432 + 8,388,608 = 41,943,040
  // MLP 3 h ffn = 3 x 4096 x 14336 = 176,160,768; norms 2h = 8,192
  // layer 218,112,000; x 32 = 6,979,584,000
  // embedding and untied output 2 x 128256 x 4096 = 1,050,673,152; final norm 4,096
  // total 8,030,261,248 (Meta: 8.03e9)
  const ParameterCounts counts = count_parameters(llama_3_1_8b());
  EXPECT_EQ(counts.total, 8030261248.0);
  EXPECT_LT(relative_error(counts.total, 8.03e9), 0.005);
}

TEST(TrainingEstimate, Llama31_70bParameterCount) {
  // attention 2 x 8192^2 + 2 x 8192 x 1024 = 150,994,944; MLP 3 x 8192 x 28672 = 704,643,072;
  // norms 16,384; layer 855,654,400; x 80 = 68,452,352,000;
  // embeddings 2 x 128256 x 8192 = 2,101,346,304; final norm 8,192; total 70,553,706,496
  const ParameterCounts counts = count_parameters(llama_3_1_70b());
  EXPECT_EQ(counts.total, 70553706496.0);
  EXPECT_LT(relative_error(counts.total, 70.6e9), 0.005);
}

TEST(TrainingEstimate, Llama31_405bParameterCount) {
  // attention 2 x 16384^2 + 2 x 16384 x 1024 = 570,425,344; MLP 3 x 16384 x 53248 =
  // 2,617,245,696; norms 32,768; layer 3,187,703,808; x 126 = 401,650,679,808;
  // embeddings 2 x 128256 x 16384 = 4,202,692,608; final norm 16,384; total 405,853,388,800
  const ParameterCounts counts = count_parameters(llama_3_1_405b());
  EXPECT_EQ(counts.total, 405853388800.0);
  EXPECT_LT(relative_error(counts.total, 405e9), 0.005);
}

TEST(TrainingEstimate, Gpt3_175bParameterCount) {
  // layer 12 h^2 + 2h = 12 x 12288^2 + 24,576 = 1,811,963,904; x 96 = 173,948,534,784;
  // tied embedding 50257 x 12288 = 617,558,016; final norm 12,288; total 174,566,105,088 tied.
  // Biases and the 2048 x 12288 position embedding are not counted; an untied output layer would
  // add another 617,558,016 (175,183,663,104).
  ModelShape model = gpt3_175b();
  EXPECT_EQ(count_parameters(model).total, 174566105088.0);
  EXPECT_LT(relative_error(count_parameters(model).total, 175e9), 0.005);
  model.tied_embeddings = false;
  EXPECT_EQ(count_parameters(model).total, 175183663104.0);
}

TEST(TrainingEstimate, StageParametersSplitEmbeddingAndOutput) {
  // tiny_gpt: layer 12 x 1024^2 + 2048 = 12,584,960; embedding 32768 x 1024 = 33,554,432.
  // pp = 2: stage 0 = 2 layers + embedding = 58,724,352;
  //         stage 1 = 2 layers + output + final norm = 58,725,376.
  EXPECT_EQ(stage_parameter_count(tiny_gpt(), 2, 0), 58724352.0);
  EXPECT_EQ(stage_parameter_count(tiny_gpt(), 2, 1), 58725376.0);
  // pp = 1 holds everything: 4 x 12,584,960 + 2 x 33,554,432 + 1024 = 117,449,728.
  EXPECT_EQ(stage_parameter_count(tiny_gpt(), 1, 0), 117449728.0);
  // Tied and pipelined: the last stage keeps a copy of the embedding, so it holds as much.
  ModelShape tied = tiny_gpt();
  tied.tied_embeddings = true;
  EXPECT_EQ(stage_parameter_count(tied, 2, 1), 58725376.0);
  EXPECT_EQ(stage_parameter_count(tied, 1, 0), 117449728.0 - 33554432.0);
}

// ---------------------------------------------------------------------------------------------
// Uneven pipeline stages. Rule (TrainingEstimate.hpp): c = ceil(l / pp), r = c pp - l; the last
// stage and stages 0 .. r - 2 get c - 1 layers, every other stage c.
// ---------------------------------------------------------------------------------------------

ModelShape with_layers(int layers) {
  ModelShape model = tiny_gpt();
  model.layers = layers;
  return model;
}

TEST(TrainingEstimate, LayersPerStageIsTheLlama3SplitFor126Over16) {
  // c = ceil(126 / 16) = 8, r = 128 - 126 = 2: the last stage and stage 0 (stages 0 .. r - 2)
  // get 7, stages 1..14 get 8: 7 + 14 x 8 + 7 = 126, Meta's PP16 layout for Llama 3.1 405B.
  std::vector<int> expected(16, 8);
  expected.front() = 7;
  expected.back() = 7;
  EXPECT_EQ(layers_per_stage(llama_3_1_405b(), 16), expected);
  EXPECT_EQ(stage_layer_count(llama_3_1_405b(), 16, 0), 7);
  EXPECT_EQ(stage_layer_count(llama_3_1_405b(), 16, 1), 8);
  EXPECT_EQ(stage_layer_count(llama_3_1_405b(), 16, 15), 7);
}

TEST(TrainingEstimate, LayersPerStageSplitsEvenlyWhenPpDivides) {
  // 80 / 8 = 10 each (r = 0, no short stage); pp 1 holds all 80.
  EXPECT_EQ(layers_per_stage(llama_3_1_70b(), 8), std::vector<int>(8, 10));
  EXPECT_EQ(layers_per_stage(llama_3_1_70b(), 1), std::vector<int>{80});
}

TEST(TrainingEstimate, LayersPerStageShortensTheLastStageFirstThenTheEarliest) {
  // 10 over 4: c = 3, r = 12 - 10 = 2 -> last and stage 0 short: 2, 3, 3, 2.
  EXPECT_EQ(layers_per_stage(with_layers(10), 4), (std::vector<int>{2, 3, 3, 2}));
  // 7 over 4: c = 2, r = 1 -> only the last stage (it holds the logits): 2, 2, 2, 1.
  EXPECT_EQ(layers_per_stage(with_layers(7), 4), (std::vector<int>{2, 2, 2, 1}));
  // 5 over 4: c = 2, r = 3 -> last, then stages 0 and 1: 1, 1, 2, 1.
  EXPECT_EQ(layers_per_stage(with_layers(5), 4), (std::vector<int>{1, 1, 2, 1}));
  // pp = layers: c = 1, r = 0, one layer each.
  EXPECT_EQ(layers_per_stage(with_layers(4), 4), (std::vector<int>{1, 1, 1, 1}));
}

TEST(TrainingEstimate, LayersPerStageRejectsMoreStagesThanLayers) {
  std::string message;
  try {
    layers_per_stage(with_layers(4), 5);
  } catch (const ConfigurationError& error) {
    message = error.what();
  }
  EXPECT_EQ(message,
            "parallelism: pp 5 for 4 layers; expected 1 to 4 pipeline stages (at least one layer "
            "each)");
  EXPECT_THROW(layers_per_stage(with_layers(4), 0), ConfigurationError);
  EXPECT_THROW(stage_parameter_count(with_layers(4), 5, 0), ConfigurationError);
  EXPECT_THROW(stage_layer_count(with_layers(10), 4, 4), ConfigurationError);
}

// six_layer_gpt (TrainingTestFixtures.hpp) splits 1, 2, 2, 1 over pp 4.
TEST(TrainingEstimate, StageParametersFollowTheUnevenSplit) {
  // layer 12 x 1024^2 + 2048 = 12,584,960; embedding 8192 x 1024 = 8,388,608; final norm 1024.
  //   stage 0: 1 layer + embedding = 20,973,568
  //   stages 1, 2: 2 layers = 25,169,920
  //   stage 3: 1 layer + output layer + final norm = 20,974,592
  const ModelShape model = six_layer_gpt();
  EXPECT_EQ(stage_parameter_count(model, 4, 0), 20973568.0);
  EXPECT_EQ(stage_parameter_count(model, 4, 1), 25169920.0);
  EXPECT_EQ(stage_parameter_count(model, 4, 2), 25169920.0);
  EXPECT_EQ(stage_parameter_count(model, 4, 3), 20974592.0);
}

}  // namespace
}  // namespace capsim::test
