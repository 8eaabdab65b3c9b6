// Memory of the training estimate: activations per layer against Korthikanti et al. 2022, model
// state under each ZeRO stage, and which pipeline stage needs the most. Every expected number is
// derived in the comment above it.
#include <gtest/gtest.h>

#include <string>

#include "capsim/models/TrainingEstimate.hpp"
#include "models/TrainingTestFixtures.hpp"

namespace capsim::test {
namespace {

TEST(TrainingEstimate, ActivationsOfAStandardLayerArePaperFormula) {
  // Korthikanti et al. 2022 (materialized attention scores): s b h (34 + 5 a s / h) / t with
  // tensor + sequence parallelism.
  // tiny_gpt, s = 2048, b = 2, t = 2, cp = 1: s b h = 4,194,304; 5 a s / h = 5 x 8 x 2 = 80;
  //   none 4,194,304 x 114 / 2 = 239,075,328; selective 4,194,304 x 34 / 2 = 71,303,168;
  //   full 2 s b h / t = 4,194,304.
  TrainingLayout layout = batch_of(4, 2048);
  layout.tp = 2;
  layout.micro_batch = 2;
  layout.attention = AttentionKernel::Materialized;
  EXPECT_EQ(layer_activation_bytes(tiny_gpt(), layout), 239075328.0);
  layout.recompute = Recompute::Selective;
  EXPECT_EQ(layer_activation_bytes(tiny_gpt(), layout), 71303168.0);
  layout.recompute = Recompute::Full;
  EXPECT_EQ(layer_activation_bytes(tiny_gpt(), layout), 4194304.0);
  // Context parallelism 2 halves s: s b h = 2,097,152 and 5 a s / h = 40 -> 2,097,152 x 74 / 2.
  layout.recompute = Recompute::None;
  layout.cp = 2;
  EXPECT_EQ(layer_activation_bytes(tiny_gpt(), layout), 77594624.0);
  // Fused attention stores no score matrix, only fp32 softmax statistics, 4 a s b: none is
  // (34 s b h + 4 a s b) / t = (4,194,304 x 34 + 4 x 8 x 2048 x 2) / 2 = 71,368,704, and
  // selective (Megatron-Core's checkpointed core attention keeps only its inputs) 71,303,168.
  layout.attention = AttentionKernel::Fused;
  layout.cp = 1;
  EXPECT_EQ(layer_activation_bytes(tiny_gpt(), layout), 71368704.0);
  layout.recompute = Recompute::Selective;
  EXPECT_EQ(layer_activation_bytes(tiny_gpt(), layout), 71303168.0);
}

TEST(TrainingEstimate, WithoutSequenceParallelismTenSbhAreWholeOnEveryRank) {
  // Korthikanti et al. 2022 without sequence parallelism: s b h (10 + 24 / t) + 5 a s^2 b / t.
  // tiny_gpt, s = 2048, b = 2, t = 2: s b h = 4,194,304 -> 4,194,304 x (10 + 12) = 92,274,688;
  //   5 a s^2 b / t = 5 x 8 x 4,194,304 x 2 / 2 = 167,772,160; none 260,046,848 (with sequence
  //   parallelism 239,075,328, ActivationsOfAStandardLayerArePaperFormula); selective
  //   92,274,688; full keeps the whole layer input, 2 s b h = 8,388,608.
  TrainingLayout layout = batch_of(4, 2048);
  layout.tp = 2;
  layout.micro_batch = 2;
  layout.sequence_parallel = false;
  layout.attention = AttentionKernel::Materialized;
  EXPECT_EQ(layer_activation_bytes(tiny_gpt(), layout), 260046848.0);
  layout.recompute = Recompute::Selective;
  EXPECT_EQ(layer_activation_bytes(tiny_gpt(), layout), 92274688.0);
  layout.recompute = Recompute::Full;
  EXPECT_EQ(layer_activation_bytes(tiny_gpt(), layout), 8388608.0);
  // With tp 1 there is nothing to replicate: the flag changes nothing.
  layout.tp = 1;
  const double replicated = layer_activation_bytes(tiny_gpt(), layout);
  layout.sequence_parallel = true;
  EXPECT_EQ(layer_activation_bytes(tiny_gpt(), layout), replicated);
}

TrainingLayout llama_8b_on_8_gpus(int zero_stage) {
  TrainingLayout layout;
  layout.dp = 8;
  layout.micro_batch = 1;
  layout.global_batch = 64;
  layout.seq_len = 8192;
  layout.zero_stage = zero_stage;
  layout.recompute = Recompute::Selective;
  return layout;
}

TEST(TrainingEstimate, Llama8bZero1MemoryByHand) {
  // P = 8,030,261,248; tp = pp = 1, dp = 8, ZeRO-1.
  // weights 2P = 16,060,522,496; gradients 4P = 32,121,044,992; optimizer 12P/8 = 12,045,391,872.
  // Activations, selective, per layer (s = 8192, b = 1, h = 4096, k = 1024, f = 14336, gated):
  //   attention 7 sbh + 4 sbk = (7 + 1) sbh; MLP 3 sbh + 6 sbf = (3 + 21) sbh; norms 4 sbh
  //   = 36 sbh = 36 x 33,554,432 = 1,207,959,552; x 32 layers x 1 micro-batch = 38,654,705,664.
  // Logits fp32: 4 x 8192 x 128256 = 4,202,692,608.
  // Total 103,084,357,632 bytes = 96.00 GiB > 80 GB: does not fit.
  const MemoryBreakdown memory =
      estimate_memory(llama_3_1_8b(), llama_8b_on_8_gpus(1), hand_gpu(), 8);
  EXPECT_EQ(memory.weights_bytes, 16060522496.0);
  EXPECT_EQ(memory.gradients_bytes, 32121044992.0);
  EXPECT_EQ(memory.optimizer_bytes, 12045391872.0);
  EXPECT_EQ(memory.activations_bytes, 38654705664.0);
  EXPECT_EQ(memory.logits_bytes, 4202692608.0);
  EXPECT_EQ(memory.total_bytes, 103084357632.0);
  EXPECT_FALSE(memory.fits);
  // A fused cross-entropy keeps the bf16 logits instead of an fp32 softmax: 2 x 8192 x 128256 =
  //   2,101,346,304 bytes, the total 2,101,346,304 less.
  TrainingLayout fused = llama_8b_on_8_gpus(1);
  fused.fused_cross_entropy = true;
  const MemoryBreakdown fused_memory = estimate_memory(llama_3_1_8b(), fused, hand_gpu(), 8);
  EXPECT_EQ(fused_memory.logits_bytes, 2101346304.0);
  EXPECT_EQ(fused_memory.total_bytes, 100983011328.0);
  EXPECT_EQ(describe(memory),
            "stage 1 of 1: weights 14.96 GiB + gradients 29.92 GiB + optimizer states 11.22 GiB"
            " + activations 36.00 GiB + logits buffer 3.91 GiB = 96.00 GiB of 74.51 GiB (does not"
            " fit)");

  // Without recompute, materialized scores add 5 a s^2 b = 5 x 32 x 8192^2 = 10,737,418,240 per
  // layer: 32 x (1,207,959,552 + 10,737,418,240) = 382,252,089,344; fused attention only its
  // softmax statistics, 4 a s b = 4 x 32 x 8192 = 1,048,576: 32 x 1,209,008,128 = 38,688,260,096.
  TrainingLayout none = llama_8b_on_8_gpus(1);
  none.recompute = Recompute::None;
  EXPECT_EQ(estimate_memory(llama_3_1_8b(), none, hand_gpu(), 8).activations_bytes, 38688260096.0);
  none.attention = AttentionKernel::Materialized;
  EXPECT_EQ(estimate_memory(llama_3_1_8b(), none, hand_gpu(), 8).activations_bytes, 382252089344.0);
}

TEST(TrainingEstimate, Zero3ShardsAllModelStateOverDp) {
  // weights 2P/8 = 2,007,565,312; gradients 4P/8 = 4,015,130,624; optimizer 12P/8 =
  // 12,045,391,872; activations and logits unchanged; total 60,925,486,080 fits in 80 GB.
  const MemoryBreakdown memory =
      estimate_memory(llama_3_1_8b(), llama_8b_on_8_gpus(3), hand_gpu(), 8);
  EXPECT_EQ(memory.weights_bytes, 2007565312.0);
  EXPECT_EQ(memory.gradients_bytes, 4015130624.0);
  EXPECT_EQ(memory.optimizer_bytes, 12045391872.0);
  EXPECT_EQ(memory.total_bytes, 60925486080.0);
  EXPECT_TRUE(memory.fits);
  // ZeRO-2 shards gradients and optimizer states but not weights.
  const MemoryBreakdown zero2 =
      estimate_memory(llama_3_1_8b(), llama_8b_on_8_gpus(2), hand_gpu(), 8);
  EXPECT_EQ(zero2.weights_bytes, 16060522496.0);
  EXPECT_EQ(zero2.gradients_bytes, 4015130624.0);
}

// ---------------------------------------------------------------------------------------------
// Uneven pipeline stages (the split rule and six_layer_gpt are in
// TrainingTestFixtures.hpp).
// ---------------------------------------------------------------------------------------------

TEST(TrainingEstimate, UnevenMemoryIsTheLargestOfAllStages) {
  // six_layer_gpt, tp 2, dp 2, ZeRO-1, no recompute, m = 4. Activations per layer and
  //   micro-batch s b h (34 + 5 a s / h) / t = 2,097,152 x 114 / 2 = 119,537,664.
  // Stage k keeps min(pp - k, m) = 4, 3, 2, 1 micro-batches of its 1, 2, 2, 1 layers.
  // Model state per local param (params / tp): 2 + 4 + 12 / dp = 12 bytes.
  //   stage 0: 10,486,784 local x 12 = 125,841,408 + 1 x 4 x 119,537,664 = 603,992,064
  //   stage 1: 12,584,960 local x 12 = 151,019,520 + 2 x 3 x 119,537,664 = 868,245,504
  //   stage 2: 151,019,520 + 2 x 2 x 119,537,664 = 629,170,176
  //   stage 3: 10,487,296 x 12 = 125,847,552 + 119,537,664 + logits 4 x 2048 x 8192 / 2 =
  //            33,554,432 -> 278,939,648
  // Stage 1, an inner stage, needs the most; looking only at the first and last would report
  // stage 0 (603,992,064).
  TrainingLayout layout = six_layer_layout();
  layout.attention = AttentionKernel::Materialized;  // the paper's formula, as derived above
  const MemoryBreakdown memory = estimate_memory(six_layer_gpt(), layout, hand_gpu(), 16);
  EXPECT_EQ(memory.stage, 1);
  EXPECT_EQ(memory.stages, 4);
  EXPECT_EQ(memory.weights_bytes, 25169920.0);
  EXPECT_EQ(memory.gradients_bytes, 50339840.0);
  EXPECT_EQ(memory.optimizer_bytes, 75509760.0);
  EXPECT_EQ(memory.activations_bytes, 717225984.0);
  EXPECT_EQ(memory.logits_bytes, 0.0);
  EXPECT_EQ(memory.total_bytes, 868245504.0);
  EXPECT_TRUE(memory.fits);
}

}  // namespace
}  // namespace capsim::test
