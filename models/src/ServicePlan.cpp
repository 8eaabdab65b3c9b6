#include "capsim/models/ServicePlan.hpp"

#include <algorithm>
#include <cmath>

#include "capsim/models/Errors.hpp"
#include "capsim/models/PublishedInference.hpp"
#include "capsim/models/ServingTraffic.hpp"

namespace capsim {
namespace {

[[noreturn]] void fail(const InferenceService& service, const std::string& message) {
  throw ConfigurationError(
      std::string("service '").append(service.name).append("': ").append(message));
}

}  // namespace

long long replica_kv_blocks(const ServicePlan& plan) { return plan.kv.kv_blocks; }

long long stream_kv_blocks(const ServicePlan& plan) { return plan.kv.kv_blocks / plan.instance.pp; }

std::vector<CommLink> pipeline_links(const ClusterConfig& cluster, const Topology& topology, int tp,
                                     int pp) {
  std::vector<CommLink> links;
  for (int boundary = 0; boundary + 1 < pp; ++boundary) {
    const int from = boundary * tp, to = (boundary + 1) * tp;
    if (topology.gpu_count() <= to) {
      throw ConfigurationError("pipeline stages of tp " + std::to_string(tp) + " x pp " +
                               std::to_string(pp) + " need " + std::to_string(tp * pp) +
                               " GPUs; the cluster's topology has " +
                               std::to_string(topology.gpu_count()));
    }
    // Bandwidth of the pair's path at NCCL's efficiency on each part, as comm_link (TrainingPlan)
    // prices a group: NVLink inside a domain, the NIC and fabric across servers.
    const CollectivePath path = topology.collective_path({from, to});
    const double bandwidth_Bps =
        std::min(path.network_Bps * cluster.nic.collective_efficiency,
                 path.scaleup_Bps * cluster.gpu.scaleup_collective_efficiency);
    links.push_back({bandwidth_Bps, path.latency_s});
  }
  return links;
}

long long prefill_replica_kv_blocks(const ServicePlan& plan) { return plan.prefill_kv.kv_blocks; }

namespace {

// The prefill pool of a disaggregated service: its replica, its cache (which must hold the
// longest prompt and its first token) and the prompts it runs per second.
void plan_prefill_pool(const InferenceService& service, const ClusterConfig& cluster,
                       ServicePlan& plan) {
  const ServingEngineConfig& e = service.engine;
  plan.disaggregated = true;
  plan.prefill_instance = plan.instance;
  plan.prefill_instance.tp = service.disaggregation.prefill.tp;
  plan.prefill_instance.gpu = inference_gpu(cluster.gpu);
  try {
    validate_inference_instance(plan.prefill_instance);
    plan.prefill_kv = kv_capacity(plan.prefill_instance, e.max_batch_size, e.max_num_tokens,
                                  e.kv_memory_fraction, e.tokens_per_block);
  } catch (const ConfigurationError& error) {
    fail(service, std::string("prefill pool: ").append(error.what()));
  }
  const long long block = e.tokens_per_block;
  const long long longest = static_cast<long long>(service.traffic.input_tokens.max) + 1;
  if ((longest + block - 1) / block > plan.prefill_kv.kv_blocks) {
    fail(service, "prefill pool: a prompt of up to " +
                      std::to_string(service.traffic.input_tokens.max) + " tokens needs " +
                      std::to_string((longest + block - 1) / block) +
                      " KV blocks but a prefill replica's cache holds " +
                      std::to_string(plan.prefill_kv.kv_blocks) +
                      "; expected shorter prompts, more tp or fp8");
  }
  // Whole prompts of the mean length filling the token budget, each attending to itself only.
  const double input = std::max(1.0, std::round(plan.mean_input_tokens));
  const double per_iteration = std::max(1.0, std::floor(e.max_num_tokens / input));
  StepBatch batch;
  for (int i = 0; i < static_cast<int>(per_iteration); ++i)
    batch.prefill.push_back({input, 0, true});
  const double step_s = inference_step_times(plan.prefill_instance, batch).total_s;
  plan.prefill_replica_requests_per_s = per_iteration / step_s;
  plan.prefill_replicas_for_peak =
      static_cast<int>(std::ceil(plan.peak_rate_per_s / plan.prefill_replica_requests_per_s));
}

}  // namespace

ServicePlan plan_service(const InferenceService& service, const ClusterConfig& cluster,
                         const ClusterPlan& cluster_plan) {
  ServicePlan plan;
  plan.service = service.name;
  plan.instance.model = model_shape(service.model);
  plan.instance.tp = service.tp;
  plan.instance.pp = service.pp;
  plan.instance.precision = service.precision;
  plan.instance.gpu = inference_gpu(cluster.gpu);
  const ServingEngineConfig& e = service.engine;
  try {
    if (service.pp > 1) {
      plan.instance.pp_links =
          pipeline_links(cluster, cluster_plan.topology, service.tp, service.pp);
    }
    validate_inference_instance(plan.instance);
    plan.kv = kv_capacity(plan.instance, e.max_batch_size, e.max_num_tokens, e.kv_memory_fraction,
                          e.tokens_per_block);
  } catch (const ConfigurationError& error) {
    fail(service, error.what());
  }
  plan.servers = service.servers > 0 ? service.servers : cluster.server_count;
  plan.gpus = plan.servers * cluster.server.gpus;
  plan.max_replicas =
      service.autoscaler.enabled ? service.autoscaler.max_replicas : service.replicas;

  // The longest request must fit in one replica's cache, or it could never be served.
  const TrafficConfig& traffic = service.traffic;
  const long long block = e.tokens_per_block;
  const long long longest =
      static_cast<long long>(traffic.input_tokens.max) + traffic.output_tokens.max;
  if ((longest + block - 1) / block > stream_kv_blocks(plan)) {
    fail(service, "a request of up to " + std::to_string(traffic.input_tokens.max) + " + " +
                      std::to_string(traffic.output_tokens.max) + " tokens needs " +
                      std::to_string((longest + block - 1) / block) +
                      " KV blocks but a replica's cache holds " +
                      std::to_string(stream_kv_blocks(plan)) +
                      (service.pp > 1 ? " per stream (1/" + std::to_string(service.pp) +
                                            " of the replica's, one per pipeline stage)"
                                      : std::string()) +
                      "; expected shorter requests, more tp, fp8 or a larger kv_memory_fraction");
  }
  if (!e.chunked_prefill && traffic.input_tokens.max > e.max_num_tokens) {
    fail(service,
         "a prompt of up to " + std::to_string(traffic.input_tokens.max) +
             " tokens exceeds max_num_tokens " + std::to_string(e.max_num_tokens) +
             " without chunked prefill; expected a larger budget or chunked_prefill: true");
  }

  // Capacity at the mean lengths.
  if (traffic.pattern == ArrivalPattern::Trace) {
    double in = 0, out = 0;
    for (const TraceRequest& r : traffic.trace) {
      in += r.input_tokens;
      out += r.output_tokens;
    }
    plan.mean_input_tokens = in / static_cast<double>(traffic.trace.size());
    plan.mean_output_tokens = out / static_cast<double>(traffic.trace.size());
  } else {
    plan.mean_input_tokens = mean_length(traffic.input_tokens);
    plan.mean_output_tokens = mean_length(traffic.output_tokens);
  }
  EngineSettings settings;
  settings.max_batch_size = e.max_batch_size;
  settings.max_num_tokens = e.max_num_tokens;
  settings.kv_memory_fraction = e.kv_memory_fraction;
  settings.tokens_per_block = e.tokens_per_block;
  settings.chunked_prefill = true;
  settings.prefix_cache = e.prefix_cache;
  const int input = std::max(1, static_cast<int>(std::lround(plan.mean_input_tokens)));
  const int output = std::max(1, static_cast<int>(std::lround(plan.mean_output_tokens)));
  try {
    // Four full batches per stream: long enough that filling and draining weigh little.
    const ThroughputRun run = run_max_throughput(plan.instance, settings, input, output,
                                                 4 * e.max_batch_size * service.pp);
    plan.replica_output_tokens_per_s = run.output_tokens_per_s;
  } catch (const ConfigurationError& error) {
    fail(service, error.what());
  }
  plan.replica_requests_per_s = plan.replica_output_tokens_per_s / output;
  plan.peak_rate_per_s = traffic.peak_rate_per_s();
  plan.mean_rate_per_s = traffic.mean_rate_per_s(service.duration_s);
  plan.replicas_for_peak =
      static_cast<int>(std::ceil(plan.peak_rate_per_s / plan.replica_requests_per_s));
  if (service.disaggregation.enabled) plan_prefill_pool(service, cluster, plan);

  const double cluster_gpus = static_cast<double>(cluster_plan.gpus);
  plan.owned_usd_per_gpu_hour = cluster_plan.cost.owned_usd_per_h / cluster_gpus;
  if (cluster_plan.cost.rental_usd_per_h) {
    plan.rented_usd_per_gpu_hour = *cluster_plan.cost.rental_usd_per_h / cluster_gpus;
  }
  return plan;
}

}  // namespace capsim
