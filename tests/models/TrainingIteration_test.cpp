// One training iteration by hand: tiny_gpt on tp 2 x pp 2 x dp 2 with the hand-checkable kernels
// (TrainingTestFixtures.hpp), then what ZeRO stages, data- and tensor-parallel overlap,
// recompute and context parallelism change, and that the breakdown always adds up. Every expected
// number is derived in the comment above it; the per-layer, per-stage and per-link times of the
// tiny layout are derived once in TrainingTestFixtures.hpp, under tiny_paths.
#include <gtest/gtest.h>

#include <initializer_list>

#include "capsim/models/Errors.hpp"
#include "capsim/models/TrainingEstimate.hpp"
#include "models/TrainingTestFixtures.hpp"

namespace capsim::test {
namespace {

// ---------------------------------------------------------------------------------------------
// A whole iteration by hand: tiny_gpt on tp 2 x pp 2 x dp 2 = 8 GPUs, 4 micro-batches.
// ---------------------------------------------------------------------------------------------

TEST(TrainingEstimate, TinyIterationByHand) {
  // t_fwd = 3.97049593856e-4 + 5.794304e-5 + 4.694304e-5 = 5.01935673856e-4 s
  // t_bwd = 6.29011382272e-4 + 2.897152e-5 + 4.694304e-5 = 7.04925942272e-4 s
  // 1F1B: (m + pp - 1) x (t_fwd + t_bwd) = 5 x 1.206861616128e-3 = 6.03430808064e-3 s
  // DP not overlapped (tiny_layout): 1.19450752e-3 s.
  // Optimizer: 29,362,688 / dp 2 = 14,681,344 owned params x 30 bytes / 1e13 = 4.4044032e-5 s.
  // Iteration: 6.03430808064e-3 + 1.19450752e-3 + 4.4044032e-5 = 7.27285963264e-3 s.
  const TrainingEstimate e =
      estimate_training(tiny_gpt(), tiny_layout(), hand_gpu(), tiny_paths(), 8);
  constexpr double kTol = 1e-9;
  EXPECT_EQ(e.micro_batches, 4);
  EXPECT_EQ(e.stage_parameters, 29362688.0);
  EXPECT_EQ(e.micro_batch.stage, 1);
  EXPECT_EQ(e.micro_batch.layers, 2);
  EXPECT_LT(relative_error(e.micro_batch.compute_forward_s, 3.97049593856e-4), kTol);
  EXPECT_LT(relative_error(e.micro_batch.compute_backward_s, 6.29011382272e-4), kTol);
  EXPECT_LT(relative_error(e.micro_batch.tp_forward_s, 5.794304e-5), kTol);
  EXPECT_LT(relative_error(e.micro_batch.tp_backward_s, 2.897152e-5), kTol);
  EXPECT_LT(relative_error(e.micro_batch.pp_forward_s, 4.694304e-5), kTol);
  EXPECT_LT(relative_error(e.micro_batch.pp_backward_s, 4.694304e-5), kTol);
  EXPECT_EQ(e.micro_batch.cp_forward_s, 0.0);
  EXPECT_LT(relative_error(e.micro_batch.forward_s, 5.01935673856e-4), kTol);
  EXPECT_LT(relative_error(e.micro_batch.backward_s, 7.04925942272e-4), kTol);

  // Breakdown: compute 4 x (3.97049593856e-4 + 6.29011382272e-4) = 4.104243904512e-3;
  // tp 4 x (5.794304e-5 + 2.897152e-5) = 3.4765824e-4; pp 4 x 2 x 4.694304e-5 = 3.7554432e-4;
  // bubble 1 x 1.206861616128e-3.
  EXPECT_LT(relative_error(e.breakdown.compute_s, 4.104243904512e-3), kTol);
  EXPECT_LT(relative_error(e.breakdown.tp_comm_s, 3.4765824e-4), kTol);
  EXPECT_LT(relative_error(e.breakdown.pp_comm_s, 3.7554432e-4), kTol);
  EXPECT_EQ(e.breakdown.cp_comm_s, 0.0);
  EXPECT_LT(relative_error(e.breakdown.bubble_s, 1.206861616128e-3), kTol);
  EXPECT_LT(relative_error(e.breakdown.dp_comm_s, 1.19450752e-3), kTol);
  EXPECT_LT(relative_error(e.dp_comm_total_s, 1.19450752e-3), kTol);
  EXPECT_LT(relative_error(e.breakdown.optimizer_s, 4.4044032e-5), kTol);
  EXPECT_LT(relative_error(e.iteration_s, 7.27285963264e-3), kTol);

  // Tokens: 8 x 2048 = 16,384 / 7.27285963264e-3 s = 2,252,759.0009396 tokens/s.
  // Model FLOPs: 3 x (4 x 2^25 + 2^26) x 16,384 = 9,895,604,649,984;
  // MFU = 9.895604649984e12 / (7.27285963264e-3 x 8 x 1e15) = 0.170077609596185.
  EXPECT_LT(relative_error(e.tokens_per_s, 2252759.0009396), kTol);
  EXPECT_EQ(e.flops.model_per_iteration, 9895604649984.0);
  EXPECT_LT(relative_error(e.mfu, 0.170077609596185), kTol);
  EXPECT_EQ(e.hfu, e.mfu);

  // Memory, ZeRO-1. Stage 0: 58,724,352 / 2 = 29,362,176 local params -> weights 58,724,352,
  //   grads 117,448,704, optimizer 12 x 29,362,176 / 2 = 176,173,056; activations per layer
  //   with fused attention (no score matrix, fp32 softmax statistics 4 a s b) (34 s b h +
  //   4 a s b) / t = (2,097,152 x 34 + 4 x 8 x 2048) / 2 = 35,684,352, x 2 layers x 2
  //   micro-batches in flight = 142,737,408; total 495,083,520.
  // Stage 1: 29,362,688 local -> 58,725,376 + 117,450,752 + 176,176,128, activations for one
  //   micro-batch 71,368,704, logits 4 x 2048 x 32768 / 2 = 134,217,728; total 557,938,688.
  // Stage 1 needs more, so it is reported.
  EXPECT_EQ(e.memory.stage, 1);
  EXPECT_EQ(e.memory.stages, 2);
  EXPECT_EQ(e.memory.activations_bytes, 71368704.0);
  EXPECT_EQ(e.memory.logits_bytes, 134217728.0);
  EXPECT_EQ(e.memory.total_bytes, 557938688.0);
  EXPECT_TRUE(e.memory.fits);
}

TEST(TrainingEstimate, ZeroStagesChangeDataParallelTraffic) {
  // Same tiny layout, not overlapped; one dp collective of 58,725,376 bytes over 2 GPUs takes
  //   reduce-scatter = all-gather = 5.9725376e-4 s, all-reduce = 2 x that = 1.19450752e-3 s.
  // ZeRO-0: one all-reduce = 1.19450752e-3 s.
  // ZeRO-1: one reduce-scatter + one all-gather = 1.19450752e-3 s.
  // ZeRO-2: a reduce-scatter after each of 4 micro-batches + one gather = 5 x 5.9725376e-4 =
  //   2.9862688e-3 s.
  // ZeRO-3: per micro-batch a reduce-scatter and two gathers: 4 x 3 x 5.9725376e-4 =
  //   7.16704512e-3 s.
  // Without overlap all of it is exposed: dp_comm_s = dp_comm_total_s.
  TrainingLayout layout = tiny_layout();
  const double expected[] = {1.19450752e-3, 1.19450752e-3, 2.9862688e-3, 7.16704512e-3};
  for (int stage = 0; stage <= 3; ++stage) {
    layout.zero_stage = stage;
    const TrainingEstimate e = estimate_training(tiny_gpt(), layout, hand_gpu(), tiny_paths(), 8);
    EXPECT_LT(relative_error(e.breakdown.dp_comm_s, expected[stage]), 1e-9) << "ZeRO-" << stage;
    EXPECT_LT(relative_error(e.dp_comm_total_s, expected[stage]), 1e-9) << "ZeRO-" << stage;
  }
  // The optimizer step without ZeRO updates all 29,362,688 local params: x 30 / 1e13 =
  //   8.8088064e-5 s.
  layout.zero_stage = 0;
  const TrainingEstimate e = estimate_training(tiny_gpt(), layout, hand_gpu(), tiny_paths(), 8);
  EXPECT_LT(relative_error(e.breakdown.optimizer_s, 8.8088064e-5), 1e-9);
}

TEST(TrainingEstimate, FP32GradientReductionDoublesTheReduceScatter) {
  // Megatron-LM's default for bf16: 4-byte gradients, 117,450,752 bytes over dp 2:
  //   reduce-scatter 1 x (10e-6 + 117,450,752 / (2 x 50e9)) = 1.18450752e-3 s; the 2-byte
  //   weight all-gather stays 5.9725376e-4 s.
  // ZeRO-1: 1.18450752e-3 + 5.9725376e-4 = 1.78176128e-3 s.
  // ZeRO-0: one all-reduce of 117,450,752 bytes = 2 x 1.18450752e-3 = 2.36901504e-3 s.
  TrainingLayout layout = tiny_layout();
  layout.grad_reduce_fp32 = true;
  const TrainingEstimate zero1 = estimate_training(tiny_gpt(), layout, hand_gpu(), tiny_paths(), 8);
  EXPECT_LT(relative_error(zero1.dp_comm_total_s, 1.78176128e-3), 1e-9);
  layout.zero_stage = 0;
  const TrainingEstimate zero0 = estimate_training(tiny_gpt(), layout, hand_gpu(), tiny_paths(), 8);
  EXPECT_LT(relative_error(zero0.dp_comm_total_s, 2.36901504e-3), 1e-9);
}

// ---------------------------------------------------------------------------------------------
// Overlapping data- and tensor-parallel communication with compute
// ---------------------------------------------------------------------------------------------

TEST(TrainingEstimate, DataParallelOverlapExposesOnlyWhatExceedsTheComputeWindow) {
  // Tiny layout with overlap_dp_comm. Each stage's gradient reductions hide behind the backward
  // step of one of its micro-batches, its parameter gathers behind the forward step of one (the
  // kernels and tensor-parallel traffic, not the pipeline send); exposed = max(0, collective -
  // window), and the stage exposing the most sets the time.
  // Stage 1 (last): windows 6.29011382272e-4 + 2.897152e-5 = 6.57982902272e-4 (backward) and
  //   3.97049593856e-4 + 5.794304e-5 = 4.54992633856e-4 (forward), see TinyIterationByHand;
  //   29,362,688 local params: RS = AG = 5.9725376e-4, AR = 1.19450752e-3.
  // Stage 0: no logits, windows 2 x 1.53578635264e-4 + 2.897152e-5 = 3.36128790528e-4 and
  //   2 x 6.6051899392e-5 + 5.794304e-5 = 1.90046838784e-4; 58,724,352 / 2 = 29,362,176 local
  //   params: RS = AG = 10e-6 + 58,724,352 / 1e11 = 5.9724352e-4, AR = 1.19448704e-3.
  // ZeRO-0: stage 0 1.19448704e-3 - 3.36128790528e-4 = 8.58358249472e-4 (stage 1 5.37e-4).
  // ZeRO-1: stage 0 (5.9724352e-4 - 3.36128790528e-4) + (5.9724352e-4 - 1.90046838784e-4)
  //   = 2.61114729472e-4 + 4.07196681216e-4 = 6.68311410688e-4 (stage 1 1.42e-4).
  // ZeRO-2: stage 0 4 x 2.61114729472e-4 + 4.07196681216e-4 = 1.451655599104e-3.
  // ZeRO-3: stage 0 4 x (4.07196681216e-4 + (1.19448704e-3 - 3.36128790528e-4))
  //   = 4 x 1.265554930688e-3 = 5.062219722752e-3.
  // dp_comm_total_s still counts every collective of the largest stage
  // (ZeroStagesChangeDataParallelTraffic).
  TrainingLayout layout = tiny_layout();
  layout.overlap_dp_comm = true;
  const double exposed[] = {8.58358249472e-4, 6.68311410688e-4, 1.451655599104e-3,
                            5.062219722752e-3};
  const double total[] = {1.19450752e-3, 1.19450752e-3, 2.9862688e-3, 7.16704512e-3};
  for (int stage = 0; stage <= 3; ++stage) {
    layout.zero_stage = stage;
    const TrainingEstimate e = estimate_training(tiny_gpt(), layout, hand_gpu(), tiny_paths(), 8);
    EXPECT_LT(relative_error(e.breakdown.dp_comm_s, exposed[stage]), 1e-9) << "ZeRO-" << stage;
    EXPECT_LT(relative_error(e.dp_comm_total_s, total[stage]), 1e-9) << "ZeRO-" << stage;
  }
  // ZeRO-1 iteration: 6.03430808064e-3 (1F1B) + 6.68311410688e-4 + 4.4044032e-5 (optimizer) =
  //   6.746663523328e-3 s.
  layout.zero_stage = 1;
  TrainingEstimate e = estimate_training(tiny_gpt(), layout, hand_gpu(), tiny_paths(), 8);
  EXPECT_LT(relative_error(e.iteration_s, 6.746663523328e-3), 1e-9);

  // A fast dp link (400e9 B/s, 2 us): RS = AG = 2e-6 + 58,725,376 / 800e9 = 7.540672e-5 s,
  //   AR = 1.5081344e-4 s, AG + RS = 1.5081344e-4 s: every collective fits its window, at every
  //   ZeRO stage nothing is exposed.
  CommPaths fast = tiny_paths();
  fast.dp = {400e9, 2e-6};
  for (int stage = 0; stage <= 3; ++stage) {
    layout.zero_stage = stage;
    e = estimate_training(tiny_gpt(), layout, hand_gpu(), fast, 8);
    EXPECT_EQ(e.breakdown.dp_comm_s, 0.0) << "ZeRO-" << stage;
    EXPECT_GT(e.dp_comm_total_s, 0.0) << "ZeRO-" << stage;
  }
}

TEST(TrainingEstimate, StaticallyRoutedRingsSharingALinkStartOneBackwardSlotApart) {
  // Tiny layout, ZeRO-1, no overlap, with the two stages' rings on one shared link
  // (dp_contention: sharing 2, stage span 1). Alone each stage reduces in RS + AG: stage 1
  // 2 x 5.9725376e-4 = 1.19450752e-3 s, stage 0 2 x 5.9724352e-4 = 1.19448704e-3 s
  // (DataParallelOverlapExposesOnlyWhatExceedsTheComputeWindow). Stage 0 ends its last backward
  // one stage-0 backward slot after stage 1 (compute 3.07157270528e-4 + tensor-parallel
  // 2.897152e-5 + pipeline 4.694304e-5 = 3.83071830528e-4 s), so the shared link carries
  // 2 x 1.19448704e-3 of work from stage 1's start: stage 0's reduction ends
  // 2.38897408e-3 - 3.83071830528e-4 = 2.005902249472e-3 s after its backward (stage 1:
  // 2.38901504e-3 - 7.04925942272e-4 = 1.684089097728e-3). All at once (span 0) it would be
  // 2.38901504e-3.
  TrainingLayout layout = tiny_layout();
  CommPaths shared = tiny_paths();
  shared.dp_contention = {2.0, 1};
  TrainingEstimate e = estimate_training(tiny_gpt(), layout, hand_gpu(), shared, 8);
  EXPECT_LT(relative_error(e.breakdown.dp_comm_s, 2.005902249472e-3), 1e-9);
  shared.dp_contention = {2.0, 0};
  e = estimate_training(tiny_gpt(), layout, hand_gpu(), shared, 8);
  EXPECT_LT(relative_error(e.breakdown.dp_comm_s, 2.38901504e-3), 1e-9);
  // Far enough apart the rings do not meet: each takes its time alone.
  shared.dp_contention = {2.0, 8};
  e = estimate_training(tiny_gpt(), layout, hand_gpu(), shared, 8);
  EXPECT_LT(relative_error(e.breakdown.dp_comm_s, 1.19450752e-3), 1e-9);
}

TEST(TrainingEstimate, TensorParallelOverlapRunsTheUserbufferSchedule) {
  // overlap_tp_comm on the tiny layout (tp 2, T = 2048 tokens, h 1024) over a 50e9 B/s, 2 us
  // tp link, by TensorParallelComm.hpp: S = 4,194,304 bytes; AG = RS = 2e-6 + 4,194,304 /
  // (2 x 50e9) = 4.394304e-5 s; a ring-exchange chunk pass x = 2e-6 + 2,097,152 / 50e9 =
  // 4.394304e-5 s; the RS of a quarter split r = 2e-6 + 1,048,576 / 1e11 = 1.248576e-5 s.
  // GEMM m x n x k = 2 m n k / 5e14, or / (5e14 x share) beside communication kernels holding
  // 132 - 132 x share SMs. Per layer, forward:
  //   QKV ring exchange, chunks 1024 x 1536 x 1024 = 6.442450944e-6 s: 6.442450944e-6 +
  //     4.394304e-5 - 1.2884901888e-5 (the whole GEMM) = 3.7500589056e-5
  //   out pipelined, splits 512 x 1024 x 512 on 108 SMs = 1.073741824e-6 x 132 / 108 =
  //     1.31234000711e-6 s < r: g' + 4 r - 4.294967296e-6 = 4.69604238222e-5
  //   up ring exchange, chunks 1024 x 2048 x 1024 = 8.589934592e-6: 8.589934592e-6 +
  //     4.394304e-5 - 1.7179869184e-5 = 3.5353105408e-5
  //   down pipelined, splits 512 x 1024 x 2048 on 116 SMs = 4.294967296e-6 x 132 / 116 =
  //     4.88737657822e-6 s < r: g' + 4 r - 1.7179869184e-5 = 3.76505473942e-5
  //   = 1.57464665680e-4 per layer, 2 layers 3.14929331361e-4 s.
  // Backward:
  //   out dgrad ring exchange, chunks 1024 x 512 x 1024 = 2.147483648e-6: 2.147483648e-6 +
  //     4.394304e-5 - 4.294967296e-6 = 4.1795556352e-5
  //   QKV dgrad (2048 x 1024 x 1536) and wgrad (1024 x 1536 x 2048), 1.2884901888e-5 s each,
  //     1.33e-5 and 1.57e-5 on 128 and 108 SMs, beside the AG and the RS: 2 x (4.394304e-5 -
  //     1.2884901888e-5) = 6.2116276224e-5
  //   down dgrad ring exchange, chunks 1024 x 2048 x 1024: 3.5353105408e-5
  //   up dgrad and wgrad, 1.7179869184e-5 s each (< 1.8e-5 on 130 and 128 SMs), beside the AG
  //     and the RS: 2 x (4.394304e-5 - 1.7179869184e-5) = 5.3526341632e-5
  //   = 1.92791279616e-4 per layer, 2 layers 3.85582559232e-4 s.
  // Breakdown 4 micro-batches x (3.14929331361e-4 + 3.85582559232e-4) = 2.80204756237e-3 s;
  //   forward slot 3.97049593856e-4 + 3.14929331361e-4 + 4.694304e-5 = 7.58921965217e-4 s.
  TrainingLayout layout = tiny_layout();
  layout.overlap_tp_comm = true;
  CommPaths slow = tiny_paths();
  slow.tp = {50e9, 2e-6};
  TrainingEstimate e = estimate_training(tiny_gpt(), layout, hand_gpu(), slow, 8);
  constexpr double kTol = 1e-11;
  EXPECT_LT(relative_error(e.micro_batch.tp_forward_s, 3.14929331360858e-4), kTol);
  EXPECT_LT(relative_error(e.micro_batch.tp_backward_s, 3.85582559232e-4), kTol);
  EXPECT_LT(relative_error(e.breakdown.tp_comm_s, 2.80204756237143e-3), kTol);
  EXPECT_LT(relative_error(e.micro_batch.forward_s, 7.58921965216858e-4), kTol);

  // Without overlap: forward 2 AG + 2 RS per layer = 1.7577216e-4, 2 layers 3.5154432e-4 s;
  //   backward the two output-gradient AGs (8.788608e-5) plus the input AGs and dgrad RSs
  //   beyond the QKV and up GEMMs above (6.2116276224e-5 + 5.3526341632e-5) = 2.03528697856e-4
  //   per layer, 2 layers 4.07057395712e-4 s.
  layout.overlap_tp_comm = false;
  e = estimate_training(tiny_gpt(), layout, hand_gpu(), slow, 8);
  EXPECT_LT(relative_error(e.micro_batch.tp_forward_s, 3.5154432e-4), kTol);
  EXPECT_LT(relative_error(e.micro_batch.tp_backward_s, 4.07057395712e-4), kTol);

  // Megatron refuses --tp-comm-overlap without sequence parallelism.
  layout.overlap_tp_comm = true;
  layout.sequence_parallel = false;
  EXPECT_THROW(estimate_training(tiny_gpt(), layout, hand_gpu(), slow, 8), ConfigurationError);
}

// ---------------------------------------------------------------------------------------------
// Recompute and context parallelism
// ---------------------------------------------------------------------------------------------

TEST(TrainingEstimate, FullRecomputeReplaysOneForwardOfTheLayersKernels) {
  // Tiny layout, Recompute::Full. Before each layer's backward its forward kernels run again
  // (GEMMs, attention and memory-bound: 6.6051899392e-5 s per layer); the logits are not
  // recomputed:
  //   backward compute 6.29011382272e-4 + 2 x 6.6051899392e-5 = 7.61115181056e-4 s;
  //   forward compute unchanged 3.97049593856e-4 s.
  // The replayed forward repeats its TP transfers: backward TP 2.897152e-5 + 5.794304e-5 =
  //   8.691456e-5 s.
  // Slot 5.01935673856e-4 + (7.61115181056e-4 + 8.691456e-5 + 4.694304e-5) = 1.396908454912e-3;
  //   iteration 5 x 1.396908454912e-3 + 1.19450752e-3 + 4.4044032e-5 = 8.22309382656e-3 s.
  TrainingLayout layout = tiny_layout();
  layout.recompute = Recompute::Full;
  const TrainingEstimate e = estimate_training(tiny_gpt(), layout, hand_gpu(), tiny_paths(), 8);
  EXPECT_LT(relative_error(e.micro_batch.compute_forward_s, 3.97049593856e-4), 1e-9);
  EXPECT_LT(relative_error(e.micro_batch.compute_backward_s, 7.61115181056e-4), 1e-9);
  EXPECT_LT(relative_error(e.micro_batch.tp_forward_s, 5.794304e-5), 1e-9);
  EXPECT_LT(relative_error(e.micro_batch.tp_backward_s, 8.691456e-5), 1e-9);
  EXPECT_LT(relative_error(e.iteration_s, 8.22309382656e-3), 1e-9);
}

TEST(TrainingEstimate, SelectiveRecomputeReplaysTheFusedAttentionForward) {
  // Megatron-Core checkpoints the core attention: its fused kernel's forward runs again before
  // the backward. One layer's: 2 b (a / tp) s^2 d = 2 x 1 x 4 x 2048^2 x 128 = 4,294,967,296
  // FLOPs / (1e15 x 0.4) = 1.073741824e-5 s, x 2 layers on the bottleneck stage:
  //   backward compute 6.29011382272e-4 + 2.147483648e-5 = 6.50486218752e-4 s (forward as in
  //   TinyIterationByHand, 3.97049593856e-4 s);
  //   slot 5.01935673856e-4 + (6.50486218752e-4 + 2.897152e-5 + 4.694304e-5) =
  //   1.228336452608e-3; iteration 5 x that + 1.19450752e-3 + 4.4044032e-5 = 7.38023381504e-3 s.
  // MFU 9,895,604,649,984 / (7.38023381504e-3 x 8e15) = 0.16760316979758; hardware FLOPs count
  // the scores again: l x 4 s h per token = 4 x 4 x 2048 x 1024 = 33,554,432 x 16,384 tokens =
  // 549,755,813,888, in all 10,445,360,463,872 -> HFU 0.17691445700856.
  TrainingLayout layout = tiny_layout();
  layout.recompute = Recompute::Selective;
  const TrainingEstimate e = estimate_training(tiny_gpt(), layout, hand_gpu(), tiny_paths(), 8);
  EXPECT_LT(relative_error(e.micro_batch.compute_forward_s, 3.97049593856e-4), 1e-9);
  EXPECT_LT(relative_error(e.micro_batch.compute_backward_s, 6.50486218752e-4), 1e-9);
  EXPECT_LT(relative_error(e.micro_batch.tp_backward_s, 2.897152e-5), 1e-9);
  EXPECT_LT(relative_error(e.iteration_s, 7.38023381504e-3), 1e-9);
  EXPECT_LT(relative_error(e.mfu, 0.16760316979758125), 1e-9);
  EXPECT_LT(relative_error(e.hfu, 0.17691445700855798), 1e-9);
}

TEST(TrainingEstimate, SelectiveRecomputeReplaysMaterializedScores) {
  // With the scores materialized, selective recompute runs each layer's attention core forward
  // again before its backward (Korthikanti et al. 2022); the rest is as without recompute.
  // Tiny layout, 2 layers on the bottleneck stage, one attention core forward
  // 2.3890755584e-5 s (MaterializedAttentionWritesTheScoresAndRunsTwoBatchedGemms):
  //   backward compute(selective) - backward compute(none) = 2 x 2.3890755584e-5.
  TrainingLayout layout = tiny_layout();
  layout.attention = AttentionKernel::Materialized;
  const TrainingEstimate none = estimate_training(tiny_gpt(), layout, hand_gpu(), tiny_paths(), 8);
  layout.recompute = Recompute::Selective;
  const TrainingEstimate selective =
      estimate_training(tiny_gpt(), layout, hand_gpu(), tiny_paths(), 8);
  EXPECT_LT(
      relative_error(selective.micro_batch.compute_backward_s - none.micro_batch.compute_backward_s,
                     2 * 2.3890755584e-5),
      1e-9);
  EXPECT_DOUBLE_EQ(selective.micro_batch.compute_forward_s, none.micro_batch.compute_forward_s);
}

TEST(TrainingEstimate, UnfusedGradientAccumulationAddsEachMicroBatchIntoTheMainGradients) {
  // Without gradient accumulation fusion each micro-batch's backward ends with main_grad +=
  // grad over every local parameter, 10 bytes each. Bottleneck stage 1 (the last: 2 layers and
  // the untied output layer) holds 58,725,376 / tp 2 = 29,362,688 local parameters:
  //   29,362,688 x 10 / 1e13 = 2.9362688e-5 s more backward per micro-batch.
  TrainingLayout layout = tiny_layout();
  const TrainingEstimate fused = estimate_training(tiny_gpt(), layout, hand_gpu(), tiny_paths(), 8);
  layout.grad_accumulation_fusion = false;
  const TrainingEstimate unfused =
      estimate_training(tiny_gpt(), layout, hand_gpu(), tiny_paths(), 8);
  EXPECT_LT(
      relative_error(unfused.micro_batch.compute_backward_s - fused.micro_batch.compute_backward_s,
                     2.9362688e-5),
      1e-9);
  // 4 micro-batches + 1 bubble slot: the iteration grows by 5 x 2.9362688e-5 s.
  EXPECT_LT(relative_error(unfused.iteration_s - fused.iteration_s, 5 * 2.9362688e-5), 1e-6);
}

TEST(TrainingEstimate, ContextParallelAndRecomputeCommunication) {
  // tiny_gpt on tp 2 x cp 2 = 4 GPUs, one micro-batch of one 2048-token sequence.
  // Local tokens s / cp = 1024.
  // TP: S = 1024 x 1024 x 2 = 2,097,152 bytes; AG = RS = 2e-6 + 2,097,152 / 800e9 = 4.62144e-6;
  //   per layer 4 x that = 1.848576e-5; 4 layers: 7.394304e-5 s forward. Backward the two
  //   output-gradient AGs, 9.24288e-6 per layer, 3.697152e-5 s; the input AGs and dgrad RSs
  //   hide behind GEMMs of at least 2 x 1024 x 1024 x 1536 / 5e14 = 6.442450944e-6 s.
  // CP: K and V chunk = 1024 tokens x 2 x 1024 / tp 2 x 2 bytes = 2,097,152 bytes;
  //   one ring step 1e-6 + 2,097,152 / 100e9 = 2.197152e-5 s; cp - 1 = 1 step per layer;
  //   4 layers: 8.788608e-5 s forward.
  // Full recompute: TP backward 3.697152e-5 + 7.394304e-5 = 1.1091456e-4 s (the replayed
  //   forward's gathers too); CP backward 3 x 8.788608e-5 = 2.6365824e-4 s.
  TrainingLayout layout = batch_of(1, 2048, Recompute::Full);
  layout.tp = 2;
  layout.cp = 2;
  TrainingEstimate e = estimate_training(tiny_gpt(), layout, hand_gpu(), tiny_paths(), 4);
  EXPECT_LT(relative_error(e.micro_batch.tp_forward_s, 7.394304e-5), 1e-9);
  EXPECT_LT(relative_error(e.micro_batch.tp_backward_s, 1.1091456e-4), 1e-9);
  EXPECT_LT(relative_error(e.micro_batch.cp_forward_s, 8.788608e-5), 1e-9);
  EXPECT_LT(relative_error(e.micro_batch.cp_backward_s, 2.6365824e-4), 1e-9);
  EXPECT_LT(relative_error(e.breakdown.cp_comm_s, 8.788608e-5 + 2.6365824e-4), 1e-9);
  EXPECT_EQ(e.micro_batch.pp_forward_s, 0.0);
  EXPECT_EQ(e.breakdown.bubble_s, 0.0);
  EXPECT_EQ(e.breakdown.dp_comm_s, 0.0);

  // Selective: no replayed communication: TP backward 3.697152e-5, CP backward 2 x 8.788608e-5.
  layout.recompute = Recompute::Selective;
  e = estimate_training(tiny_gpt(), layout, hand_gpu(), tiny_paths(), 4);
  EXPECT_LT(relative_error(e.micro_batch.tp_backward_s, 3.697152e-5), 1e-9);
  EXPECT_LT(relative_error(e.micro_batch.cp_backward_s, 1.7577216e-4), 1e-9);
  EXPECT_GT(e.hfu, e.mfu);
}

TEST(TrainingEstimate, ContextParallelComputeCoversEachRanksShareOfTheAttention) {
  // tiny_gpt, tp 2 x cp 2, one 2048-token sequence, Recompute::Full; each rank holds 1024 tokens.
  // Per layer forward:
  //   GEMMs 24 h^2 x 1024 / 2 = 12,884,901,888 FLOPs / 5e14 = 2.5769803776e-5 s
  //   attention: half of the layer's causal 2 x 4 x 2048^2 x 128 = 2^32: 2^31 / 4e14 =
  //     5.36870912e-6 s (backward 2.5 x 2^31 / 2.5e14 = 2.147483648e-5 s)
  //   memory-bound 10 x 512 x 1024 x 2 + 2 x 1024 x 2048 x 2 = 18,874,368 bytes / 1e13 =
  //     1.8874368e-6 s (backward 3.7748736e-6 s)
  //   = 3.3025949696e-5 s; backward 5.1539607552e-5 + 2.147483648e-5 + 3.7748736e-6 =
  //     7.6789317632e-5 s.
  // Logits 1024 x 16384 x 1024: 2^35 / 5e14 = 6.8719476736e-5 s + cross-entropy 1024 x 16384 x 38
  //   bytes / 1e13 = 6.37534208e-5 s (backward x 14 bytes = 2.34881024e-5 s):
  //   forward 1.32472897536e-4 s, backward 1.60927055872e-4 s.
  // compute forward  4 x 3.3025949696e-5 + 1.32472897536e-4 = 2.6457669632e-4 s
  // compute backward 4 x (7.6789317632e-5 + 3.3025949696e-5) + 1.60927055872e-4 =
  //   6.00188125184e-4 s (Full replays the forward).
  TrainingLayout layout = batch_of(1, 2048, Recompute::Full);
  layout.tp = 2;
  layout.cp = 2;
  const TrainingEstimate e = estimate_training(tiny_gpt(), layout, hand_gpu(), tiny_paths(), 4);
  EXPECT_LT(relative_error(e.micro_batch.compute_forward_s, 2.6457669632e-4), 1e-9);
  EXPECT_LT(relative_error(e.micro_batch.compute_backward_s, 6.00188125184e-4), 1e-9);
}

// ---------------------------------------------------------------------------------------------
// Invariants over many layouts
// ---------------------------------------------------------------------------------------------

TEST(TrainingEstimate, BreakdownSumsToIterationAndMfuStaysBelowTheGemmEfficiency) {
  // Whatever the layout, the parts add up, and with the hand-checkable kernels MFU stays below
  // 0.5: the bottleneck's slot is at least every stage's compute, so at least the average
  // stage's, and no kernel turns counted model FLOPs into time faster than 0.5 of peak: GEMMs
  // (6 FLOPs per matrix weight per token) run at 0.5; attention is counted as 12 s h per token per
  // layer (4 s h forward, x 3) but runs 2 s h causal forward at 0.4 and 5 s h backward at 0.25,
  // 12 / (2 / 0.4 + 5 / 0.25) = 0.48 of peak; memory-bound kernels, communication, the bubble and
  // the optimizer only add time.
  CommPaths paths;
  paths.tp = {450e9, 3e-6};
  paths.pp = {50e9, 5e-6};
  paths.dp = {50e9, 10e-6};
  paths.cp = {50e9, 5e-6};
  for (int tp : {1, 8}) {
    for (int pp : {1, 4}) {
      for (bool overlap : {false, true}) {
        TrainingLayout layout;
        layout.tp = tp;
        layout.pp = pp;
        layout.dp = 512 / (tp * pp);
        layout.global_batch = 1024;
        layout.seq_len = 8192;
        layout.zero_stage = 1;
        layout.recompute = Recompute::Selective;
        layout.overlap_dp_comm = overlap;
        layout.overlap_tp_comm = overlap;
        const TrainingEstimate e =
            estimate_training(llama_3_1_70b(), layout, hand_gpu(), paths, 512);
        const IterationBreakdown& b = e.breakdown;
        const double sum = b.compute_s + b.tp_comm_s + b.cp_comm_s + b.pp_comm_s + b.dp_comm_s +
                           b.bubble_s + b.optimizer_s;
        EXPECT_LT(relative_error(sum, e.iteration_s), 1e-12);
        EXPECT_LE(b.dp_comm_s, e.dp_comm_total_s);
        EXPECT_GT(e.mfu, 0.0);
        EXPECT_LT(e.mfu, 0.5) << "tp " << tp << " pp " << pp << " overlap " << overlap;
      }
    }
  }
}

}  // namespace
}  // namespace capsim::test
