// FLOP counts of the training estimate against Megatron's formulas: model FLOPs (Megatron-Core's
// num_floating_point_operations, grouped-query attention and gated MLPs included), hardware FLOPs
// under full (SC21) and selective recompute, and the 6N rule of thumb. Every expected number is
// derived in the comment above it.
#include <gtest/gtest.h>

#include "capsim/models/TrainingEstimate.hpp"
#include "models/TrainingTestFixtures.hpp"

namespace capsim::test {
namespace {

TEST(TrainingEstimate, ModelFlopsEqualMegatronCoreExactly) {
  // Per token per layer forward: matrices 2 x 12 h^2 = 24 h^2, scores QK^T 2 s h + PV 2 s h.
  // Per token logits 2 h V. Forward + backward = 3 x forward:
  //   3 (l (24 h^2 + 4 s h) + 2 h V) = 72 l h^2 + 12 l s h + 6 h V
  //                                  = 72 l h^2 (1 + s / (6h) + V / (12 l h)).
  // With l = 2, h = 64, s = 128, V = 1000, B = 2 every term is a small integer, so exact:
  //   72 x 2 x 4096 = 589,824; 12 x 2 x 128 x 64 = 196,608; 6 x 64 x 1000 = 384,000
  //   per token 1,170,432; x B s = 256 tokens -> 299,630,592.
  const ModelShape model{2, 64, 4, 4, 256, 1000, false, false};
  const TrainingFlops flops = count_training_flops(model, batch_of(2, 128));
  const double B = 2, s = 128, l = 2, h = 64, V = 1000;
  EXPECT_EQ(flops.model_per_iteration, 299630592.0);
  EXPECT_EQ(flops.model_per_iteration,
            72 * B * s * l * h * h + 12 * B * s * s * l * h + 6 * B * s * h * V);
  EXPECT_EQ(flops.model_per_token, 1170432.0);
  // Without recompute hardware FLOPs are model FLOPs.
  EXPECT_EQ(flops.hardware_per_iteration, flops.model_per_iteration);
}

TEST(TrainingEstimate, ModelFlopsOfGpt3MatchMegatronCoreFormula) {
  // GPT-3 175B, B = 1536, s = 2048, in the factored form (rounding only in the last digits).
  const double B = 1536, s = 2048, l = 96, h = 12288, V = 50257;
  const double megatron_core = 72 * B * s * l * h * h * (1 + s / (6 * h) + V / (12 * l * h));
  const TrainingFlops flops = count_training_flops(gpt3_175b(), batch_of(1536, 2048));
  EXPECT_LT(relative_error(flops.model_per_iteration, megatron_core), 1e-12);
}

TEST(TrainingEstimate, FullRecomputeHardwareFlopsEqualSc21Formula) {
  // Full recompute runs the layers' forward once more (logits are not recomputed):
  //   per token 4 l (24 h^2 + 4 s h) + 6 h V = 96 l h^2 + 16 l s h + 6 h V
  //           = 96 l h^2 (1 + s / (6h) + V / (16 l h)).
  // Small model above: 96 x 2 x 4096 = 786,432; 16 x 2 x 128 x 64 = 262,144; 384,000;
  //   per token 1,432,576; x 256 tokens = 366,739,456.
  const ModelShape model{2, 64, 4, 4, 256, 1000, false, false};
  const TrainingFlops flops = count_training_flops(model, batch_of(2, 128, Recompute::Full));
  EXPECT_EQ(flops.hardware_per_iteration, 366739456.0);
  EXPECT_EQ(flops.model_per_iteration, 299630592.0);

  const double B = 1536, s = 2048, l = 96, h = 12288, V = 50257;
  const double sc21 = 96 * B * s * l * h * h * (1 + s / (6 * h) + V / (16 * l * h));
  const TrainingFlops gpt3 =
      count_training_flops(gpt3_175b(), batch_of(1536, 2048, Recompute::Full));
  EXPECT_LT(relative_error(gpt3.hardware_per_iteration, sc21), 1e-12);
}

TEST(TrainingEstimate, SelectiveRecomputeAddsTheAttentionScoresOnce) {
  // Extra per token: l x 4 s h = 2 x 4 x 128 x 64 = 65,536; x 256 tokens = 16,777,216.
  const ModelShape model{2, 64, 4, 4, 256, 1000, false, false};
  const TrainingFlops flops = count_training_flops(model, batch_of(2, 128, Recompute::Selective));
  EXPECT_EQ(flops.hardware_per_iteration, 299630592.0 + 16777216.0);
}

TEST(TrainingEstimate, GroupedQueryAndGatedMlpMatchMegatronCoreGeneralForm) {
  // Megatron-Core's num_floating_point_operations, for kv groups g, ffn f, SwiGLU factor 3/2:
  //   12 B s l h^2 ((1 + g/a + s/h) + (f/h)(3/2) + V/(2 l h)).
  // Ours per token: 3 (l (2 (2h^2 + 2 h k + 3 h f) + 4 s h) + 2 h V) with k = h g / a
  //   = 12 l h^2 + 12 l h^2 g/a + 18 l h f + 12 l s h + 6 h V, the same expansion.
  const double B = 1024, s = 8192, l = 80, h = 8192, a = 64, g = 8, f = 28672, V = 128256;
  const double megatron =
      12 * B * s * l * h * h * ((1 + g / a + s / h) + (f / h) * 1.5 + V / (2 * l * h));
  const TrainingFlops flops = count_training_flops(llama_3_1_70b(), batch_of(1024, 8192));
  EXPECT_LT(relative_error(flops.model_per_iteration, megatron), 1e-12);
}

TEST(TrainingEstimate, ModelFlopsPerTokenAgainstSixN) {
  // 6N counts 6 FLOPs per parameter per token. Ours counts 6 per matrix weight of the layers and
  // the output layer, none for the embedding lookup or norms, plus 12 l s h for attention scores:
  //   model_per_token = 6 (N - embedding - norms) + 12 l s h           (untied)
  // Llama 3.1 8B, s = 8192: N = 8,030,261,248; embedding 525,336,576; norms 32 x 8192 + 4096 =
  //   266,240; 6 x 7,504,658,432 = 45,027,950,592; 12 x 32 x 8192 x 4096 = 12,884,901,888;
  //   total 57,912,852,480 per token, 1.20 x 6N at this sequence length.
  const TrainingFlops flops = count_training_flops(llama_3_1_8b(), batch_of(8, 8192));
  EXPECT_EQ(flops.model_per_token, 57912852480.0);
  // At a short sequence the attention term fades: s = 128 gives 6 x 7,504,658,432 +
  //   12 x 32 x 128 x 4096 = 45,229,277,184, within 7% of 6N = 48,181,567,488 (the embedding gap).
  const TrainingFlops short_seq = count_training_flops(llama_3_1_8b(), batch_of(8, 128));
  EXPECT_EQ(short_seq.model_per_token, 45229277184.0);
  EXPECT_LT(relative_error(short_seq.model_per_token, 6 * 8030261248.0), 0.07);
}

}  // namespace
}  // namespace capsim::test
