// Prefill/decode disaggregation in the request-level simulation (ServingSimulation.hpp): one
// request's time to first token by hand (prefill iteration + KV bytes / path bandwidth + path
// latency), and decode replicas that never run prompt work under load, unlike a co-located
// engine. Each test case runs in its own process (one SimGrid engine per process).
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>

#include "ShippedCatalog.hpp"
#include "capsim/models/PublishedInference.hpp"
#include "capsim/models/ServingTraffic.hpp"
#include "capsim/models/TrainingPlan.hpp"
#include "capsim/sim/ServingSimulation.hpp"

namespace capsim::test {
namespace {

InferenceInstance llama8b_h100() {
  InferenceInstance in;
  in.model = model_shape(shipped_catalog().models.at("llama-3.1-8b"));
  in.gpu = inference_gpu(shipped_catalog().gpus.at("h100-sxm-80gb"));
  return in;
}

// Two 8-GPU servers on one switch, one 400 Gb/s NIC per GPU. Figures chosen for the test.
constexpr double kNicBps = 50e9, kNicLatency_s = 600e-9, kSwitchLatency_s = 130e-9,
                 kCableLatency_s = 5e-9, kNetworkEfficiency = 0.95;

Topology two_servers() {
  FabricSpec spec;
  spec.kind = FabricTemplate::SingleSwitch;
  spec.servers = 2;
  spec.gpus_per_server = 8;
  spec.nvlink_domain_gpus = 8;
  spec.nvlink_bandwidth_Bps = 450e9;
  spec.nvlink_latency_s = 1e-6;
  spec.nics_per_server = 8;
  spec.nic_bandwidth_Bps = kNicBps;
  spec.nic_latency_s = kNicLatency_s;
  spec.leaf = {64, kNicBps, kSwitchLatency_s};
  spec.spine = spec.leaf;
  spec.core = spec.leaf;
  spec.cable_latency_s = kCableLatency_s;
  return build_topology(spec);
}

// One prefill replica on server 0 (GPUs from 0), one decode replica on server 1 (from 8).
ServiceSetup disaggregated(const Topology& topology, int tp) {
  ServiceSetup setup;
  setup.name = "pd";
  setup.instance = llama8b_h100();
  setup.instance.tp = tp;
  setup.kv_blocks = 20000;
  setup.replicas = 1;
  PrefillPoolSetup pool;
  pool.instance = setup.instance;
  pool.kv_blocks = 20000;
  pool.replicas = 1;
  pool.first_gpus = {0};
  pool.decode_first_gpus = {8};
  pool.topology = &topology;
  pool.scaleup_efficiency = 0.822;
  pool.network_efficiency = kNetworkEfficiency;
  setup.prefill_pool = pool;
  return setup;
}

TEST(ServingDisaggregation, OneRequestsFirstTokenIsPrefillThenKvTransferByHand) {
  const Topology topology = two_servers();
  ServiceSetup setup = disaggregated(topology, 1);
  const double arrival_s = 1.0;
  const int input = 1000, output = 4;
  setup.requests = {{arrival_s, input, output}};
  setup.duration_s = 10;
  ServingSettings settings;
  settings.keep_requests = true;
  const ServingSimulation sim = simulate_services({setup}, settings);
  const ServiceStats& st = sim.services.at(0);
  ASSERT_EQ(st.completed, 1);

  // Prefill: one iteration of the 1000-token prompt on the idle prefill replica.
  StepBatch prompt;
  prompt.prefill.push_back({input, 0, true});
  const double prefill_s = inference_step_times(setup.instance, prompt).total_s;
  // KV of one token on one GPU (tp 1, bf16): K and V x 32 layers x 8 KV heads x 128 x 2 bytes.
  const double per_token_bytes = 2.0 * 32 * 8 * 128 * 2;
  ASSERT_DOUBLE_EQ(kv_bytes_per_token(setup.instance), per_token_bytes);
  const double bytes = input * per_token_bytes;  // 131.072 MB
  // GPU 0 -> NIC 0 -> switch -> NIC 8 -> GPU 8: the NICs and the switch forward (their delays),
  // two cables; every link runs at 50 GB/s, of which a flow gets the 0.95 network share.
  const double latency_s = 2 * kNicLatency_s + kSwitchLatency_s + 2 * kCableLatency_s;
  const double transfer_s = latency_s + bytes / (kNicBps * kNetworkEfficiency);
  const RequestRecord& r = st.records.at(0);
  EXPECT_NEAR(r.first_token_s - arrival_s, prefill_s + transfer_s, 1e-9);
  EXPECT_NEAR(st.ttft.p50_s, prefill_s + transfer_s, 1e-9);
  EXPECT_DOUBLE_EQ(st.kv_transfer_bytes, bytes);
  EXPECT_DOUBLE_EQ(r.first_scheduled_s, arrival_s);
  // Then the decode replica, idle, runs the other 3 tokens at contexts 1001, 1002, 1003.
  double decode_s = 0;
  for (int context = input + 1; context < input + output; ++context) {
    StepBatch step;
    step.decode_sequences = 1;
    step.decode_context_tokens = context;
    decode_s += inference_step_times(setup.instance, step).total_s;
  }
  EXPECT_NEAR(r.finish_s - arrival_s, prefill_s + transfer_s + decode_s, 1e-9);
  EXPECT_EQ(st.mixed_iterations, 0);
  EXPECT_EQ(st.iterations, 1 + (output - 1)) << "one prefill, three decode iterations";
}

TEST(ServingDisaggregation, TensorParallelReplicasSendEachGpuItsShareInParallel) {
  // tp 2 on both sides: GPU i sends GPU 8 + i half the heads over its own NIC, so the transfer
  // takes the time of half the bytes: latency + (bytes / 2) / (0.95 x 50 GB/s).
  const Topology topology = two_servers();
  ServiceSetup setup = disaggregated(topology, 2);
  const int input = 2000;
  setup.requests = {{0.5, input, 2}};
  setup.duration_s = 10;
  ServingSettings settings;
  settings.keep_requests = true;
  const ServiceStats st = simulate_services({setup}, settings).services.at(0);
  StepBatch prompt;
  prompt.prefill.push_back({input, 0, true});
  const double prefill_s = inference_step_times(setup.instance, prompt).total_s;
  const double total_bytes = input * 2.0 * 32 * 8 * 128 * 2;
  const double latency_s = 2 * kNicLatency_s + kSwitchLatency_s + 2 * kCableLatency_s;
  EXPECT_NEAR(st.ttft.p50_s,
              prefill_s + latency_s + total_bytes / 2 / (kNicBps * kNetworkEfficiency), 1e-9);
  EXPECT_DOUBLE_EQ(st.kv_transfer_bytes, total_bytes);
}

TEST(ServingDisaggregation, DecodeReplicasRunNoPromptWorkUnderLoadUnlikeCoLocatedOnes) {
  // The same Poisson traffic (3000-token prompts, 150 output tokens, 8 req/s for 60 s) on two
  // GPUs: two co-located replicas, or one prefill and one decode replica. A prefill of 3000
  // tokens takes ~70 ms (8B x 2 x 3000 FLOP at ~700 TFLOP/s), so the co-located replicas run
  // prompt chunks in many iterations and their decoding sequences wait on them.
  const Topology topology = two_servers();
  TrafficConfig traffic;
  traffic.pattern = ArrivalPattern::Poisson;
  traffic.rate_per_s = 8;
  traffic.input_tokens = {"fixed", 3000, 0, 3000, 3000};
  traffic.output_tokens = {"fixed", 150, 0, 150, 150};
  const double duration_s = 60;
  const std::vector<ServingRequest> requests = generate_requests(traffic, duration_s, 7);

  ServiceSetup split = disaggregated(topology, 1);
  split.requests = requests;
  split.duration_s = duration_s;
  ServiceSetup colocated = split;
  colocated.name = "colocated";
  colocated.prefill_pool.reset();
  colocated.replicas = 2;
  const ServingSimulation sim = simulate_services({split, colocated});
  const ServiceStats& pd = sim.services.at(0);
  const ServiceStats& co = sim.services.at(1);
  ASSERT_EQ(pd.unfinished, 0);
  ASSERT_EQ(co.unfinished, 0);
  ASSERT_EQ(pd.preemptions, 0) << "a preempted sequence would be recomputed on the decode side";
  EXPECT_EQ(pd.mixed_iterations, 0);
  // A co-located replica decodes each request for 149 iterations (over a second) while its
  // next prompts arrive every 0.25 s: most prompts share an iteration with decoding sequences.
  EXPECT_GT(co.mixed_iterations, co.requests / 2);
  // A decode-only iteration is at most the step of every running sequence at its longest
  // context; the decode replica's iterations run back to back, so no request's time per output
  // token exceeds that step. Running sequences: at most 8 req/s x the time one stays (bounded
  // well under 256 here), so bound with the engine's max_batch_size.
  StepBatch worst;
  worst.decode_sequences = split.engine.max_batch_size;
  worst.decode_context_tokens = split.engine.max_batch_size * (3000.0 + 150);
  const double worst_decode_s = inference_step_times(split.instance, worst).total_s;
  EXPECT_LE(pd.tpot.max_s, worst_decode_s);
  // The co-located replicas' slowest tokens wait on prompts: their p99 time per output token is
  // above the disaggregated one's.
  EXPECT_GT(co.tpot.p99_s, pd.tpot.p99_s);
  std::printf(
      "TPOT p50/p99/max: disaggregated %.4f/%.4f/%.4f s, co-located %.4f/%.4f/%.4f s; "
      "TTFT p50/p99 %.4f/%.4f s against %.4f/%.4f s; mixed %lld of %lld\n",
      pd.tpot.p50_s, pd.tpot.p99_s, pd.tpot.max_s, co.tpot.p50_s, co.tpot.p99_s, co.tpot.max_s,
      pd.ttft.p50_s, pd.ttft.p99_s, co.ttft.p50_s, co.ttft.p99_s, co.mixed_iterations,
      co.iterations);
}

}  // namespace
}  // namespace capsim::test
