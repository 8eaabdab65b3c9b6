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
// the gradient out). Dropout is not applied (modern pre-training runs without it).
#pragma once

#include "capsim/models/KernelModel.hpp"
#include "capsim/models/TrainingEstimate.hpp"

namespace capsim {

/// One layer, one micro-batch, one GPU, seconds.
struct LayerKernelTimes {
  double gemm_forward_s = 0;
  double gemm_backward_s = 0;
  double attention_forward_s = 0;
  double attention_backward_s = 0;
  double memory_bound_forward_s = 0;
  double memory_bound_backward_s = 0;

  double forward_s() const { return gemm_forward_s + attention_forward_s + memory_bound_forward_s; }
  double backward_s() const {
    return gemm_backward_s + attention_backward_s + memory_bound_backward_s;
  }
};

/// Kernel times of one transformer layer under `layout` (micro_batch, seq_len, tp, cp).
LayerKernelTimes layer_kernel_times(const ModelShape& model, const TrainingLayout& layout,
                                    const KernelModel& kernels);

/// The output layer and the vocab-parallel cross-entropy on the last stage, forward and
/// backward, one micro-batch, seconds.
struct HeadKernelTimes {
  double forward_s = 0;
  double backward_s = 0;
};
HeadKernelTimes logits_kernel_times(const ModelShape& model, const TrainingLayout& layout,
                                    const KernelModel& kernels);

/// The matmul precision of a layout.
MatmulPrecision matmul_precision(const TrainingLayout& layout);

}  // namespace capsim
