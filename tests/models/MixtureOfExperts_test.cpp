// Mixture-of-experts layers and expert parallelism in the closed-form estimate, against hand
// derivations, Megatron-Core's FLOP formula and Mixtral 8x7B's published sizes. Every expected
// number is derived in the comment above it.
//
// The timing tests use the hand-checkable kernel parameters of LayerKernels_test.cpp: one SM,
// 1 x 1 GEMM tiles, no per-tile k overhead, no launch cost (unless a test sets one), so that
//   a GEMM m x n x k  costs max(2 m n k / 5e14, 2 (mk + kn + mn) / 1e13) (BF16): the compute side
//                     whenever 1 / (1/m + 1/n + 1/k) > 50, the memory side for the router, whose
//                     n = E = 4 experts makes it bandwidth-bound;
//   attention         2 b a s^2 d / 4e14 forward, 2.5 x those FLOPs / 2.5e14 backward;
//   a memory kernel   bytes / 1e13.
//
// The tiny MoE model: 2 layers, h 1024, 8 heads (no grouped queries), GELU experts of width
// 4096, vocabulary 32768, untied, E = 4 experts, top k = 2. Its counts:
//   attention 4 h^2 = 4,194,304; one expert 2 h f = 8,388,608; E experts 33,554,432;
//   router h E = 4,096; layer matrices 37,752,832; norms 2 h = 2,048;
//   whole model 2 x 37,754,880 + 2 x 32768 x 1024 + 1024 = 142,619,648 parameters, of which the
//   experts are 2 x 33,554,432 = 67,108,864 and the rest ("dense") 75,510,784.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "ShippedCatalog.hpp"
#include "TestTempPath.hpp"
#include "capsim/models/Catalog.hpp"
#include "capsim/models/Errors.hpp"
#include "capsim/models/KernelModel.hpp"
#include "capsim/models/LayerKernels.hpp"
#include "capsim/models/LayoutSearch.hpp"
#include "capsim/models/PublishedRuns.hpp"
#include "capsim/models/Scenario.hpp"
#include "capsim/models/TrainingEstimate.hpp"
#include "capsim/models/TrainingPlan.hpp"
#include "models/TrainingTestFixtures.hpp"

