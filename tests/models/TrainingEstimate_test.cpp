// The closed-form training estimate against hand derivations, published parameter counts and
// Megatron's FLOP formulas. Every expected number is derived in the comment above it.
//
// The timing tests use hand-checkable kernel parameters (hand_kernels below): one SM, 1 x 1 GEMM
// tiles, no per-tile k overhead, no launch cost and attention half-saturation lengths of 0, so
// that (KernelModel.cpp)
//   a GEMM m x n x k  costs 2 m n k / (1e15 x 0.5)  — split-K needs tiles x split <= 1 SM, which
//                     no split >= 2 meets, and the compute side beats the memory side
//                     2 (mk + kn + mn) / 1e13 while 1 / (1/m + 1/n + 1/k) > 5e14 / 1e13 = 50,
//                     true when every dimension is >= 150 (the smallest here is 512);
//   attention         costs 2 b h s^2 d / (1e15 x 0.4) forward, 2.5x those FLOPs / (1e15 x 0.25)
//                     backward (causal, fused);
//   a memory kernel   costs bytes / 1e13, with the byte counts of LayerKernels.cpp's comment.
// tests/models/LayerKernels_test.cpp checks these premises and the per-layer kernel times.
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

// BF16 GEMMs at 1e15 x 0.5 = 5e14 FLOP/s, attention at 1e15 x 0.4 forward and 1e15 x 0.25
// backward, memory-bound kernels and the optimizer at 1e13 B/s (see the top of the file).
KernelParameters hand_kernels() {
  KernelParameters p;
  p.bf16_peak_flop_per_s = 1e15;
  p.fp8_peak_flop_per_s = 2e15;
  p.tf32_peak_flop_per_s = 5e14;
  p.gemm_efficiency_bf16 = 0.5;
  p.gemm_efficiency_fp8 = 0.5;
  p.gemm_efficiency_tf32 = 0.5;
  p.sm_count = 1;
  p.gemm_tile_m = 1;
  p.gemm_tile_n = 1;
  p.gemm_k_overhead = 0;
  p.memory_bandwidth_Bps = 1e13;
  p.launch_s = 0;
  p.attention_efficiency_fwd = 0.4;
  p.attention_efficiency_bwd = 0.25;
  p.attention_half_seq_fwd = 0;
  p.attention_half_seq_bwd = 0;
  p.provenance = "hand-checkable test parameters";
  return p;
}

// 80 GB and the hand-checkable kernels; MFU is reported against the 1e15 FLOP/s peak. The memory
// tests read only memory_bytes (estimate_memory validates the rest).
GpuPerformance hand_gpu() { return {1e15, 80e9, hand_kernels()}; }

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
  const MemoryBreakdown memory =
      estimate_memory(llama_3_1_8b(), llama_8b_on_8_gpus(1), hand_gpu(), 8);
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
// A whole iteration by hand: tiny_gpt on tp 2 x pp 2 x dp 2 = 8 GPUs, 4 micro-batches.
// ---------------------------------------------------------------------------------------------

// The data-parallel collectives are not overlapped here, so the tests built on this layout see
// the raw traffic; DataParallelOverlapExposesOnlyWhatExceedsTheComputeWindow turns it on.
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
  layout.overlap_dp_comm = false;
  layout.overlap_tp_comm = false;
  return layout;
}

CommPaths tiny_paths() {
  CommPaths paths;
  paths.tp = {400e9, 2e-6};
  paths.pp = {50e9, 5e-6};
  paths.dp = {50e9, 10e-6};
  paths.cp = {100e9, 1e-6};
  return paths;
}

