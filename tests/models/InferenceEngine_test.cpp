// The max-throughput engine (InferenceEngine.hpp): the batch it reaches when the KV cache binds,
// a queueing-free throughput derived by hand from the step model, chunked prefill, and
// trtllm-bench's settings by hand for Llama 3.1 8B on an H100.
#include "capsim/models/InferenceEngine.hpp"

#include <gtest/gtest.h>

#include "ShippedCatalog.hpp"
#include "TrainingTestFixtures.hpp"
#include "capsim/models/Errors.hpp"
#include "capsim/models/PublishedInference.hpp"
#include "capsim/models/TrainingPlan.hpp"

namespace capsim::test {
namespace {

InferenceInstance tiny_instance() {
  InferenceInstance in;
  in.model = {2, 1024, 8, 2, 4096, 32768, true, false};
  in.precision = InferencePrecision::FP8;
  in.gpu.id = "hand-gpu";
  in.gpu.kernels = hand_kernels();
  in.gpu.memory_bytes = 4e9;
  in.gpu.decode_attention_Bps = 2e12;
  return in;
}

EngineSettings settings(int max_batch, int max_tokens) {
  return {max_batch, max_tokens, 0.9, 32, false};
}

// Memory for which the KV cache holds exactly `blocks` 32-token blocks (1,024 bytes per token).
InferenceInstance with_kv_blocks(long long blocks, const EngineSettings& s) {
  InferenceInstance in = tiny_instance();
  const KvCapacity big = kv_capacity(in, s.max_batch_size, s.max_num_tokens, 0.9, 32);
  in.gpu.memory_bytes =
      big.weights_bytes + big.workspace_bytes + (blocks + 0.5) * 32 * 1024 / s.kv_memory_fraction;
  return in;
}

TEST(InferenceEngine, KvCacheBindsTheBatchAndTheThroughputIsTheStepsAddedUp) {
  // Requests of 100 prompt and 28 output tokens need 128 tokens = 4 blocks; 40 blocks hold 10
  // requests, far below max_batch_size 64 and the 4096-token budget. So 100 requests run in 10
  // waves: all 10 prompts in one iteration (1,000 tokens, each sampling its first token), then
  // 27 decode iterations in which the 10 sequences hold 100 + g tokens (g = 1..27), then the
  // next wave is admitted. No request waits on another inside a wave: no queueing.
  const EngineSettings s = settings(64, 4096);
  const InferenceInstance in = with_kv_blocks(40, s);
  const ThroughputRun run = run_max_throughput(in, s, 100, 28, 100);
  EXPECT_EQ(run.kv.kv_blocks, 40);
  EXPECT_EQ(run.peak_in_flight, 10);
  EXPECT_EQ(run.iterations, 10 * 28);
  EXPECT_DOUBLE_EQ(run.mean_batch, 10.0);

  StepBatch prefill;
  for (int i = 0; i < 10; ++i) prefill.prefill.push_back({100, 0, true});
  double wave_s = inference_step_times(in, prefill).total_s;
  for (int g = 1; g <= 27; ++g) {
    StepBatch decode;
    decode.decode_sequences = 10;
    decode.decode_context_tokens = 10.0 * (100 + g);
    wave_s += inference_step_times(in, decode).total_s;
  }
  EXPECT_NEAR(run.elapsed_s / (10 * wave_s), 1, 1e-12);
  EXPECT_NEAR(run.output_tokens_per_s, 100 * 28 / (10 * wave_s), 1e-9 * run.output_tokens_per_s);
}

TEST(InferenceEngine, APrefixCacheSharesBlocksAndSkipsTheCachedPrefillByHand) {
  // The waves above with a shared prefix of 64 tokens (2 whole 32-token blocks) on every request.
  // Wave 1: 10 requests admitted together, all miss (nothing cached yet), 4 blocks each; the
  //   first caches its 2 prefix blocks after its prefill. When the wave ends the prefix is
  //   unreferenced but cached, its 2 blocks among the 40 free.
  // Later waves: the first request references the cached prefix (4 - 2 own + the 2 cached
  //   blocks leaving the free pool = 4), every further one needs only its 2 own blocks:
  //   1 + (40 - 4) / 2 = 19 requests per wave, each prefilling 36 tokens after 64 cached.
  //   100 requests: 10 + 4 x 19 + 14, six waves of 28 iterations; 90 hits x 64 tokens reused
  //   of 100 x 100 prompt tokens.
  EngineSettings s = settings(64, 4096);
  s.prefix_cache = {true, 64, 1};
  const InferenceInstance in = with_kv_blocks(40, s);
  const ThroughputRun run = run_max_throughput(in, s, 100, 28, 100);
  EXPECT_EQ(run.peak_in_flight, 19);
  EXPECT_EQ(run.iterations, 6 * 28);
  EXPECT_EQ(run.prompt_tokens, 100 * 100);
  EXPECT_EQ(run.reused_tokens, 90 * 64);
  const auto wave_s = [&](int requests, double past) {
    StepBatch prefill;
    for (int i = 0; i < requests; ++i) prefill.prefill.push_back({100 - past, past, true});
    double t = inference_step_times(in, prefill).total_s;
    for (int g = 1; g <= 27; ++g) {
      StepBatch decode;
      decode.decode_sequences = requests;
      decode.decode_context_tokens = requests * (100.0 + g);
      t += inference_step_times(in, decode).total_s;
    }
    return t;
  };
  const double expected_s = wave_s(10, 0) + 4 * wave_s(19, 64) + wave_s(14, 64);
  EXPECT_NEAR(run.elapsed_s / expected_s, 1, 1e-12);
  // Against the same run without prefix caching (10 waves of 10, see above): faster.
  s.prefix_cache.enabled = false;
  EXPECT_LT(run.elapsed_s, run_max_throughput(in, s, 100, 28, 100).elapsed_s);
}

TEST(InferenceEngine, EachPipelineStreamKeepsItsOwnPrefixCache) {
  // Plenty of KV (4 GB), max_batch_size 8, 32 requests of 100 + 28 tokens with a 64-token prefix
  // (2 whole blocks). pp 1: one stream admits 8 at once (all miss), then 24 hits: 24 x 64 = 1,536
  // tokens reused. pp 2: two streams of 16 requests, each with its own cache, each 8 misses
  // then 8 hits: 2 x 8 x 64 = 1,024.
  EngineSettings s = settings(8, 4096);
  s.prefix_cache = {true, 64, 1};
  InferenceInstance in = tiny_instance();
  const ThroughputRun one = run_max_throughput(in, s, 100, 28, 32);
  EXPECT_EQ(one.reused_tokens, 24 * 64);
  in.pp = 2;
  in.gpu.tp_link = {100e9, 1e-6};
  const ThroughputRun two = run_max_throughput(in, s, 100, 28, 32);
  EXPECT_EQ(two.reused_tokens, 2 * 8 * 64);
  EXPECT_EQ(two.prompt_tokens, 32 * 100);
}

TEST(InferenceEngine, MaxBatchSizeBindsWhenTheCacheIsLarge) {
  // Plenty of KV (4 GB): max_batch_size 8 caps the requests in flight.
  const ThroughputRun run = run_max_throughput(tiny_instance(), settings(8, 4096), 100, 28, 64);
  EXPECT_EQ(run.peak_in_flight, 8);
  EXPECT_EQ(run.iterations, 8 * 28);
}

TEST(InferenceEngine, TheTokenBudgetSplitsPromptsOnlyWithChunkedPrefill) {
  // One request of 600 prompt tokens and a budget of 256: chunks of 256, 256 and 88, the last
  // sampling the first output token, then 4 decode iterations.
  EngineSettings s = settings(8, 256);
  s.chunked_prefill = true;
  const ThroughputRun run = run_max_throughput(tiny_instance(), s, 600, 5, 1);
  EXPECT_EQ(run.iterations, 3 + 4);
  StepBatch a, b, c;
  a.prefill.push_back({256, 0, false});
  b.prefill.push_back({256, 256, false});
  c.prefill.push_back({88, 512, true});
  EXPECT_NEAR(run.time.prefill_attention_s,
              inference_step_times(tiny_instance(), a).prefill_attention_s +
                  inference_step_times(tiny_instance(), b).prefill_attention_s +
                  inference_step_times(tiny_instance(), c).prefill_attention_s,
              1e-15);
  // Without chunking the prompt cannot be scheduled at all.
  s.chunked_prefill = false;
  EXPECT_THROW(run_max_throughput(tiny_instance(), s, 600, 5, 1), ConfigurationError);
}

TEST(InferenceEngine, ARequestLargerThanTheCacheIsAnError) {
  const EngineSettings s = settings(64, 4096);
  EXPECT_THROW(run_max_throughput(with_kv_blocks(3, s), s, 100, 28, 1), ConfigurationError);
}

TEST(InferenceEngine, TrtllmBenchSettingsByHandForLlama8bOnAnH100) {
  const Catalog& catalog = shipped_catalog();
  InferenceInstance in;
  in.model = model_shape(catalog.models.at("llama-3.1-8b"));
  in.precision = InferencePrecision::FP8;
  in.gpu = inference_gpu(catalog.gpus.at("h100-sxm-80gb"));
  // Llama 3.1 8B has 8,030,261,248 parameters = 7.4787 GiB at 1 byte; 80e9 bytes = 74.5058 GiB;
  // 0.95 x 67.0271 = 63.6758 GiB of cache; a token's KV is 2 x 32 x 8 x 128 bytes = 2^-14 GiB.
  // 128 + 128 tokens: 4075.3 requests -> batch 256 x ceil(15.92) = 4096; tokens 4075.3 x 2 =
  // 8150.6 -> 512 x ceil(15.92) = 8192 (>= 128 + 4096).
  EngineSettings s = trtllm_bench_settings(in, 128, 128);
  EXPECT_EQ(s.max_batch_size, 4096);
  EXPECT_EQ(s.max_num_tokens, 8192);
  EXPECT_DOUBLE_EQ(s.kv_memory_fraction, 0.95);
  EXPECT_EQ(s.tokens_per_block, 32);
  EXPECT_FALSE(s.chunked_prefill);
  // 20000 + 2000 tokens: 47.4 requests -> at least 64; tokens 47.4 x 11 = 521.6 -> 2048, raised
  // to hold a whole prompt beside a full batch: 20000 + 64.
  s = trtllm_bench_settings(in, 20000, 2000);
  EXPECT_EQ(s.max_batch_size, 64);
  EXPECT_EQ(s.max_num_tokens, 20064);
  // 128 + 2048: 479.5 requests -> 128 x ceil(3.75) = 512; 479.5 x 1.0625 = 509.4 -> 2048.
  s = trtllm_bench_settings(in, 128, 2048);
  EXPECT_EQ(s.max_batch_size, 512);
  EXPECT_EQ(s.max_num_tokens, 2048);
}

TEST(InferenceEngine, RequestCountsOfThePublishedRuns) {
  EXPECT_EQ(trtllm_bench_requests(128, 128), 30000);
  EXPECT_EQ(trtllm_bench_requests(5000, 500), 1500);
  EXPECT_EQ(trtllm_bench_requests(20000, 2000), 1000);
  // Not in the table: the nearest listed total length (256 -> 128/128).
  EXPECT_EQ(trtllm_bench_requests(100, 100), 30000);
}

}  // namespace
}  // namespace capsim::test
