// The request-level serving simulation (ServingSimulation.hpp) against closed-form results:
// one replica serving one request at a time in a fixed time under Poisson arrivals is an M/D/1
// queue (Pollaczek-Khinchine mean wait), and the autoscaler grows into a peak and shrinks after.
// Each test case runs in its own process (one SimGrid engine per process).
#include "capsim/sim/ServingSimulation.hpp"

#include <gtest/gtest.h>

#include <cmath>

#include "ShippedCatalog.hpp"
#include "capsim/models/Errors.hpp"
#include "capsim/models/InferenceEngine.hpp"
#include "capsim/models/PublishedInference.hpp"
#include "capsim/models/TrainingPlan.hpp"

namespace capsim::test {
namespace {

InferenceInstance llama8b_h100() {
  InferenceInstance in;
  in.model = model_shape(shipped_catalog().models.at("llama-3.1-8b"));
  in.gpu = inference_gpu(shipped_catalog().gpus.at("h100-sxm-80gb"));
  return in;
}

// Mean of x over `batches` consecutive batches and the standard error of that mean from the
// spread of the batch means (the batch-means method: waits of neighbouring requests are
// correlated, so the plain sample deviation would understate the error).
struct BatchMeans {
  double mean = 0, standard_error = 0;
};

BatchMeans batch_means(const std::vector<double>& x, int batches) {
  const std::size_t per = x.size() / static_cast<std::size_t>(batches);
  std::vector<double> means;
  for (int b = 0; b < batches; ++b) {
    double sum = 0;
    for (std::size_t i = 0; i < per; ++i) sum += x[static_cast<std::size_t>(b) * per + i];
    means.push_back(sum / static_cast<double>(per));
  }
  BatchMeans out;
  for (const double m : means) out.mean += m / batches;
  double var = 0;
  for (const double m : means) var += (m - out.mean) * (m - out.mean) / (batches - 1);
  out.standard_error = std::sqrt(var / batches);
  return out;
}

TEST(ServingSimulation, OneRequestAtATimeUnderPoissonArrivalsIsAnMD1Queue) {
  // max_batch_size 1 and one output token: each request is one prefill iteration of its 512
  // prompt tokens, the same time D for all (its first token ends it). Arrivals Poisson at
  // lambda = rho / D, rho = 0.6. Pollaczek-Khinchine for M/D/1: mean wait in queue
  // Wq = rho / (2 mu (1 - rho)) = rho D / (2 (1 - rho)) = 0.75 D; and by PASTA a request finds
  // the replica idle with probability 1 - rho = 0.4.
  ServiceSetup setup;
  setup.name = "md1";
  setup.instance = llama8b_h100();
  setup.engine.max_batch_size = 1;
  setup.engine.max_num_tokens = 512;
  setup.engine.tokens_per_block = 16;
  setup.kv_blocks = 1000;
  setup.replicas = 1;
  StepBatch one;
  one.prefill.push_back({512, 0, true});
  const double service_s = inference_step_times(setup.instance, one).total_s;
  const double rho = 0.6;
  TrafficConfig traffic;
  traffic.pattern = ArrivalPattern::Poisson;
  traffic.rate_per_s = rho / service_s;
  traffic.input_tokens = {"fixed", 512, 0, 512, 512};
  traffic.output_tokens = {"fixed", 1, 0, 1, 1};
  const double requests = 200000;
  setup.duration_s = requests / traffic.rate_per_s;
  setup.requests = generate_requests(traffic, setup.duration_s, 11);
  ServingSettings settings;
  settings.keep_requests = true;
  const ServingSimulation sim = simulate_services({setup}, settings);
  const ServiceStats& st = sim.services.at(0);
  ASSERT_EQ(st.unfinished, 0);
  std::vector<double> waits, idle;
  for (const RequestRecord& r : st.records) {
    waits.push_back(r.first_scheduled_s - r.arrival_s);
    idle.push_back(r.first_scheduled_s == r.arrival_s ? 1.0 : 0.0);
    // Service is exactly D: the first (and last) token one step after the start.
    ASSERT_NEAR(r.finish_s - r.first_scheduled_s, service_s, 1e-12 * r.finish_s);
  }
  const double expected_wait_s = rho * service_s / (2 * (1 - rho));
  const BatchMeans w = batch_means(waits, 40);
  // Four standard errors of the batch means (derived from the sample: 40 batches of 5,000).
  EXPECT_NEAR(w.mean, expected_wait_s, 4 * w.standard_error)
      << "D " << service_s << " s, standard error " << w.standard_error;
  EXPECT_LT(w.standard_error, 0.05 * expected_wait_s) << "the sample is too small to tell";
  const BatchMeans p = batch_means(idle, 40);
  EXPECT_NEAR(p.mean, 1 - rho, 4 * p.standard_error);
  // TTFT = wait + D, request by request.
  double wait_sum = 0;
  for (const double x : waits) wait_sum += x;
  EXPECT_NEAR(st.ttft.mean_s, wait_sum / static_cast<double>(waits.size()) + service_s,
              1e-9 * st.ttft.mean_s);
}

TEST(ServingSimulation, TheAutoscalerGrowsIntoAPeakAndShrinksAfterIt) {
  // Poisson arrivals at 0.3 x one replica's capacity for 10 min, 3 x for 10 min, 0.3 x for
  // 10 min. Capacity: the max-throughput engine (ServicePlan's estimate, independent of the
  // simulation) at these lengths. One replica at the start; queue metric with target 4 waiting
  // requests. Expected: during the peak at least ceil(3 x) = 3 replicas take requests; a new
  // replica takes requests only startup (60 s) after an autoscaler reading (every 15 s); after
  // the peak plus the 2 min scale-down window it is back to one.
  ServiceSetup setup;
  setup.name = "peak";
  setup.instance = llama8b_h100();
  setup.engine.max_batch_size = 32;
  setup.engine.max_num_tokens = 2048;
  setup.kv_blocks = kv_capacity(setup.instance, 32, 2048, 0.9, 16).kv_blocks;
  EngineSettings engine{32, 2048, 0.9, 16, true};
  const double capacity_per_s =
      run_max_throughput(setup.instance, engine, 500, 100, 256).output_tokens_per_s / 100;
  setup.replicas = 1;
  setup.autoscaler.enabled = true;
  setup.autoscaler.metric = ScalingMetric::Queue;
  setup.autoscaler.target = 4;
  setup.autoscaler.min_replicas = 1;
  setup.autoscaler.max_replicas = 8;
  setup.autoscaler.startup_s = 60;
  setup.autoscaler.interval_s = 15;
  setup.autoscaler.scale_down_window_s = 120;
  setup.duration_s = 1800;
  TrafficConfig traffic;
  traffic.pattern = ArrivalPattern::Poisson;
  traffic.input_tokens = {"fixed", 500, 0, 500, 500};
  traffic.output_tokens = {"fixed", 100, 0, 100, 100};
  for (int part = 0; part < 3; ++part) {
    traffic.rate_per_s = (part == 1 ? 3.0 : 0.3) * capacity_per_s;
    for (ServingRequest r : generate_requests(traffic, 600, 5 + part)) {
      r.arrival_s += 600 * part;
      setup.requests.push_back(r);
    }
  }
  const ServingSimulation sim = simulate_services({setup});
  const ServiceStats& st = sim.services.at(0);
  EXPECT_EQ(st.unfinished, 0);
  int before = 0, during = 0, after = 8;
  double first_growth_s = -1;
  int previous_active = 1;
  for (const ReplicaSample& s : st.replicas_over_time) {
    if (s.time_s < 600) before = std::max(before, s.active);
    if (s.time_s >= 600 && s.time_s < 1200) during = std::max(during, s.active);
    if (s.time_s >= 1500) after = s.active;  // the peak ended at 1200, + window + draining
    if (s.active > previous_active && first_growth_s < 0) first_growth_s = s.time_s;
    previous_active = s.active;
  }
  EXPECT_LE(before, 2);
  EXPECT_GE(during, 3) << "capacity " << capacity_per_s << " req/s per replica";
  EXPECT_EQ(after, 1);
  ASSERT_GT(first_growth_s, 600);
  const double ticks = (first_growth_s - 60) / 15;
  EXPECT_NEAR(ticks, std::round(ticks), 1e-9) << "a replica starts 60 s after a reading";
  EXPECT_GE(st.peak_replicas, 3);
}

TEST(ServingSimulation, TheConcurrencyMetricScalesUpInABurst) {
  // Poisson arrivals at 0.3 x one replica's closed-form capacity (the max-throughput engine, as
  // above) for 10 min, a 5 min burst at 3 x, then 0.3 x for 10 min; metric: requests in flight
  // per replica, target 16. With fewer than ceil(3) = 3 replicas the burst exceeds what they can
  // serve, so requests in flight grow without bound and exceed any target: the autoscaler must
  // reach at least 3 replicas taking requests during the burst. Before it one replica holds
  // about rate x latency = 0.3 x 25 req/s x ~1.3 s ~ 10 requests, under the target; after it and
  // the 2 min scale-down window it is back to one.
  ServiceSetup setup;
  setup.name = "burst";
  setup.instance = llama8b_h100();
  setup.engine.max_batch_size = 32;
  setup.engine.max_num_tokens = 2048;
  setup.kv_blocks = kv_capacity(setup.instance, 32, 2048, 0.9, 16).kv_blocks;
  EngineSettings engine{32, 2048, 0.9, 16, true};
  const double capacity_per_s =
      run_max_throughput(setup.instance, engine, 500, 100, 256).output_tokens_per_s / 100;
  setup.replicas = 1;
  setup.autoscaler.enabled = true;
  setup.autoscaler.metric = ScalingMetric::Concurrency;
  setup.autoscaler.target = 16;
  setup.autoscaler.min_replicas = 1;
  setup.autoscaler.max_replicas = 8;
  setup.autoscaler.startup_s = 60;
  setup.autoscaler.interval_s = 15;
  setup.autoscaler.scale_down_window_s = 120;
  setup.duration_s = 1500;
  TrafficConfig traffic;
  traffic.pattern = ArrivalPattern::Poisson;
  traffic.input_tokens = {"fixed", 500, 0, 500, 500};
  traffic.output_tokens = {"fixed", 100, 0, 100, 100};
  const double starts_s[] = {0, 600, 900}, lengths_s[] = {600, 300, 600};
  for (int part = 0; part < 3; ++part) {
    traffic.rate_per_s = (part == 1 ? 3.0 : 0.3) * capacity_per_s;
    for (ServingRequest r : generate_requests(traffic, lengths_s[part], 15 + part)) {
      r.arrival_s += starts_s[part];
      setup.requests.push_back(r);
    }
  }
  const ServiceStats st = simulate_services({setup}).services.at(0);
  EXPECT_EQ(st.unfinished, 0);
  int before = 0, during = 0, after = 8;
  for (const ReplicaSample& s : st.replicas_over_time) {
    if (s.time_s < 600) before = std::max(before, s.active + s.starting);
    if (s.time_s >= 600 && s.time_s < 900) during = std::max(during, s.active);
    if (s.time_s >= 1300) after = s.active;
  }
  EXPECT_EQ(before, 1);
  EXPECT_GE(during, 3) << "capacity " << capacity_per_s << " req/s per replica";
  EXPECT_EQ(after, 1);
}

TEST(ServingSimulation, ASecondSimulationInTheProcessIsRefused) {
  ServiceSetup setup;
  setup.name = "x";
  setup.instance = llama8b_h100();
  setup.kv_blocks = 100;
  setup.duration_s = 1;
  simulate_services({setup});
  EXPECT_THROW(simulate_services({setup}), ConfigurationError);
}

}  // namespace
}  // namespace capsim::test
