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
  if (in.pp != 1) {
    throw ConfigurationError("inference: pp " + num(in.pp) +
                             " is not modelled yet (pipeline-parallel serving); expected pp 1");
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
}

double inference_weight_bytes(const InferenceInstance& in) {
  const ModelShape& m = in.model;
  const Widths w = widths(in);
  const double h = m.hidden;
  const double layer = h * w.qkv + w.q_width * h + h * w.up_width + w.ffn_local * h;
  const double vocab_matrices = (m.tied_embeddings ? 1.0 : 2.0) * m.vocab * h / in.tp;
  return m.layers * layer * weight_bytes_per_element(in.precision) +
         vocab_matrices * kEmbeddingBytes + m.layers * 2 * h * kActivationBytes;
}

double kv_bytes_per_token(const InferenceInstance& in) {
  const Widths w = widths(in);
  return 2.0 * in.model.layers * w.kv_width * kv_bytes_per_element(in.precision);
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
  KvCapacity c;
  c.weights_bytes = inference_weight_bytes(in);
  // The widest point of a layer: the residual stream and its normed copy beside the MLP's
  // gate+up output and the activation's output.
  const double per_token = kActivationBytes * (2.0 * in.model.hidden + w.up_width + w.ffn_local);
  c.workspace_bytes = static_cast<double>(max_num_tokens) * per_token +
                      static_cast<double>(max_batch_size) * in.model.vocab * kLogitBytes +
                      kRuntimeReserveBytes;
  const double free_bytes = in.gpu.memory_bytes - c.weights_bytes - c.workspace_bytes;
  if (!(free_bytes > 0)) {
    throw ConfigurationError(
        "inference: weights and workspace need " +
        num(static_cast<long long>((c.weights_bytes + c.workspace_bytes) / 1e9)) +
        " GB per GPU of " + in.gpu.id + "'s " +
        num(static_cast<long long>(in.gpu.memory_bytes / 1e9)) +
        " GB; expected more tensor parallelism or a smaller precision");
  }
  c.kv_bytes = kv_memory_fraction * free_bytes;
  c.kv_bytes_per_token = kv_bytes_per_token(in);
  c.kv_blocks = static_cast<long long>(c.kv_bytes / (c.kv_bytes_per_token * tokens_per_block));
  c.kv_tokens = c.kv_blocks * tokens_per_block;
  return c;
}

namespace {

// The parts of an iteration that depend only on its token count t (all layers).
struct TokenTerms {
  double gemm_s = 0, memory_bound_s = 0, all_reduce_s = 0;
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
  const double gemm_s =
      kernels.gemm_s(t, w.qkv, h, precision) + kernels.gemm_s(t, h, w.q_width, precision) +
      kernels.gemm_s(t, w.up_width, h, precision) + kernels.gemm_s(t, h, w.ffn_local, precision);
  const double residual_bytes = t * h * kActivationBytes;
  const double memory_s = 2 * kernels.memory_bound_s(4 * residual_bytes) +
                          kernels.memory_bound_s(2 * t * w.qkv * kActivationBytes) +
                          kernels.memory_bound_s(t * (w.up_width + w.ffn_local) * kActivationBytes);
  TokenTerms terms;
  terms.gemm_s = m.layers * gemm_s;
  terms.memory_bound_s = m.layers * memory_s + kernels.memory_bound_s(2 * residual_bytes);
  terms.all_reduce_s = m.layers * 2 * ring_all_reduce_s(residual_bytes, in.tp, in.gpu.tp_link);
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

// Everything of one iteration given its token and sample terms: attention and the sums.
template <typename TokenLookup, typename SampleLookup>
StepTimes assemble(const InferenceInstance& in, const KernelModel& kernels, const StepBatch& batch,
                   TokenLookup&& tokens, SampleLookup&& samples) {
  const ModelShape& m = in.model;
  const Widths w = widths(in);
  const double kv_element_bytes = kv_bytes_per_element(in.precision);
  double prefill_tokens = 0, sampled = batch.decode_sequences;
  for (const PrefillChunk& c : batch.prefill) {
    prefill_tokens += c.tokens;
    if (c.last) sampled += 1;
  }
  const double t = prefill_tokens + batch.decode_sequences;
  StepTimes s;
  if (t <= 0) return s;
  double prefill_s = 0;
  if (!batch.prefill.empty()) {
    // One kernel over every chunk of the iteration: one launch.
    std::vector<KernelModel::PrefillChunkShape> chunks;
    chunks.reserve(batch.prefill.size());
    for (const PrefillChunk& c : batch.prefill) chunks.push_back({c.tokens, c.past_tokens});
    prefill_s = kernels.attention_prefill_s(w.q_width / w.head_dim, chunks, w.head_dim);
  }
  double decode_s = 0;
  if (batch.decode_sequences > 0) {
    const double kv_bytes = batch.decode_context_tokens * 2 * w.kv_width * kv_element_bytes;
    decode_s = kernels.launch_s() + kv_bytes / in.gpu.decode_attention_Bps;
  }
  const double layer_kernels = 4 + 4 + (batch.prefill.empty() ? 0 : 1) +
                               (batch.decode_sequences > 0 ? 1 : 0) + (in.tp > 1 ? 2 : 0);
  const TokenTerms& token = tokens(t);
  s.gemm_s = token.gemm_s;
  s.memory_bound_s = token.memory_bound_s;
  s.prefill_attention_s = m.layers * prefill_s;
  s.decode_attention_s = m.layers * decode_s;
  s.tp_comm_s = token.all_reduce_s;
  s.kernels = m.layers * layer_kernels + 1;
  // The sequences that produce a token this iteration.
  if (sampled > 0) {
    const SampleTerms& sample = samples(sampled);
    s.logits_s = sample.logits_s;
    s.tp_comm_s += sample.all_gather_s;
    s.kernels += 3 + (in.tp > 1 ? 1 : 0);
  }
  s.total_s = s.gemm_s + s.prefill_attention_s + s.decode_attention_s + s.memory_bound_s +
              s.tp_comm_s + s.logits_s;
  return s;
}

}  // namespace

StepTimes inference_step_times(const InferenceInstance& in, const StepBatch& batch) {
  const KernelModel kernels(in.gpu.kernels);
  TokenTerms token;
  SampleTerms sample;
  return assemble(
      in, kernels, batch,
      [&](double t) -> const TokenTerms& { return token = token_terms(in, kernels, t); },
      [&](double n) -> const SampleTerms& { return sample = sample_terms(in, kernels, n); });
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
