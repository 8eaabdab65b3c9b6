// The kernels one transformer layer runs for one micro-batch on one GPU, each timed by the
// GPU's KernelModel: the GEMMs (forward, and the data- and weight-gradient GEMMs backward), fused
// causal attention, and the memory-bound kernels between them (norms, activation, residual
// adds). Tensor parallelism splits the GEMMs' output or inner dimension and the heads; sequence
// parallelism splits the memory-bound kernels' tokens; context parallelism the sequence.
//
// Memory traffic of the memory-bound kernels, in elements of the bf16 activation x (b s h):
// each norm reads x and writes x (2 passes), each residual add reads two tensors and writes one
// (3); the MLP activation reads its input(s) and writes its output (GELU 2 x b s f, SwiGLU
// 3 x b s f). Backward kernels move twice the forward bytes (the gradient in, the saved input,
// the gradient out). Dropout (TrainingLayout::dropout; off by default, as modern pre-training
// runs) adds a 1-byte mask to each residual add. Without sequence parallelism
// (TrainingLayout::sequence_parallel) the norms and residual adds run on all b s tokens on every
// tp rank. With TrainingLayout::attention = Materialized the attention core is two batched GEMMs
// over the full s x s square with softmax (and dropout) passes over the scores in memory
// (LayerKernels.cpp); otherwise the fused kernel of KernelModel.
//
// A mixture-of-experts layer (ModelShape::moe_experts = E > 0, top k) replaces the MLP GEMMs by
// (t = b s / cp tokens per micro-batch, balanced routing, expert tensor parallelism = tp):
// - the router GEMM, t / tp sequence-parallel tokens x E outputs x h (its weight replicated over
//   tp); the softmax and top-k over its E logits are left out (E << h);
// - the experts as grouped GEMMs: each GPU holds E / ep experts and each of them receives
//   t k ep / E of the routed tokens (t k in all, after the tensor-parallel all-gather); each
//   expert's up (and gate) and down GEMMs are timed by the kernel model as their own GEMM, and
//   one grouped kernel launches once, so E / ep - 1 launches are taken off each group;
// - memory-bound: permute (read x, write its k routed copies: (1 + k) x bytes) and unpermute
//   (the reverse, (k + 1) x bytes), on the t / tp sequence-parallel tokens; the activation
//   function runs on the k t routed tokens (k times the dense kernel's bytes).
// The all-to-alls are timed in TrainingEstimate.cpp, the tensor-parallel traffic in
// TensorParallelComm.cpp.
#pragma once

#include "capsim/models/KernelModel.hpp"
#include "capsim/models/TrainingEstimate.hpp"

namespace capsim {

/// One linear layer on one GPU: Y[tokens x n] = X[tokens x k] W[k x n].
struct LinearShape {
  double tokens = 0, n = 0, k = 0;
};

/// The dense linear layers of one transformer layer under `layout` (tokens = b s / cp, the
/// widths split by tp); up and down are zero for an MoE layer.
struct LayerLinearShapes {
  LinearShape qkv, out, up, down;
};
LayerLinearShapes layer_linear_shapes(const ModelShape& model, const TrainingLayout& layout);

/// One linear layer's GEMMs, one micro-batch, one GPU, seconds: Y = X W forward, the data
/// gradient dX = dY W^T and the weight gradient dW = X^T dY.
struct LinearGemmTimes {
  double forward_s = 0;
  double dgrad_s = 0;
  double wgrad_s = 0;
};

/// One layer, one micro-batch, one GPU, seconds.
struct LayerKernelTimes {
  LinearGemmTimes qkv;   ///< QKV projection (column-parallel)
  LinearGemmTimes out;   ///< attention output projection (row-parallel)
  LinearGemmTimes up;    ///< MLP up (and gate), column-parallel; zero in an MoE layer
  LinearGemmTimes down;  ///< MLP down, row-parallel; zero in an MoE layer
  double gemm_forward_s = 0;
  double gemm_backward_s = 0;
  double attention_forward_s = 0;
  double attention_backward_s = 0;
  double memory_bound_forward_s = 0;
  double memory_bound_backward_s = 0;
  double expert_gemm_forward_s = 0;   ///< MoE: the grouped expert GEMMs, part of gemm_forward_s
  double expert_gemm_backward_s = 0;  ///< MoE: the same backward, part of gemm_backward_s

  double forward_s() const { return gemm_forward_s + attention_forward_s + memory_bound_forward_s; }
  double backward_s() const {
    return gemm_backward_s + attention_backward_s + memory_bound_backward_s;
  }
};

/// Kernel times of one transformer layer under `layout` (micro_batch, seq_len, tp, cp, and ep
/// for an MoE layer).
LayerKernelTimes layer_kernel_times(const ModelShape& model, const TrainingLayout& layout,
                                    const KernelModel& kernels);

/// The output layer and the vocab-parallel cross-entropy on the last stage, forward and
/// backward, one micro-batch, seconds. The loss runs as PyTorch ops over an fp32 copy of the
/// logits (6 kernels forward, 52 bytes per logit in all; TrainingLayout::fused_cross_entropy:
/// one pass each way, 6 bytes).
struct HeadKernelTimes {
  double forward_s = 0;
  double backward_s = 0;
};
HeadKernelTimes logits_kernel_times(const ModelShape& model, const TrainingLayout& layout,
                                    const KernelModel& kernels);

/// The matmul precision of a layout.
MatmulPrecision matmul_precision(const TrainingLayout& layout);

}  // namespace capsim
