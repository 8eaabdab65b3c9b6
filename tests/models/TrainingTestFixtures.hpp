// Shared fixtures of the closed-form training estimate tests (tests/models/Training*_test.cpp):
// the model shapes, the hand-checkable kernels and GPU, the tiny layout and its links, and the
// hand derivations that several of those tests refer to.
//
// Header-only: every tests/models/*_test.cpp is its own executable.
#pragma once

#include <cmath>

#include "capsim/models/TrainingEstimate.hpp"

namespace capsim::test {

inline double relative_error(double actual, double expected) {
  return std::abs(actual - expected) / std::abs(expected);
}

// Model architectures from /work/shared/reference/hardware-and-costs.md.
inline ModelShape llama_3_1_8b() { return {32, 4096, 32, 8, 14336, 128256, true, false}; }
inline ModelShape llama_3_1_70b() { return {80, 8192, 64, 8, 28672, 128256, true, false}; }
inline ModelShape llama_3_1_405b() { return {126, 16384, 128, 8, 53248, 128256, true, false}; }
// GPT-3 shares its input embedding with the output layer (Brown et al. 2020, as GPT-2).
inline ModelShape gpt3_175b() { return {96, 12288, 96, 96, 49152, 50257, false, true}; }

// A small standard GPT (heads = kv heads, plain MLP, ffn = 4h) with powers of two everywhere.
inline ModelShape tiny_gpt() { return {4, 1024, 8, 8, 4096, 32768, false, false}; }

// global_batch sequences of seq_len tokens in micro-batches of 1; every parallel size is
// TrainingLayout's default of 1 until a test sets it.
inline TrainingLayout batch_of(int global_batch, int seq_len,
                               Recompute recompute = Recompute::None) {
  TrainingLayout layout;
  layout.global_batch = global_batch;
  layout.micro_batch = 1;
  layout.seq_len = seq_len;
  layout.recompute = recompute;
  return layout;
}

// ---------------------------------------------------------------------------------------------
// Hand-checkable kernels
// ---------------------------------------------------------------------------------------------

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

// BF16 GEMMs at 1e15 x 0.5 = 5e14 FLOP/s, attention at 1e15 x 0.4 forward and 1e15 x 0.25
// backward, memory-bound kernels and the optimizer at 1e13 B/s (see the comment above).
inline KernelParameters hand_kernels() {
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
inline GpuPerformance hand_gpu() { return {1e15, 80e9, hand_kernels()}; }

// ---------------------------------------------------------------------------------------------
// A whole iteration by hand: tiny_gpt on tp 2 x pp 2 x dp 2 = 8 GPUs, 4 micro-batches.
// (TinyIterationByHand in TrainingIteration_test.cpp adds the parts up.)
// ---------------------------------------------------------------------------------------------

// The data-parallel collectives are not overlapped here, so the tests built on this layout see
// the raw traffic; DataParallelOverlapExposesOnlyWhatExceedsTheComputeWindow turns it on.
// Gradients are reduced in bf16 so every data-parallel collective moves the same bytes;
// FP32GradientReductionDoublesTheReduceScatter checks the fp32 default.
inline TrainingLayout tiny_layout() {
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
  layout.grad_reduce_fp32 = false;
  return layout;
}

inline CommPaths tiny_paths() {
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
//   38 bytes each forward (1.275068416e-4 s) and 14 backward (4.69762048e-5 s), see
//   LogitsAreOneVocabParallelGemmPlusCrossEntropyTraffic. Forward 2.64945795072e-4 s,
//   backward 3.21854111744e-4 s.
// Per micro-batch, last stage (2 layers + logits), which is the bottleneck (stage 0 has the same
// layers and communication and no logits):
//   compute forward  2 x 6.6051899392e-5 + 2.64945795072e-4  = 3.97049593856e-4 s
//   compute backward 2 x 1.53578635264e-4 + 3.21854111744e-4 = 6.29011382272e-4 s
// TP: S = 1 x 2048 x 1024 x 2 = 4,194,304 bytes; all-gather = reduce-scatter =
//   1 x (2e-6 + 4,194,304 / (2 x 400e9)) = 7.24288e-6 s; per layer 2 AG + 2 RS = 2.897152e-5 s;
//   2 layers: 5.794304e-5 s forward. Backward (TensorParallelComm.hpp) the out and down
//   projections' output-gradient AGs are exposed; QKV's and up's input AG and dgrad RS hide
//   behind their dgrad and wgrad GEMMs (the shortest, QKV's, take 2 x 2048 x 1024 x 1536 /
//   5e14 = 1.2884901888e-5 s > 7.24288e-6 s): per layer 2 x 7.24288e-6 = 1.448576e-5 s, 2 layers
//   2.897152e-5 s.
// PP: 4,194,304 / tp = 2,097,152 bytes; 5e-6 + 2,097,152 / 50e9 = 4.694304e-5 s each way.
// DP, ZeRO-1, largest stage (the last: 58,725,376 params) / tp = 29,362,688 local params:
//   reduce-scatter of 2-byte grads = all-gather of 2-byte weights = 58,725,376 bytes:
//   1 x (10e-6 + 58,725,376 / (2 x 50e9)) = 5.9725376e-4 s; both 1.19450752e-3 s; an all-reduce
//   also 1.19450752e-3 s.

// ---------------------------------------------------------------------------------------------
// Uneven pipeline stages. Rule (TrainingEstimate.hpp): c = ceil(l / pp), r = c pp - l; the last
// stage and stages 0 .. r - 2 get c - 1 layers, every other stage c. The split itself is
// tested in TrainingParameters_test.cpp.
// ---------------------------------------------------------------------------------------------

// tiny_gpt with 6 layers and a vocabulary of 8192, so the logits (2 h V = 2^24 FLOPs per token)
// are half a layer's forward (2^25): a last stage of 1 layer + logits is lighter than an inner
// stage of 2 layers. Split over pp 4: c = 2, r = 2 -> 1, 2, 2, 1.
inline ModelShape six_layer_gpt() { return {6, 1024, 8, 8, 4096, 8192, false, false}; }

// tp 2 x pp 4 x dp 2 = 16 GPUs, m = 8 / (2 x 1) = 4 micro-batches of one 2048-token sequence.
inline TrainingLayout six_layer_layout() {
  TrainingLayout layout = tiny_layout();
  layout.pp = 4;
  return layout;
}

}  // namespace capsim::test
