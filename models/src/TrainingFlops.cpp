// Parameter and FLOP counts of a decoder-only transformer, dense or mixture-of-experts,
// Megatron conventions.
//
// Every count is an integer held in a double; with the products ordered as below they stay exact
// while below 2^53, which is what lets the tests compare against Megatron's formulas exactly.
#include <cstddef>
#include <string>
#include <vector>

#include "capsim/models/Errors.hpp"
#include "capsim/models/TrainingEstimate.hpp"

namespace capsim {

namespace {

double head_dim(const ModelShape& model) { return static_cast<double>(model.hidden / model.heads); }

}  // namespace

ParameterCounts count_parameters(const ModelShape& model) {
  validate_model_shape(model);
  const double h = model.hidden;
  const double kv_dim = model.kv_heads * head_dim(model);
  const double mlp_matrices = model.gated_mlp ? 3.0 : 2.0;

  ParameterCounts counts;
  // q and o are h x h; k and v are h x (kv_heads x head_dim); the MLP has 2 or 3 h x ffn matrices.
  const double attention = 2.0 * h * h + 2.0 * h * kv_dim;
  const double mlp = mlp_matrices * h * model.ffn_hidden;
  if (model.moe_experts > 0) {
    // MoE: the router (h x E) and E expert MLPs; a token uses the router and k of the experts.
    const double experts = model.moe_experts;
    const double router = h * experts;
    counts.layer_expert_matrices = experts * mlp;
    counts.layer_matrices = attention + router + counts.layer_expert_matrices;
    counts.layer_active_matrices = attention + router + model.moe_topk * mlp;
  } else {
    counts.layer_matrices = attention + mlp;
    counts.layer_active_matrices = counts.layer_matrices;
  }
  counts.layer_norms = 2.0 * h;
  counts.embedding = static_cast<double>(model.vocab) * h;
  counts.output_layer = model.tied_embeddings ? 0.0 : counts.embedding;
  counts.final_norm = h;
  const double outside_layers = counts.embedding + counts.output_layer + counts.final_norm;
  counts.total = model.layers * (counts.layer_matrices + counts.layer_norms) + outside_layers;
  counts.active =
      model.layers * (counts.layer_active_matrices + counts.layer_norms) + outside_layers;
  return counts;
}

// Pipeline split (see the header's overview): c = ceil(l / pp) layers per stage, and
// r = c pp - l stages with c - 1: the last, then stages 0 .. r - 2. The r short stages remove
// exactly r layers from c pp, so the counts sum to l; every stage keeps c - 1 >= 1 layers
// because r > 0 implies pp does not divide l, so l > pp and c >= 2.
//   126 over 16: c = 8, r = 2 -> stage 15 and stage 0 have 7, stages 1..14 have 8.
//   10 over 4: c = 3, r = 2 -> 2, 3, 3, 2.   5 over 4: c = 2, r = 3 -> 1, 1, 2, 1.
int stage_layer_count(const ModelShape& model, int pp, int stage) {
  if (model.layers < 1 || pp < 1 || pp > model.layers) {
    throw ConfigurationError("parallelism: pp " + std::to_string(pp) + " for " +
                             std::to_string(model.layers) + " layers; expected 1 to " +
                             std::to_string(model.layers) +
                             " pipeline stages (at least one layer each)");
  }
  if (stage < 0 || stage >= pp) {
    throw ConfigurationError("parallelism: pipeline stage " + std::to_string(stage) +
                             " does not exist; expected 0 to " + std::to_string(pp - 1));
  }
  const int full = (model.layers + pp - 1) / pp;      // c
  const int short_stages = full * pp - model.layers;  // r
  const bool is_short = short_stages > 0 && (stage == pp - 1 || stage < short_stages - 1);
  return is_short ? full - 1 : full;
}

std::vector<int> layers_per_stage(const ModelShape& model, int pp) {
  stage_layer_count(model, pp, 0);  // validates before allocating
  std::vector<int> layers(static_cast<std::size_t>(pp));
  for (int stage = 0; stage < pp; ++stage) layers[stage] = stage_layer_count(model, pp, stage);
  return layers;
}

int stage_layers(const ModelShape& model, const TrainingLayout& layout, int stage) {
  if (layout.vpp <= 1) return stage_layer_count(model, layout.pp, stage);
  // Interleaved: stage k runs virtual stages (chunks) k, k + pp, ..., k + (vpp - 1) pp of the
  // pp x vpp chunks, split by the same rule as the stages.
  const int chunks = layout.pp * layout.vpp;
  int layers = 0;
  for (int round = 0; round < layout.vpp; ++round) {
    layers += stage_layer_count(model, chunks, stage + round * layout.pp);
  }
  return layers;
}

namespace {

double parameters_of_stage(const ModelShape& model, int pp, int stage, int layers) {
  const ParameterCounts counts = count_parameters(model);
  double params = layers * (counts.layer_matrices + counts.layer_norms);
  if (stage == 0) params += counts.embedding;
  if (stage == pp - 1) {
    params += counts.final_norm;
    // With tied embeddings Megatron keeps a copy of the word embedding on the last stage.
    params += model.tied_embeddings ? (pp > 1 ? counts.embedding : 0.0) : counts.output_layer;
  }
  return params;
}

}  // namespace

double stage_parameter_count(const ModelShape& model, int pp, int stage) {
  return parameters_of_stage(model, pp, stage, stage_layer_count(model, pp, stage));
}

int expert_data_parallel_size(const TrainingLayout& layout) {
  if (layout.ep <= 1) return layout.dp;
  return static_cast<int>(static_cast<long long>(layout.dp) * layout.cp / layout.ep);
}

// Experts are tp-sharded like the dense MLP (expert tensor parallelism = tp) and split over the
// ep ranks, E / ep each; everything else is tp-sharded only.
LocalParameters local_stage_parameters(const ModelShape& model, const TrainingLayout& layout,
                                       int stage) {
  const int layers = stage_layers(model, layout, stage);
  const double params = parameters_of_stage(model, layout.pp, stage, layers);
  const double experts = layers * count_parameters(model).layer_expert_matrices;
  LocalParameters local;
  local.dense = (params - experts) / layout.tp;
  local.experts = experts / (static_cast<double>(layout.tp) * layout.ep);
  return local;
}

// Per token, one layer's forward:
//   matrices    2 x layer_active_matrices  (one multiply-add per weight the token uses; MoE:
//               attention, the h x E router and the k experts it is routed to)
//   QK^T        2 s h                      (each of s keys against h query channels)
//   scores x V  2 s h
// For a standard GPT layer (kv_heads = heads, 2 matrices, ffn = 4h): 2 x 12 h^2 + 4 s h.
// Logits: 2 h V per token. Backward = 2 x forward, so model FLOPs = 3 x forward:
//   per token 3 (l (24 h^2 + 4 s h) + 2 h V) = 72 l h^2 + 12 l s h + 6 h V
//   = 72 l h^2 (1 + s/(6h) + V/(12 l h)), times B s tokens: Megatron-Core's formula.
// Full recompute adds one forward of the layers (the logits are not recomputed):
//   per token 4 l (24 h^2 + 4 s h) + 6 h V = 96 l h^2 (1 + s/(6h) + V/(16 l h)), the SC'21 form.
// MoE: Megatron-Core's general form with experts routed to = k counts the k experts' MLP FLOPs;
// this count adds the router's 2 h E per token per layer forward (6 h E with the backward).
TrainingFlops count_training_flops(const ModelShape& model, const TrainingLayout& layout) {
  const ParameterCounts counts = count_parameters(model);
  if (layout.seq_len < 1 || layout.global_batch < 1) {
    throw ConfigurationError("batch: seq_len " + std::to_string(layout.seq_len) +
                             " and global_batch " + std::to_string(layout.global_batch) +
                             "; expected both to be positive integers");
  }
  const double h = model.hidden;
  const double s = layout.seq_len;
  const double l = model.layers;

  TrainingFlops flops;
  flops.attention_scores_forward_per_token = 4.0 * s * h;
  flops.layer_forward_per_token =
      2.0 * counts.layer_active_matrices + flops.attention_scores_forward_per_token;
  flops.logits_forward_per_token = 2.0 * h * model.vocab;

  const double forward_per_token =
      l * flops.layer_forward_per_token + flops.logits_forward_per_token;
  flops.model_per_token = 3.0 * forward_per_token;

  double recompute_per_token = 0.0;
  switch (layout.recompute) {
    case Recompute::None:
      break;
    case Recompute::Selective:
      recompute_per_token = l * flops.attention_scores_forward_per_token;
      break;
    case Recompute::Full:
      recompute_per_token = l * flops.layer_forward_per_token;
      break;
  }

  const double tokens = static_cast<double>(layout.global_batch) * s;
  flops.model_per_iteration = flops.model_per_token * tokens;
  flops.hardware_per_iteration = (flops.model_per_token + recompute_per_token) * tokens;
  return flops;
}

}  // namespace capsim
