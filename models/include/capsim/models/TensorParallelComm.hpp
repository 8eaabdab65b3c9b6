// Time tensor parallelism adds to one transformer layer's micro-batch on one GPU: the
// collectives around the layer's four linear layers (QKV and MLP up column-parallel, attention
// output and MLP down row-parallel; Megatron-LM), the part not hidden behind a GEMM. S is the
// gathered activation, b s/cp h x 2 bytes; AG and RS are ring all-gathers and reduce-scatters of
// S over the tp group (Collectives.hpp); "excess(c, g)" is max(0, c - g).
//
// Without sequence parallelism (Megatron-LM before 2022): an all-reduce after the output and
// down projections forward and one before the QKV and up projections backward, each AG + RS,
// none overlapped: 2 (AG + RS) each way.
//
// With sequence parallelism, as Megatron-Core with Transformer Engine runs it by default:
//   forward   AG before QKV and before up, RS after out and after down, exposed: 2 AG + 2 RS;
//   backward  the row-parallel layers (out, down) need the gathered output gradient before their
//             dgrad GEMM: AG, exposed. The column-parallel layers (QKV, up) gather their input
//             again for the weight gradient while their dgrad GEMM runs and reduce-scatter the
//             dgrad while their wgrad GEMM runs (asynchronous collectives in Megatron-LM's and
//             TE's linear layers): excess(AG, dgrad) + excess(RS, wgrad) each.
//
// With TrainingLayout::overlap_tp_comm (Transformer Engine userbuffers, Megatron's
// --tp-comm-overlap), following the bf16 H100 configuration NVIDIA ships
// (userbuffers_bf16_h100_h8192_tp4_mbs1_seqlen8192 in NeMo and Megatron-Bridge); SM counts are
// taken as shares of the H100's 132 SMs:
//   AG + GEMM, "ring exchange" (QKV and up forward; out and down dgrad on the output gradient):
//             the GEMM runs as tp chunks of b s / tp rows while copy engines pass the next chunk
//             to the neighbour: g + (tp - 1) max(g, x), g one chunk's GEMM, x = alpha + S/(tp B);
//   GEMM + RS, "pipeline" (out and down forward): 4 splits of b s / 4 rows, the reduce-scatter
//             of each split overlapping the next split's GEMM; the RS kernels hold 24 SMs (out)
//             or 16 (down) of the GEMM's: g' + 3 max(g', r) + r, r = RS of S / 4, g' a split's
//             GEMM on the rest of the SMs;
//   "bulk" (QKV and up backward): the input AG beside the dgrad GEMM (4 and 2 SMs), the dgrad's
//             RS beside the wgrad GEMM (24 and 4 SMs): max(GEMM on the rest of the SMs, comm).
// Each counts the time beyond the plain GEMM it replaces, never less than 0.
//
// A mixture-of-experts layer's MLP block all-gathers and reduce-scatters the k routed copies
// of each token around the grouped expert GEMMs: forward and backward, exposed (no userbuffers
// overlap for grouped GEMMs).
#pragma once

#include "capsim/models/Collectives.hpp"
#include "capsim/models/KernelModel.hpp"
#include "capsim/models/LayerKernels.hpp"
#include "capsim/models/TrainingEstimate.hpp"

namespace capsim {

/// Exposed tensor-parallel time of one layer and one micro-batch, seconds. The replayed forward
/// of full recompute repeats `forward_s` (the caller adds it).
struct TensorParallelLayerTimes {
  double forward_s = 0;
  double backward_s = 0;
};

/// The layer's tensor-parallel time under `layout` (tp, micro_batch, seq_len, cp,
/// sequence_parallel, overlap_tp_comm) on the `tp` link; `layer` is its kernel times
/// (layer_kernel_times). Throws ConfigurationError for overlap without sequence parallelism
/// (Megatron requires it).
TensorParallelLayerTimes tensor_parallel_layer_times(const ModelShape& model,
                                                     const TrainingLayout& layout,
                                                     const KernelModel& kernels,
                                                     const LayerKernelTimes& layer,
                                                     const CommLink& tp);

}  // namespace capsim