// One tiny_gpt layer, tp 2, one micro-batch of T = 2048 tokens, with the hand-checkable kernels
// (each part is derived again in LayerKernels_test):
//   GEMMs forward: QKV 2048 x 1536 x 1024, out 2048 x 1024 x 512, up 2048 x 2048 x 1024, down
//     2048 x 1024 x 2048 = 24 h^2 T / tp = 25,769,803,776 FLOPs / 5e14      = 5.1539607552e-5 s
//   GEMMs backward: dX (T x k, inner n) and dW (k x n, inner T), 2x          = 1.03079215104e-4 s
//   attention forward: 2 b (a / tp) s^2 d = 2 x 4 x 2048^2 x 128 = 2^32 FLOPs / 4e14
//                                                                            = 1.073741824e-5 s
//   attention backward: 2.5 x 2^32 / 2.5e14                                  = 4.294967296e-5 s
//   memory-bound forward: x = T / tp x h x 2 = 2,097,152 bytes (sequence parallel), GELU input
//     T x f / tp x 2 = 8,388,608 bytes; norm 2x + residual 3x + norm 2x + GELU 2 x 8,388,608 +
//     residual 3x = 37,748,736 bytes / 1e13                                  = 3.7748736e-6 s
//   memory-bound backward: 2x the bytes                                      = 7.5497472e-6 s
//   layer forward 6.6051899392e-5 s, backward 1.53578635264e-4 s.
// Logits on the last stage: 2048 x (32768 / 2 = 16384) x 1024 GEMM, 2^36 FLOPs / 5e14 =
//   1.37438953472e-4 s, backward 2.74877906944e-4 s; cross-entropy over 2048 x 16384 logits,
//   2 + 4 bytes each way: 201,326,592 / 1e13 = 2.01326592e-5 s. Forward 1.57571612672e-4 s,
//   backward 2.95010566144e-4 s.
// Per micro-batch, last stage (2 layers + logits), which is the bottleneck (stage 0 has the same
// layers and communication and no logits):
//   compute forward  2 x 6.6051899392e-5 + 1.57571612672e-4  = 2.89675411456e-4 s
//   compute backward 2 x 1.53578635264e-4 + 2.95010566144e-4 = 6.02167836672e-4 s
// TP: S = 1 x 2048 x 1024 x 2 = 4,194,304 bytes; all-gather = reduce-scatter =
//   1 x (2e-6 + 4,194,304 / (2 x 400e9)) = 7.24288e-6 s; per layer 2 AG + 2 RS = 2.897152e-5 s;
//   2 layers: 5.794304e-5 s forward, the same backward.
// PP: 4,194,304 / tp = 2,097,152 bytes; 5e-6 + 2,097,152 / 50e9 = 4.694304e-5 s each way.
// DP, ZeRO-1, largest stage (the last: 58,725,376 params) / tp = 29,362,688 local params:
//   reduce-scatter of 2-byte grads = all-gather of 2-byte weights = 58,725,376 bytes:
//   1 x (10e-6 + 58,725,376 / (2 x 50e9)) = 5.9725376e-4 s; both 1.19450752e-3 s; an all-reduce
//   also 1.19450752e-3 s.

