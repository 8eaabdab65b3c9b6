// The kernels of one transformer layer and of the output layer, against hand derivations.
//
// Most tests use hand-checkable kernel parameters (hand_kernels in TrainingTestFixtures.hpp): one
// SM, 1 x 1 tiles, no per-tile k overhead and no launch cost, so that
//   a GEMM        costs exactly 2 m n k / (peak x efficiency)     (compute-bound, see below)
//   attention     costs exactly FLOPs / (peak x attention efficiency)   (half-saturation 0)
//   memory-bound  costs exactly bytes / bandwidth.
// Why: KernelModel.cpp times a GEMM as max(waves x tile time, bytes / bandwidth) with
//   tiles = ceil(m/1) ceil(n/1) = m n, waves = m n / 1, tile time = 2 x 1 x 1 x (k + 0) / rate,
// so the compute side is m n x 2k / rate; split-K needs tiles x split <= sm_count = 1, which no
// split >= 2 satisfies. The compute side wins over the memory side 2 (mk + kn + mn) / bandwidth
// when 1 / (1/m + 1/n + 1/k) > rate / bandwidth = 5e14 / 1e13 = 50 (BF16), 100 (FP8), which
// every dimension >= 300 guarantees; the smallest dimension used here is 512.
// HandParametersCostAGemmItsFlopsAndAMemoryKernelItsBytes checks these premises.
#include "capsim/models/LayerKernels.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <string>

#include "capsim/models/Catalog.hpp"
#include "capsim/models/KernelModel.hpp"
#include "capsim/models/TrainingEstimate.hpp"
#include "models/TrainingTestFixtures.hpp"

