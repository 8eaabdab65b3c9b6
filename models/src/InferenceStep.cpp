#include "capsim/models/InferenceStep.hpp"

#include <cmath>
#include <memory>
#include <string>
#include <vector>

#include "capsim/models/Errors.hpp"

namespace capsim {
namespace {

// Activations between kernels, the residual stream and the all-reduced tensors are bf16
// (kActivationBytes, TrainingEstimate.hpp); logits are fp32 when sampled (kLogitBytes).
// Embedding and output layer stay bf16 in quantized checkpoints (NVIDIA ModelOpt FP8 checkpoints
// quantize the transformer layers' linear layers only).
constexpr double kEmbeddingBytes = 2;
// ESTIMATE, not measured here: the CUDA context, cuBLAS/NCCL workspaces and CUDA-graph pools a
// PyTorch-based engine holds outside its activations and KV cache; about 1 GiB on Hopper.
constexpr double kRuntimeReserveBytes = 1024.0 * 1024 * 1024;

std::string num(long long value) { return std::to_string(value); }

double weight_bytes_per_element(InferencePrecision precision) {
  switch (precision) {
    case InferencePrecision::BF16:
      return 2;
    case InferencePrecision::FP8:
      return 1;
    case InferencePrecision::FP4:
      return kNvfp4BytesPerElement;
  }
  return 2;
}

// The KV cache: fp8 for fp8 and fp4 checkpoints, as trtllm-bench runs them (kv_cache_quant_algo
// FP8 in the hf_quant_config.json of NVIDIA's FP8 and NVFP4 ModelOpt checkpoints), else bf16.
double kv_bytes_per_element(InferencePrecision precision) {
  return precision == InferencePrecision::BF16 ? 2 : 1;
}

MatmulPrecision gemm_precision(InferencePrecision precision) {
  switch (precision) {
    case InferencePrecision::FP8:
      return MatmulPrecision::FP8;
    case InferencePrecision::FP4:
      return MatmulPrecision::FP4;
    case InferencePrecision::BF16:
      break;
  }
  return MatmulPrecision::BF16;
}

void require_divides(const char* what, int value, int tp, const char* expected) {
  if (value % tp != 0) {
    throw ConfigurationError(std::string("inference: ") + what + " " + num(value) +
                             " is not divisible by tp " + num(tp) + "; expected " + expected);
  }
}

// Per-layer widths on one GPU.
struct Widths {
  double head_dim, q_width, kv_width, qkv, ffn_local, up_width;
};

// One pipeline stage: its layers (the training split, TrainingEstimate.hpp), and whether it
// runs the embedding (first) and the output layer and sampling (last).
struct Stage {
  int layers = 0;
  bool first = true, last = true;
};

Stage stage_of(const InferenceInstance& in, int stage) {
  if (in.pp == 1 && stage == 0) return {in.model.layers, true, true};
  return {stage_layer_count(in.model, in.pp, stage), stage == 0, stage == in.pp - 1};
}

Widths widths(const InferenceInstance& in) {
  const ModelShape& m = in.model;
  Widths w{};
  w.head_dim = static_cast<double>(m.hidden) / m.heads;
  w.q_width = m.heads * w.head_dim / in.tp;
  w.kv_width = m.kv_heads * w.head_dim / in.tp;
  w.qkv = w.q_width + 2 * w.kv_width;
  w.ffn_local = static_cast<double>(m.ffn_hidden) / in.tp;
  w.up_width = (m.gated_mlp ? 2 : 1) * w.ffn_local;
  return w;
}

}  // namespace

const char* inference_precision_name(InferencePrecision precision) {
  switch (precision) {
    case InferencePrecision::BF16:
      return "bf16";
    case InferencePrecision::FP8:
      return "fp8";
    case InferencePrecision::FP4:
      return "fp4";
  }
  return "unknown";
}

void validate_inference_instance(const InferenceInstance& in) {
  validate_model_shape(in.model);
  if (in.model.moe_experts > 0) {
    throw ConfigurationError(
        "inference: mixture-of-experts serving is not modelled yet; expected a dense model");
  }
  if (in.tp < 1) throw ConfigurationError("inference: tp " + num(in.tp) + "; expected >= 1");
  if (in.pp < 1 || in.pp > in.model.layers) {
    throw ConfigurationError("inference: pp " + num(in.pp) + " for " + num(in.model.layers) +
                             " layers; expected 1 to " + num(in.model.layers) +
                             " pipeline stages (at least one layer each)");
  }
  require_divides("heads", in.model.heads, in.tp, "tp to divide the attention heads");
  require_divides("kv_heads", in.model.kv_heads, in.tp,
                  "tp to divide the KV heads (replicated KV heads are not modelled)");
  require_divides("ffn_hidden", in.model.ffn_hidden, in.tp, "tp to divide the MLP width");
  const KernelParameters& k = in.gpu.kernels;
  if (in.precision == InferencePrecision::FP4 &&
      !(k.fp4_peak_flop_per_s > 0 && k.gemm_efficiency_fp4 > 0)) {
    throw ConfigurationError("inference: precision fp4 on " + in.gpu.id +
                             ": the GPU has no FP4 matmul rate in the catalog; expected bf16 "
                             "or fp8");
  }
  if (in.precision == InferencePrecision::FP8 &&
      !(k.fp8_peak_flop_per_s > 0 && k.gemm_efficiency_fp8 > 0)) {
    throw ConfigurationError("inference: precision fp8 on " + in.gpu.id +
                             ": the GPU has no FP8 matmul rate in the catalog; expected bf16");
  }
  if (!(in.gpu.memory_bytes > 0) || !(in.gpu.decode_attention_Bps > 0)) {
    throw ConfigurationError("inference: GPU " + in.gpu.id +
                             " needs memory and a decode-attention rate > 0");
  }
  if (in.tp > 1 && !(in.gpu.tp_link.bandwidth_Bps > 0)) {
    throw ConfigurationError("inference: tp " + num(in.tp) + " on " + in.gpu.id +
                             ", which has no scale-up link; expected tp 1");
  }
  if (in.pp > 1 && in.pp_links.empty() && !(in.gpu.tp_link.bandwidth_Bps > 0)) {
    throw ConfigurationError("inference: pp " + num(in.pp) + " on " + in.gpu.id +
                             ", which has no scale-up link between stages; expected pp 1 or "
                             "the links between the stages");
  }
  if (!in.pp_links.empty()) {
    bool bad = static_cast<int>(in.pp_links.size()) != in.pp - 1;
    for (const CommLink& link : in.pp_links) bad = bad || !(link.bandwidth_Bps > 0);
    if (bad) {
      throw ConfigurationError("inference: " + num(static_cast<long long>(in.pp_links.size())) +
                               " links between pipeline stages for pp " + num(in.pp) +
                               "; expected pp - 1 links of positive bandwidth");
    }
  }
}

double inference_weight_bytes(const InferenceInstance& in, int stage) {
  const ModelShape& m = in.model;
  const Stage st = stage_of(in, stage);
  const Widths w = widths(in);
  const double h = m.hidden;
  const double layer = h * w.qkv + w.q_width * h + h * w.up_width + w.ffn_local * h;
  // The embedding on the first stage, the output layer on the last; a tied pair is one matrix
  // when both are on one stage, and a copy on each otherwise (as training's stages hold it).
  const double vocab_copies = st.first && st.last ? (m.tied_embeddings ? 1.0 : 2.0)
                                                  : (st.first ? 1.0 : 0.0) + (st.last ? 1.0 : 0.0);
  const double vocab_matrices = vocab_copies * m.vocab * h / in.tp;
  return st.layers * layer * weight_bytes_per_element(in.precision) +
         vocab_matrices * kEmbeddingBytes + st.layers * 2 * h * kActivationBytes;
}

double kv_bytes_per_token(const InferenceInstance& in, int stage) {
  const Widths w = widths(in);
  return 2.0 * stage_of(in, stage).layers * w.kv_width * kv_bytes_per_element(in.precision);
}

KvCapacity kv_capacity(const InferenceInstance& in, int max_batch_size, int max_num_tokens,
                       double kv_memory_fraction, int tokens_per_block) {
  if (!(kv_memory_fraction > 0 && kv_memory_fraction <= 1) || tokens_per_block < 1 ||
      max_batch_size < 1 || max_num_tokens < 1) {
    throw ConfigurationError(
        "inference: expected a KV memory fraction in (0, 1], tokens_per_block, max_batch_size "
        "and max_num_tokens >= 1");
  }
  const Widths w = widths(in);
  // The widest point of a layer: the residual stream and its normed copy beside the MLP's
  // gate+up output and the activation's output.
  const double per_token = kActivationBytes * (2.0 * in.model.hidden + w.up_width + w.ffn_local);
  KvCapacity tightest;
  for (int stage = 0; stage < in.pp; ++stage) {
    KvCapacity c;
    c.limiting_stage = stage;
    c.weights_bytes = inference_weight_bytes(in, stage);
    // The fp32 logits of a batch live on the last stage only.
    const double logits_bytes =
        stage == in.pp - 1 ? static_cast<double>(max_batch_size) * in.model.vocab * kLogitBytes
                           : 0.0;
    c.workspace_bytes =
        static_cast<double>(max_num_tokens) * per_token + logits_bytes + kRuntimeReserveBytes;
    const double free_bytes = in.gpu.memory_bytes - c.weights_bytes - c.workspace_bytes;
    if (!(free_bytes > 0)) {
      const std::string where = in.pp > 1 ? " on pipeline stage " + num(stage) : "";
      throw ConfigurationError(
          "inference: weights and workspace need " +
          num(static_cast<long long>((c.weights_bytes + c.workspace_bytes) / 1e9)) +
          " GB per GPU of " + in.gpu.id + "'s " +
          num(static_cast<long long>(in.gpu.memory_bytes / 1e9)) + " GB" + where +
          "; expected more tensor or pipeline parallelism or a smaller precision");
    }
    c.kv_bytes = kv_memory_fraction * free_bytes;
    c.kv_bytes_per_token = kv_bytes_per_token(in, stage);
    c.kv_blocks = static_cast<long long>(c.kv_bytes / (c.kv_bytes_per_token * tokens_per_block));
    c.kv_tokens = c.kv_blocks * tokens_per_block;
    if (stage == 0 || c.kv_blocks < tightest.kv_blocks) tightest = c;
  }
  return tightest;
}

namespace {

// The parts of an iteration that depend only on its token count t: one layer's GEMMs,
// memory-bound kernels and all-reduces, and the embedding lookup.
struct TokenTerms {
  double gemm_layer_s = 0, memory_layer_s = 0, embedding_s = 0, all_reduce_layer_s = 0;
  double pp_send_s = 0;  ///< every send between stages
};

// The parts that depend only on the sequences sampling a token.
struct SampleTerms {
  double logits_s = 0, all_gather_s = 0;
};

TokenTerms token_terms(const InferenceInstance& in, const KernelModel& kernels, double t) {
  const ModelShape& m = in.model;
  const Widths w = widths(in);
  const double h = m.hidden;
  const MatmulPrecision precision = gemm_precision(in.precision);
  TokenTerms terms;
  terms.gemm_layer_s =
      kernels.gemm_s(t, w.qkv, h, precision) + kernels.gemm_s(t, h, w.q_width, precision) +
      kernels.gemm_s(t, w.up_width, h, precision) + kernels.gemm_s(t, h, w.ffn_local, precision);
  const double residual_bytes = t * h * kActivationBytes;
  terms.memory_layer_s = 2 * kernels.memory_bound_s(4 * residual_bytes) +
                         kernels.memory_bound_s(2 * t * w.qkv * kActivationBytes) +
                         kernels.memory_bound_s(t * (w.up_width + w.ffn_local) * kActivationBytes);
  terms.embedding_s = kernels.memory_bound_s(2 * residual_bytes);
  terms.all_reduce_layer_s = ring_all_reduce_s(residual_bytes, in.tp, in.gpu.tp_link);
  // The batch's activations (T x h, bf16) from each stage to the next.
  for (int boundary = 0; boundary + 1 < in.pp; ++boundary) {
    const CommLink& link =
        in.pp_links.empty() ? in.gpu.tp_link : in.pp_links[static_cast<std::size_t>(boundary)];
    terms.pp_send_s += point_to_point_s(residual_bytes, link);
  }
  return terms;
}

SampleTerms sample_terms(const InferenceInstance& in, const KernelModel& kernels, double sampled) {
  const ModelShape& m = in.model;
  const double h = m.hidden;
  const double logits_bytes = sampled * m.vocab * kLogitBytes;
  SampleTerms terms;
  terms.logits_s =
      kernels.memory_bound_s(2 * sampled * h * kActivationBytes) +
      kernels.gemm_s(sampled, m.vocab / static_cast<double>(in.tp), h, MatmulPrecision::BF16) +
      kernels.memory_bound_s(logits_bytes);
  terms.all_gather_s = all_gather_s(logits_bytes, in.tp, in.gpu.tp_link);
  return terms;
}

// The tokens of a batch and the sequences that sample a token in it.
struct BatchCounts {
  double tokens = 0, sampled = 0;
};

BatchCounts counts_of(const StepBatch& batch) {
  BatchCounts n;
  double prefill_tokens = 0;
  n.sampled = batch.decode_sequences;
  for (const PrefillChunk& c : batch.prefill) {
    prefill_tokens += c.tokens;
    if (c.last) n.sampled += 1;
  }
  n.tokens = prefill_tokens + batch.decode_sequences;
  return n;
}

// The attention of one layer on one GPU: prefill (one kernel over every chunk) and decode.
struct LayerAttention {
  double prefill_s = 0, decode_s = 0;
};

LayerAttention layer_attention(const InferenceInstance& in, const KernelModel& kernels,
                               const StepBatch& batch) {
  const Widths w = widths(in);
  LayerAttention a;
  if (!batch.prefill.empty()) {
    // One kernel over every chunk of the iteration: one launch.
    std::vector<KernelModel::PrefillChunkShape> chunks;
    chunks.reserve(batch.prefill.size());
    for (const PrefillChunk& c : batch.prefill) chunks.push_back({c.tokens, c.past_tokens});
    a.prefill_s = kernels.attention_prefill_s(w.q_width / w.head_dim, chunks, w.head_dim);
  }
  if (batch.decode_sequences > 0) {
    const double kv_bytes =
        batch.decode_context_tokens * 2 * w.kv_width * kv_bytes_per_element(in.precision);
    a.decode_s = kernels.launch_s() + kv_bytes / in.gpu.decode_attention_Bps;
  }
  return a;
}

// Everything of one stage given the batch's token and sample terms and its layers' attention.
StepTimes stage_times(const InferenceInstance& in, const Stage& stage, const StepBatch& batch,
                      double sampled, const TokenTerms& token, const SampleTerms* sample,
                      const LayerAttention& attention) {
  StepTimes s;
  const int layers = stage.layers;
  const double layer_kernels = 4 + 4 + (batch.prefill.empty() ? 0 : 1) +
                               (batch.decode_sequences > 0 ? 1 : 0) + (in.tp > 1 ? 2 : 0);
  s.gemm_s = layers * token.gemm_layer_s;
  s.memory_bound_s = layers * token.memory_layer_s + (stage.first ? token.embedding_s : 0.0);
  s.prefill_attention_s = layers * attention.prefill_s;
  s.decode_attention_s = layers * attention.decode_s;
  s.tp_comm_s = layers * 2 * token.all_reduce_layer_s;
  s.kernels = layers * layer_kernels + (stage.first ? 1 : 0);
  // The sequences that produce a token this iteration, on the last stage.
  if (stage.last && sampled > 0) {
    s.logits_s = sample->logits_s;
    s.tp_comm_s += sample->all_gather_s;
    s.kernels += 3 + (in.tp > 1 ? 1 : 0);
  }
  s.total_s = s.gemm_s + s.prefill_attention_s + s.decode_attention_s + s.memory_bound_s +
              s.tp_comm_s + s.logits_s;
  return s;
}

// One iteration: the stages in turn and the sends between them. `stage_only` >= 0 gives that
// stage alone.
template <typename TokenLookup, typename SampleLookup>
StepTimes assemble(const InferenceInstance& in, const KernelModel& kernels, const StepBatch& batch,
                   TokenLookup&& tokens, SampleLookup&& samples, int stage_only = -1) {
  const BatchCounts n = counts_of(batch);
  if (n.tokens <= 0) return {};
  const TokenTerms& token = tokens(n.tokens);
  const SampleTerms* sample = n.sampled > 0 ? &samples(n.sampled) : nullptr;
  const LayerAttention attention = layer_attention(in, kernels, batch);
  if (stage_only >= 0) {
    return stage_times(in, stage_of(in, stage_only), batch, n.sampled, token, sample, attention);
  }
  if (in.pp == 1)
    return stage_times(in, stage_of(in, 0), batch, n.sampled, token, sample, attention);
  StepTimes sum;
  for (int k = 0; k < in.pp; ++k) {
    sum += stage_times(in, stage_of(in, k), batch, n.sampled, token, sample, attention);
  }
  sum.pp_comm_s = token.pp_send_s;
  sum.total_s += sum.pp_comm_s;
  return sum;
}

// One iteration (stage_only -1) or one stage's kernels, every term computed afresh.
StepTimes uncached_times(const InferenceInstance& in, const StepBatch& batch, int stage_only) {
  const KernelModel kernels(in.gpu.kernels);
  TokenTerms token;
  SampleTerms sample;
  return assemble(
      in, kernels, batch,
      [&](double t) -> const TokenTerms& { return token = token_terms(in, kernels, t); },
      [&](double n) -> const SampleTerms& { return sample = sample_terms(in, kernels, n); },
      stage_only);
}

}  // namespace

StepTimes inference_step_times(const InferenceInstance& in, const StepBatch& batch) {
  return uncached_times(in, batch, -1);
}

StepTimes inference_stage_times(const InferenceInstance& in, const StepBatch& batch, int stage) {
  if (stage < 0 || stage >= in.pp) {
    throw ConfigurationError("inference: pipeline stage " + num(stage) + " of pp " + num(in.pp) +
                             "; expected 0 to " + num(in.pp - 1));
  }
  return uncached_times(in, batch, stage);
}

struct StepTimeTable::Cache {
  std::vector<TokenTerms> tokens;    // [t], filled on first use
  std::vector<SampleTerms> samples;  // [sequences sampling], filled on first use
  std::vector<bool> have_tokens, have_samples;
};

StepTimeTable::StepTimeTable(InferenceInstance instance)
    : instance_(std::move(instance)),
      kernels_(std::make_unique<KernelModel>(instance_.gpu.kernels)),
      cache_(std::make_unique<Cache>()) {
  validate_inference_instance(instance_);
}

StepTimeTable::~StepTimeTable() = default;

double StepTimeTable::step_s(const StepBatch& batch) {
  Cache& c = *cache_;
  TokenTerms odd_tokens;  // a fractional count: computed, not kept
  SampleTerms odd_samples;
  auto tokens = [&](double t) -> const TokenTerms& {
    const auto i = static_cast<std::size_t>(t);
    if (static_cast<double>(i) != t) return odd_tokens = token_terms(instance_, *kernels_, t);
    if (i >= c.tokens.size()) {
      c.tokens.resize(i + 1);
      c.have_tokens.resize(i + 1, false);
    }
    if (!c.have_tokens[i]) {
      c.tokens[i] = token_terms(instance_, *kernels_, t);
      c.have_tokens[i] = true;
    }
    return c.tokens[i];
  };
  auto samples = [&](double n) -> const SampleTerms& {
    const auto i = static_cast<std::size_t>(n);
    if (static_cast<double>(i) != n) return odd_samples = sample_terms(instance_, *kernels_, n);
    if (i >= c.samples.size()) {
      c.samples.resize(i + 1);
      c.have_samples.resize(i + 1, false);
    }
    if (!c.have_samples[i]) {
      c.samples[i] = sample_terms(instance_, *kernels_, n);
      c.have_samples[i] = true;
    }
    return c.samples[i];
  };
  return assemble(instance_, *kernels_, batch, tokens, samples).total_s;
}

}  // namespace capsim