TEST(TrainingEstimate, TinyIterationByHand) {
  // t_fwd = 2.89675411456e-4 + 5.794304e-5 + 4.694304e-5 = 3.94561491456e-4 s
  // t_bwd = 6.02167836672e-4 + 5.794304e-5 + 4.694304e-5 = 7.07053916672e-4 s
  // 1F1B: (m + pp - 1) x (t_fwd + t_bwd) = 5 x 1.101615408128e-3 = 5.50807704064e-3 s
  // DP not overlapped (tiny_layout): 1.19450752e-3 s.
  // Optimizer: 29,362,688 / dp 2 = 14,681,344 owned params x 30 bytes / 1e13 = 4.4044032e-5 s.
  // Iteration: 5.50807704064e-3 + 1.19450752e-3 + 4.4044032e-5 = 6.74662859264e-3 s.
  const TrainingEstimate e =
      estimate_training(tiny_gpt(), tiny_layout(), hand_gpu(), tiny_paths(), 8);
  constexpr double kTol = 1e-9;
  EXPECT_EQ(e.micro_batches, 4);
  EXPECT_EQ(e.stage_parameters, 29362688.0);
  EXPECT_EQ(e.micro_batch.stage, 1);
  EXPECT_EQ(e.micro_batch.layers, 2);
  EXPECT_LT(relative_error(e.micro_batch.compute_forward_s, 2.89675411456e-4), kTol);
  EXPECT_LT(relative_error(e.micro_batch.compute_backward_s, 6.02167836672e-4), kTol);
  EXPECT_LT(relative_error(e.micro_batch.tp_forward_s, 5.794304e-5), kTol);
  EXPECT_LT(relative_error(e.micro_batch.tp_backward_s, 5.794304e-5), kTol);
  EXPECT_LT(relative_error(e.micro_batch.pp_forward_s, 4.694304e-5), kTol);
  EXPECT_LT(relative_error(e.micro_batch.pp_backward_s, 4.694304e-5), kTol);
  EXPECT_EQ(e.micro_batch.cp_forward_s, 0.0);
  EXPECT_LT(relative_error(e.micro_batch.forward_s, 3.94561491456e-4), kTol);
  EXPECT_LT(relative_error(e.micro_batch.backward_s, 7.07053916672e-4), kTol);

  // Breakdown: compute 4 x (2.89675411456e-4 + 6.02167836672e-4) = 3.567372992512e-3;
  // tp 4 x 2 x 5.794304e-5 = 4.6354432e-4; pp 4 x 2 x 4.694304e-5 = 3.7554432e-4;
  // bubble 1 x 1.101615408128e-3.
  EXPECT_LT(relative_error(e.breakdown.compute_s, 3.567372992512e-3), kTol);
  EXPECT_LT(relative_error(e.breakdown.tp_comm_s, 4.6354432e-4), kTol);
  EXPECT_LT(relative_error(e.breakdown.pp_comm_s, 3.7554432e-4), kTol);
  EXPECT_EQ(e.breakdown.cp_comm_s, 0.0);
  EXPECT_LT(relative_error(e.breakdown.bubble_s, 1.101615408128e-3), kTol);
  EXPECT_LT(relative_error(e.breakdown.dp_comm_s, 1.19450752e-3), kTol);
  EXPECT_LT(relative_error(e.dp_comm_total_s, 1.19450752e-3), kTol);
  EXPECT_LT(relative_error(e.breakdown.optimizer_s, 4.4044032e-5), kTol);
  EXPECT_LT(relative_error(e.iteration_s, 6.74662859264e-3), kTol);

  // Tokens: 8 x 2048 = 16,384 / 6.74662859264e-3 s = 2,428,472.20282343 tokens/s.
  // Model FLOPs: 3 x (4 x 2^25 + 2^26) x 16,384 = 9,895,604,649,984;
  // MFU = 9.895604649984e12 / (6.74662859264e-3 x 8 x 1e15) = 0.18334351213544.
  EXPECT_LT(relative_error(e.tokens_per_s, 2428472.20282343), kTol);
  EXPECT_EQ(e.flops.model_per_iteration, 9895604649984.0);
  EXPECT_LT(relative_error(e.mfu, 0.18334351213544), kTol);
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

TEST(TrainingEstimate, DataParallelOverlapExposesOnlyWhatExceedsTheComputeWindow) {
  // Tiny layout with overlap_dp_comm. Each stage's gradient reductions hide behind the backward
  // compute of one of its micro-batches, its parameter gathers behind the forward compute of one;
  // exposed = max(0, collective - window), and the stage exposing the most sets the time.
  // Stage 1 (last): windows 6.02167836672e-4 (backward) and 2.89675411456e-4 (forward), see
  //   TinyIterationByHand; 29,362,688 local params: RS = AG = 5.9725376e-4, AR = 1.19450752e-3.
  // Stage 0: no logits, windows 2 x 1.53578635264e-4 = 3.07157270528e-4 and 2 x 6.6051899392e-5
  //   = 1.32103798784e-4; 58,724,352 / 2 = 29,362,176 local params:
  //   RS = AG = 10e-6 + 58,724,352 / 1e11 = 5.9724352e-4, AR = 1.19448704e-3.
  // ZeRO-0: stage 0 1.19448704e-3 - 3.07157270528e-4 = 8.87329769472e-4 (stage 1 5.92e-4).
  // ZeRO-1: stage 0 (5.9724352e-4 - 3.07157270528e-4) + (5.9724352e-4 - 1.32103798784e-4)
  //   = 2.90086249472e-4 + 4.65139721216e-4 = 7.55225970688e-4 (stage 1 3.08e-4).
  // ZeRO-2: stage 0 4 x 2.90086249472e-4 + 4.65139721216e-4 = 1.625484719104e-3.
  // ZeRO-3: stage 0 4 x (4.65139721216e-4 + (1.19448704e-3 - 3.07157270528e-4))
  //   = 4 x 1.352469490688e-3 = 5.409877962752e-3.
  // dp_comm_total_s still counts every collective of the largest stage
  // (ZeroStagesChangeDataParallelTraffic).
  TrainingLayout layout = tiny_layout();
  layout.overlap_dp_comm = true;
  const double exposed[] = {8.87329769472e-4, 7.55225970688e-4, 1.625484719104e-3,
                            5.409877962752e-3};
  const double total[] = {1.19450752e-3, 1.19450752e-3, 2.9862688e-3, 7.16704512e-3};
  for (int stage = 0; stage <= 3; ++stage) {
    layout.zero_stage = stage;
    const TrainingEstimate e = estimate_training(tiny_gpt(), layout, hand_gpu(), tiny_paths(), 8);
    EXPECT_LT(relative_error(e.breakdown.dp_comm_s, exposed[stage]), 1e-9) << "ZeRO-" << stage;
    EXPECT_LT(relative_error(e.dp_comm_total_s, total[stage]), 1e-9) << "ZeRO-" << stage;
  }
  // ZeRO-1 iteration: 5.50807704064e-3 (1F1B) + 7.55225970688e-4 + 4.4044032e-5 (optimizer) =
  //   6.307347043328e-3 s.
  layout.zero_stage = 1;
  TrainingEstimate e = estimate_training(tiny_gpt(), layout, hand_gpu(), tiny_paths(), 8);
  EXPECT_LT(relative_error(e.iteration_s, 6.307347043328e-3), 1e-9);

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

TEST(TrainingEstimate, TensorParallelOverlapExposesOnlyTheExcessOverTheGemms) {
  // overlap_tp_comm: per layer, the 2 AG + 2 RS of the forward hide behind that layer's forward
  // GEMMs (5.1539607552e-5 s) and those of the backward behind its backward GEMMs
  // (1.03079215104e-4 s); only the excess is exposed.
  // On the 400e9 B/s tp link a layer's transfers take 2.897152e-5 s: all hidden.
  TrainingLayout layout = tiny_layout();
  layout.overlap_tp_comm = true;
  TrainingEstimate e = estimate_training(tiny_gpt(), layout, hand_gpu(), tiny_paths(), 8);
  EXPECT_EQ(e.micro_batch.tp_forward_s, 0.0);
  EXPECT_EQ(e.micro_batch.tp_backward_s, 0.0);
  EXPECT_EQ(e.breakdown.tp_comm_s, 0.0);

  // On a 50e9 B/s, 2 us tp link: AG = RS = 2e-6 + 4,194,304 / (2 x 50e9) = 4.394304e-5 s, per
  //   layer 1.7577216e-4 s.
  //   forward:  1.7577216e-4 - 5.1539607552e-5 = 1.24232552448e-4 per layer; 2 layers
  //             2.48465104896e-4 s
  //   backward: 1.7577216e-4 - 1.03079215104e-4 = 7.2692944896e-5 per layer; 2 layers
  //             1.45385889792e-4 s
  //   breakdown 4 micro-batches x (2.48465104896e-4 + 1.45385889792e-4) = 1.575403978752e-3 s;
  //   forward slot 2.89675411456e-4 + 2.48465104896e-4 + 4.694304e-5 = 5.85083556352e-4 s.
  // Without overlap both directions expose 2 x 1.7577216e-4 = 3.5154432e-4 s.
  CommPaths slow = tiny_paths();
  slow.tp = {50e9, 2e-6};
  e = estimate_training(tiny_gpt(), layout, hand_gpu(), slow, 8);
  EXPECT_LT(relative_error(e.micro_batch.tp_forward_s, 2.48465104896e-4), 1e-9);
  EXPECT_LT(relative_error(e.micro_batch.tp_backward_s, 1.45385889792e-4), 1e-9);
  EXPECT_LT(relative_error(e.breakdown.tp_comm_s, 1.575403978752e-3), 1e-9);
  EXPECT_LT(relative_error(e.micro_batch.forward_s, 5.85083556352e-4), 1e-9);
  layout.overlap_tp_comm = false;
  e = estimate_training(tiny_gpt(), layout, hand_gpu(), slow, 8);
  EXPECT_LT(relative_error(e.micro_batch.tp_forward_s, 3.5154432e-4), 1e-9);
  EXPECT_LT(relative_error(e.micro_batch.tp_backward_s, 3.5154432e-4), 1e-9);
}

TEST(TrainingEstimate, FullRecomputeReplaysOneForwardOfTheLayersKernels) {
  // Tiny layout, Recompute::Full. Before each layer's backward its forward kernels run again
  // (GEMMs, attention and memory-bound: 6.6051899392e-5 s per layer); the logits are not
  // recomputed:
  //   backward compute 6.02167836672e-4 + 2 x 6.6051899392e-5 = 7.34271635456e-4 s;
  //   forward compute unchanged 2.89675411456e-4 s.
  // The replayed forward repeats its TP transfers: backward TP 2 x 5.794304e-5 = 1.1588608e-4 s.
  // Slot 3.94561491456e-4 + (7.34271635456e-4 + 1.1588608e-4 + 4.694304e-5) = 1.291662246912e-3;
  //   iteration 5 x 1.291662246912e-3 + 1.19450752e-3 + 4.4044032e-5 = 7.69686278656e-3 s.
  TrainingLayout layout = tiny_layout();
  layout.recompute = Recompute::Full;
  const TrainingEstimate e = estimate_training(tiny_gpt(), layout, hand_gpu(), tiny_paths(), 8);
  EXPECT_LT(relative_error(e.micro_batch.compute_forward_s, 2.89675411456e-4), 1e-9);
  EXPECT_LT(relative_error(e.micro_batch.compute_backward_s, 7.34271635456e-4), 1e-9);
  EXPECT_LT(relative_error(e.micro_batch.tp_forward_s, 5.794304e-5), 1e-9);
  EXPECT_LT(relative_error(e.micro_batch.tp_backward_s, 1.1588608e-4), 1e-9);
  EXPECT_LT(relative_error(e.iteration_s, 7.69686278656e-3), 1e-9);
}

TEST(TrainingEstimate, SelectiveRecomputeAddsNoTime) {
  // The fused attention backward recomputes the scores anyway, so Selective runs exactly the
  // kernels of Recompute::None: compute 2.89675411456e-4 / 6.02167836672e-4 s, iteration
  // 6.74662859264e-3 s (TinyIterationByHand). Its hardware FLOPs still count the scores again:
  //   l x 4 s h per token = 4 x 4 x 2048 x 1024 = 33,554,432 x 16,384 tokens =
  //   549,755,813,888, hardware 10,445,360,463,872 -> HFU = that / (6.74662859264e-3 x 8e15) =
  //   0.193529262809631.
  TrainingLayout layout = tiny_layout();
  layout.recompute = Recompute::Selective;
  const TrainingEstimate e = estimate_training(tiny_gpt(), layout, hand_gpu(), tiny_paths(), 8);
  EXPECT_LT(relative_error(e.micro_batch.compute_forward_s, 2.89675411456e-4), 1e-9);
  EXPECT_LT(relative_error(e.micro_batch.compute_backward_s, 6.02167836672e-4), 1e-9);
  EXPECT_LT(relative_error(e.micro_batch.tp_backward_s, 5.794304e-5), 1e-9);
  EXPECT_LT(relative_error(e.iteration_s, 6.74662859264e-3), 1e-9);
  EXPECT_LT(relative_error(e.mfu, 0.18334351213544), 1e-9);
  EXPECT_LT(relative_error(e.hfu, 0.193529262809631), 1e-9);
}

TEST(TrainingEstimate, ContextParallelAndRecomputeCommunication) {
  // tiny_gpt on tp 2 x cp 2 = 4 GPUs, one micro-batch of one 2048-token sequence.
  // Local tokens s / cp = 1024.
  // TP: S = 1024 x 1024 x 2 = 2,097,152 bytes; AG = RS = 2e-6 + 2,097,152 / 800e9 = 4.62144e-6;
  //   per layer 4 x that = 1.848576e-5; 4 layers: 7.394304e-5 s.
  // CP: K and V chunk = 1024 tokens x 2 x 1024 / tp 2 x 2 bytes = 2,097,152 bytes;
  //   one ring step 1e-6 + 2,097,152 / 100e9 = 2.197152e-5 s; cp - 1 = 1 step per layer;
  //   4 layers: 8.788608e-5 s forward.
  // Full recompute: TP backward 2 x 7.394304e-5 = 1.4788608e-4 s (the replayed forward's
  //   gathers too); CP backward 3 x 8.788608e-5 = 2.6365824e-4 s.
  TrainingLayout layout = batch_of(1, 2048, Recompute::Full);
  layout.tp = 2;
  layout.cp = 2;
  TrainingEstimate e = estimate_training(tiny_gpt(), layout, hand_gpu(), tiny_paths(), 4);
  EXPECT_LT(relative_error(e.micro_batch.tp_forward_s, 7.394304e-5), 1e-9);
  EXPECT_LT(relative_error(e.micro_batch.tp_backward_s, 1.4788608e-4), 1e-9);
  EXPECT_LT(relative_error(e.micro_batch.cp_forward_s, 8.788608e-5), 1e-9);
  EXPECT_LT(relative_error(e.micro_batch.cp_backward_s, 2.6365824e-4), 1e-9);
  EXPECT_LT(relative_error(e.breakdown.cp_comm_s, 8.788608e-5 + 2.6365824e-4), 1e-9);
  EXPECT_EQ(e.micro_batch.pp_forward_s, 0.0);
  EXPECT_EQ(e.breakdown.bubble_s, 0.0);
  EXPECT_EQ(e.breakdown.dp_comm_s, 0.0);

  // Selective: no replayed communication: TP backward 7.394304e-5, CP backward 2 x 8.788608e-5.
  layout.recompute = Recompute::Selective;
  e = estimate_training(tiny_gpt(), layout, hand_gpu(), tiny_paths(), 4);
  EXPECT_LT(relative_error(e.micro_batch.tp_backward_s, 7.394304e-5), 1e-9);
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
  // Logits 1024 x 16384 x 1024: 2^35 / 5e14 = 6.8719476736e-5 s + cross-entropy 1024 x 16384 x 6
  //   bytes / 1e13 = 1.00663296e-5 s: forward 7.8785806336e-5 s, backward 1.47505283072e-4 s.
  // compute forward  4 x 3.3025949696e-5 + 7.8785806336e-5 = 2.1088960512e-4 s
  // compute backward 4 x (7.6789317632e-5 + 3.3025949696e-5) + 1.47505283072e-4 =
  //   5.86766352384e-4 s (Full replays the forward).
  TrainingLayout layout = batch_of(1, 2048, Recompute::Full);
  layout.tp = 2;
  layout.cp = 2;
  const TrainingEstimate e = estimate_training(tiny_gpt(), layout, hand_gpu(), tiny_paths(), 4);
  EXPECT_LT(relative_error(e.micro_batch.compute_forward_s, 2.1088960512e-4), 1e-9);
  EXPECT_LT(relative_error(e.micro_batch.compute_backward_s, 5.86766352384e-4), 1e-9);
}

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
  // Per micro-batch (2048 tokens) at tp 2 a layer takes 6.6051899392e-5 s forward and
  // 1.53578635264e-4 s backward (TinyIterationByHand; the vocabulary does not enter a layer).
  // TP per layer 2 AG + 2 RS = 2.897152e-5 s and PP 4.694304e-5 s each way (TinyIterationByHand).
  // Logits with V / tp = 4096: 2048 x 4096 x 1024 GEMM, 2^34 FLOPs / 5e14 = 3.4359738368e-5 s,
  //   backward 6.8719476736e-5 s; cross-entropy 2048 x 4096 x 6 bytes / 1e13 = 5.0331648e-6 s:
  //   forward 3.9392903168e-5 s, backward 7.3752641536e-5 s.
  // Stage 1 (2 layers): compute 1.32103798784e-4 forward, 3.07157270528e-4 backward;
  //   TP 2 x 2.897152e-5 = 5.794304e-5 each way;
  //   t_fwd = 1.32103798784e-4 + 5.794304e-5 + 4.694304e-5 = 2.36989878784e-4
  //   t_bwd = 3.07157270528e-4 + 5.794304e-5 + 4.694304e-5 = 4.12043350528e-4;
  //   slot 6.49033229312e-4
  // Stage 3 (1 layer + logits): compute 6.6051899392e-5 + 3.9392903168e-5 = 1.0544480256e-4
  //   forward, 1.53578635264e-4 + 7.3752641536e-5 = 2.273312768e-4 backward; TP 2.897152e-5
  //   each way; slot 1.0544480256e-4 + 2.273312768e-4 + 2 x 2.897152e-5 + 2 x 4.694304e-5 =
  //   4.8460519936e-4 < stage 1's.
  // Stage 0 (1 layer, no logits) is lighter still and stage 2 ties stage 1, so the bottleneck is
  //   stage 1 (the first of the two). The old "last stage, layers / pp" rule would give stage 3.
  // 1F1B: (m + pp - 1) x slot = 7 x 6.49033229312e-4 = 4.543232605184e-3 s, of which
  //   compute 4 x 4.39261069312e-4 = 1.757044277248e-3, bubble 3 x 6.49033229312e-4 =
  //   1.947099687936e-3, TP 4 x 2 x 5.794304e-5 = 4.6354432e-4, PP 4 x 2 x 4.694304e-5 =
  //   3.7554432e-4.
  // DP, ZeRO-1 not overlapped, largest stage (1 or 2: 25,169,920) / tp = 12,584,960 local params,
  //   25,169,920 bytes per collective: 1 x (10e-6 + 25,169,920 / (2 x 50e9)) = 2.616992e-4;
  //   RS + AG = 5.233984e-4 s. Optimizer 12,584,960 / 2 x 30 / 1e13 = 1.887744e-5 s.
  // Iteration 4.543232605184e-3 + 5.233984e-4 + 1.887744e-5 = 5.085508445184e-3 s.
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
  EXPECT_LT(relative_error(e.micro_batch.backward_s, 4.12043350528e-4), kTol);
  EXPECT_LT(relative_error(e.breakdown.compute_s, 1.757044277248e-3), kTol);
  EXPECT_LT(relative_error(e.breakdown.bubble_s, 1.947099687936e-3), kTol);
  EXPECT_LT(relative_error(e.breakdown.tp_comm_s, 4.6354432e-4), kTol);
  EXPECT_LT(relative_error(e.breakdown.pp_comm_s, 3.7554432e-4), kTol);
  EXPECT_LT(relative_error(e.breakdown.dp_comm_s, 5.233984e-4), kTol);
  EXPECT_LT(relative_error(e.breakdown.optimizer_s, 1.887744e-5), kTol);
  EXPECT_LT(relative_error(e.iteration_s, 5.085508445184e-3), kTol);
  // Model FLOPs still count all 6 layers once: 3 x (6 x 2^25 + 2^24) x 16,384 tokens =
  //   10,720,238,370,816; MFU = that / (5.085508445184e-3 x 16 x 1e15) = 0.131749834927618.
  EXPECT_EQ(e.flops.model_per_iteration, 10720238370816.0);
  EXPECT_LT(relative_error(e.mfu, 0.131749834927618), kTol);
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
      estimate_memory(six_layer_gpt(), six_layer_layout(), hand_gpu(), 16);
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
  // TP8 x PP16 x DP128 = 16,384 GPUs, seq 8192, global batch 2048, micro-batch 1 -> m = 16,
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
  //   2x), cross-entropy 8192 x 16032 x 6 bytes / 1e13 = 7.88004864e-5 s: forward
  //   8.685914947584e-3 s and backward 1.7293029408768e-2 s, less than a layer either way.
  // So an inner stage of 8 layers (forward 8 x 1.38101653504e-2 = 1.104813228032e-1 s) beats the
  //   last stage of 7 layers + logits (1.05357072400384e-1 s) and has one more layer of TP
  //   traffic: stage 1 (first of 1..14) is the bottleneck.
  EXPECT_EQ(e.micro_batch.stage, 1);
  EXPECT_EQ(e.micro_batch.layers, 8);
  EXPECT_LT(relative_error(e.micro_batch.compute_forward_s, 1.104813228032e-1), 1e-9);
  // Selective recompute adds no time: backward 8 x 2.899472023552e-2 = 2.3195776188416e-1 s.
  EXPECT_LT(relative_error(e.micro_batch.compute_backward_s, 2.3195776188416e-1), 1e-9);

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
// Validation
// ---------------------------------------------------------------------------------------------

std::string error_of(const ModelShape& model, const TrainingLayout& layout, int total_gpus,
                     const CommPaths& paths = tiny_paths(),
                     const GpuPerformance& gpu = hand_gpu()) {
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
}

TEST(TrainingEstimate, RejectsKernelParametersThatCannotTimeAKernel) {
  // The GEMM efficiency of the layout's precision must be a fraction of peak.
  GpuPerformance gpu = hand_gpu();
  gpu.kernels.gemm_efficiency_bf16 = 1.5;
  EXPECT_EQ(error_of(tiny_gpt(), tiny_layout(), 8, tiny_paths(), gpu),
            "gpu: the GEMM efficiency for this precision is 1.5; expected a fraction of peak in "
            "(0, 1]");
  // An FP8 layout reads the FP8 efficiency, not the BF16 one.
  gpu = hand_gpu();
  gpu.kernels.gemm_efficiency_fp8 = 0.0;
  TrainingLayout fp8 = tiny_layout();
  fp8.precision = Precision::FP8;
  EXPECT_EQ(error_of(tiny_gpt(), fp8, 8, tiny_paths(), gpu),
            "gpu: the GEMM efficiency for this precision is 0; expected a fraction of peak in "
            "(0, 1]");
  EXPECT_EQ(error_of(tiny_gpt(), tiny_layout(), 8, tiny_paths(), gpu), "no error");

  gpu = hand_gpu();
  gpu.peak_flop_per_s = 0.0;
  EXPECT_EQ(error_of(tiny_gpt(), tiny_layout(), 8, tiny_paths(), gpu),
            "gpu: peak_flop_per_s is 0 FLOP/s; expected a finite, positive value");

  gpu = hand_gpu();
  gpu.kernels.memory_bandwidth_Bps = 0.0;
  EXPECT_EQ(error_of(tiny_gpt(), tiny_layout(), 8, tiny_paths(), gpu),
            "gpu: kernel memory_bandwidth_Bps is 0 B/s; expected a finite, positive value");

  gpu = hand_gpu();
  gpu.kernels.attention_efficiency_bwd = 0.0;
  EXPECT_NE(error_of(tiny_gpt(), tiny_layout(), 8, tiny_paths(), gpu)
                .find("gpu: kernel attention_efficiency_bwd is 0"),
            std::string::npos);

  gpu = hand_gpu();
  gpu.kernels.sm_count = 0;
  EXPECT_EQ(error_of(tiny_gpt(), tiny_layout(), 8, tiny_paths(), gpu),
            "gpu: the kernel model needs sm_count and GEMM tile sizes >= 1");

  // A negative launch cost passes validate_training_inputs; the KernelModel refuses it.
  gpu = hand_gpu();
  gpu.kernels.launch_s = -1e-6;
  EXPECT_NE(error_of(tiny_gpt(), tiny_layout(), 8, tiny_paths(), gpu).find("kernel model:"),
            std::string::npos);
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

namespace capsim {
namespace {

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

TEST(TrainingEstimate, InterleavingNeedsEqualVirtualStagesAndWholeRounds) {
  TrainingLayout layout = tiny_layout();
  layout.vpp = 3;  // 4 layers over 2 x 3 virtual stages
  EXPECT_EQ(error_of(tiny_gpt(), layout, 8),
            "parallelism: layers 4 is not divisible by pp x vpp 6; expected equal virtual "
            "stages for the interleaved schedule");
  layout.vpp = 2;
  layout.global_batch = 6;  // m = 3 micro-batches, not whole rounds of pp 2
  EXPECT_NE(error_of(tiny_gpt(), layout, 8).find("micro-batches per iteration 3 is not "
                                                   "divisible by pp 2"),
            std::string::npos);
  layout = tiny_layout();
  layout.pp = 1;
  layout.dp = 4;
  layout.vpp = 2;
  EXPECT_NE(error_of(tiny_gpt(), layout, 8).find("needs pipeline parallelism"),
            std::string::npos);
}

}  // namespace
}  // namespace capsim
