// Checks that a model, a parallel layout and a GPU can be estimated at all. Messages say which
// value is wrong and what is expected; the scenario layer adds file and key path.
#include <cmath>
#include <cstdio>
#include <string>

#include "capsim/models/Errors.hpp"
#include "capsim/models/TrainingEstimate.hpp"

namespace capsim {

namespace {

std::string num(long long value) { return std::to_string(value); }

std::string num_real(double value) {
  char text[32];
  std::snprintf(text, sizeof text, "%g", value);
  return text;
}

void require_positive(const char* section, const char* name, int value) {
  if (value < 1) {
    throw ConfigurationError(std::string(section) + ": " + name + " is " + num(value) +
                             "; expected a positive integer");
  }
}

void require_divides(const char* section, const char* what, long long value, const char* by_name,
                     long long by, const char* expected) {
  if (value % by != 0) {
    throw ConfigurationError(std::string(section) + ": " + what + " " + num(value) +
                             " is not divisible by " + by_name + " " + num(by) + "; expected " +
                             expected);
  }
}

void require_finite_positive(const char* name, double value, const char* unit) {
  if (!(value > 0.0) || !std::isfinite(value)) {
    std::string message = std::string("gpu: ") + name + " is " + num_real(value);
    if (*unit != '\0') message.append(" ").append(unit);
    throw ConfigurationError(message + "; expected a finite, positive value");
  }
}

}  // namespace

void validate_model_shape(const ModelShape& model) {
  require_positive("model", "layers", model.layers);
  require_positive("model", "hidden", model.hidden);
  require_positive("model", "heads", model.heads);
  require_positive("model", "kv_heads", model.kv_heads);
  require_positive("model", "ffn_hidden", model.ffn_hidden);
  require_positive("model", "vocab", model.vocab);
  require_divides("model", "hidden", model.hidden, "heads", model.heads,
                  "hidden = heads x head_dim with a whole head_dim");
  require_divides("model", "heads", model.heads, "kv_heads", model.kv_heads,
                  "each key/value head to serve a whole number of query heads");
  if (model.moe_experts < 0) {
    throw ConfigurationError("model: moe_experts is " + num(model.moe_experts) +
                             "; expected 0 (dense) or the number of experts per layer");
  }
  if (model.moe_experts > 0 && (model.moe_topk < 1 || model.moe_topk > model.moe_experts)) {
    throw ConfigurationError("model: moe_topk is " + num(model.moe_topk) + " with " +
                             num(model.moe_experts) + " experts; expected 1 to " +
                             num(model.moe_experts) + " experts per token");
  }
  if (model.moe_experts == 0 && model.moe_topk != 0) {
    throw ConfigurationError("model: moe_topk is " + num(model.moe_topk) +
                             " but moe_experts is 0 (dense); expected moe_topk 0, or experts");
  }
}

void validate_training_inputs(const ModelShape& model, const TrainingLayout& layout,
                              const GpuPerformance& gpu, int total_gpus) {
  validate_model_shape(model);

  require_positive("parallelism", "tp", layout.tp);
  require_positive("parallelism", "pp", layout.pp);
  require_positive("parallelism", "dp", layout.dp);
  require_positive("parallelism", "cp", layout.cp);
  require_positive("batch", "micro_batch", layout.micro_batch);
  require_positive("batch", "global_batch", layout.global_batch);
  require_positive("batch", "seq_len", layout.seq_len);
  require_positive("cluster", "total_gpus", total_gpus);
  if (layout.zero_stage < 0 || layout.zero_stage > 3) {
    throw ConfigurationError("parallelism: zero_stage " + num(layout.zero_stage) +
                             " is not a ZeRO stage; expected 0, 1, 2 or 3");
  }

  const long long product = static_cast<long long>(layout.tp) * layout.pp * layout.dp * layout.cp;
  if (product != total_gpus) {
    throw ConfigurationError("parallelism: tp " + num(layout.tp) + " x pp " + num(layout.pp) +
                             " x dp " + num(layout.dp) + " x cp " + num(layout.cp) + " = " +
                             num(product) + " GPUs but the cluster has " + num(total_gpus) +
                             "; expected the product to equal the GPU count");
  }

  const long long per_step = static_cast<long long>(layout.dp) * layout.micro_batch;
  if (layout.global_batch % per_step != 0) {
    throw ConfigurationError("batch: global_batch " + num(layout.global_batch) +
                             " sequences is not divisible by dp " + num(layout.dp) +
                             " x micro_batch " + num(layout.micro_batch) + " = " + num(per_step) +
                             "; expected a multiple of " + num(per_step));
  }

  // Interleaved 1F1B (Narayanan et al. 2021) splits each stage into vpp equal chunks and, as
  // Megatron-LM requires, needs the micro-batches in whole rounds of pp.
  if (layout.vpp < 1) {
    throw ConfigurationError("parallelism: vpp " + num(layout.vpp) + "; expected 1 or more");
  }
  if (layout.vpp > 1) {
    if (layout.pp < 2) {
      throw ConfigurationError("parallelism: vpp " + num(layout.vpp) +
                               " needs pipeline parallelism; expected pp >= 2 or vpp 1");
    }
    const long long chunks = static_cast<long long>(layout.pp) * layout.vpp;
    if (chunks > model.layers) {
      throw ConfigurationError("parallelism: pp " + num(layout.pp) + " x vpp " + num(layout.vpp) +
                               " = " + num(chunks) + " virtual stages for " + num(model.layers) +
                               " layers; expected at most one virtual stage per layer");
    }
    require_divides("batch", "micro-batches per iteration", layout.global_batch / per_step, "pp",
                    layout.pp, "the interleaved schedule to run whole rounds of pp micro-batches");
  }

  // Uneven splits are modelled (layers_per_stage); only an empty stage is not.
  if (layout.pp > model.layers) {
    throw ConfigurationError("parallelism: pp " + num(layout.pp) + " is more than the " +
                             num(model.layers) +
                             " layers; expected at most one pipeline stage per layer");
  }
  require_divides("parallelism", "heads", model.heads, "tp", layout.tp,
                  "tp to divide the attention heads");
  require_divides("parallelism", "kv_heads", model.kv_heads, "tp", layout.tp,
                  "tp to divide the key/value heads (replicated KV heads are not modelled)");
  require_divides("parallelism", "ffn_hidden", model.ffn_hidden, "tp", layout.tp,
                  "tp to divide the MLP width");
  require_divides("parallelism", "seq_len", layout.seq_len, "cp", layout.cp,
                  "cp to split the sequence into equal chunks");
  if (layout.tp > 1) {
    require_divides("parallelism", "tokens per context-parallel chunk (seq_len / cp)",
                    layout.seq_len / layout.cp, "tp", layout.tp,
                    "sequence parallelism to split each chunk evenly over tp");
  }
  // Expert parallelism is carved out of the dp x cp ranks (Megatron-Core), E / ep experts each.
  require_positive("parallelism", "ep", layout.ep);
  if (layout.ep > 1) {
    if (model.moe_experts == 0) {
      throw ConfigurationError("parallelism: ep " + num(layout.ep) +
                               " for a dense model; expected ep 1 (expert parallelism needs "
                               "moe_experts)");
    }
    require_divides("parallelism", "moe_experts", model.moe_experts, "ep", layout.ep,
                    "each expert-parallel rank to hold a whole number of experts");
    require_divides("parallelism", "dp x cp", static_cast<long long>(layout.dp) * layout.cp, "ep",
                    layout.ep, "ep to be carved out of the data- and context-parallel ranks");
  }

  require_finite_positive("peak_flop_per_s", gpu.peak_flop_per_s, "FLOP/s");
  const KernelParameters& k = gpu.kernels;
  const double efficiency =
      layout.precision == Precision::FP8 ? k.gemm_efficiency_fp8 : k.gemm_efficiency_bf16;
  if (!(efficiency > 0.0) || !(efficiency <= 1.0)) {
    throw ConfigurationError("gpu: the GEMM efficiency for this precision is " +
                             num_real(efficiency) + "; expected a fraction of peak in (0, 1]");
  }
  require_finite_positive("memory_bytes", gpu.memory_bytes, "bytes");
  require_finite_positive("kernel memory_bandwidth_Bps", k.memory_bandwidth_Bps, "B/s");
  require_finite_positive("kernel attention_efficiency_fwd", k.attention_efficiency_fwd, "");
  require_finite_positive("kernel attention_efficiency_bwd", k.attention_efficiency_bwd, "");
  if (k.sm_count < 1 || k.gemm_tile_m < 1 || k.gemm_tile_n < 1) {
    throw ConfigurationError("gpu: the kernel model needs sm_count and GEMM tile sizes >= 1");
  }
}

}  // namespace capsim
