// A pipeline-parallel replica in the request-level simulation (ServingSimulation.hpp): pp
// streams (vLLM's virtual engines), each with its own batch and 1/pp of the KV cache, stepping
// at the pipeline's iteration time (the sum of the stages' kernels and the sends between them).
// Each test case runs in its own process (one SimGrid engine per process).
#include <gtest/gtest.h>

#include "ShippedCatalog.hpp"
#include "capsim/models/Collectives.hpp"
#include "capsim/models/Errors.hpp"
#include "capsim/models/PublishedInference.hpp"
#include "capsim/models/ServingTraffic.hpp"
#include "capsim/models/TrainingPlan.hpp"
#include "capsim/sim/ServingSimulation.hpp"

namespace capsim::test {
namespace {

// Llama 3.1 8B in bf16 on H100s, tp 1, pp 2: 16 layers per stage, stages over NVLink.
InferenceInstance llama8b_pp2() {
  InferenceInstance in;
  in.model = model_shape(shipped_catalog().models.at("llama-3.1-8b"));
  in.gpu = inference_gpu(shipped_catalog().gpus.at("h100-sxm-80gb"));
  in.pp = 2;
  return in;
}

// Saturating load: 8 sequences per stream, prompts of 32 tokens and 256 output tokens, 100
// requests/s for 10 s against a capacity of about 2 x 8 / 256 tokens per ~7 ms iteration (~9
// requests/s): the queue never empties during the window.
ServiceSetup saturated(const InferenceInstance& instance) {
  ServiceSetup setup;
  setup.name = "pp";
  setup.instance = instance;
  setup.engine.max_batch_size = 8;
  setup.engine.max_num_tokens = 512;
  setup.engine.tokens_per_block = 16;
  setup.kv_blocks = 2 * 1000;  // 1000 per stream: 8 x 288 tokens need 144
  setup.replicas = 1;
  TrafficConfig traffic;
  traffic.pattern = ArrivalPattern::Poisson;
  traffic.rate_per_s = 100;
  traffic.input_tokens = {"fixed", 32, 0, 32, 32};
  traffic.output_tokens = {"fixed", 256, 0, 256, 256};
  setup.duration_s = 10;
  setup.requests = generate_requests(traffic, setup.duration_s, 5);
  return setup;
}

TEST(ServingPipeline, TwoStreamsDeliverTwiceOneStreamAtThePipelineIterationTime) {
  const InferenceInstance in = llama8b_pp2();
  // The pipeline's decode iteration of one stream's 8 sequences at the mean context (32 + 128
  // tokens each), from the stages' kernels and one send of 8 x 4096 x 2 bytes over NVLink (the
  // GPU's scale-up link, 1 us + bytes / (450 GB/s x 0.822)), derived part by part here.
  StepBatch decode;
  decode.decode_sequences = 8;
  decode.decode_context_tokens = 8 * 160;
  const double send_s = point_to_point_s(8.0 * 4096 * 2, in.gpu.tp_link);
  const double iteration_s = inference_stage_times(in, decode, 0).total_s +
                             inference_stage_times(in, decode, 1).total_s + send_s;
  // One stream yields 8 tokens per iteration (every iteration samples a token for each of its
  // 8 sequences, the first from a prompt's last chunk): 8 / iteration_s tokens/s.
  const double one_stream_tokens_per_s = 8 / iteration_s;

  const ServingSimulation sim = simulate_services({saturated(in)});
  const ServiceStats& st = sim.services.at(0);
  // Two streams side by side: twice one stream's throughput, within 3% (a new request's
  // 32-token prompt rides in one of every 256 iterations, and contexts range over 33..288).
  EXPECT_NEAR(st.output_tokens_per_s / (2 * one_stream_tokens_per_s), 1, 0.03)
      << st.output_tokens_per_s << " tokens/s against one stream's " << one_stream_tokens_per_s;
  // Each token of a request waits one pipeline iteration: TPOT is the stages' sum plus the send,
  // within 2% (the context of the mean, prompts mixed into 1 in 256 iterations).
  EXPECT_NEAR(st.tpot.p50_s / iteration_s, 1, 0.02) << st.tpot.p50_s << " s vs " << iteration_s;
  // ... which is more than the kernels of either stage alone.
  EXPECT_GT(st.tpot.p50_s, 1.9 * inference_stage_times(in, decode, 0).total_s);
  // The replica's GPUs are tp x pp = 2, both streams busy all the time at saturation.
  EXPECT_GT(st.gpu_utilization, 0.99);
  EXPECT_NEAR(st.gpu_seconds, 2 * st.replica_seconds, 1e-9 * st.gpu_seconds);
}

TEST(ServingPipeline, EachStreamHasItsOwnBatchAndItsShareOfTheCache) {
  // 5 blocks of 16 tokens over 2 streams: 2 each (rounded down, as vLLM's virtual engines).
  // Guaranteed-no-evict reserves prompt + output: 16 + 2 tokens take 2 blocks, 16 + 17 take 3.
  const InferenceInstance in = llama8b_pp2();
  ServiceSetup setup = saturated(in);
  setup.engine.kv_policy = KvPolicy::GuaranteedNoEvict;
  setup.duration_s = 1;
  setup.requests = {{0.0, 16, 2}, {0.0, 16, 2}, {0.0, 16, 17}};
  setup.kv_blocks = 5;
  ServingSettings settings;
  settings.keep_requests = true;
  const ServingSimulation sim = simulate_services({setup}, settings);
  const ServiceStats& st = sim.services.at(0);
  // The first two go to different streams, each alone in its first iteration: its first token
  // comes after the pipeline time of one 16-token prompt (sharing a stream, they would have
  // run as two chunks in one longer iteration, or one after the other for want of blocks).
  StepBatch one;
  one.prefill.push_back({16, 0, true});
  const double alone_s = inference_step_times(in, one).total_s;
  ASSERT_EQ(st.records.size(), 3u);
  EXPECT_NEAR(st.records[0].first_token_s, alone_s, 1e-12);
  EXPECT_NEAR(st.records[1].first_token_s, alone_s, 1e-12);
  // The third needs 3 blocks, more than a stream's 2 though the replica has 5: never admitted.
  EXPECT_EQ(st.completed, 2);
  EXPECT_EQ(st.unfinished, 1);
}

TEST(ServingPipeline, AReplicaNeedsABlockPerStream) {
  ServiceSetup setup = saturated(llama8b_pp2());
  setup.kv_blocks = 1;
  EXPECT_THROW(simulate_services({setup}), ConfigurationError);
}

}  // namespace
}  // namespace capsim::test