namespace capsim {
namespace {

using namespace capsim::test;  // the hand-checkable kernels and shared models

constexpr double kTol = 1e-9;

// The same shape of model, but a GEMM is bandwidth-bound: rate 1e18 x 0.5 against 1e12 B/s, so
// max(2 m n k / 5e17, 2 (mk + kn + mn) / 1e12) is the second term unless
// 1 / (1/m + 1/n + 1/k) > 5e5, far above any shape here. The time then depends on which
// dimension tensor parallelism splits, not only on the product m n k.
KernelParameters bandwidth_bound_kernels() {
  KernelParameters p = hand_kernels();
  p.bf16_peak_flop_per_s = 1e18;
  p.memory_bandwidth_Bps = 1e12;
  return p;
}

// A small Llama-style model: grouped-query attention (8 query heads, 2 kv heads of 128) and a
// SwiGLU MLP of width 3072.
ModelShape tiny_llama() { return {2, 1024, 8, 2, 3072, 32768, true, false}; }

TrainingLayout layout_of(int tp, int cp, int micro_batch, int seq_len) {
  TrainingLayout layout;
  layout.tp = tp;
  layout.cp = cp;
  layout.micro_batch = micro_batch;
  layout.global_batch = micro_batch;
  layout.seq_len = seq_len;
  return layout;
}

TEST(LayerKernels, HandParametersCostAGemmItsFlopsAndAMemoryKernelItsBytes) {
  const KernelModel kernels(hand_kernels());
  // The smallest GEMM of the tests: 1024 tokens x 1024 out x 512 in (tp 2, cp 2 output
  //   projection): 2 x 1024 x 1024 x 512 = 1,073,741,824 FLOPs / 5e14 = 2.147483648e-6 s.
  EXPECT_LT(relative_error(kernels.gemm_s(1024, 1024, 512, MatmulPrecision::BF16), 2.147483648e-6),
            kTol);
  // Its weight gradient (k x n = 512 x 1024, inner 1024 tokens): the same FLOPs.
  EXPECT_LT(relative_error(kernels.gemm_s(512, 1024, 1024, MatmulPrecision::BF16), 2.147483648e-6),
            kTol);
  // FP8: 2 x 2048 x 1024 x 512 = 2,147,483,648 / 1e15 = 2.147483648e-6 s.
  EXPECT_LT(relative_error(kernels.gemm_s(2048, 1024, 512, MatmulPrecision::FP8), 2.147483648e-6),
            kTol);
  // Attention b 1, 4 heads, s 2048, d 128: 2 b h s^2 d = 2^32 = 4,294,967,296 FLOPs / 4e14 =
  //   1.073741824e-5 s; backward 2.5 x 2^32 / 2.5e14 = 4.294967296e-5 s.
  EXPECT_LT(relative_error(kernels.attention_forward_s(1, 4, 2048, 128), 1.073741824e-5), kTol);
  EXPECT_LT(relative_error(kernels.attention_backward_s(1, 4, 2048, 128), 4.294967296e-5), kTol);
  // 2,097,152 bytes / 1e13 = 2.097152e-7 s.
  EXPECT_LT(relative_error(kernels.memory_bound_s(2097152), 2.097152e-7), kTol);
}

TEST(LayerKernels, StandardLayerWithoutParallelismByHand) {
  // tiny_gpt, tp 1, cp 1, b 1, s 2048: T = 2048 tokens.
  // GEMMs (T x n x k): QKV 2048 x 3072 x 1024, out 2048 x 1024 x 1024, up 2048 x 4096 x 1024,
  //   down 2048 x 1024 x 4096: 2 T (3h^2 + h^2 + 4h^2 + 4h^2) = 24 h^2 T = 24 x 1,048,576 x 2048
  //   = 51,539,607,552 FLOPs / 5e14 = 1.03079215104e-4 s. Backward: dX (T x k, inner n) and dW
  //   (k x n, inner T) are each 2 T n k again: 2.06158430208e-4 s.
  // Attention: 2 b a s^2 d = 2 x 8 x 2048^2 x 128 = 2^33 = 8,589,934,592 / 4e14 =
  //   2.147483648e-5 s; backward 2.5 x 2^33 / 2.5e14 = 8.589934592e-5 s.
  // Memory-bound, x = T h x 2 bytes = 4,194,304; GELU input/output T f x 2 = 16,777,216:
  //   norm 2x + residual 3x + norm 2x + GELU 2 x 16,777,216 + residual 3x
  //   = 10 x 4,194,304 + 33,554,432 = 75,497,472 bytes / 1e13 = 7.5497472e-6 s; backward 2x.
  const LayerKernelTimes t =
      layer_kernel_times(tiny_gpt(), layout_of(1, 1, 1, 2048), KernelModel(hand_kernels()));
  EXPECT_LT(relative_error(t.gemm_forward_s, 1.03079215104e-4), kTol);
  EXPECT_LT(relative_error(t.gemm_backward_s, 2.06158430208e-4), kTol);
  EXPECT_LT(relative_error(t.attention_forward_s, 2.147483648e-5), kTol);
  EXPECT_LT(relative_error(t.attention_backward_s, 8.589934592e-5), kTol);
  EXPECT_LT(relative_error(t.memory_bound_forward_s, 7.5497472e-6), kTol);
  EXPECT_LT(relative_error(t.memory_bound_backward_s, 1.50994944e-5), kTol);
  // forward 1.03079215104e-4 + 2.147483648e-5 + 7.5497472e-6 = 1.32103798784e-4;
  // backward 2.06158430208e-4 + 8.589934592e-5 + 1.50994944e-5 = 3.07157270528e-4.
  EXPECT_LT(relative_error(t.forward_s(), 1.32103798784e-4), kTol);
  EXPECT_LT(relative_error(t.backward_s(), 3.07157270528e-4), kTol);
}

TEST(LayerKernels, TensorParallelDividesGemmsHeadsAndNormTokens) {
  // tiny_gpt at tp 2, s 2048: each GEMM has half its FLOPs: 25,769,803,776 / 5e14 =
  //   5.1539607552e-5 s, backward 1.03079215104e-4 s.
  // Heads 8 / 2 = 4: 2 x 4 x 2048^2 x 128 = 2^32 / 4e14 = 1.073741824e-5 s; backward
  //   2.5 x 2^32 / 2.5e14 = 4.294967296e-5 s.
  // Sequence parallelism: the norms and residual adds see T / tp = 1024 tokens:
  //   x = 1024 x 1024 x 2 = 2,097,152 bytes; the GELU sees all 2048 tokens of ffn / tp = 2048
  //   columns: 2048 x 2048 x 2 = 8,388,608 bytes, read and written.
  //   10 x 2,097,152 + 2 x 8,388,608 = 37,748,736 bytes / 1e13 = 3.7748736e-6 s.
  //   (Without sequence parallelism the norms would move 10 x 4,194,304: 58,720,256 bytes.)
  const LayerKernelTimes t =
      layer_kernel_times(tiny_gpt(), layout_of(2, 1, 1, 2048), KernelModel(hand_kernels()));
  EXPECT_LT(relative_error(t.gemm_forward_s, 5.1539607552e-5), kTol);
  EXPECT_LT(relative_error(t.gemm_backward_s, 1.03079215104e-4), kTol);
  EXPECT_LT(relative_error(t.attention_forward_s, 1.073741824e-5), kTol);
  EXPECT_LT(relative_error(t.attention_backward_s, 4.294967296e-5), kTol);
  EXPECT_LT(relative_error(t.memory_bound_forward_s, 3.7748736e-6), kTol);
  EXPECT_LT(relative_error(t.memory_bound_backward_s, 7.5497472e-6), kTol);
}

TEST(LayerKernels, MaterializedAttentionWritesTheScoresAndRunsTwoBatchedGemms) {
  // tiny_gpt at tp 2: b 1 x 4 local heads x s 2048 = 8,192 query rows, d 128; the scores are
  //   8,192 x 2,048 = 16,777,216 elements.
  // Batched GEMMs as one GEMM of 8,192 rows: Q K^T 8,192 x 2,048 x 128 and P V 8,192 x 128 x
  //   2,048 are each 2 x 8,192 x 2,048 x 128 = 4,294,967,296 FLOPs / 5e14 = 8.589934592e-6 s
  //   (compute-bound: their bytes 2 x (8,192 x 128 + 128 x 2,048 + 8,192 x 2,048) = 36,175,872
  //   take 3.6175872e-6 s at 1e13 B/s).
  // Forward: 2 GEMMs + softmax 4 x 16,777,216 / 1e13 = 1.7179869184e-5 + 6.7108864e-6
  //   = 2.3890755584e-5 s (the fused kernel: 1.073741824e-5 s).
  // Backward: 4 GEMMs (dP, dV, dQ, dK) + softmax backward 6 bytes per score
  //   = 3.4359738368e-5 + 1.00663296e-5 = 4.44260679680e-5 s.
  TrainingLayout layout = layout_of(2, 1, 1, 2048);
  layout.attention = AttentionKernel::Materialized;
  const KernelModel kernels(hand_kernels());
  const LayerKernelTimes plain = layer_kernel_times(tiny_gpt(), layout, kernels);
  EXPECT_LT(relative_error(plain.attention_forward_s, 2.3890755584e-5), kTol);
  EXPECT_LT(relative_error(plain.attention_backward_s, 4.4426067968e-5), kTol);
  // Dropout adds a kernel of 5 bytes per score each way (read 2, write 2 and a 1-byte mask;
  //   backward reads the gradient and the mask and writes 2): + 8.388608e-6 s.
  layout.dropout = true;
  const LayerKernelTimes dropout = layer_kernel_times(tiny_gpt(), layout, kernels);
  EXPECT_LT(relative_error(dropout.attention_forward_s, 3.2279363584e-5), kTol);
  EXPECT_LT(relative_error(dropout.attention_backward_s, 5.2814675968e-5), kTol);
}

TEST(LayerKernels, WithoutSequenceParallelismEveryRankRunsTheNormsOnAllTokens) {
  // tiny_gpt at tp 2, s 2048, no sequence parallelism, dropout on: x = 2048 x 1024 x 2 =
  //   4,194,304 bytes; each residual add also writes a 1-byte mask (3.5 x); the GELU as with
  //   sequence parallelism, 2 x 8,388,608:
  //   (2 + 3.5 + 2 + 3.5) x 4,194,304 + 16,777,216 = 62,914,560 bytes / 1e13 = 6.291456e-6 s;
  //   backward 2x. (With sequence parallelism and no dropout: 3.7748736e-6 s.)
  TrainingLayout layout = layout_of(2, 1, 1, 2048);
  layout.sequence_parallel = false;
  layout.dropout = true;
  const LayerKernelTimes t = layer_kernel_times(tiny_gpt(), layout, KernelModel(hand_kernels()));
  EXPECT_LT(relative_error(t.memory_bound_forward_s, 6.291456e-6), kTol);
  EXPECT_LT(relative_error(t.memory_bound_backward_s, 1.2582912e-5), kTol);
  // GEMMs and the fused attention do not change.
  EXPECT_LT(relative_error(t.gemm_forward_s, 5.1539607552e-5), kTol);
  EXPECT_LT(relative_error(t.attention_forward_s, 1.073741824e-5), kTol);
}

TEST(LayerKernels, TensorParallelSplitsQkvAndUpByColumnsAndOutAndDownByRows) {
  // Bandwidth-bound GEMMs: time = 2 bytes x (mk + kn + mn) / 1e12. tiny_gpt, tp 2, T = 2048.
  //   QKV  (column-parallel) 2048 x 1536 x 1024: 2,097,152 + 1,572,864 + 3,145,728 = 6,815,744
  //   out  (row-parallel)    2048 x 1024 x 512:  1,048,576 +   524,288 + 2,097,152 = 3,670,016
  //   up   (column-parallel) 2048 x 2048 x 1024: 2,097,152 + 2,097,152 + 4,194,304 = 8,388,608
  //   down (row-parallel)    2048 x 1024 x 2048: 4,194,304 + 2,097,152 + 2,097,152 = 8,388,608
  //   27,262,976 elements x 2 = 54,525,952 bytes / 1e12 = 5.4525952e-5 s.
  // (Splitting QKV's k instead would move 2048 x 512 + 512 x 3072 + 2048 x 3072 = 8,912,896
  // elements, the up projection's k 11,534,336: the total tells the split apart.)
  // Backward: dX = dY W^T reads dY (m x n) and W (k x n) and writes dX (m x k); dW = X^T dY reads
  //   X (m x k), dY and writes dW (k x n): each moves the same three matrices as the forward,
  //   so the backward is 2 x 5.4525952e-5 = 1.09051904e-4 s.
  const LayerKernelTimes t = layer_kernel_times(tiny_gpt(), layout_of(2, 1, 1, 2048),
                                                KernelModel(bandwidth_bound_kernels()));
  EXPECT_LT(relative_error(t.gemm_forward_s, 5.4525952e-5), kTol);
  EXPECT_LT(relative_error(t.gemm_backward_s, 1.09051904e-4), kTol);
}

TEST(LayerKernels, GroupedQueryAttentionAndGatedMlpByHand) {
  // tiny_llama at tp 2, s 2048 (T = 2048): head_dim 128, q width 1024, kv width 2 x 128 = 256.
  //   QKV  n = (1024 + 2 x 256) / 2 = 768:     2 x 2048 x 768 x 1024  =  3,221,225,472
  //   out  k = 1024 / 2 = 512:                 2 x 2048 x 1024 x 512  =  2,147,483,648
  //   up + gate n = 2 x 3072 / 2 = 3072:       2 x 2048 x 3072 x 1024 = 12,884,901,888
  //   down k = 3072 / 2 = 1536:                2 x 2048 x 1024 x 1536 =  6,442,450,944
  //   sum 24,696,061,952 FLOPs / 5e14 = 4.9392123904e-5 s; backward 9.8784247808e-5 s.
  // Attention FLOPs follow the query heads (8 / 2 = 4), not the kv heads: 2^32 / 4e14 =
  //   1.073741824e-5 s, backward 4.294967296e-5 s.
  // Memory-bound: x = 1024 x 1024 x 2 = 2,097,152 (sequence parallel); SwiGLU reads gate and up
  //   and writes the product: 3 x 2048 x 1536 x 2 = 18,874,368;
  //   10 x 2,097,152 + 18,874,368 = 39,845,888 bytes / 1e13 = 3.9845888e-6 s.
  const KernelModel kernels(hand_kernels());
  const LayerKernelTimes t = layer_kernel_times(tiny_llama(), layout_of(2, 1, 1, 2048), kernels);
  EXPECT_LT(relative_error(t.gemm_forward_s, 4.9392123904e-5), kTol);
  EXPECT_LT(relative_error(t.gemm_backward_s, 9.8784247808e-5), kTol);
  EXPECT_LT(relative_error(t.attention_forward_s, 1.073741824e-5), kTol);
  EXPECT_LT(relative_error(t.attention_backward_s, 4.294967296e-5), kTol);
  EXPECT_LT(relative_error(t.memory_bound_forward_s, 3.9845888e-6), kTol);
  EXPECT_LT(relative_error(t.memory_bound_backward_s, 7.9691776e-6), kTol);

  // The same model with a plain MLP: up n = 3072 / 2 = 1536 -> 6,442,450,944 FLOPs, sum
  //   18,253,611,008 / 5e14 = 3.6507222016e-5 s; GELU 2 x 2048 x 1536 x 2 = 12,582,912 bytes,
  //   with the norms 33,554,432 bytes / 1e13 = 3.3554432e-6 s.
  ModelShape plain = tiny_llama();
  plain.gated_mlp = false;
  const LayerKernelTimes p = layer_kernel_times(plain, layout_of(2, 1, 1, 2048), kernels);
  EXPECT_LT(relative_error(p.gemm_forward_s, 3.6507222016e-5), kTol);
  EXPECT_LT(relative_error(p.memory_bound_forward_s, 3.3554432e-6), kTol);
}

TEST(LayerKernels, MicroBatchMultipliesEveryKernelLinearly) {
  // b = 2 doubles the tokens of every GEMM and memory kernel and the sequences of the attention:
  // tiny_gpt at tp 2 gives twice TensorParallelDividesGemmsHeadsAndNormTokens: GEMMs
  // 1.03079215104e-4, attention 2.147483648e-5, memory-bound 7.5497472e-6 s forward.
  const LayerKernelTimes t =
      layer_kernel_times(tiny_gpt(), layout_of(2, 1, 2, 2048), KernelModel(hand_kernels()));
  EXPECT_LT(relative_error(t.gemm_forward_s, 1.03079215104e-4), kTol);
  EXPECT_LT(relative_error(t.attention_forward_s, 2.147483648e-5), kTol);
  EXPECT_LT(relative_error(t.memory_bound_forward_s, 7.5497472e-6), kTol);
}

TEST(LayerKernels, ContextParallelSplitsTheTokensOfGemmsAndMemoryKernels) {
  // tiny_gpt, tp 2, cp 2, s 2048: each rank holds s / cp = 1024 tokens.
  // GEMMs 24 h^2 x 1024 / 2 = 12,884,901,888 FLOPs / 5e14 = 2.5769803776e-5 s (backward 2x).
  // Memory-bound: x = 1024 / 2 x 1024 x 2 = 1,048,576; GELU 1024 x 2048 x 2 = 4,194,304;
  //   10 x 1,048,576 + 2 x 4,194,304 = 18,874,368 bytes / 1e13 = 1.8874368e-6 s.
  const LayerKernelTimes t =
      layer_kernel_times(tiny_gpt(), layout_of(2, 2, 1, 2048), KernelModel(hand_kernels()));
  EXPECT_LT(relative_error(t.gemm_forward_s, 2.5769803776e-5), kTol);
  EXPECT_LT(relative_error(t.gemm_backward_s, 5.1539607552e-5), kTol);
  EXPECT_LT(relative_error(t.memory_bound_forward_s, 1.8874368e-6), kTol);
  EXPECT_LT(relative_error(t.memory_bound_backward_s, 3.7748736e-6), kTol);
}

TEST(LayerKernels, ContextParallelRanksEachComputeTheirShareOfTheCausalAttention) {
  // tiny_gpt, tp 2, cp 2, s 2048: the layer's causal attention is 2 b (a/tp) s^2 d =
  //   2 x 4 x 2048^2 x 128 = 2^32 FLOPs per tp rank; each of the cp = 2 ranks does half:
  //   2^31 = 2,147,483,648 / 4e14 = 5.36870912e-6 s forward, 2.5 x 2^31 / 2.5e14 =
  //   2.147483648e-5 s backward. (The code gives 2.68435456e-6 and 1.073741824e-5.)
  const LayerKernelTimes t =
      layer_kernel_times(tiny_gpt(), layout_of(2, 2, 1, 2048), KernelModel(hand_kernels()));
  EXPECT_LT(relative_error(t.attention_forward_s, 5.36870912e-6), kTol);
  EXPECT_LT(relative_error(t.attention_backward_s, 2.147483648e-5), kTol);
}

TEST(LayerKernels, LogitsAreOneVocabParallelGemmPlusCrossEntropyTraffic) {
  // tiny_gpt, tp 2, s 2048: logits 2048 x (32768 / 2 = 16384) x 1024: 2^36 = 68,719,476,736
  //   FLOPs / 5e14 = 1.37438953472e-4 s; backward dX and dW 2.74877906944e-4 s.
  // Cross-entropy over 2048 x 16384 = 33,554,432 logits as PyTorch ops on an fp32 copy
  //   (LayerKernels.cpp): forward cast 2 + 4, max 4, subtract 8, exp 8, sum 4, divide 8 = 38
  //   bytes per logit, 1,275,068,416 bytes / 1e13 = 1.275068416e-4 s; backward scale 8 and cast
  //   back 4 + 2 = 14 bytes, 469,762,048 / 1e13 = 4.69762048e-5 s.
  // forward 1.37438953472e-4 + 1.275068416e-4 = 2.64945795072e-4 s;
  // backward 2.74877906944e-4 + 4.69762048e-5 = 3.21854111744e-4 s.
  const KernelModel kernels(hand_kernels());
  const HeadKernelTimes t = logits_kernel_times(tiny_gpt(), layout_of(2, 1, 1, 2048), kernels);
  EXPECT_LT(relative_error(t.forward_s, 2.64945795072e-4), kTol);
  EXPECT_LT(relative_error(t.backward_s, 3.21854111744e-4), kTol);

  // cp 2: 1024 tokens, everything halves: 1.32472897536e-4 and 1.60927055872e-4 s.
  const HeadKernelTimes c = logits_kernel_times(tiny_gpt(), layout_of(2, 2, 1, 2048), kernels);
  EXPECT_LT(relative_error(c.forward_s, 1.32472897536e-4), kTol);
  EXPECT_LT(relative_error(c.backward_s, 1.60927055872e-4), kTol);
}

TEST(LayerKernels, AFusedCrossEntropyReadsTheLogitsOnceEachWay) {
  // The same 33,554,432 logits with one fused loss kernel: forward reads the bf16 logits (2
  //   bytes) = 6.7108864e-6 s, backward reads them and writes their gradient (4 bytes) =
  //   1.34217728e-5 s.
  // forward 1.37438953472e-4 + 6.7108864e-6 = 1.44149839872e-4 s;
  // backward 2.74877906944e-4 + 1.34217728e-5 = 2.88299679744e-4 s.
  TrainingLayout layout = layout_of(2, 1, 1, 2048);
  layout.fused_cross_entropy = true;
  const HeadKernelTimes t = logits_kernel_times(tiny_gpt(), layout, KernelModel(hand_kernels()));
  EXPECT_LT(relative_error(t.forward_s, 1.44149839872e-4), kTol);
  EXPECT_LT(relative_error(t.backward_s, 2.88299679744e-4), kTol);
}

TEST(LayerKernels, Fp8LayoutsRunTheGemmsAtTheFp8RateAndAttentionAtBf16) {
  // FP8 GEMMs at 2e15 x 0.5 = 1e15 FLOP/s: tiny_gpt at tp 2, 25,769,803,776 / 1e15 =
  //   2.5769803776e-5 s forward; attention stays BF16: 1.073741824e-5 s; memory-bound unchanged
  //   (16-bit activations): 3.7748736e-6 s. Logits 2^36 / 1e15 = 6.8719476736e-5 s + the
  //   cross-entropy 1.275068416e-4 s = 1.96226318336e-4 s.
  TrainingLayout layout = layout_of(2, 1, 1, 2048);
  layout.precision = Precision::FP8;
  EXPECT_EQ(matmul_precision(layout), MatmulPrecision::FP8);
  const KernelModel kernels(hand_kernels());
  const LayerKernelTimes t = layer_kernel_times(tiny_gpt(), layout, kernels);
  EXPECT_LT(relative_error(t.gemm_forward_s, 2.5769803776e-5), kTol);
  EXPECT_LT(relative_error(t.attention_forward_s, 1.073741824e-5), kTol);
  EXPECT_LT(relative_error(t.memory_bound_forward_s, 3.7748736e-6), kTol);
  EXPECT_LT(
      relative_error(logits_kernel_times(tiny_gpt(), layout, kernels).forward_s, 1.96226318336e-4),
      kTol);
  layout.precision = Precision::BF16;
  EXPECT_EQ(matmul_precision(layout), MatmulPrecision::BF16);
}

TEST(LayerKernels, Llama70bLayerOnTheCalibratedH100IsNearItsFlopTime) {
  // Llama 3.1 70B (h 8192, 64 heads of 128, 8 kv heads, SwiGLU f 28672), tp 8, b 1, s 8192.
  // Matrix parameters of one layer: QKV 8192 x (8192 + 2 x 1024) = 83,886,080; out 67,108,864;
  //   up + gate 8192 x 57344 = 469,762,048; down 234,881,024; sum 855,638,016.
  // GEMM FLOPs per GPU forward: 2 x 855,638,016 x 8192 tokens / 8 = 1,752,346,656,768.
  // Causal attention per GPU forward: 2 b (a / tp) s^2 d = 2 x 8 x 8192^2 x 128 =
  //   137,438,953,472.
  // The pure-FLOP time, GEMMs at the fitted GEMM efficiency and attention at the fitted attention
  //   efficiency, is a lower bound (tile padding, wave quantization, per-tile overhead, the
  //   half-saturation term, launches and the memory-bound kernels only add). The kernels of a
  //   layer this large are big and well shaped, so the model should stay within 1.5x of it:
  //   the memory-bound kernels alone move 10 x 1024 x 8192 x 2 + 3 x 8192 x 3584 x 2 =
  //   344 MB, ~0.12 ms at ~2.9 TB/s, about 5% of the ~2.3 ms FLOP time.
  // Backward: 2x the GEMM FLOPs at the GEMM efficiency, 2.5x the attention FLOPs at the backward
  //   attention efficiency.
  const Catalog catalog = load_catalog(std::string(CAPSIM_SOURCE_DIR) + "/models/catalog");
  const GpuSpec& gpu = catalog.gpus.at("h100-sxm-80gb");
  const double gemm_rate = gpu.bf16_flop_per_s * gpu.matmul_efficiency_bf16;
  const double gemm_flops = 1752346656768.0;
  const double attention_flops = 137438953472.0;
  const double forward_floor =
      gemm_flops / gemm_rate +
      attention_flops / (gpu.bf16_flop_per_s * gpu.attention_efficiency_fwd);
  const double backward_floor =
      2 * gemm_flops / gemm_rate +
      2.5 * attention_flops / (gpu.bf16_flop_per_s * gpu.attention_efficiency_bwd);
  // At the shipped fit (989 TFLOP/s, 0.8220, 0.6950, 0.6206) the floors are about 2.36 ms and
  //   4.87 ms; keep the test honest if the catalog drifts to nonsense.
  EXPECT_GT(forward_floor, 2.0e-3);
  EXPECT_LT(forward_floor, 3.0e-3);

  ModelShape llama_70b{80, 8192, 64, 8, 28672, 128256, true, false};
  const LayerKernelTimes t =
      layer_kernel_times(llama_70b, layout_of(8, 1, 1, 8192), KernelModel(kernel_parameters(gpu)));
  EXPECT_GE(t.forward_s(), forward_floor);
  EXPECT_LE(t.forward_s(), 1.5 * forward_floor);
  EXPECT_GE(t.backward_s(), backward_floor);
  EXPECT_LE(t.backward_s(), 1.5 * backward_floor);
}

}  // namespace
}  // namespace capsim
