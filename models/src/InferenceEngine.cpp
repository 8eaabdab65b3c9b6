#include "capsim/models/InferenceEngine.hpp"

#include <algorithm>
#include <string>
#include <vector>

#include "capsim/models/Errors.hpp"

namespace capsim {
namespace {

std::string num(long long value) { return std::to_string(value); }

struct InFlight {
  int prefilled = 0;            ///< prompt tokens in the KV cache
  int generated = 0;            ///< output tokens so far
  int prefix = -1;              ///< its shared prefix (prefix caching)
  long long own_blocks = 0;     ///< blocks reserved for it alone
  long long shared_blocks = 0;  ///< cached prefix blocks it references
};

void check(const EngineSettings& s, long long stream_blocks, int pp, long long blocks_per_request,
           int input_len) {
  if (s.max_batch_size < 1 || s.max_num_tokens < 1) {
    throw ConfigurationError("inference engine: max_batch_size and max_num_tokens must be >= 1");
  }
  if (blocks_per_request > stream_blocks) {
    throw ConfigurationError("inference engine: one request needs " + num(blocks_per_request) +
                             " KV blocks but the cache holds " + num(stream_blocks) +
                             (pp > 1 ? " per stream (1/" + num(pp) + " of the replica's)" : "") +
                             "; expected more memory per token (tp, precision) or shorter "
                             "requests");
  }
  if (!s.chunked_prefill && input_len > s.max_num_tokens) {
    throw ConfigurationError("inference engine: a prompt of " + num(input_len) +
                             " tokens exceeds max_num_tokens " + num(s.max_num_tokens) +
                             " without chunked prefill; expected a larger budget or chunking");
  }
}

// One stream (the whole instance with pp 1, one of its pp virtual engines otherwise) serving
// `requests` requests with `kv_blocks` blocks; run's time, iterations and batch figures grow.
struct StreamTotals {
  double batch_sum = 0, decode_sum = 0;
};

StepTimes run_stream(const InferenceInstance& instance, const EngineSettings& settings,
                     long long kv_blocks, long long blocks_per_request, int input_len,
                     int output_len, int requests, ThroughputRun& run, StreamTotals& totals) {
  StepTimes time;
  std::vector<InFlight> in_flight;
  long long free_blocks = kv_blocks;
  int waiting = requests;
  StepBatch batch;
  std::vector<int> chunk;
  PrefixCache cache(settings.prefix_cache, settings.tokens_per_block);
  const long long block = settings.tokens_per_block;
  const long long shareable = cache.shareable_blocks(input_len, input_len);
  int admitted = 0;
  while (waiting > 0 || !in_flight.empty()) {
    // Capacity scheduler (GUARANTEED_NO_EVICT): admit while a whole request's blocks are free
    // (a cached prefix's blocks referenced, not reserved again).
    while (waiting > 0 && static_cast<int>(in_flight.size()) < settings.max_batch_size) {
      InFlight r;
      r.prefix = cache.enabled() ? admitted % settings.prefix_cache.prefixes : -1;
      const long long hit = cache.enabled() ? cache.hit_blocks(r.prefix, shareable) : 0;
      const long long need =
          blocks_per_request - hit + (hit > 0 ? cache.blocks_to_reference(r.prefix) : 0);
      if (free_blocks < need) break;
      free_blocks -= need;
      r.own_blocks = blocks_per_request - hit;
      if (hit > 0) {
        cache.acquire(r.prefix);
        r.shared_blocks = hit;
        r.prefilled = static_cast<int>(hit * block);
      }
      cache.fit(free_blocks);
      run.prompt_tokens += input_len;
      run.reused_tokens += static_cast<double>(r.prefilled);
      in_flight.push_back(r);
      ++admitted;
      --waiting;
    }
    // Micro-batch scheduler: generation first, then prompts within the token budget.
    batch.prefill.clear();
    batch.decode_sequences = 0;
    batch.decode_context_tokens = 0;
    long long budget = settings.max_num_tokens;
    // chunk[i]: prompt tokens request i runs now; kDecode: it generates a token.
    constexpr int kDecode = -1;
    chunk.assign(in_flight.size(), 0);
    for (std::size_t i = 0; i < in_flight.size() && budget > 0; ++i) {
      if (in_flight[i].prefilled != input_len) continue;
      chunk[i] = kDecode;
      batch.decode_sequences += 1;
      batch.decode_context_tokens += input_len + in_flight[i].generated;
      --budget;
    }
    for (std::size_t i = 0; i < in_flight.size() && budget > 0; ++i) {
      const InFlight& r = in_flight[i];
      if (r.prefilled == input_len) continue;
      const long long left = input_len - r.prefilled;
      const long long tokens = settings.chunked_prefill ? std::min(left, budget) : left;
      if (tokens > budget) break;
      chunk[i] = static_cast<int>(tokens);
      batch.prefill.push_back(
          {static_cast<double>(tokens), static_cast<double>(r.prefilled), tokens == left});
      budget -= tokens;
    }
    if (batch.prefill.empty() && batch.decode_sequences == 0) {
      throw ConfigurationError("inference engine: an iteration schedules nothing");
    }
    const StepTimes step = inference_step_times(instance, batch);
    time += step;
    ++run.iterations;
    totals.batch_sum += batch.decode_sequences + static_cast<double>(batch.prefill.size());
    totals.decode_sum += batch.decode_sequences;
    run.peak_in_flight = std::max(run.peak_in_flight, static_cast<int>(in_flight.size()));

    // Advance the sequences; finished ones give their blocks back.
    std::size_t kept = 0;
    for (std::size_t i = 0; i < in_flight.size(); ++i) {
      InFlight r = in_flight[i];
      if (chunk[i] > 0) {
        r.prefilled += chunk[i];
        if (r.prefilled == input_len) r.generated = 1;
        // The first to compute its prefix's blocks hands them to the cache.
        if (cache.enabled() && r.shared_blocks == 0 && shareable > 0 &&
            r.prefilled >= shareable * block && cache.cached_blocks(r.prefix) == 0) {
          cache.insert(r.prefix, shareable);
          r.shared_blocks = shareable;
          r.own_blocks -= shareable;
        }
      } else if (chunk[i] == kDecode) {
        r.generated += 1;
      }
      if (r.generated >= output_len) {
        free_blocks += r.own_blocks;
        if (r.shared_blocks > 0) free_blocks += cache.release(r.prefix);
      } else {
        in_flight[kept++] = r;
      }
    }
    in_flight.resize(kept);
  }
  return time;
}

}  // namespace

ThroughputRun run_max_throughput(const InferenceInstance& instance, const EngineSettings& settings,
                                 int input_len, int output_len, int requests) {
  validate_inference_instance(instance);
  if (input_len < 1 || output_len < 1 || requests < 1) {
    throw ConfigurationError("inference engine: input_len, output_len and requests must be >= 1");
  }
  ThroughputRun run;
  run.settings = settings;
  run.requests = requests;
  run.kv = kv_capacity(instance, settings.max_batch_size, settings.max_num_tokens,
                       settings.kv_memory_fraction, settings.tokens_per_block);
  const long long block = settings.tokens_per_block;
  const long long blocks_per_request =
      (static_cast<long long>(input_len) + output_len + block - 1) / block;
  // pp streams (virtual engines), each with 1/pp of the blocks and of the requests, stepping
  // at the pipeline's iteration time side by side: the run lasts as long as the slowest.
  const int pp = instance.pp;
  const long long stream_blocks = run.kv.kv_blocks / pp;
  check(settings, stream_blocks, pp, blocks_per_request, input_len);
  StreamTotals totals;
  for (int stream = 0; stream < pp; ++stream) {
    const int share = requests / pp + (stream < requests % pp ? 1 : 0);
    if (share == 0) continue;
    const StepTimes time = run_stream(instance, settings, stream_blocks, blocks_per_request,
                                      input_len, output_len, share, run, totals);
    if (time.total_s > run.elapsed_s) {
      run.elapsed_s = time.total_s;
      run.time = time;
    }
  }
  run.output_tokens_per_s = static_cast<double>(requests) * output_len / run.elapsed_s;
  run.mean_batch = totals.batch_sum / static_cast<double>(run.iterations);
  run.mean_decode_batch = totals.decode_sum / static_cast<double>(run.iterations);
  return run;
}

}  // namespace capsim