namespace capsim {
namespace {

using namespace capsim::test;  // the hand-checkable kernels and shared models

constexpr double kTol = 1e-9;

const Catalog& catalog() { return test::shipped_catalog(); }

ModelShape tiny_moe() { return {2, 1024, 8, 8, 4096, 32768, false, false, 4, 2}; }

// Mixtral 8x7B as its config.json gives it (Jiang et al. 2024; mistralai/Mixtral-8x7B-v0.1).
ModelShape mixtral() { return {32, 4096, 32, 8, 14336, 32000, true, false, 8, 2}; }

// ---------------------------------------------------------------------------------------------
// Parameters and FLOPs
// ---------------------------------------------------------------------------------------------

TEST(MixtureOfExperts, MixtralParametersMatchThePublishedTotalAndActiveSizes) {
  // h 4096, head_dim 128, kv_dim 8 x 128 = 1024:
  //   attention 2 h^2 + 2 h kv = 33,554,432 + 8,388,608 = 41,943,040
  //   one SwiGLU expert 3 h f = 3 x 4096 x 14336 = 176,160,768; 8 experts 1,409,286,144
  //   router h E = 32,768; norms 2 h = 8,192
  //   layer matrices 41,943,040 + 32,768 + 1,409,286,144 = 1,451,261,952
  //   total 32 x 1,451,270,144 + 2 x 32000 x 4096 + 4096 = 46,702,792,704 (Mistral AI: 46.7B)
  //   active per layer 41,943,040 + 32,768 + 2 x 176,160,768 = 394,297,344;
  //   active 32 x 394,305,536 + 262,144,000 + 4096 = 12,879,925,248 (Mistral AI: 12.9B)
  const ParameterCounts counts = count_parameters(mixtral());
  EXPECT_EQ(counts.layer_expert_matrices, 1409286144.0);
  EXPECT_EQ(counts.layer_matrices, 1451261952.0);
  EXPECT_EQ(counts.layer_active_matrices, 394297344.0);
  EXPECT_EQ(counts.total, 46702792704.0);
  EXPECT_EQ(counts.active, 12879925248.0);
  EXPECT_LT(relative_error(counts.total, 46.7e9), 0.005);
  EXPECT_LT(relative_error(counts.active, 12.9e9), 0.005);

  // The catalog entry maps to the same shape.
  const ModelShape from_catalog = model_shape(catalog().models.at("mixtral-8x7b"));
  EXPECT_EQ(count_parameters(from_catalog).total, 46702792704.0);
  EXPECT_EQ(count_parameters(from_catalog).active, 12879925248.0);
}

TEST(MixtureOfExperts, DenseModelsHaveNoExpertsAndAllParametersActive) {
  const ParameterCounts counts = count_parameters({4, 1024, 8, 8, 4096, 32768, false, false});
  EXPECT_EQ(counts.layer_expert_matrices, 0.0);
  EXPECT_EQ(counts.layer_active_matrices, counts.layer_matrices);
  EXPECT_EQ(counts.active, counts.total);
}

TEST(MixtureOfExperts, ModelFlopsAreMegatronCoresWithTopkPlusTheRouter) {
  // l 2, h 64, 4 heads (no GQA), GELU experts of f 256, V 1000, E 4, k 2; B 2, s 128.
  // Megatron-Core (num_experts_routed_to = k):
  //   12 B s l h^2 ((1 + g/a + s/h) + (f/h) k + V/(2 l h)) = 25,165,824 x (4 + 8 + 3.90625)
  //   = 400,293,888
  // The router adds 2 h E per token and layer forward, 6 h E with the backward:
  //   6 x 64 x 4 x B s l = 1,536 x 512 = 786,432 -> 401,080,320.
  // By hand: per token per layer forward 2 (4 h^2 + h E + k 2 h f) + 4 s h
  //   = 2 (16,384 + 256 + 65,536) + 32,768 = 197,120; x 2 layers + logits 2 h V = 128,000
  //   -> 522,240; x 3 (backward 2x) = 1,566,720 per token; x 256 tokens = 401,080,320.
  const ModelShape model{2, 64, 4, 4, 256, 1000, false, false, 4, 2};
  const TrainingFlops flops = count_training_flops(model, batch_of(2, 128));
  const double B = 2, s = 128, l = 2, h = 64, f = 256, V = 1000, E = 4, k = 2;
  const double megatron_core =
      12 * B * s * l * h * h * ((1 + 1 + s / h) + (f / h) * k + V / (2 * l * h));
  EXPECT_EQ(megatron_core, 400293888.0);
  EXPECT_EQ(flops.model_per_iteration, megatron_core + 6 * B * s * l * h * E);
  EXPECT_EQ(flops.model_per_iteration, 401080320.0);

  // Mixtral, B 1024, s 4096, Megatron-Core's general form (GQA, gated x 1.5), in floating point.
  const double Bm = 1024, sm = 4096, lm = 32, hm = 4096, Vm = 32000;
  const double mixtral_core =
      12 * Bm * sm * lm * hm * hm *
      ((1 + 8.0 / 32 + sm / hm) + (14336 / hm) * 2 * 1.5 + Vm / (2 * lm * hm));
  const double router = 6 * Bm * sm * lm * hm * 8;
  EXPECT_LT(
      relative_error(count_training_flops(mixtral(), batch_of(1024, 4096)).model_per_iteration,
                     mixtral_core + router),
      1e-12);
}

TEST(MixtureOfExperts, FullRecomputeReplaysTheActiveLayer) {
  // Hardware FLOPs add one forward of every layer, counted with the k experts routed to:
  //   per token 2 x 197,120 = 394,240 x 256 tokens = 100,925,440 over the model FLOPs.
  const ModelShape model{2, 64, 4, 4, 256, 1000, false, false, 4, 2};
  TrainingLayout layout = batch_of(2, 128);
  layout.recompute = Recompute::Full;
  const TrainingFlops flops = count_training_flops(model, layout);
  EXPECT_EQ(flops.hardware_per_iteration - flops.model_per_iteration, 100925440.0);
}

// ---------------------------------------------------------------------------------------------
// Memory
// ---------------------------------------------------------------------------------------------

TrainingLayout tiny_moe_memory_layout(int ep, int zero_stage) {
  TrainingLayout layout;
  layout.dp = 4;
  layout.ep = ep;
  layout.micro_batch = 1;
  layout.global_batch = 4;
  layout.seq_len = 1024;
  layout.zero_stage = zero_stage;
  layout.recompute = Recompute::Selective;
  return layout;
}

TEST(MixtureOfExperts, TinyMoeMemoryWithEp2ByHand) {
  // tp = pp = 1, dp 4, ep 2, ZeRO-1. Each GPU holds E / ep = 2 experts per layer:
  //   local experts 67,108,864 / 2 = 33,554,432; dense 75,510,784; expert-DP group dp cp / ep = 2.
  //   weights 2 x (75,510,784 + 33,554,432) = 218,130,432
  //   gradients 4 x 109,065,216 = 436,260,864
  //   optimizer 12 x 75,510,784 / 4 + 12 x 33,554,432 / 2 = 226,532,352 + 201,326,592
  //             = 427,858,944
  // Activations, selective, s 1024, b 1: sbh = 1,048,576, sbf = 4,194,304:
  //   attention 7 sbh + 4 sbk = 11 sbh = 11,534,336; norms 4 sbh = 4,194,304;
  //   MoE MLP 3 sbh + k (2 sbh + 4 sbf) = 3,145,728 + 2 x 18,874,368 = 40,894,464;
  //   per layer 56,623,104; x 2 layers x 1 micro-batch = 113,246,208.
  // Logits fp32: 4 x 1024 x 32768 = 134,217,728.
  // Total 1,329,714,176.
  const MemoryBreakdown memory =
      estimate_memory(tiny_moe(), tiny_moe_memory_layout(2, 1), hand_gpu(), 4);
  EXPECT_EQ(memory.weights_bytes, 218130432.0);
  EXPECT_EQ(memory.gradients_bytes, 436260864.0);
  EXPECT_EQ(memory.optimizer_bytes, 427858944.0);
  EXPECT_EQ(memory.activations_bytes, 113246208.0);
  EXPECT_EQ(memory.logits_bytes, 134217728.0);
  EXPECT_EQ(memory.total_bytes, 1329714176.0);

  // ep 1: every GPU holds all 4 experts, sharded over dp 4 like the rest:
  //   weights 2 x 142,619,648 = 285,239,296; gradients 570,478,592; optimizer 12 x 142,619,648
  //   / 4 = 427,858,944 (the same: ZeRO-1 spreads the experts' states over dp cp GPUs either way).
  const MemoryBreakdown no_ep =
      estimate_memory(tiny_moe(), tiny_moe_memory_layout(1, 1), hand_gpu(), 4);
  EXPECT_EQ(no_ep.weights_bytes, 285239296.0);
  EXPECT_EQ(no_ep.gradients_bytes, 570478592.0);
  EXPECT_EQ(no_ep.optimizer_bytes, 427858944.0);
  EXPECT_EQ(no_ep.total_bytes, 1531040768.0);

  // ZeRO-3, ep 2: weights 2 x (75,510,784 / 4 + 33,554,432 / 2) = 71,309,824.
  const MemoryBreakdown zero3 =
      estimate_memory(tiny_moe(), tiny_moe_memory_layout(2, 3), hand_gpu(), 4);
  EXPECT_EQ(zero3.weights_bytes, 71309824.0);

  const LocalParameters local = local_stage_parameters(tiny_moe(), tiny_moe_memory_layout(2, 1), 0);
  EXPECT_EQ(local.dense, 75510784.0);
  EXPECT_EQ(local.experts, 33554432.0);
  EXPECT_EQ(expert_data_parallel_size(tiny_moe_memory_layout(2, 1)), 2);
  EXPECT_EQ(expert_data_parallel_size(tiny_moe_memory_layout(1, 1)), 4);
}

// ---------------------------------------------------------------------------------------------
// Kernels of one MoE layer
// ---------------------------------------------------------------------------------------------

TrainingLayout tiny_moe_kernel_layout(int tp, int ep) {
  TrainingLayout layout;
  layout.tp = tp;
  layout.ep = ep;
  layout.micro_batch = 1;
  layout.global_batch = 1;
  layout.seq_len = 2048;
  return layout;
}

TEST(MixtureOfExperts, LayerKernelsByHand) {
  // tp 1, cp 1, ep 2, T = 2048 tokens. Each GPU holds E / ep = 2 experts; each gets
  // T k ep / E = 2048 x 2 x 2 / 4 = 2048 routed tokens (balanced routing).
  // Expert GEMMs per expert: up 2048 x 4096 x 1024 and down 2048 x 1024 x 4096,
  //   2 x 2 T h f = 34,359,738,368 FLOPs; 2 experts 68,719,476,736 / 5e14 = 1.37438953472e-4 s;
  //   backward (dX and dW) 2x = 2.74877906944e-4 s.
  // Router 2048 x 4 x 1024, bandwidth-bound: (2048 x 1024 + 1024 x 4 + 2048 x 4) x 2 bytes
  //   = 4,218,880 / 1e13 = 4.21888e-7 s (compute 1.68e-8 s); dX 2048 x 1024 x 4 and dW
  //   1024 x 4 x 2048 move the same bytes: 8.43776e-7 s.
  // Attention projections 8 T h^2 = 17,179,869,184 / 5e14 = 3.4359738368e-5 s, backward 2x.
  //   GEMMs forward 3.4359738368e-5 + 4.21888e-7 + 1.37438953472e-4 = 1.7222057984e-4 s
  //   GEMMs backward 6.8719476736e-5 + 8.43776e-7 + 2.74877906944e-4 = 3.4444115968e-4 s
  // Memory-bound, x = T h 2 = 4,194,304 bytes: norms and residuals 10 x = 41,943,040; GELU on the
  //   k T routed tokens 2 x (2 x 2048 x 4096 x 2) = 67,108,864; permute and unpermute
  //   2 x (1 + k) x = 25,165,824; total 134,217,728 / 1e13 = 1.34217728e-5 s, backward 2x.
  const LayerKernelTimes t =
      layer_kernel_times(tiny_moe(), tiny_moe_kernel_layout(1, 2), KernelModel(hand_kernels()));
  EXPECT_LT(relative_error(t.expert_gemm_forward_s, 1.37438953472e-4), kTol);
  EXPECT_LT(relative_error(t.expert_gemm_backward_s, 2.74877906944e-4), kTol);
  EXPECT_LT(relative_error(t.gemm_forward_s, 1.7222057984e-4), kTol);
  EXPECT_LT(relative_error(t.gemm_backward_s, 3.4444115968e-4), kTol);
  EXPECT_LT(relative_error(t.memory_bound_forward_s, 1.34217728e-5), kTol);
  EXPECT_LT(relative_error(t.memory_bound_backward_s, 2.68435456e-5), kTol);
  // Attention is the dense layer's: 2 x 8 x 2048^2 x 128 = 2^33 / 4e14.
  EXPECT_LT(relative_error(t.attention_forward_s, 2.147483648e-5), kTol);

  // ep 1: 4 local experts of T k / E = 1024 tokens each, the same FLOPs on one GPU.
  const LayerKernelTimes one =
      layer_kernel_times(tiny_moe(), tiny_moe_kernel_layout(1, 1), KernelModel(hand_kernels()));
  EXPECT_LT(relative_error(one.expert_gemm_forward_s, 1.37438953472e-4), kTol);
  // ep 4: 1 expert of 4096 tokens, again the same FLOPs.
  const LayerKernelTimes four =
      layer_kernel_times(tiny_moe(), tiny_moe_kernel_layout(1, 4), KernelModel(hand_kernels()));
  EXPECT_LT(relative_error(four.expert_gemm_forward_s, 1.37438953472e-4), kTol);
  // tp 2 halves each expert's width (ffn / tp) on the same routed tokens: 6.8719476736e-5 s.
  const LayerKernelTimes tp2 =
      layer_kernel_times(tiny_moe(), tiny_moe_kernel_layout(2, 2), KernelModel(hand_kernels()));
  EXPECT_LT(relative_error(tp2.expert_gemm_forward_s, 6.8719476736e-5), kTol);
}

TEST(MixtureOfExperts, GroupedGemmLaunchesOncePerGemmKind) {
  // With a 1 us launch each of the 2 local experts' GEMMs would cost one launch more, but a
  // grouped GEMM launches once: forward up + down = 2 launches (not 4), backward their dX and
  // dW = 4 launches (not 8).
  KernelParameters p = hand_kernels();
  p.launch_s = 1e-6;
  const LayerKernelTimes t =
      layer_kernel_times(tiny_moe(), tiny_moe_kernel_layout(1, 2), KernelModel(p));
  EXPECT_LT(relative_error(t.expert_gemm_forward_s, 1.37438953472e-4 + 2e-6), kTol);
  EXPECT_LT(relative_error(t.expert_gemm_backward_s, 2.74877906944e-4 + 4e-6), kTol);
}

// ---------------------------------------------------------------------------------------------
// One iteration: tiny MoE on dp 4 with ep 2
// ---------------------------------------------------------------------------------------------

TrainingLayout tiny_moe_iteration_layout(int tp, int ep) {
  TrainingLayout layout;
  layout.tp = tp;
  layout.dp = 4;
  layout.ep = ep;
  layout.micro_batch = 1;
  layout.global_batch = 4;  // m = 1
  layout.seq_len = 2048;
  layout.zero_stage = 0;
  layout.recompute = Recompute::None;
  layout.grad_reduce_fp32 = false;  // 2-byte gradients in the hand figures below
  return layout;
}

CommPaths moe_paths() {
  CommPaths paths;
  paths.tp = {1e11, 0.0};
  paths.dp = {1e11, 1e-5};
  paths.ep = {2e11, 5e-6};
  paths.ep_dp = {5e10, 2e-5};
  return paths;
}

TEST(MixtureOfExperts, TinyIterationAllToAllAndExpertGradientsByHand) {
  // All-to-all per dispatch or combine: each GPU sends its T / tp = 2048 tokens' k = 2 copies,
  //   2048 x 2 x 1024 x 2 bytes = 8,388,608, over ep 2: 1 x (5e-6 + 8,388,608 / (2 x 2e11))
  //   = 2.597152e-5 s; 2 per layer, 2 layers: 1.0388608e-4 s forward, the same backward.
  //   m = 1 micro-batch: ep_comm_s = 2.0777216e-4 s.
  // Data parallel, ZeRO-0, not overlapped:
  //   dense 75,510,784 params, 2-byte gradients 151,021,568 bytes, all-reduce over dp 4:
  //     2 x 3 x (1e-5 + 151,021,568 / (4 x 1e11)) = 2.32532352e-3 s
  //   local experts 33,554,432, 67,108,864 bytes, all-reduce over the expert-DP group of
  //     dp cp / ep = 2 on the ep_dp link: 2 x 1 x (2e-5 + 67,108,864 / (2 x 5e10))
  //     = 1.38217728e-3 s
  //   total 3.7075008e-3 s.
  // Optimizer: 109,065,216 owned params x 30 bytes / 1e13 = 3.27195648e-4 s.
  // Compute forward: 2 layers x (GEMMs 1.7222057984e-4 + attention 2.147483648e-5 + memory
  //   1.34217728e-5 = 2.0711718912e-4) + logits (2 x 2048 x 32768 x 1024 = 2^37 FLOPs / 5e14 =
  //   2.74877906944e-4, cross-entropy 2048 x 32768 x 38 bytes / 1e13 = 2.550136832e-4)
  //   = 9.44125968384e-4 s.
  const TrainingEstimate e =
      estimate_training(tiny_moe(), tiny_moe_iteration_layout(1, 2), hand_gpu(), moe_paths(), 4);
  EXPECT_LT(relative_error(e.micro_batch.ep_forward_s, 1.0388608e-4), kTol);
  EXPECT_LT(relative_error(e.micro_batch.ep_backward_s, 1.0388608e-4), kTol);
  EXPECT_LT(relative_error(e.breakdown.ep_comm_s, 2.0777216e-4), kTol);
  EXPECT_LT(relative_error(e.dp_comm_total_s, 3.7075008e-3), kTol);
  EXPECT_LT(relative_error(e.breakdown.dp_comm_s, 3.7075008e-3), kTol);
  EXPECT_EQ(e.stage_parameters, 109065216.0);
  EXPECT_LT(relative_error(e.breakdown.optimizer_s, 3.27195648e-4), kTol);
  EXPECT_LT(relative_error(e.micro_batch.compute_forward_s, 9.44125968384e-4), kTol);
  const IterationBreakdown& b = e.breakdown;
  EXPECT_LT(relative_error(b.compute_s + b.tp_comm_s + b.cp_comm_s + b.pp_comm_s + b.ep_comm_s +
                               b.bubble_s + b.dp_comm_s + b.optimizer_s,
                           e.iteration_s),
            1e-12);
  EXPECT_EQ(e.parameters.total, 142619648.0);

  // Full recompute replays the forward's two all-to-alls: backward 2.0777216e-4 s.
  TrainingLayout full = tiny_moe_iteration_layout(1, 2);
  full.recompute = Recompute::Full;
  const TrainingEstimate f = estimate_training(tiny_moe(), full, hand_gpu(), moe_paths(), 4);
  EXPECT_LT(relative_error(f.micro_batch.ep_backward_s, 2.0777216e-4), kTol);

  // ep 1: no all-to-all; all 142,619,648 parameters' gradients (285,239,296 bytes) go over
  //   dp 4 in one all-reduce: 6 x (1e-5 + 285,239,296 / 4e11) = 4.33858944e-3 s.
  const TrainingEstimate no_ep =
      estimate_training(tiny_moe(), tiny_moe_iteration_layout(1, 1), hand_gpu(), moe_paths(), 4);
  EXPECT_EQ(no_ep.breakdown.ep_comm_s, 0.0);
  EXPECT_LT(relative_error(no_ep.dp_comm_total_s, 4.33858944e-3), kTol);
}

TEST(MixtureOfExperts, TensorParallelMoeBlockMovesTheRoutedCopies) {
  // tp 2 x dp 4 = 8 GPUs, ep 2. Tensor parallelism per layer: the attention block's all-gather
  //   and reduce-scatter of T h 2 = 4,194,304 bytes, 1 x (0 + 4,194,304 / (2 x 1e11)) =
  //   2.097152e-5 s each, and the MoE block's of the k = 2 routed copies, 4.194304e-5 s each:
  //   1.2582912e-4 s per layer, 2 layers 2.5165824e-4 s forward (a dense MLP would give
  //   1.6777216e-4).
  // Backward (TensorParallelComm.hpp): the output projection's gradient AG, 2.097152e-5 s; the
  //   QKV input AG and dgrad RS beside the QKV dgrad and wgrad GEMMs, each 2 x 2048 x 1024 x
  //   1536 / 5e14 = 1.2884901888e-5 s, expose 2 x 8.086618112e-6 = 1.6173236224e-5 s; the routed
  //   pair 8.388608e-5 s: 1.21030836224e-4 s per layer, 2 layers 2.42061672448e-4 s.
  // All-to-all: T / tp = 1024 tokens x 2 copies x 1024 x 2 = 4,194,304 bytes over ep 2:
  //   5e-6 + 4,194,304 / 4e11 = 1.548576e-5 s; x 2 per layer x 2 layers = 6.194304e-5 s.
  const TrainingEstimate e =
      estimate_training(tiny_moe(), tiny_moe_iteration_layout(2, 2), hand_gpu(), moe_paths(), 8);
  EXPECT_LT(relative_error(e.micro_batch.tp_forward_s, 2.5165824e-4), kTol);
  EXPECT_LT(relative_error(e.micro_batch.tp_backward_s, 2.42061672448e-4), kTol);
  EXPECT_LT(relative_error(e.micro_batch.ep_forward_s, 6.194304e-5), kTol);
}

// ---------------------------------------------------------------------------------------------
// Checks
// ---------------------------------------------------------------------------------------------

std::string error_of(const ModelShape& model, const TrainingLayout& layout, int gpus,
                     const CommPaths& paths = moe_paths()) {
  try {
    estimate_training(model, layout, hand_gpu(), paths, gpus);
  } catch (const ConfigurationError& error) {
    return error.what();
  }
  return "no error";
}

TEST(MixtureOfExperts, RejectsExpertParallelismThatDoesNotSplit) {
  ModelShape dense = tiny_moe();
  dense.moe_experts = 0;
  dense.moe_topk = 0;
  EXPECT_EQ(error_of(dense, tiny_moe_iteration_layout(1, 2), 4),
            "parallelism: ep 2 for a dense model; expected ep 1 (expert parallelism needs "
            "moe_experts)");
  EXPECT_EQ(error_of(dense, tiny_moe_iteration_layout(1, 1), 4), "no error");
  EXPECT_EQ(error_of(tiny_moe(), tiny_moe_iteration_layout(1, 3), 4),
            "parallelism: moe_experts 4 is not divisible by ep 3; expected each "
            "expert-parallel rank to hold a whole number of experts");
  TrainingLayout two = tiny_moe_iteration_layout(1, 4);
  two.dp = 2;
  two.global_batch = 2;
  EXPECT_EQ(error_of(tiny_moe(), two, 2),
            "parallelism: dp x cp 2 is not divisible by ep 4; expected ep to be carved out of "
            "the data- and context-parallel ranks");
  // Context-parallel ranks count: dp 2 x cp 2 = 4 takes ep 4.
  two.cp = 2;
  CommPaths paths = moe_paths();
  paths.cp = {1e11, 1e-6};
  EXPECT_EQ(error_of(tiny_moe(), two, 4, paths), "no error");

  ModelShape topk = tiny_moe();
  topk.moe_topk = 5;
  EXPECT_EQ(error_of(topk, tiny_moe_iteration_layout(1, 2), 4),
            "model: moe_topk is 5 with 4 experts; expected 1 to 4 experts per token");
  ModelShape stray = dense;
  stray.moe_topk = 2;
  EXPECT_NE(error_of(stray, tiny_moe_iteration_layout(1, 1), 4).find("model: moe_topk is 2"),
            std::string::npos);

  CommPaths no_ep_link = moe_paths();
  no_ep_link.ep = {};
  EXPECT_EQ(error_of(tiny_moe(), tiny_moe_iteration_layout(1, 2), 4, no_ep_link),
            "network: the ep link has bandwidth 0 B/s; expected a finite, positive bandwidth for "
            "a ep group of 2 GPUs");
  // ep 1 never uses either expert link.
  no_ep_link.ep_dp = {};
  EXPECT_EQ(error_of(tiny_moe(), tiny_moe_iteration_layout(1, 1), 4, no_ep_link), "no error");
}

// ---------------------------------------------------------------------------------------------
// Scenario, plan, published runs and search
// ---------------------------------------------------------------------------------------------

// 2 DGX H100 = 16 GPUs; Mixtral 8x7B with tp 2, dp 8 and ep 8 carved out of the dp ranks.
// Per GPU: dense (32 x (41,943,040 + 32,768 + 8,192) + 262,144,000 + 4,096) / 2 = 802,818,048,
// experts 32 x 1,409,286,144 / 16 = 2,818,572,288; with ZeRO-1 and full recompute ~58 GB: fits.
const std::string kMoeScenario = R"(name: moe
infrastructure:
  clusters:
    - name: pair
      server: dgx-h100
      count: 2
      fabric: {template: single-switch, switch: quantum-2-qm9700}
workloads:
  - name: mixtral
    kind: training
    model: mixtral-8x7b
    steps: 10
    seq_len: 4096
    global_batch: 32
    micro_batch: 1
    parallelism: {tp: 2, ep: 8}
    zero_stage: 1
    recompute: full
economics:
  rental: "$2.00/h"
)";

Scenario parse(const std::vector<std::string>& settings = {}) {
  std::vector<KeyOverride> overrides;
  for (const auto& setting : settings) overrides.push_back(parse_key_override(setting));
  return parse_scenario(kMoeScenario, "moe.yaml", catalog(), overrides);
}

TEST(MixtureOfExperts, ScenarioWithEpParsesAndPlans) {
  const Scenario scenario = parse();
  const TrainingWorkload& job = scenario.training.at(0);
  EXPECT_EQ(job.ep, 8);
  EXPECT_EQ(job.model.moe_experts, 8);
  EXPECT_EQ(job.model.moe_topk, 2);
  const ClusterConfig& cluster = scenario.clusters.at(0);
  const ClusterPlan cluster_plan = plan_cluster(cluster, scenario.economics);
  const TrainingPlan plan = plan_training(job, cluster, cluster_plan);
  EXPECT_EQ(plan.layout.ep, 8);
  EXPECT_EQ(plan.layout.dp, 8);
  // The EP group: 8 ranks at stride tp = 2, GPUs 0, 2, ..., 14 on both servers: the NIC's link.
  EXPECT_DOUBLE_EQ(plan.comm.ep.bandwidth_Bps,
                   comm_link(cluster_plan.topology, cluster, 8, 2).bandwidth_Bps);
  EXPECT_LT(plan.comm.ep.bandwidth_Bps, plan.comm.tp.bandwidth_Bps);
  // dp cp / ep = 1: no expert-data-parallel group.
  EXPECT_EQ(plan.comm.ep_dp.bandwidth_Bps, 0.0);
  EXPECT_GT(plan.estimate.breakdown.ep_comm_s, 0.0);
  EXPECT_EQ(plan.estimate.parameters.total, 46702792704.0);
  EXPECT_TRUE(plan.estimate.memory.fits);
  // Per GPU before ZeRO: 802,818,048 dense + 2,818,572,288 expert parameters.
  EXPECT_EQ(plan.estimate.stage_parameters, 802818048.0 + 2818572288.0);
  bool stated = false;
  for (const auto& line : plan.assumptions) stated |= line.find("Mixture of experts") == 0;
  EXPECT_TRUE(stated);

  // ep 4: an expert-data-parallel group of 2 ranks at stride tp ep = 8, one on each server.
  const Scenario four = parse({"workloads[0].parallelism.ep=4"});
  const TrainingPlan plan4 = plan_training(four.training.at(0), four.clusters.at(0), cluster_plan);
  EXPECT_DOUBLE_EQ(plan4.comm.ep_dp.bandwidth_Bps,
                   comm_link(cluster_plan.topology, cluster, 2, 8).bandwidth_Bps);
  EXPECT_DOUBLE_EQ(plan4.comm.ep.bandwidth_Bps,
                   comm_link(cluster_plan.topology, cluster, 4, 2).bandwidth_Bps);
}

TEST(MixtureOfExperts, ScenarioErrorsNameTheKey) {
  EXPECT_THROW(parse({"workloads[0].parallelism.ep=0"}), InputError);
  try {
    parse({"workloads[0].model={id: mixtral-8x7b, moe_topk: 9}"});
    ADD_FAILURE() << "moe_topk 9 of 8 experts was accepted";
  } catch (const InputError& error) {
    EXPECT_NE(std::string(error.what()).find("workloads[0].model.moe_topk: 9 with 8 experts"),
              std::string::npos)
        << error.what();
  }
  // A dense catalog model made an MoE by inline override.
  const Scenario overridden =
      parse({"workloads[0].model={id: llama-3.1-8b, moe_experts: 8, moe_topk: 2}"});
  EXPECT_EQ(overridden.training.at(0).model.moe_experts, 8);
  // ep on a dense model, and ep that does not divide the experts, are planning errors.
  const Scenario dense = parse({"workloads[0].model=llama-3.1-8b"});
  const ClusterPlan cluster_plan = plan_cluster(dense.clusters.at(0), dense.economics);
  try {
    plan_training(dense.training.at(0), dense.clusters.at(0), cluster_plan);
    ADD_FAILURE() << "ep 8 on a dense model was accepted";
  } catch (const ConfigurationError& error) {
    EXPECT_NE(std::string(error.what()).find("ep 8 for a dense model"), std::string::npos)
        << error.what();
  }
}

const std::string kPublic = CAPSIM_SHARED_DIR "/validation/training_public.csv";

TEST(MixtureOfExperts, PublishedMoeRowPredicts) {
  // The Megatron-Core 1.7B GPT row (48 H100, dp 48) with every MLP made 8 experts, top 2, ep 8.
  PublishedTrainingRun run = load_published_training_runs(kPublic).at(10);
  ASSERT_EQ(run.id, "megatron-core-h100-1.7b");
  EXPECT_FALSE(run.ep.has_value());  // the published format has no ep column
  run.moe_experts = 8;
  run.moe_topk = 2;
  run.ep = 8;
  const TrainingPrediction prediction = predict_published_run(run, catalog());
  EXPECT_GT(prediction.predicted_iter_s, 0.0);
  EXPECT_TRUE(std::isfinite(prediction.predicted_iter_s));
  EXPECT_GT(prediction.estimate.breakdown.ep_comm_s, 0.0);
  EXPECT_LT(prediction.estimate.parameters.active, prediction.estimate.parameters.total);
  // Without ep the same row still predicts (experts replicated on every GPU).
  run.ep = 1;
  EXPECT_GT(predict_published_run(run, catalog()).predicted_iter_s, 0.0);
}

TEST(MixtureOfExperts, PublishedFlopConventionsForMoe) {
  // 24 layers, h 2048, 16 heads, GELU ffn 8192 (= 4h), V 131072, B 192, s 4096; E 8, top 2.
  PublishedTrainingRun run = load_published_training_runs(kPublic).at(10);
  run.moe_experts = 8;
  run.moe_topk = 2;
  const ModelShape shape{24, 2048, 16, 16, 8192, 131072, false, false, 8, 2};
  TrainingLayout layout = batch_of(192, 4096);
  // megatron-core routes to k experts and omits the router's 6 h E per token and layer.
  run.flops_formula = "megatron-core";
  const double router = 6.0 * 192 * 4096 * 24 * 2048 * 8;
  EXPECT_LT(relative_error(published_flops_per_iteration(run) + router,
                           count_training_flops(shape, layout).model_per_iteration),
            1e-12);
  // 6nd counts the active parameters: 24 x (4 h^2 + h E + 2 x 2 h f + 2 h) + 2 V h + h
  //   = 24 x (16,777,216 + 16,384 + 67,108,864 + 4,096) + 536,870,912 + 2,048
  //   = 2,013,757,440 + 536,872,960 = 2,550,630,400.
  run.flops_formula = "6nd";
  EXPECT_EQ(count_parameters(shape).active, 2550630400.0);
  EXPECT_DOUBLE_EQ(published_flops_per_iteration(run), 6 * 2550630400.0 * 192 * 4096);
}

TEST(MixtureOfExperts, AnEpColumnIsReadWhereAFileHasOne) {
  std::ifstream in(kPublic);
  std::string header, row;
  std::getline(in, header);
  std::getline(in, row);
  const std::string path = test_temp_path("runs.csv");
  std::ofstream(path) << header << ",ep\n" << row << ",4\n";
  EXPECT_EQ(load_published_training_runs(path).at(0).ep, 4);
  std::ofstream(path) << header << ",ep\n" << row << ",\n";
  EXPECT_FALSE(load_published_training_runs(path).at(0).ep.has_value());
  std::filesystem::remove(path);
}

// 2 DGX H100 = 16 GPUs; Mixtral cut to 2 layers and 2 KV heads (as LayoutSearch_test's kSmall):
//   tp {1, 2}, pp {1, 2}, cp {1, 2, 4, 8, 16}, dp = 16 / (tp pp cp) dividing global batch 2.
//   ep: divisors of 8 = {1, 2, 4, 8} that divide dp x cp.
//   dp 1 (micro-batch 1 or 2): (tp, pp, cp) = (1,1,16) (1,2,8) (2,1,8) (2,2,4); ZeRO only 0
//     unless the experts' group dp cp / ep is larger than 1:
//       cp 16: ep 1 -> ZeRO 0; ep 2, 4, 8 (groups 8, 4, 2) -> 4 stages each: 13
//       cp 8:  ep 1 -> 1; ep 2, 4 (groups 4, 2) -> 4 each; ep 8 (group 1) -> 1: 10, twice
//       cp 4:  ep 1 -> 1; ep 2 (group 2) -> 4; ep 4 (group 1) -> 1: 6
//     39 x 2 micro-batches x 3 recompute = 234
//   dp 2 (micro-batch 1, ZeRO 0-3): (1,1,8) dp cp 16 and (1,2,4), (2,1,4) dp cp 8: ep 1, 2, 4, 8;
//     (2,2,2) dp cp 4: ep 1, 2, 4 -> (4 + 4 + 4 + 3) x 4 x 3 = 180
//   414 layouts.
const std::string kMoeSearch = R"(name: moe-search
infrastructure:
  clusters:
    - name: pair
      server: dgx-h100
      count: 2
      fabric: {template: single-switch, switch: quantum-2-qm9700}
workloads:
  - name: small
    kind: training
    model: {id: mixtral-8x7b, layers: 2, kv_heads: 2}
    steps: 100
    seq_len: 4096
    global_batch: 2
    parallelism: {tp: 2, pp: 2, cp: 2, ep: 2}
    zero_stage: 1
economics:
  rental: "$2.00/h"
)";

