// trtllm-bench's engine settings for a throughput run (TensorRT-LLM v1.0, PyTorch backend).
#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <iterator>

#include "capsim/models/Errors.hpp"
#include "capsim/models/InferenceEngine.hpp"

namespace capsim {
namespace {

constexpr double kGiB = 1024.0 * 1024.0 * 1024.0;
// perf-overview.md: "In many cases, we also use a higher KV cache percentage by setting
// --kv_cache_free_gpu_mem_fraction 0.95" (the CLI default is 0.90).
constexpr double kPublishedKvFraction = 0.95;
// KvCacheConfig.tokens_per_block default (tensorrt_llm/llmapi/llm_args.py).
constexpr int kTokensPerBlock = 32;

// bench/build/tuning.py finetune_setting: a slightly optimistic batch size and token budget,
// rounded up to steps that grow with size.
int round_up(double value, double step) { return static_cast<int>(step * std::ceil(value / step)); }

}  // namespace

EngineSettings trtllm_bench_settings(const InferenceInstance& in, int input_len, int output_len) {
  if (input_len < 1 || output_len < 1) {
    throw ConfigurationError("inference: input and output lengths must be >= 1");
  }
  // calc_engine_setting: whole-instance memory in GiB (torch's device memory x GPUs) less the
  // checkpoint (all parameters at the quantized bytes per element) times the KV fraction,
  // divided by the KV bytes of one request of input + output tokens. Its KV bytes per token
  // count max(tp, kv_heads) heads ("each GPU in the TP group has at least 1 KV head").
  const ModelShape& m = in.model;
  const double bytes_per_element = in.precision == InferencePrecision::FP8   ? 1.0
                                   : in.precision == InferencePrecision::FP4 ? 0.5
                                                                             : 2.0;
  const double head_dim = static_cast<double>(m.hidden) / m.heads;
  const double kv_heads = std::max(in.tp, m.kv_heads);
  const double kv_gib_per_token = 2.0 * m.layers * kv_heads * head_dim * bytes_per_element / kGiB;
  const double gpus = static_cast<double>(in.tp) * in.pp;
  const double engine_gib = count_parameters(m).total * bytes_per_element / kGiB;
  const double available_gib = in.gpu.memory_bytes / kGiB * gpus - engine_gib;
  const double max_requests = available_gib * kPublishedKvFraction /
                              (kv_gib_per_token * (static_cast<double>(input_len) + output_len));
  if (!(max_requests >= 1)) {
    throw ConfigurationError(
        "inference: trtllm-bench's heuristic finds room for no request "
        "(the checkpoint needs more memory than the instance has)");
  }

  // finetune_setting: batch size capped at 4096 and rounded up (at least 64); the token budget
  // is the batch's tokens per iteration in steady state, batch x (1 + input / output), capped at
  // 32768 and rounded up (at least 2048).
  const double raw_batch = std::min(max_requests, 4096.0) / in.pp;
  const double raw_tokens =
      std::min(raw_batch * (1 + static_cast<double>(input_len) / output_len), 32768.0);
  EngineSettings s;
  s.max_batch_size = raw_batch < 256    ? std::max(64, round_up(raw_batch, 32))
                     : raw_batch < 1024 ? round_up(raw_batch, 128)
                                        : round_up(raw_batch, 256);
  s.max_num_tokens = raw_tokens < 4096   ? std::max(2048, round_up(raw_tokens, 256))
                     : raw_tokens < 8192 ? round_up(raw_tokens, 512)
                                         : round_up(raw_tokens, 1024);
  // get_settings (bench/benchmark/utils/general.py): without chunked prefill the budget must
  // hold the longest prompt next to a full batch of decode tokens.
  s.max_num_tokens = std::max(s.max_num_tokens, input_len + s.max_batch_size);
  s.kv_memory_fraction = kPublishedKvFraction;
  s.tokens_per_block = kTokensPerBlock;
  s.chunked_prefill = false;
  return s;
}

int trtllm_bench_requests(int input_len, int output_len) {
  struct Entry {
    int input, output, requests;
  };
  // perf-overview.md (TensorRT-LLM v1.0), "Preparing a Dataset": $num_requests per ISL/OSL.
  static const Entry kTable[] = {{128, 128, 30000},  {128, 2048, 3000},  {128, 4096, 1500},
                                 {1000, 2000, 1500}, {2048, 128, 3000},  {2048, 2048, 1500},
                                 {5000, 500, 1500},  {1000, 1000, 3000}, {500, 2000, 3000},
                                 {20000, 2000, 1000}};
  const Entry* best = std::begin(kTable);
  for (const Entry& e : kTable) {
    if (e.input == input_len && e.output == output_len) return e.requests;
    const long long distance = std::llabs(static_cast<long long>(e.input) + e.output -
                                          (static_cast<long long>(input_len) + output_len));
    const long long best_distance = std::llabs(static_cast<long long>(best->input) + best->output -
                                               (static_cast<long long>(input_len) + output_len));
    if (distance < best_distance) best = &e;
  }
  return best->requests;
}

}  // namespace capsim
