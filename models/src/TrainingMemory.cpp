// Memory one GPU needs for training: model state (weights, gradients, Adam states under ZeRO)
// plus stored activations (Korthikanti et al. 2022, arXiv 2205.05198) and the logits buffer.
#include <algorithm>
#include <cstdio>
#include <string>

#include "capsim/models/Errors.hpp"
#include "capsim/models/TrainingEstimate.hpp"

namespace capsim {

namespace {

// One stage's need: its own layers' weights, gradients and optimizer states (plus the embedding on
// stage 0, the output layer and logits buffer on the last) and its layers' activations for the
// micro-batches 1F1B keeps in flight there.
MemoryBreakdown stage_memory(const ModelShape& model, const TrainingLayout& layout,
                             const GpuPerformance& gpu, int stage) {
  const double tp = layout.tp;
  const double dp = layout.dp;
  const LocalParameters local = local_stage_parameters(model, layout, stage);
  const double expert_dp = expert_data_parallel_size(layout);
  const int micro_batches = layout.global_batch / (layout.dp * layout.micro_batch);
  // 1F1B: stage k starts pp - k forwards before its first backward.
  const int in_flight = std::min(layout.pp - stage, micro_batches);

  MemoryBreakdown memory;
  memory.stage = stage;
  memory.stages = layout.pp;
  // ZeRO shards dense parameters' state over dp, the experts' over their expert-DP group.
  auto state_bytes = [&](double bytes_per_param, int sharded_from_stage) {
    const bool sharded = layout.zero_stage >= sharded_from_stage;
    return local.dense * bytes_per_param / (sharded ? dp : 1.0) +
           local.experts * bytes_per_param / (sharded ? expert_dp : 1.0);
  };
  memory.weights_bytes = state_bytes(kWeightBytesPerParam, 3);
  memory.gradients_bytes = state_bytes(kGradBytesPerParam, 2);
  memory.optimizer_bytes = state_bytes(kAdamStateBytesPerParam, 1);
  // Interleaving keeps (1 + (pp - 1) / (pp vpp)) times more in flight on the first stage
  // (Korthikanti et al. 2022, section 4.2.3); later stages hold less, bounded by the same factor.
  const double interleave =
      layout.vpp > 1 ? 1.0 + (layout.pp - 1.0) / (static_cast<double>(layout.pp) * layout.vpp)
                     : 1.0;
  memory.activations_bytes = layer_activation_bytes(model, layout) *
                             stage_layers(model, layout, stage) * in_flight * interleave;
  if (stage == layout.pp - 1) {
    const double local_tokens =
        static_cast<double>(layout.micro_batch) * (layout.seq_len / layout.cp);
    memory.logits_bytes = (layout.fused_cross_entropy ? kFusedLogitBytes : kLogitBytes) *
                          local_tokens * model.vocab / tp;
  }
  memory.total_bytes = memory.weights_bytes + memory.gradients_bytes + memory.optimizer_bytes +
                       memory.activations_bytes + memory.logits_bytes;
  memory.capacity_bytes = gpu.memory_bytes;
  memory.fits = memory.total_bytes <= memory.capacity_bytes;
  return memory;
}

}  // namespace

// FlashAttention keeps one fp32 log-sum-exp per query row and head for its backward.
constexpr double kSoftmaxStatisticBytes = 4.0;

// Stored tensors of one layer for one micro-batch, s = seq_len / cp tokens, b = micro_batch,
// k = kv_heads x head_dim, f = ffn_hidden, a = heads; 16-bit tensors are 2 bytes, dropout masks 1:
//   attention  QKV input 2sbh, Q 2sbh, K 2sbk, V 2sbk, output-projection input 2sbh,
//              dropout mask sbh                                  = 7 sbh + 4 sbk
//              softmax output 2as^2b, its dropout mask as^2b, dropout output 2as^2b = 5 as^2b
//   MLP        input 2sbh, dropout mask sbh, plus 4 sbf (activation input and output) or,
//              gated, 6 sbf (fc1's gate and up halves 4 sbf, their product 2 sbf)
//   norms      two inputs, 4 sbh
//   MoE MLP    (E experts, top k) the router input 2sbh and dropout mask sbh as above, then per
//              routed copy (k of them, balanced over the experts) the expert input 2sbh and the
//              4 sbf or 6 sbf above: 3 sbh + k (2 sbh + 4|6 sbf); the router's E logits per
//              token are left out (E << h)
// A standard GPT layer (k = h, f = 4h, not gated) gives sbh (34 + 5as/h), the paper's figure.
// That is materialized attention (TrainingLayout::attention). A fused (FlashAttention-style)
// kernel keeps no score matrix, only its fp32 softmax statistics, 4 asb, beside Q, K, V and its
// output (counted above). Tensor + sequence parallelism divides all of it by tp. Selective
// recompute drops the score term, or with fused attention the statistics (Megatron-Core
// checkpoints the attention core, keeping its inputs); full recompute keeps only the layer input,
// 2 sbh / tp. Without sequence
// parallelism the 10 sbh of the norm inputs, the two dropout masks and the inputs of the QKV
// and first MLP GEMMs are whole on every tp rank (the paper's sbh (10 + 24 / t) + 5as^2b / t),
// and so is the full-recompute layer input.
double layer_activation_bytes(const ModelShape& model, const TrainingLayout& layout) {
  validate_model_shape(model);
  if (layout.tp < 1 || layout.cp < 1 || layout.micro_batch < 1 || layout.seq_len < 1) {
    throw ConfigurationError(
        "parallelism: tp, cp, micro_batch and seq_len must be positive to size activations; "
        "expected positive integers");
  }
  const double s = layout.seq_len / layout.cp;
  const double b = layout.micro_batch;
  const double h = model.hidden;
  const double k = static_cast<double>(model.kv_heads) * (model.hidden / model.heads);
  const double f = model.ffn_hidden;
  const double a = model.heads;
  const double sb = s * b;

  const double attention_linear = 7.0 * sb * h + 4.0 * sb * k;
  // What the attention core itself keeps for its backward: the scores, or the statistics.
  const double attention_core = layout.attention == AttentionKernel::Materialized
                                    ? 5.0 * a * s * s * b
                                    : kSoftmaxStatisticBytes * a * s * b;
  const double mlp_inner = (model.gated_mlp ? 6.0 : 4.0) * sb * f;
  const double mlp = model.moe_experts > 0
                         ? 3.0 * sb * h + model.moe_topk * (2.0 * sb * h + mlp_inner)
                         : 3.0 * sb * h + mlp_inner;
  const double norms = 4.0 * sb * h;

  const bool replicated = !layout.sequence_parallel && layout.tp > 1;
  if (layout.recompute == Recompute::Full) {
    return kActivationBytes * sb * h / (replicated ? 1 : layout.tp);
  }
  double bytes = attention_linear + mlp + norms;
  if (layout.recompute == Recompute::None) bytes += attention_core;
  const double whole_on_every_rank = replicated ? 10.0 * sb * h : 0.0;
  return (bytes - whole_on_every_rank) / layout.tp + whole_on_every_rank;
}

MemoryBreakdown estimate_memory(const ModelShape& model, const TrainingLayout& layout,
                                const GpuPerformance& gpu, int total_gpus) {
  validate_training_inputs(model, layout, gpu, total_gpus);
  // Every stage, not just the first and the last: with an uneven split an inner stage of
  // ceil(l / pp) layers can keep more activations than a shortened first stage (8 x 15 against
  // 7 x 16 layer-micro-batches for Llama 3.1 405B over 16 stages). The first largest wins a tie.
  MemoryBreakdown largest = stage_memory(model, layout, gpu, 0);
  for (int stage = 1; stage < layout.pp; ++stage) {
    const MemoryBreakdown candidate = stage_memory(model, layout, gpu, stage);
    if (candidate.total_bytes > largest.total_bytes) largest = candidate;
  }
  return largest;
}

std::string describe(const MemoryBreakdown& memory) {
  constexpr double kGiB = 1024.0 * 1024.0 * 1024.0;
  char text[400];
  std::snprintf(text, sizeof text,
                "stage %d of %d: weights %.2f GiB + gradients %.2f GiB + optimizer states %.2f GiB"
                " + activations %.2f GiB + logits buffer %.2f GiB = %.2f GiB of %.2f GiB (%s)",
                memory.stage + 1, memory.stages, memory.weights_bytes / kGiB,
                memory.gradients_bytes / kGiB, memory.optimizer_bytes / kGiB,
                memory.activations_bytes / kGiB, memory.logits_bytes / kGiB,
                memory.total_bytes / kGiB, memory.capacity_bytes / kGiB,
                memory.fits ? "fits" : "does not fit");
  return text;
}

}  // namespace capsim
