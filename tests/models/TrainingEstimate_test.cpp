// The closed-form training estimate against hand derivations, published parameter counts and
// Megatron's FLOP formulas. Every expected number is derived in the comment above it.
#include "capsim/models/TrainingEstimate.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <initializer_list>
#include <string>
#include <vector>

#include "capsim/models/Errors.hpp"

namespace capsim {
namespace {

double relative_error(double actual, double expected) {
  return std::abs(actual - expected) / std::abs(expected);
}

// Model architectures from /work/shared/reference/hardware-and-costs.md.
ModelShape llama_3_1_8b() { return {32, 4096, 32, 8, 14336, 128256, true, false}; }
ModelShape llama_3_1_70b() { return {80, 8192, 64, 8, 28672, 128256, true, false}; }
ModelShape llama_3_1_405b() { return {126, 16384, 128, 8, 53248, 128256, true, false}; }
// GPT-3 shares its input embedding with the output layer (Brown et al. 2020, as GPT-2).
ModelShape gpt3_175b() { return {96, 12288, 96, 96, 49152, 50257, false, true}; }

// A small standard GPT (heads = kv heads, plain MLP, ffn = 4h) with powers of two everywhere.
ModelShape tiny_gpt() { return {4, 1024, 8, 8, 4096, 32768, false, false}; }

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
// FLOPs
// ---------------------------------------------------------------------------------------------

TrainingLayout batch_of(int global_batch, int seq_len, Recompute recompute = Recompute::None) {
  TrainingLayout layout;
  layout.global_batch = global_batch;
  layout.micro_batch = 1;
  layout.seq_len = seq_len;
  layout.recompute = recompute;
  return layout;
}

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

// ---------------------------------------------------------------------------------------------
// Memory
// ---------------------------------------------------------------------------------------------

GpuPerformance h100() {
  // 989 TFLOP/s BF16 dense, 78% achieved (measured 774 TFLOP/s), 80 GB, 2.85 TB/s copy.
  return {989e12, 0.78, 80e9, 2.85e12};
}

TEST(TrainingEstimate, ActivationsOfAStandardLayerArePaperFormula) {
  // Korthikanti et al. 2022: s b h (34 + 5 a s / h) / t with tensor + sequence parallelism.
  // tiny_gpt, s = 2048, b = 2, t = 2, cp = 1: s b h = 4,194,304; 5 a s / h = 5 x 8 x 2 = 80;
  //   none 4,194,304 x 114 / 2 = 239,075,328; selective 4,194,304 x 34 / 2 = 71,303,168;
  //   full 2 s b h / t = 4,194,304.
  TrainingLayout layout = batch_of(4, 2048);
  layout.tp = 2;
  layout.micro_batch = 2;
  EXPECT_EQ(layer_activation_bytes(tiny_gpt(), layout), 239075328.0);
  layout.recompute = Recompute::Selective;
  EXPECT_EQ(layer_activation_bytes(tiny_gpt(), layout), 71303168.0);
  layout.recompute = Recompute::Full;
  EXPECT_EQ(layer_activation_bytes(tiny_gpt(), layout), 4194304.0);
  // Context parallelism 2 halves s: s b h = 2,097,152 and 5 a s / h = 40 -> 2,097,152 x 74 / 2.
  layout.recompute = Recompute::None;
  layout.cp = 2;
  EXPECT_EQ(layer_activation_bytes(tiny_gpt(), layout), 77594624.0);
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
  const MemoryBreakdown memory = estimate_memory(llama_3_1_8b(), llama_8b_on_8_gpus(1), h100(), 8);
  EXPECT_EQ(memory.weights_bytes, 16060522496.0);
  EXPECT_EQ(memory.gradients_bytes, 32121044992.0);
  EXPECT_EQ(memory.optimizer_bytes, 12045391872.0);
  EXPECT_EQ(memory.activations_bytes, 38654705664.0);
  EXPECT_EQ(memory.logits_bytes, 4202692608.0);
  EXPECT_EQ(memory.total_bytes, 103084357632.0);
  EXPECT_FALSE(memory.fits);
  EXPECT_EQ(describe(memory),
            "stage 1 of 1: weights 14.96 GiB + gradients 29.92 GiB + optimizer states 11.22 GiB"
            " + activations 36.00 GiB + logits buffer 3.91 GiB = 96.00 GiB of 74.51 GiB (does not"
            " fit)");

  // Without recompute the stored scores add 5 a s^2 b = 5 x 32 x 8192^2 = 10,737,418,240 per
  // layer: 32 x (1,207,959,552 + 10,737,418,240) = 382,252,089,344.
  TrainingLayout none = llama_8b_on_8_gpus(1);
  none.recompute = Recompute::None;
  EXPECT_EQ(estimate_memory(llama_3_1_8b(), none, h100(), 8).activations_bytes, 382252089344.0);
}

TEST(TrainingEstimate, Zero3ShardsAllModelStateOverDp) {
  // weights 2P/8 = 2,007,565,312; gradients 4P/8 = 4,015,130,624; optimizer 12P/8 =
  // 12,045,391,872; activations and logits unchanged; total 60,925,486,080 fits in 80 GB.
  const MemoryBreakdown memory = estimate_memory(llama_3_1_8b(), llama_8b_on_8_gpus(3), h100(), 8);
  EXPECT_EQ(memory.weights_bytes, 2007565312.0);
  EXPECT_EQ(memory.gradients_bytes, 4015130624.0);
  EXPECT_EQ(memory.optimizer_bytes, 12045391872.0);
  EXPECT_EQ(memory.total_bytes, 60925486080.0);
  EXPECT_TRUE(memory.fits);
  // ZeRO-2 shards gradients and optimizer states but not weights.
  const MemoryBreakdown zero2 = estimate_memory(llama_3_1_8b(), llama_8b_on_8_gpus(2), h100(), 8);
  EXPECT_EQ(zero2.weights_bytes, 16060522496.0);
  EXPECT_EQ(zero2.gradients_bytes, 4015130624.0);
}

// ---------------------------------------------------------------------------------------------
// A whole iteration by hand: tiny_gpt on tp 2 x pp 2 x dp 2 = 8 GPUs, 4 micro-batches.
// ---------------------------------------------------------------------------------------------

TrainingLayout tiny_layout() {
  TrainingLayout layout;
  layout.tp = 2;
  layout.pp = 2;
  layout.dp = 2;
  layout.cp = 1;
  layout.micro_batch = 1;
  layout.global_batch = 8;  // m = 8 / (2 x 1) = 4
  layout.seq_len = 2048;
  layout.zero_stage = 1;
  layout.recompute = Recompute::None;
  return layout;
}

GpuPerformance tiny_gpu() { return {1e15, 0.5, 80e9, 2e12}; }  // 5e14 FLOP/s achieved

CommPaths tiny_paths() {
  CommPaths paths;
  paths.tp = {400e9, 2e-6};
  paths.pp = {50e9, 5e-6};
  paths.dp = {50e9, 10e-6};
  paths.cp = {100e9, 1e-6};
  return paths;
}

TEST(TrainingEstimate, TinyIterationByHand) {
  // FLOPs per token: layer 2 x 12 h^2 + 4 s h = 25,165,824 + 8,388,608 = 33,554,432 (2^25);
  //   logits 2 h V = 67,108,864 (2^26). Micro-batch = 2048 tokens.
  // Last stage forward: (2 layers x 2^25 + 2^26) x 2048 = 2^38 FLOPs, over tp x cp = 2 GPUs at
  //   5e14 FLOP/s: 2^37 / 5e14 = 2.74877906944e-4 s; backward 2x = 5.49755813888e-4 s.
  // TP: S = 1 x 2048 x 1024 x 2 = 4,194,304 bytes; all-gather = reduce-scatter =
  //   1 x (2e-6 + 4,194,304 / (2 x 400e9)) = 7.24288e-6 s; per layer 2 AG + 2 RS = 2.897152e-5;
  //   2 layers: 5.794304e-5 s forward, the same backward.
  // PP: 4,194,304 / tp = 2,097,152 bytes; 5e-6 + 2,097,152 / 50e9 = 4.694304e-5 s each way.
  // t_fwd = 2.74877906944e-4 + 5.794304e-5 + 4.694304e-5 = 3.79763986944e-4 s
  // t_bwd = 5.49755813888e-4 + 5.794304e-5 + 4.694304e-5 = 6.54641893888e-4 s
  // 1F1B: (m + pp - 1) x (t_fwd + t_bwd) = 5 x 1.034405880832e-3 = 5.17202940416e-3 s
  // DP, ZeRO-1, largest stage (the last: 58,725,376 params) / tp = 29,362,688 local params:
  //   reduce-scatter of 2-byte grads = all-gather of 2-byte weights = 58,725,376 bytes:
  //   1 x (10e-6 + 58,725,376 / (2 x 50e9)) = 5.9725376e-4 s; both: 1.19450752e-3 s.
  // Optimizer: 29,362,688 / dp 2 = 14,681,344 params x 30 bytes / 2e12 = 2.2022016e-4 s.
  // Iteration: 5.17202940416e-3 + 1.19450752e-3 + 2.2022016e-4 = 6.58675708416e-3 s.
  const TrainingEstimate e =
      estimate_training(tiny_gpt(), tiny_layout(), tiny_gpu(), tiny_paths(), 8);
  constexpr double kTol = 1e-9;
  EXPECT_EQ(e.micro_batches, 4);
  EXPECT_EQ(e.stage_parameters, 29362688.0);
  EXPECT_LT(relative_error(e.micro_batch.compute_forward_s, 2.74877906944e-4), kTol);
  EXPECT_LT(relative_error(e.micro_batch.compute_backward_s, 5.49755813888e-4), kTol);
  EXPECT_LT(relative_error(e.micro_batch.tp_forward_s, 5.794304e-5), kTol);
  EXPECT_LT(relative_error(e.micro_batch.tp_backward_s, 5.794304e-5), kTol);
  EXPECT_LT(relative_error(e.micro_batch.pp_forward_s, 4.694304e-5), kTol);
  EXPECT_LT(relative_error(e.micro_batch.pp_backward_s, 4.694304e-5), kTol);
  EXPECT_EQ(e.micro_batch.cp_forward_s, 0.0);
  EXPECT_LT(relative_error(e.micro_batch.forward_s, 3.79763986944e-4), kTol);
  EXPECT_LT(relative_error(e.micro_batch.backward_s, 6.54641893888e-4), kTol);

  // Breakdown: compute 4 x 8.24633720832e-4 = 3.298534883328e-3; tp 4 x 2 x 5.794304e-5 =
  // 4.6354432e-4; pp 4 x 2 x 4.694304e-5 = 3.7554432e-4; bubble 1 x 1.034405880832e-3.
  EXPECT_LT(relative_error(e.breakdown.compute_s, 3.298534883328e-3), kTol);
  EXPECT_LT(relative_error(e.breakdown.tp_comm_s, 4.6354432e-4), kTol);
  EXPECT_LT(relative_error(e.breakdown.pp_comm_s, 3.7554432e-4), kTol);
  EXPECT_EQ(e.breakdown.cp_comm_s, 0.0);
  EXPECT_LT(relative_error(e.breakdown.bubble_s, 1.034405880832e-3), kTol);
  EXPECT_LT(relative_error(e.breakdown.dp_comm_s, 1.19450752e-3), kTol);
  EXPECT_LT(relative_error(e.dp_comm_total_s, 1.19450752e-3), kTol);
  EXPECT_LT(relative_error(e.breakdown.optimizer_s, 2.2022016e-4), kTol);
  EXPECT_LT(relative_error(e.iteration_s, 6.58675708416e-3), kTol);

  // Tokens: 8 x 2048 = 16,384 / 6.58675708416e-3 s = 2,487,415.24708732 tokens/s.
  // Model FLOPs: 3 x (4 x 2^25 + 2^26) x 16,384 = 9,895,604,649,984;
  // MFU = 9.895604649984e12 / (6.58675708416e-3 x 8 x 1e15) = 0.187793562969348.
  EXPECT_LT(relative_error(e.tokens_per_s, 2487415.24708732), kTol);
  EXPECT_EQ(e.flops.model_per_iteration, 9895604649984.0);
  EXPECT_LT(relative_error(e.mfu, 0.187793562969348), kTol);
  EXPECT_EQ(e.hfu, e.mfu);

  // Memory, ZeRO-1. Stage 0: 58,724,352 / 2 = 29,362,176 local params -> weights 58,724,352,
  //   grads 117,448,704, optimizer 12 x 29,362,176 / 2 = 176,173,056; activations per layer
  //   s b h (34 + 5 a s / h) / t = 2,097,152 x 114 / 2 = 119,537,664, x 2 layers x 2 micro-batches
  //   in flight = 478,150,656; total 830,496,768.
  // Stage 1: 29,362,688 local -> 58,725,376 + 117,450,752 + 176,176,128, activations for one
  //   micro-batch 239,075,328, logits 4 x 2048 x 32768 / 2 = 134,217,728; total 725,645,312.
  // Stage 0 needs more, so it is reported.
  EXPECT_EQ(e.memory.stage, 0);
  EXPECT_EQ(e.memory.stages, 2);
  EXPECT_EQ(e.memory.activations_bytes, 478150656.0);
  EXPECT_EQ(e.memory.logits_bytes, 0.0);
  EXPECT_EQ(e.memory.total_bytes, 830496768.0);
  EXPECT_TRUE(e.memory.fits);
}

TEST(TrainingEstimate, ZeroStagesChangeDataParallelTraffic) {
  // Same tiny layout; one dp collective of 58,725,376 bytes over 2 GPUs takes
  //   reduce-scatter = all-gather = 5.9725376e-4 s, all-reduce = 2 x that = 1.19450752e-3 s.
  // ZeRO-0: one all-reduce = 1.19450752e-3 s.
  // ZeRO-2: a reduce-scatter after each of 4 micro-batches + one gather = 5 x 5.9725376e-4 =
  //   2.9862688e-3 s.
  // ZeRO-3: per micro-batch a reduce-scatter and two gathers: 4 x 3 x 5.9725376e-4 =
  //   7.16704512e-3 s.
  // The optimizer step without ZeRO updates all 29,362,688 local params: x 30 / 2e12 =
  //   4.4044032e-4 s.
  TrainingLayout layout = tiny_layout();
  const double expected[] = {1.19450752e-3, 1.19450752e-3, 2.9862688e-3, 7.16704512e-3};
  for (int stage = 0; stage <= 3; ++stage) {
    layout.zero_stage = stage;
    const TrainingEstimate e = estimate_training(tiny_gpt(), layout, tiny_gpu(), tiny_paths(), 8);
    EXPECT_LT(relative_error(e.breakdown.dp_comm_s, expected[stage]), 1e-9) << "ZeRO-" << stage;
  }
  layout.zero_stage = 0;
  const TrainingEstimate e = estimate_training(tiny_gpt(), layout, tiny_gpu(), tiny_paths(), 8);
  EXPECT_LT(relative_error(e.breakdown.optimizer_s, 4.4044032e-4), 1e-9);
}

TEST(TrainingEstimate, ContextParallelAndRecomputeCommunication) {
  // tiny_gpt on tp 2 x cp 2 = 4 GPUs, one micro-batch of one 2048-token sequence.
  // Local tokens s / cp = 1024. Forward FLOPs (4 layers x 2^25 + 2^26) x 2048 = 412,316,860,416
  //   over tp x cp = 4 GPUs at 5e14: 2.06158430208e-4 s.
  // TP: S = 1024 x 1024 x 2 = 2,097,152 bytes; AG = RS = 2e-6 + 2,097,152 / 800e9 = 4.62144e-6;
  //   per layer 4 x that = 1.848576e-5; 4 layers: 7.394304e-5 s.
  // CP: K and V chunk = 1024 tokens x 2 x 1024 / tp 2 x 2 bytes = 2,097,152 bytes;
  //   one ring step 1e-6 + 2,097,152 / 100e9 = 2.197152e-5 s; cp - 1 = 1 step per layer;
  //   4 layers: 8.788608e-5 s forward.
  TrainingLayout layout = batch_of(1, 2048, Recompute::Full);
  layout.tp = 2;
  layout.cp = 2;
  // Full recompute: backward compute (2 x 412,316,860,416 + 4 x 2^25 x 2048) = 2^40 FLOPs / 4 /
  //   5e14 = 5.49755813888e-4 s; TP backward 2 x 7.394304e-5 = 1.4788608e-4 s (the replayed
  //   forward's gathers too); CP backward 3 x 8.788608e-5 = 2.6365824e-4 s.
  TrainingEstimate e = estimate_training(tiny_gpt(), layout, tiny_gpu(), tiny_paths(), 4);
  EXPECT_LT(relative_error(e.micro_batch.compute_forward_s, 2.06158430208e-4), 1e-9);
  EXPECT_LT(relative_error(e.micro_batch.compute_backward_s, 5.49755813888e-4), 1e-9);
  EXPECT_LT(relative_error(e.micro_batch.tp_forward_s, 7.394304e-5), 1e-9);
  EXPECT_LT(relative_error(e.micro_batch.tp_backward_s, 1.4788608e-4), 1e-9);
  EXPECT_LT(relative_error(e.micro_batch.cp_forward_s, 8.788608e-5), 1e-9);
  EXPECT_LT(relative_error(e.micro_batch.cp_backward_s, 2.6365824e-4), 1e-9);
  EXPECT_LT(relative_error(e.breakdown.cp_comm_s, 8.788608e-5 + 2.6365824e-4), 1e-9);
  EXPECT_EQ(e.micro_batch.pp_forward_s, 0.0);
  EXPECT_EQ(e.breakdown.bubble_s, 0.0);
  EXPECT_EQ(e.breakdown.dp_comm_s, 0.0);

  // Selective: backward compute 2 x 412,316,860,416 + 4 layers x 4 s h x 2048 tokens
  //   (4 x 8,388,608 x 2048 = 68,719,476,736) = 893,353,197,568 / 4 / 5e14 = 4.46676598784e-4 s;
  //   no replayed communication: TP backward 7.394304e-5, CP backward 2 x 8.788608e-5.
  layout.recompute = Recompute::Selective;
  e = estimate_training(tiny_gpt(), layout, tiny_gpu(), tiny_paths(), 4);
  EXPECT_LT(relative_error(e.micro_batch.compute_backward_s, 4.46676598784e-4), 1e-9);
  EXPECT_LT(relative_error(e.micro_batch.tp_backward_s, 7.394304e-5), 1e-9);
  EXPECT_LT(relative_error(e.micro_batch.cp_backward_s, 1.7577216e-4), 1e-9);
  EXPECT_GT(e.hfu, e.mfu);
}

TEST(TrainingEstimate, BreakdownSumsToIterationAndMfuStaysBelowEfficiency) {
  // Whatever the layout, the parts add up and MFU cannot beat the matmul efficiency, since the
  // bottleneck stage computes at least the average share of the model FLOPs.
  CommPaths paths;
  paths.tp = {450e9, 3e-6};
  paths.pp = {50e9, 5e-6};
  paths.dp = {50e9, 10e-6};
  paths.cp = {50e9, 5e-6};
  for (int tp : {1, 8}) {
    for (int pp : {1, 4}) {
      TrainingLayout layout;
      layout.tp = tp;
      layout.pp = pp;
      layout.dp = 512 / (tp * pp);
      layout.global_batch = 1024;
      layout.seq_len = 8192;
      layout.zero_stage = 1;
      layout.recompute = Recompute::Selective;
      const TrainingEstimate e = estimate_training(llama_3_1_70b(), layout, h100(), paths, 512);
      const IterationBreakdown& b = e.breakdown;
      const double sum = b.compute_s + b.tp_comm_s + b.cp_comm_s + b.pp_comm_s + b.dp_comm_s +
                         b.bubble_s + b.optimizer_s;
      EXPECT_LT(relative_error(sum, e.iteration_s), 1e-12);
      EXPECT_GT(e.mfu, 0.0);
      EXPECT_LT(e.mfu, 0.78);
    }
  }
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

// tiny_gpt with 6 layers and a vocabulary of 8192, so the logits (2 h V = 2^24 FLOPs per token)
// are half a layer's forward (2^25): a last stage of 1 layer + logits is lighter than an inner
// stage of 2 layers. Split over pp 4: c = 2, r = 2 -> 1, 2, 2, 1.
ModelShape six_layer_gpt() { return {6, 1024, 8, 8, 4096, 8192, false, false}; }

// tp 2 x pp 4 x dp 2 = 16 GPUs, m = 8 / (2 x 1) = 4 micro-batches of one 2048-token sequence.
TrainingLayout six_layer_layout() {
  TrainingLayout layout = tiny_layout();
  layout.pp = 4;
  return layout;
}

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

TEST(TrainingEstimate, UnevenIterationRunsAtThePaceOfAnInnerStage) {
  // Per micro-batch (2048 tokens), tp x cp = 2 GPUs at 5e14 = 1e15 FLOP/s together.
  // TP per layer 2 AG + 2 RS = 2.897152e-5 s and PP 4.694304e-5 s each way (TinyIterationByHand).
  // Stage 1 (2 layers): forward 2 x 2^25 x 2048 = 2^37 FLOPs -> 1.37438953472e-4 s, backward
  //   2.74877906944e-4 s; TP 2 x 2.897152e-5 = 5.794304e-5 each way;
  //   t_fwd = 1.37438953472e-4 + 5.794304e-5 + 4.694304e-5 = 2.42325033472e-4
  //   t_bwd = 2.74877906944e-4 + 5.794304e-5 + 4.694304e-5 = 3.79763986944e-4;
  //   slot 6.22089020416e-4
  // Stage 3 (1 layer + logits): forward (2^25 + 2^24) x 2048 = 3 x 2^35 FLOPs -> 1.03079215104e-4,
  //   backward 2.06158430208e-4; TP 2.897152e-5 each way;
  //   t_fwd = 1.78993775104e-4, t_bwd = 2.82072990208e-4; slot 4.61066765312e-4 < stage 1's.
  // Stage 0 (1 layer, no logits) is lighter still and stage 2 ties stage 1, so the bottleneck is
  //   stage 1 (the first of the two). The old "last stage, layers / pp" rule would give stage 3.
  // 1F1B: (m + pp - 1) x slot = 7 x 6.22089020416e-4 = 4.354623142912e-3 s, of which
  //   compute 4 x 4.12316860416e-4 = 1.649267441664e-3, bubble 3 x 6.22089020416e-4 =
  //   1.866267061248e-3, TP 4 x 2 x 5.794304e-5 = 4.6354432e-4, PP 4 x 2 x 4.694304e-5 =
  //   3.7554432e-4.
  // DP, ZeRO-1, largest stage (1 or 2: 25,169,920) / tp = 12,584,960 local params, 25,169,920
  //   bytes per collective: 1 x (10e-6 + 25,169,920 / (2 x 50e9)) = 2.616992e-4; RS + AG =
  //   5.233984e-4 s. Optimizer 12,584,960 / 2 x 30 / 2e12 = 9.43872e-5 s.
  // Iteration 4.354623142912e-3 + 5.233984e-4 + 9.43872e-5 = 4.972408742912e-3 s.
  const TrainingEstimate e =
      estimate_training(six_layer_gpt(), six_layer_layout(), tiny_gpu(), tiny_paths(), 16);
  constexpr double kTol = 1e-9;
  EXPECT_EQ(e.micro_batches, 4);
  EXPECT_EQ(e.micro_batch.stage, 1);
  EXPECT_EQ(e.micro_batch.layers, 2);
  EXPECT_EQ(e.stage_parameters, 12584960.0);
  EXPECT_LT(relative_error(e.micro_batch.compute_forward_s, 1.37438953472e-4), kTol);
  EXPECT_LT(relative_error(e.micro_batch.compute_backward_s, 2.74877906944e-4), kTol);
  EXPECT_LT(relative_error(e.micro_batch.tp_forward_s, 5.794304e-5), kTol);
  EXPECT_LT(relative_error(e.micro_batch.forward_s, 2.42325033472e-4), kTol);
  EXPECT_LT(relative_error(e.micro_batch.backward_s, 3.79763986944e-4), kTol);
  EXPECT_LT(relative_error(e.breakdown.compute_s, 1.649267441664e-3), kTol);
  EXPECT_LT(relative_error(e.breakdown.bubble_s, 1.866267061248e-3), kTol);
  EXPECT_LT(relative_error(e.breakdown.tp_comm_s, 4.6354432e-4), kTol);
  EXPECT_LT(relative_error(e.breakdown.pp_comm_s, 3.7554432e-4), kTol);
  EXPECT_LT(relative_error(e.breakdown.dp_comm_s, 5.233984e-4), kTol);
  EXPECT_LT(relative_error(e.breakdown.optimizer_s, 9.43872e-5), kTol);
  EXPECT_LT(relative_error(e.iteration_s, 4.972408742912e-3), kTol);
  // Model FLOPs still count all 6 layers once: 3 x (6 x 2^25 + 2^24) x 16,384 tokens =
  //   10,720,238,370,816; MFU = that / (4.972408742912e-3 x 16 x 1e15) = 0.134746544947875.
  EXPECT_EQ(e.flops.model_per_iteration, 10720238370816.0);
  EXPECT_LT(relative_error(e.mfu, 0.134746544947875), kTol);
}

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
  const MemoryBreakdown memory =
      estimate_memory(six_layer_gpt(), six_layer_layout(), tiny_gpu(), 16);
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

TEST(TrainingEstimate, Llama405bOnMetasPp16LayoutEstimates) {
  // TP8 x PP16 x DP128 = 16,384 H100, seq 8192, global batch 2048, micro-batch 1 -> m = 16,
  // selective recompute. Split 7, 8 x 14, 7 (above). Layer params 3,187,703,808 (parameter count
  // test); embedding = output layer = 128256 x 16384 = 2,101,346,304.
  //   stage 0: 7 layers + embedding = 24,415,272,960
  //   inner:   8 layers = 25,501,630,464           <- largest
  //   last:    7 layers + output + final norm = 24,415,289,344
  // stage_parameters = 25,501,630,464 / tp 8 = 3,187,703,808: an inner stage holds 8 layers / 8
  //   GPUs, exactly one layer's parameters per GPU.
  TrainingLayout layout;
  layout.tp = 8;
  layout.pp = 16;
  layout.dp = 128;
  layout.micro_batch = 1;
  layout.global_batch = 2048;
  layout.seq_len = 8192;
  layout.zero_stage = 1;
  layout.recompute = Recompute::Selective;
  CommPaths paths;
  paths.tp = {450e9, 1e-6};
  paths.pp = {50e9, 5e-6};
  paths.dp = {50e9, 5e-6};
  paths.cp = {50e9, 5e-6};
  TrainingEstimate e;
  ASSERT_NO_THROW(e = estimate_training(llama_3_1_405b(), layout, h100(), paths, 16384));
  EXPECT_EQ(e.micro_batches, 16);
  EXPECT_EQ(stage_parameter_count(llama_3_1_405b(), 16, 0), 24415272960.0);
  EXPECT_EQ(stage_parameter_count(llama_3_1_405b(), 16, 1), 25501630464.0);
  EXPECT_EQ(stage_parameter_count(llama_3_1_405b(), 16, 15), 24415289344.0);
  EXPECT_EQ(e.stage_parameters, 3187703808.0);

  // Bottleneck: forward FLOPs per token, layer 2 x 3,187,671,040 + 4 x 8192 x 16384 =
  //   6,912,212,992; logits 2 x 16384 x 128256 = 4,202,692,608 (0.61 of a layer). Inner stage
  //   8 x 6,912,212,992 = 55,297,703,936 > last 7 layers + logits = 52,588,183,552, and the
  //   inner stage also has one more layer of TP traffic: stage 1 (first of 1..14) is slowest.
  // Its forward compute: 55,297,703,936 x 8192 tokens = 452,998,790,643,712 FLOPs over 8 GPUs
  //   at 989e12 x 0.78: 452,998,790,643,712 / 6.17136e15 = 7.340339741057e-2 s.
  EXPECT_EQ(e.micro_batch.stage, 1);
  EXPECT_EQ(e.micro_batch.layers, 8);
  EXPECT_LT(relative_error(e.micro_batch.compute_forward_s, 7.340339741057e-2), 1e-9);

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
  ASSERT_NO_THROW(e = estimate_training(llama_3_1_405b(), layout, h100(), paths, 16384));
  EXPECT_EQ(e.memory.stage, 1);
  EXPECT_EQ(e.memory.gradients_bytes, 99615744.0);
  EXPECT_EQ(e.memory.total_bytes, 74721595392.0);
  EXPECT_TRUE(e.memory.fits);
}

// ---------------------------------------------------------------------------------------------
// Validation
// ---------------------------------------------------------------------------------------------

std::string error_of(const ModelShape& model, const TrainingLayout& layout, int total_gpus,
                     const CommPaths& paths = tiny_paths(),
                     const GpuPerformance& gpu = tiny_gpu()) {
  try {
    estimate_training(model, layout, gpu, paths, total_gpus);
  } catch (const ConfigurationError& error) {
    return error.what();
  }
  return "no error";
}

TEST(TrainingEstimate, RejectsAProductThatIsNotTheGpuCount) {
  TrainingLayout layout = tiny_layout();
  layout.tp = 8;
  layout.pp = 4;
  layout.dp = 4;
  EXPECT_EQ(error_of(llama_3_1_70b(), layout, 64),
            "parallelism: tp 8 x pp 4 x dp 4 x cp 1 = 128 GPUs but the cluster has 64; expected "
            "the product to equal the GPU count");
}

TEST(TrainingEstimate, RejectsABatchThatDoesNotSplit) {
  TrainingLayout layout = tiny_layout();
  layout.micro_batch = 3;  // dp 2 x 3 = 6 does not divide 8
  EXPECT_EQ(error_of(tiny_gpt(), layout, 8),
            "batch: global_batch 8 sequences is not divisible by dp 2 x micro_batch 3 = 6; "
            "expected a multiple of 6");
}

TEST(TrainingEstimate, RejectsMorePipelineStagesThanLayers) {
  // Uneven splits are estimated now (see "Uneven pipeline stages" above); only pp > layers, which
  // would leave a stage without a layer, is refused: tiny_gpt has 4 layers, pp 8.
  TrainingLayout layout = tiny_layout();
  layout.tp = 1;
  layout.pp = 8;
  layout.dp = 1;
  layout.global_batch = 4;
  EXPECT_EQ(error_of(tiny_gpt(), layout, 8),
            "parallelism: pp 8 is more than the 4 layers; expected at most one pipeline stage "
            "per layer");
  // pp = layers is the limit: one layer per stage.
  layout.pp = 4;
  layout.dp = 2;
  EXPECT_EQ(error_of(tiny_gpt(), layout, 8), "no error");
}

TEST(TrainingEstimate, RejectsHeadsNotDivisibleByTp) {
  TrainingLayout layout = tiny_layout();
  layout.tp = 16;
  layout.dp = 1;
  layout.pp = 1;
  layout.global_batch = 4;
  // 8 heads cannot be split 16 ways.
  EXPECT_NE(error_of(tiny_gpt(), layout, 16).find("heads 8 is not divisible by tp 16"),
            std::string::npos);
}

TEST(TrainingEstimate, RejectsZeroAndOutOfRangeSizes) {
  TrainingLayout layout = tiny_layout();
  layout.tp = 0;
  EXPECT_EQ(error_of(tiny_gpt(), layout, 8), "parallelism: tp is 0; expected a positive integer");

  layout = tiny_layout();
  layout.micro_batch = 0;
  EXPECT_EQ(error_of(tiny_gpt(), layout, 8),
            "batch: micro_batch is 0; expected a positive integer");

  ModelShape model = tiny_gpt();
  model.hidden = 0;
  EXPECT_EQ(error_of(model, tiny_layout(), 8), "model: hidden is 0; expected a positive integer");

  layout = tiny_layout();
  layout.zero_stage = 4;
  EXPECT_EQ(error_of(tiny_gpt(), layout, 8),
            "parallelism: zero_stage 4 is not a ZeRO stage; expected 0, 1, 2 or 3");

  EXPECT_EQ(error_of(tiny_gpt(), tiny_layout(), 0),
            "cluster: total_gpus is 0; expected a positive integer");

  GpuPerformance gpu = tiny_gpu();
  gpu.matmul_efficiency = 1.5;
  EXPECT_EQ(error_of(tiny_gpt(), tiny_layout(), 8, tiny_paths(), gpu),
            "gpu: matmul_efficiency is 1.5; expected a fraction of peak in (0, 1]");
}

TEST(TrainingEstimate, RejectsAMissingLinkOnlyWhereAGroupNeedsIt) {
  CommPaths paths = tiny_paths();
  paths.tp.bandwidth_Bps = 0.0;
  EXPECT_EQ(error_of(tiny_gpt(), tiny_layout(), 8, paths),
            "network: the tp link has bandwidth 0 B/s; expected a finite, positive bandwidth for "
            "a tp group of 2 GPUs");
  // cp = 1 never uses its link.
  paths = tiny_paths();
  paths.cp = {0.0, 0.0};
  EXPECT_EQ(error_of(tiny_gpt(), tiny_layout(), 8, paths), "no error");
}

}  // namespace
}  // namespace capsim
