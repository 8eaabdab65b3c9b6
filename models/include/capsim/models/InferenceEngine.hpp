// A serving engine run for maximum throughput: every request is present at the start, and the
// engine batches them as TensorRT-LLM's in-flight batching does, iteration by iteration.
//
// Scheduling, each iteration (TensorRT-LLM's PyTorch executor with the settings trtllm-bench
// throughput uses, tensorrt_llm/bench/benchmark/throughput.py):
//   capacity   GUARANTEED_NO_EVICT (trtllm-bench's default --scheduler_policy): a waiting request
//              is admitted, in arrival order, while fewer than max_batch_size requests are in
//              flight and the free KV blocks hold its whole input + output (ceil((input +
//              output) / tokens_per_block) blocks, freed when it finishes); never preempted;
//   batch      generating requests first, one token each, then prompts while the token budget
//              max_num_tokens allows: a whole prompt (trtllm-bench leaves chunked context off,
//              --enable_chunked_context) or, with chunked_prefill, what is left of the budget;
//   time       the iteration's kernels (InferenceStep.hpp); a prompt's last chunk yields its
//              first output token, every decode token one more.
// Output tokens per second = requests x output_len / the time from the first iteration to the
// last, which is what trtllm-bench reports (start-up and drain included, as in the published
// runs, which used the request counts of trtllm_bench_requests).
// Prefix caching (settings.prefix_cache): a request whose prefix's whole blocks are cached
// references them instead of reserving them and starts its prefill after them; the first to
// compute them hands them to the cache (PrefixCache.hpp).
// Pipeline parallelism (pp > 1): the instance runs pp streams side by side (vLLM's virtual
// engines, InferenceStep.hpp), each with 1/pp of the KV blocks (rounded down), max_batch_size
// and 1/pp of the requests, its iterations lasting the pipeline's iteration time; the run lasts
// as long as the slowest stream.
#pragma once

#include "capsim/models/InferenceStep.hpp"
#include "capsim/models/PrefixCache.hpp"

namespace capsim {

/// The engine's limits.
struct EngineSettings {
  int max_batch_size = 0;         ///< requests in flight and sequences per iteration
  int max_num_tokens = 0;         ///< tokens per iteration (prefill + decode)
  double kv_memory_fraction = 0;  ///< of the memory left after weights and workspace
  int tokens_per_block = 0;       ///< KV-cache block (page) size
  bool chunked_prefill = false;   ///< split prompts to fill the token budget
  /// Prefix caching (PrefixCache.hpp; off in trtllm-bench's runs): the j-th request of a stream
  /// starts with prefix j mod prefixes, and each stream keeps its own cache.
  PrefixCacheConfig prefix_cache = {};
};

/// What trtllm-bench (TensorRT-LLM v1.0) picks for a dataset of requests of input_len and
/// output_len tokens: its max_batch_size / max_num_tokens heuristic (bench/build/tuning.py),
/// max_num_tokens raised to input_len + max_batch_size without chunked context
/// (bench/benchmark/utils/general.py), KV fraction 0.95 (perf-overview.md's published runs)
/// and 32-token blocks (KvCacheConfig's default). See the .cpp for the formulas.
EngineSettings trtllm_bench_settings(const InferenceInstance& instance, int input_len,
                                     int output_len);

/// The number of requests NVIDIA's published max-throughput runs used for these lengths
/// (perf-overview.md's $num_requests table); for lengths it does not list, that of the listed
/// pair with the nearest input + output length.
int trtllm_bench_requests(int input_len, int output_len);

/// The outcome of one max-throughput run.
struct ThroughputRun {
  double output_tokens_per_s = 0;  ///< whole instance
  double elapsed_s = 0;
  long long iterations = 0;
  int requests = 0;
  double mean_batch = 0;         ///< sequences per iteration, averaged over iterations
  double mean_decode_batch = 0;  ///< decode sequences per iteration, averaged over iterations
  int peak_in_flight = 0;        ///< most requests holding KV blocks at once
  double prompt_tokens = 0;      ///< prompt tokens admitted, all streams
  double reused_tokens = 0;      ///< of them, found in the prefix cache (prefill saved)
  KvCapacity kv;
  EngineSettings settings;
  StepTimes time;  ///< the iterations' parts, summed over the slowest stream (pp 1: the run)
};

/// Runs `requests` requests of input_len prompt and output_len generated tokens (output_len >=
/// 1) through the engine. Throws ConfigurationError when one request cannot fit in the KV cache
/// or, without chunking, its prompt exceeds max_num_tokens.
ThroughputRun run_max_throughput(const InferenceInstance& instance, const EngineSettings& settings,
                                 int input_len, int output_len, int requests);

}  // namespace capsim
