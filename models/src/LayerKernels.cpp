#include "capsim/models/LayerKernels.hpp"

#include <span>

namespace capsim {
namespace {

// Y[T x n] = X[T x k] W[k x n] forward; backward dX = dY W^T (T x k, inner n) and
// dW = X^T dY (k x n, inner T).
using Gemm = LinearShape;

LinearGemmTimes linear_times(const Gemm& g, const KernelModel& kernels, MatmulPrecision precision) {
  return {kernels.gemm_s(g.tokens, g.n, g.k, precision),
          kernels.gemm_s(g.tokens, g.k, g.n, precision),
          kernels.gemm_s(g.k, g.n, g.tokens, precision)};
}

double forward_s(const Gemm& g, const KernelModel& kernels, MatmulPrecision precision) {
  return linear_times(g, kernels, precision).forward_s;
}

double backward_s(const Gemm& g, const KernelModel& kernels, MatmulPrecision precision) {
  const LinearGemmTimes t = linear_times(g, kernels, precision);
  return t.dgrad_s + t.wgrad_s;
}

// Attention with the s x s scores in memory, per micro-batch on one GPU (b sequences, a local
// heads, s queries and keys, head dimension d). The batched GEMMs of all b a heads are timed as
// one GEMM of b a s rows (same FLOPs and output tiles, one launch); they cover the full square,
// masked half included. Element traffic on the b a s^2 scores, bytes per element:
//   forward   softmax reads 2 and writes 2; dropout reads 2, writes 2 and a 1-byte mask
//   backward  dropout reads the gradient 2 and the mask 1, writes 2; softmax reads the gradient
//             2 and its output 2, writes 2
// GEMMs: forward S = Q K^T (s x s, inner d) and O = P V (s x d, inner s); backward dP = dO V^T
// (s x s, inner d), dV = P^T dO, dQ = dS K, dK = dS^T Q (each s x d, inner s).
struct AttentionCoreTimes {
  double forward_s = 0;
  double backward_s = 0;
};

AttentionCoreTimes materialized_attention(double batch, double heads, double seq, double head_dim,
                                          bool dropout, const KernelModel& kernels,
                                          MatmulPrecision precision) {
  const double rows = batch * heads * seq;
  const double scores = rows * seq;
  const double square = kernels.gemm_s(rows, seq, head_dim, precision);  // inner d
  const double thin = kernels.gemm_s(rows, head_dim, seq, precision);    // inner s
  AttentionCoreTimes times;
  times.forward_s = square + kernels.memory_bound_s(4 * scores) + thin;
  times.backward_s = square + 3 * thin + kernels.memory_bound_s(6 * scores);
  if (dropout) {
    times.forward_s += kernels.memory_bound_s(5 * scores);
    times.backward_s += kernels.memory_bound_s(5 * scores);
  }
  return times;
}

// The vocab-parallel cross-entropy's kernels, bytes moved per logit by each.
// Unfused, as Megatron-LM's _VocabParallelCrossEntropy on logits.float() (tensor_parallel/
// cross_entropy.py), every step a PyTorch op over the whole fp32 tensor:
//   forward   cast bf16 -> fp32 (read 2, write 4); max (read 4); subtract the max in place
//             (4 + 4); exp in place (4 + 4); sum (read 4); divide by the sum in place (4 + 4),
//             the softmax kept for the backward
//   backward  scale the softmax by the loss gradient in place (4 + 4); the cast's backward to
//             bf16 (4 + 2)
// Fused: the least traffic a loss kernel can have, the forward reading the bf16 logits once
// (online max and sum of exponentials), the backward reading them again and writing their
// gradient.
// Static tables: the estimate runs this for every layout a search tries.
std::span<const double> cross_entropy_passes(bool fused, bool backward) {
  static constexpr double kFusedForward[] = {2};
  static constexpr double kFusedBackward[] = {2 + 2};
  static constexpr double kForward[] = {2 + 4, 4, 4 + 4, 4 + 4, 4, 4 + 4};
  static constexpr double kBackward[] = {4 + 4, 4 + 2};
  if (fused) return backward ? std::span<const double>(kFusedBackward) : kFusedForward;
  return backward ? std::span<const double>(kBackward) : kForward;
}

}  // namespace

MatmulPrecision matmul_precision(const TrainingLayout& layout) {
  return layout.precision == Precision::FP8 ? MatmulPrecision::FP8 : MatmulPrecision::BF16;
}

LayerLinearShapes layer_linear_shapes(const ModelShape& model, const TrainingLayout& layout) {
  const double t = layout.tp;
  const double tokens = layout.micro_batch * (static_cast<double>(layout.seq_len) / layout.cp);
  const double h = model.hidden;
  const double head_dim = h / model.heads;
  const double q_width = model.heads * head_dim;
  const double kv_width = model.kv_heads * head_dim;
  const double ffn = model.ffn_hidden;
  LayerLinearShapes shapes;
  shapes.qkv = {tokens, (q_width + 2 * kv_width) / t, h};
  shapes.out = {tokens, h, q_width / t};
  if (model.moe_experts == 0) {
    shapes.up = {tokens, (model.gated_mlp ? 2 : 1) * ffn / t, h};
    shapes.down = {tokens, h, ffn / t};
  }
  return shapes;
}

LayerKernelTimes layer_kernel_times(const ModelShape& model, const TrainingLayout& layout,
                                    const KernelModel& kernels) {
  const MatmulPrecision precision = matmul_precision(layout);
  const double t = layout.tp;
  const double seq = static_cast<double>(layout.seq_len) / layout.cp;
  const double tokens = layout.micro_batch * seq;
  const double h = model.hidden;
  const double head_dim = h / model.heads;
  const double ffn = model.ffn_hidden;

  const bool moe = model.moe_experts > 0;
  const double up_width = (model.gated_mlp ? 2 : 1) * ffn / t;

  const LayerLinearShapes shapes = layer_linear_shapes(model, layout);
  LayerKernelTimes times;
  times.qkv = linear_times(shapes.qkv, kernels, precision);
  times.out = linear_times(shapes.out, kernels, precision);
  if (!moe) {
    times.up = linear_times(shapes.up, kernels, precision);
    times.down = linear_times(shapes.down, kernels, precision);
  }
  for (const LinearGemmTimes* g : {&times.qkv, &times.out, &times.up, &times.down}) {
    times.gemm_forward_s += g->forward_s;
    times.gemm_backward_s += g->dgrad_s + g->wgrad_s;
  }
  if (moe) {
    // Router on the sequence-parallel tokens; then each of the E / ep local experts gets
    // t k ep / E routed tokens (balanced routing), its GEMMs timed one by one and launched as
    // one grouped kernel per GEMM kind (forward: up, down; backward: their dX and dW).
    const double experts = model.moe_experts;
    const double local_experts = experts / layout.ep;
    const double expert_tokens = tokens * model.moe_topk * layout.ep / experts;
    const Gemm router{tokens / t, experts, h};
    times.gemm_forward_s += forward_s(router, kernels, precision);
    times.gemm_backward_s += backward_s(router, kernels, precision);
    const double saved_launches = local_experts - 1.0;
    const Gemm expert_gemms[] = {
        {expert_tokens, up_width, h},  // expert up (and gate)
        {expert_tokens, h, ffn / t},   // expert down
    };
    for (const Gemm& g : expert_gemms) {
      times.expert_gemm_forward_s +=
          local_experts * forward_s(g, kernels, precision) - saved_launches * kernels.launch_s();
      times.expert_gemm_backward_s += local_experts * backward_s(g, kernels, precision) -
                                      2.0 * saved_launches * kernels.launch_s();
    }
    times.gemm_forward_s += times.expert_gemm_forward_s;
    times.gemm_backward_s += times.expert_gemm_backward_s;
  }

  // With ring attention each rank's s/cp queries meet the keys of all cp chunks: cp blocks of
  // (s/cp)^2, a balanced 1/cp share of the causal work.
  const double cp = layout.cp;
  const AttentionCoreTimes core =
      layout.attention == AttentionKernel::Materialized
          ? materialized_attention(layout.micro_batch, model.heads / t, seq, head_dim,
                                   layout.dropout, kernels, precision)
          : AttentionCoreTimes{
                kernels.attention_forward_s(layout.micro_batch, model.heads / t, seq, head_dim),
                kernels.attention_backward_s(layout.micro_batch, model.heads / t, seq, head_dim)};
  times.attention_forward_s = cp * core.forward_s;
  times.attention_backward_s = cp * core.backward_s;

  // Sequence parallelism (tp > 1) gives each GPU 1/tp of the tokens outside the GEMMs; without
  // it every tp rank runs these kernels on all the tokens.
  const double norm_tokens = layout.sequence_parallel ? tokens / t : tokens;
  const double x_bytes = norm_tokens * h * kActivationBytes;
  // Dropout after the attention and the MLP writes a 1-byte mask in the residual add.
  const double residual_bytes = (layout.dropout ? 3.5 : 3.0) * x_bytes;
  // An MoE layer's activation function runs on the k routed copies of each token.
  const double routed_copies = moe ? model.moe_topk : 1.0;
  const double act_bytes = tokens * routed_copies * ffn / t * kActivationBytes;
  const double kernels_bytes[] = {
      2 * x_bytes,                            // input norm
      residual_bytes,                         // (dropout and) residual add after attention
      2 * x_bytes,                            // pre-MLP norm
      (model.gated_mlp ? 3 : 2) * act_bytes,  // GELU or SwiGLU
      residual_bytes,                         // (dropout and) residual add after the MLP
  };
  for (double bytes : kernels_bytes) {
    times.memory_bound_forward_s += kernels.memory_bound_s(bytes);
    times.memory_bound_backward_s += kernels.memory_bound_s(2 * bytes);
  }
  if (moe) {
    // Permute: read x, write its k routed copies; unpermute: read the k copies, write x.
    const double permute_bytes = (1.0 + model.moe_topk) * x_bytes;
    for (int kernel = 0; kernel < 2; ++kernel) {
      times.memory_bound_forward_s += kernels.memory_bound_s(permute_bytes);
      times.memory_bound_backward_s += kernels.memory_bound_s(2 * permute_bytes);
    }
  }
  return times;
}

HeadKernelTimes logits_kernel_times(const ModelShape& model, const TrainingLayout& layout,
                                    const KernelModel& kernels) {
  const MatmulPrecision precision = matmul_precision(layout);
  const double tokens = static_cast<double>(layout.micro_batch) * layout.seq_len / layout.cp;
  const Gemm logits{tokens, static_cast<double>(model.vocab) / layout.tp,
                    static_cast<double>(model.hidden)};
  const double logit_elements = tokens * model.vocab / layout.tp;
  HeadKernelTimes times;
  times.forward_s = forward_s(logits, kernels, precision);
  times.backward_s = backward_s(logits, kernels, precision);
  for (double bytes : cross_entropy_passes(layout.fused_cross_entropy, false)) {
    times.forward_s += kernels.memory_bound_s(bytes * logit_elements);
  }
  for (double bytes : cross_entropy_passes(layout.fused_cross_entropy, true)) {
    times.backward_s += kernels.memory_bound_s(bytes * logit_elements);
  }
  return times;
}

}  // namespace capsim