TEST(MixtureOfExperts, SearchEnumeratesEpForMoeModelsOnly) {
  const Scenario scenario = parse_scenario(kMoeSearch, "search.yaml", catalog());
  const ClusterPlan cluster_plan = plan_cluster(scenario.clusters.at(0), scenario.economics);
  const LayoutSearchResult result =
      search_layouts(scenario.training.at(0), scenario.clusters.at(0), cluster_plan);
  EXPECT_EQ(result.space.ep, (std::vector<int>{1, 2, 4, 8}));
  EXPECT_EQ(result.stats.evaluated, 414);
  EXPECT_EQ(result.stats.valid, 414);
  bool seen[9] = {};
  for (const auto& r : result.layouts) {
    const TrainingLayout& l = r.layout;
    EXPECT_EQ((l.dp * l.cp) % l.ep, 0);
    seen[l.ep] = true;
  }
  EXPECT_TRUE(seen[1] && seen[2] && seen[4] && seen[8]);
  // The scenario's own layout (TP2 PP2 DP2 CP2 EP2) is found with its ep.
  EXPECT_EQ(result.own.status, OwnLayoutStatus::Ranked) << result.own.note;
  EXPECT_EQ(result.own.layout.ep, 2);

  // The same job on a dense model: ep stays 1 and the count is LayoutSearch_test's 72.
  std::vector<KeyOverride> dense = {
      parse_key_override("workloads[0].model={id: llama-3.1-8b, layers: 2, kv_heads: 2}"),
      parse_key_override("workloads[0].parallelism={tp: 2, pp: 2, cp: 2}")};
  const Scenario dense_scenario = parse_scenario(kMoeSearch, "search.yaml", catalog(), dense);
  const LayoutSearchResult dense_result =
      search_layouts(dense_scenario.training.at(0), dense_scenario.clusters.at(0), cluster_plan);
  EXPECT_EQ(dense_result.space.ep, (std::vector<int>{1}));
  EXPECT_EQ(dense_result.stats.evaluated, 72);
  for (const auto& r : dense_result.layouts) EXPECT_EQ(r.layout.ep, 1);
}

}  // namespace
}  // namespace capsim
