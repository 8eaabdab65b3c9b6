// Pipeline schedules of the training estimate: uneven stages (the bottleneck is an inner stage),
// Meta's PP16 layout for Llama 3.1 405B, and the interleaved 1F1B schedule. Every expected number
// is derived in the comment above it; the layer and link times of the tiny layout are derived in
// TrainingTestFixtures.hpp, under tiny_paths.
#include <gtest/gtest.h>

#include <algorithm>
#include <vector>

#include "capsim/models/Errors.hpp"
#include "capsim/models/TrainingEstimate.hpp"
#include "models/TrainingTestFixtures.hpp"

namespace capsim::test {
namespace {

// ---------------------------------------------------------------------------------------------
// Uneven pipeline stages. Rule (TrainingEstimate.hpp): c = ceil(l / pp), r = c pp - l; the last
// stage and stages 0 .. r - 2 get c - 1 layers, every other stage c.
// ---------------------------------------------------------------------------------------------

TEST(TrainingEstimate, UnevenIterationRunsAtThePaceOfAnInnerStage) {
  // Per micro-batch (2048 tokens) at tp 2 a layer takes 6.6051899392e-5 s forward and
  // 1.53578635264e-4 s backward (TinyIterationByHand; the vocabulary does not enter a layer).
  // TP per layer 2 AG + 2 RS = 2.897152e-5 s forward, 1.448576e-5 s backward, and PP
  // 4.694304e-5 s each way (TinyIterationByHand and the fixture's derivation).
  // Logits with V / tp = 4096: 2048 x 4096 x 1024 GEMM, 2^34 FLOPs / 5e14 = 3.4359738368e-5 s,
  //   backward 6.8719476736e-5 s; cross-entropy 2048 x 4096 x 38 bytes / 1e13 = 3.18767104e-5 s
  //   forward, x 14 bytes = 1.17440512e-5 s backward:
  //   forward 6.6236448768e-5 s, backward 8.0463527936e-5 s.
  // Stage 1 (2 layers): compute 1.32103798784e-4 forward, 3.07157270528e-4 backward;
  //   TP 2 x 2.897152e-5 = 5.794304e-5 forward, 2 x 1.448576e-5 = 2.897152e-5 backward;
  //   t_fwd = 1.32103798784e-4 + 5.794304e-5 + 4.694304e-5 = 2.36989878784e-4
  //   t_bwd = 3.07157270528e-4 + 2.897152e-5 + 4.694304e-5 = 3.83071830528e-4;
  //   slot 6.20061709312e-4
  // Stage 3 (1 layer + logits): compute 6.6051899392e-5 + 6.6236448768e-5 = 1.3228834816e-4
  //   forward, 1.53578635264e-4 + 8.0463527936e-5 = 2.340421632e-4 backward; TP 2.897152e-5
  //   forward, 1.448576e-5 backward; slot 1.3228834816e-4 + 2.340421632e-4 + 2.897152e-5 +
  //   1.448576e-5 + 2 x 4.694304e-5 = 5.0367387136e-4 < stage 1's.
  // Stage 0 (1 layer, no logits) is lighter still and stage 2 ties stage 1, so the bottleneck is
  //   stage 1 (the first of the two). The old "last stage, layers / pp" rule would give stage 3.
  // 1F1B: (m + pp - 1) x slot = 7 x 6.20061709312e-4 = 4.340431965184e-3 s, of which
  //   compute 4 x 4.39261069312e-4 = 1.757044277248e-3, bubble 3 x 6.20061709312e-4 =
  //   1.860185127936e-3, TP 4 x (5.794304e-5 + 2.897152e-5) = 3.4765824e-4, PP 4 x 2 x
  //   4.694304e-5 = 3.7554432e-4.
  // DP, ZeRO-1 not overlapped, largest stage (1 or 2: 25,169,920) / tp = 12,584,960 local params,
  //   25,169,920 bytes per collective: 1 x (10e-6 + 25,169,920 / (2 x 50e9)) = 2.616992e-4;
  //   RS + AG = 5.233984e-4 s. Optimizer 12,584,960 / 2 x 30 / 1e13 = 1.887744e-5 s.
  // Iteration 4.340431965184e-3 + 5.233984e-4 + 1.887744e-5 = 4.882707805184e-3 s.
  const TrainingEstimate e =
      estimate_training(six_layer_gpt(), six_layer_layout(), hand_gpu(), tiny_paths(), 16);
  constexpr double kTol = 1e-9;
  EXPECT_EQ(e.micro_batches, 4);
  EXPECT_EQ(e.micro_batch.stage, 1);
  EXPECT_EQ(e.micro_batch.layers, 2);
  EXPECT_EQ(e.stage_parameters, 12584960.0);
  EXPECT_LT(relative_error(e.micro_batch.compute_forward_s, 1.32103798784e-4), kTol);
  EXPECT_LT(relative_error(e.micro_batch.compute_backward_s, 3.07157270528e-4), kTol);
  EXPECT_LT(relative_error(e.micro_batch.tp_forward_s, 5.794304e-5), kTol);
  EXPECT_LT(relative_error(e.micro_batch.forward_s, 2.36989878784e-4), kTol);
  EXPECT_LT(relative_error(e.micro_batch.backward_s, 3.83071830528e-4), kTol);
  EXPECT_LT(relative_error(e.breakdown.compute_s, 1.757044277248e-3), kTol);
  EXPECT_LT(relative_error(e.breakdown.bubble_s, 1.860185127936e-3), kTol);
  EXPECT_LT(relative_error(e.breakdown.tp_comm_s, 3.4765824e-4), kTol);
  EXPECT_LT(relative_error(e.breakdown.pp_comm_s, 3.7554432e-4), kTol);
  EXPECT_LT(relative_error(e.breakdown.dp_comm_s, 5.233984e-4), kTol);
  EXPECT_LT(relative_error(e.breakdown.optimizer_s, 1.887744e-5), kTol);
  EXPECT_LT(relative_error(e.iteration_s, 4.882707805184e-3), kTol);
  // Model FLOPs still count all 6 layers once: 3 x (6 x 2^25 + 2^24) x 16,384 tokens =
  //   10,720,238,370,816; MFU = that / (4.882707805184e-3 x 16 x 1e15) = 0.137221993391585.
  EXPECT_EQ(e.flops.model_per_iteration, 10720238370816.0);
  EXPECT_LT(relative_error(e.mfu, 0.137221993391585), kTol);
}

// Meta's Llama 3.1 405B layout: TP8 x PP16 x DP128 = 16,384 GPUs, seq 8192, global batch 2048,
// micro-batch 1 -> m = 16, ZeRO-1, selective recompute.
TrainingLayout metas_405b_layout() {
  TrainingLayout layout;
  layout.tp = 8;
  layout.pp = 16;
  layout.dp = 128;
  layout.micro_batch = 1;
  layout.global_batch = 2048;
  layout.seq_len = 8192;
  layout.zero_stage = 1;
  layout.recompute = Recompute::Selective;
  return layout;
}

// The split "(above)" is LayersPerStageIsTheLlama3SplitFor126Over16 and "the parameter count
// test" Llama31_405bParameterCount, both in TrainingParameters_test.cpp.
TEST(TrainingEstimate, Llama405bOnMetasPp16LayoutEstimates) {
  // TP8 x PP16 x DP128 = 16,384 GPUs, seq 8192, global batch 2048, micro-batch 1 -> m = 16,
  // selective recompute. Split 7, 8 x 14, 7 (above). Layer params 3,187,703,808 (parameter count
  // test); embedding = output layer = 128256 x 16384 = 2,101,346,304.
  //   stage 0: 7 layers + embedding = 24,415,272,960
  //   inner:   8 layers = 25,501,630,464           <- largest
  //   last:    7 layers + output + final norm = 24,415,289,344
  // stage_parameters = 25,501,630,464 / tp 8 = 3,187,703,808: an inner stage holds 8 layers / 8
  //   GPUs, exactly one layer's parameters per GPU.
  TrainingLayout layout = metas_405b_layout();
  CommPaths paths;
  paths.tp = {450e9, 1e-6};
  paths.pp = {50e9, 5e-6};
  paths.dp = {50e9, 5e-6};
  paths.cp = {50e9, 5e-6};
  TrainingEstimate e;
  ASSERT_NO_THROW(e = estimate_training(llama_3_1_405b(), layout, hand_gpu(), paths, 16384));
  EXPECT_EQ(e.micro_batches, 16);
  EXPECT_EQ(stage_parameter_count(llama_3_1_405b(), 16, 0), 24415272960.0);
  EXPECT_EQ(stage_parameter_count(llama_3_1_405b(), 16, 1), 25501630464.0);
  EXPECT_EQ(stage_parameter_count(llama_3_1_405b(), 16, 15), 24415289344.0);
  EXPECT_EQ(e.stage_parameters, 3187703808.0);

  // One layer per GPU (tp 8, 8192 tokens), hand-checkable kernels:
  //   GEMMs: 2 x 3,187,671,040 matrix params x 8192 / 8 = 6,528,350,289,920 FLOPs / 5e14 =
  //     1.305670057984e-2 s
  //   attention: 2 b (a / tp) s^2 d = 2 x 16 x 8192^2 x 128 = 274,877,906,944 / 4e14 =
  //     6.8719476736e-4 s (backward 2.5 x that FLOPs / 2.5e14 = 2.74877906944e-3 s)
  //   memory-bound: x = 8192 / 8 x 16384 x 2 = 33,554,432; SwiGLU 3 x 8192 x 6656 x 2 =
  //     327,155,712; 10 x 33,554,432 + 327,155,712 = 662,700,032 bytes / 1e13 = 6.62700032e-5 s
  //   forward 1.38101653504e-2 s; backward 2.611340115968e-2 + 2.74877906944e-3 +
  //     1.325400064e-4 = 2.899472023552e-2 s.
  // Logits 8192 x 16032 x 16384: 4,303,557,230,592 FLOPs / 5e14 = 8.607114461184e-3 s (backward
  //   2x), cross-entropy 8192 x 16032 = 131,334,144 logits x 38 bytes / 1e13 = 4.990697472e-4 s
  //   (backward x 14 bytes = 1.838678016e-4 s): forward 9.106184208384e-3 s and backward
  //   1.7398096723968e-2 s, less than a layer either way.
  // So an inner stage of 8 layers (forward 8 x 1.38101653504e-2 = 1.104813228032e-1 s) beats the
  //   last stage of 7 layers + logits (1.05777341661184e-1 s) and has one more layer of TP
  //   traffic: stage 1 (first of 1..14) is the bottleneck.
  EXPECT_EQ(e.micro_batch.stage, 1);
  EXPECT_EQ(e.micro_batch.layers, 8);
  EXPECT_LT(relative_error(e.micro_batch.compute_forward_s, 1.104813228032e-1), 1e-9);
  // Selective recompute replays each layer's attention forward: backward 8 x (2.899472023552e-2
  // + 6.8719476736e-4) = 2.3745532002304e-1 s.
  EXPECT_LT(relative_error(e.micro_batch.compute_backward_s, 2.3745532002304e-1), 1e-9);

  // Memory, ZeRO-1. Activations per layer (selective; s = 8192, h = 16384, k = 1024, f = 53248):
  //   (7 + 3 + 4) sbh + 4 sbk + 6 sbf = 1,879,048,192 + 33,554,432 + 2,617,245,696
  //   = 4,529,848,320 / tp 8 = 566,231,040 bytes.
  // Stage 1: 3,187,703,808 local params -> weights 6,375,407,616, gradients 12,750,815,232,
  //   optimizer 12 x 3,187,703,808 / 128 = 298,847,232; activations 8 layers x min(15, 16) =
  //   120 x 566,231,040 = 67,947,724,800; total 87,372,794,880 bytes (81.37 GiB).
  // Stage 0: 3,051,909,120 local -> 6,103,818,240 + 12,207,636,480 + 286,116,480, activations
  //   7 x 16 = 112 x 566,231,040 = 63,417,876,480; total 82,015,447,680. Stage 1 is the peak.
  // Neither fits in 80 GB: the unsharded fp32 main gradients (12.75 GB) and 15 micro-batches
  // of selective-recompute activations are too much under ZeRO-1.
  EXPECT_EQ(e.memory.stage, 1);
  EXPECT_EQ(e.memory.activations_bytes, 67947724800.0);
  EXPECT_EQ(e.memory.total_bytes, 87372794880.0);
  EXPECT_FALSE(e.memory.fits);

  // Sharding the gradients as well (ZeRO-2; Llama 3's FSDP shards optimizer states and
  // gradients and keeps the weights after the forward) leaves 12,750,815,232 / 128 =
  // 99,615,744 of gradients: stage 1 totals 6,375,407,616 + 99,615,744 + 298,847,232 +
  // 67,947,724,800 = 74,721,595,392 bytes (69.59 GiB), which fits in 80 GB.
  layout.zero_stage = 2;
  ASSERT_NO_THROW(e = estimate_training(llama_3_1_405b(), layout, hand_gpu(), paths, 16384));
  EXPECT_EQ(e.memory.stage, 1);
  EXPECT_EQ(e.memory.gradients_bytes, 99615744.0);
  EXPECT_EQ(e.memory.total_bytes, 74721595392.0);
  EXPECT_TRUE(e.memory.fits);
}

// ---------------------------------------------------------------------------------------------
// Interleaved schedule
// ---------------------------------------------------------------------------------------------

// Interleaved 1F1B (Narayanan et al. 2021): tiny_gpt's 4 layers on pp 2 as 2 chunks each.
TEST(TrainingEstimate, InterleavedScheduleShrinksTheBubbleAndMultipliesPipelineSends) {
  TrainingLayout plain = tiny_layout();  // pp 2, m = 4 (a multiple of pp)
  TrainingLayout interleaved = plain;
  interleaved.vpp = 2;
  const TrainingEstimate one = estimate_training(tiny_gpt(), plain, hand_gpu(), tiny_paths(), 8);
  const TrainingEstimate two =
      estimate_training(tiny_gpt(), interleaved, hand_gpu(), tiny_paths(), 8);
  // Every micro-batch crosses each GPU twice: twice the sends, forward and backward.
  EXPECT_DOUBLE_EQ(two.micro_batch.pp_forward_s, 2 * one.micro_batch.pp_forward_s);
  EXPECT_DOUBLE_EQ(two.micro_batch.pp_backward_s, 2 * one.micro_batch.pp_backward_s);
  EXPECT_DOUBLE_EQ(two.micro_batch.compute_forward_s, one.micro_batch.compute_forward_s);
  // Bubble (pp - 1) x (t_f + t_b) / vpp, with the slot including the doubled sends.
  const MicroBatchTimes& t = two.micro_batch;
  EXPECT_DOUBLE_EQ(two.breakdown.bubble_s, (2 - 1) * (t.forward_s + t.backward_s) / 2);
  // First-stage activations grow by 1 + (pp - 1) / (pp vpp) = 1.25.
  EXPECT_DOUBLE_EQ(two.memory.activations_bytes, 1.25 * one.memory.activations_bytes);
}

// Llama 3.1 405B's 126 layers do not divide into 16 x 4 virtual stages: the 64 chunks follow the
// stage rule, c = ceil(126 / 64) = 2, r = 2 x 64 - 126 = 2, so the last chunk (63) and the first
// r - 1 = 1 (chunk 0) hold 1 layer, every other chunk 2. Stage k runs chunks k, k + 16, k + 32,
// k + 48: stage 0 = 1 + 2 + 2 + 2 = 7, stage 15 = 2 + 2 + 2 + 1 = 7, stages 1-14 = 8.
TEST(TrainingEstimate, InterleavingSplitsUnevenLayersOverVirtualStages) {
  TrainingLayout layout = metas_405b_layout();
  layout.vpp = 4;
  int total = 0;
  for (int stage = 0; stage < 16; ++stage) {
    const int expected = stage == 0 || stage == 15 ? 7 : 8;
    EXPECT_EQ(stage_layers(llama_3_1_405b(), layout, stage), expected) << "stage " << stage;
    total += stage_layers(llama_3_1_405b(), layout, stage);
  }
  EXPECT_EQ(total, 126);
  // The estimate runs, and the bubble is a quarter of the plain schedule's for the same slot.
  CommPaths paths;
  paths.tp = {450e9, 1e-6};
  paths.pp = {50e9, 5e-6};
  paths.dp = {50e9, 5e-6};
  const TrainingEstimate e = estimate_training(llama_3_1_405b(), layout, hand_gpu(), paths, 16384);
  const MicroBatchTimes& t = e.micro_batch;
  EXPECT_DOUBLE_EQ(e.breakdown.bubble_s, 15 * (t.forward_s + t.backward_s) / 4);
  EXPECT_EQ(t.layers, 8);
  // 2 x 64 = 128 > 126 layers: two chunks would be empty.
  layout.vpp = 8;
  EXPECT_THROW(estimate_training(llama_3_1_405b(), layout, hand_gpu(), paths, 16384),
               ConfigurationError);
}

// estimate_stages gives each stage of the uneven layout above its own times (stage 1's slot and
// stage 3's are derived in UnevenIterationRunsAtThePaceOfAnInnerStage); the estimate's bottleneck
// is the slowest of them and its exposed dp time the largest.
TEST(TrainingEstimate, StageEstimatesAreTheStagesTheEstimateScans) {
  const TrainingEstimate e =
      estimate_training(six_layer_gpt(), six_layer_layout(), hand_gpu(), tiny_paths(), 16);
  const std::vector<StageEstimate> stages =
      estimate_stages(six_layer_gpt(), six_layer_layout(), hand_gpu(), tiny_paths(), 16);
  ASSERT_EQ(stages.size(), 4u);
  constexpr double kTol = 1e-9;
  double largest_dp = 0.0;
  for (std::size_t k = 0; k < stages.size(); ++k) {
    EXPECT_EQ(stages[k].micro_batch.stage, static_cast<int>(k));
    const double slot = stages[k].micro_batch.forward_s + stages[k].micro_batch.backward_s;
    EXPECT_LE(slot, e.micro_batch.forward_s + e.micro_batch.backward_s);
    largest_dp = std::max(largest_dp, stages[k].dp_comm_exposed_s);
  }
  EXPECT_EQ(stages[1].micro_batch.layers, 2);
  EXPECT_LT(relative_error(stages[1].micro_batch.forward_s, 2.36989878784e-4), kTol);
  EXPECT_LT(relative_error(stages[1].micro_batch.backward_s, 3.83071830528e-4), kTol);
  EXPECT_LT(relative_error(stages[3].micro_batch.forward_s + stages[3].micro_batch.backward_s,
                           5.0367387136e-4),
            kTol);
  // Stage 1's 12,584,960 local parameters: RS + AG = 5.233984e-4 s, none of it hidden.
  EXPECT_LT(relative_error(stages[1].dp_comm_exposed_s, 5.233984e-4), kTol);
  EXPECT_EQ(stages[1].dp_comm_total_s, stages[1].dp_comm_exposed_s);
  EXPECT_EQ(largest_dp, e.breakdown.dp_comm_s);
}

}  // namespace
}  // namespace capsim::test
