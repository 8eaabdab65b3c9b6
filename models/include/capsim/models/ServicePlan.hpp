// The closed-form side of an inference service (the `estimate` fidelity's answer): its replica
// instance, the KV cache each replica gets, what one replica sustains at the traffic's mean
// lengths, how many replicas the peak needs, and what a replica-hour costs.
//
// Capacity: the max-throughput engine (InferenceEngine.hpp) run with the service's engine limits
// on requests of the mean prompt and output lengths; requests per second = its output tokens per
// second / the mean output length. This is the rate above which queues grow without bound; the
// request-level simulation (sim/ServingSimulation.hpp) gives the latencies below it. A replica
// of pp > 1 runs pp streams (InferenceStep.hpp), each with stream_kv_blocks.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "capsim/models/InferenceEngine.hpp"
#include "capsim/models/Scenario.hpp"
#include "capsim/models/TrainingPlan.hpp"

namespace capsim {

struct ServicePlan {
  std::string service;
  InferenceInstance instance;  ///< one replica
  KvCapacity kv;               ///< per GPU of a replica
  int gpus = 0;                ///< GPUs of the servers the service runs on
  int servers = 0;
  int max_replicas = 0;  ///< the autoscaler's maximum, else the fixed count
  double mean_input_tokens = 0, mean_output_tokens = 0;
  double replica_output_tokens_per_s = 0;         ///< max throughput of one replica
  double replica_requests_per_s = 0;              ///< the same in requests
  double peak_rate_per_s = 0;                     ///< the traffic's highest arrival rate
  double mean_rate_per_s = 0;                     ///< over the service's duration
  int replicas_for_peak = 0;                      ///< ceil(peak rate / replica_requests_per_s)
  double owned_usd_per_gpu_hour = 0;              ///< the cluster's owned cost per hour / its GPUs
  std::optional<double> rented_usd_per_gpu_hour;  ///< when a rental rate prices the cluster
  // Disaggregated services: instance, kv and the capacity above are the decode pool's (its
  // max-throughput engine counts the prompts' prefill too, so it understates a decode replica);
  // these are the prefill pool's.
  bool disaggregated = false;
  InferenceInstance prefill_instance;  ///< one prefill replica
  KvCapacity prefill_kv;               ///< per GPU of a prefill replica
  /// Prompts of the mean length one prefill replica runs per second in iterations that fill
  /// max_num_tokens with whole prompts (no decode tokens in them).
  double prefill_replica_requests_per_s = 0;
  int prefill_replicas_for_peak = 0;  ///< ceil(peak rate / prefill_replica_requests_per_s)
};

/// Plans `service` on `cluster` (planned as `cluster_plan`). Throws ConfigurationError when the
/// replica cannot be served (memory, tp) or its longest request does not fit in its KV cache.
ServicePlan plan_service(const InferenceService& service, const ClusterConfig& cluster,
                         const ClusterPlan& cluster_plan);

/// The KV blocks one replica holds (kv.kv_blocks: every GPU of a replica holds its share of the
/// same tokens).
long long replica_kv_blocks(const ServicePlan& plan);

/// The KV blocks one of a replica's pp streams holds: replica_kv_blocks / pp, rounded down, as
/// vLLM's scheduler gives each virtual engine (InferenceStep.hpp).
long long stream_kv_blocks(const ServicePlan& plan);

/// The link between pipeline stage k and k + 1 (pp - 1 of them) of a replica on GPUs 0 ..
/// tp x pp - 1 of `topology` (every replica is placed alike: tp x pp divides a server's GPUs or
/// spans whole servers): the pair's path at NCCL's efficiency on each part, NVLink inside a
/// domain, NIC and fabric across servers. Throws ConfigurationError when the topology has too
/// few GPUs.
std::vector<CommLink> pipeline_links(const ClusterConfig& cluster, const Topology& topology, int tp,
                                     int pp);

/// The KV blocks one prefill replica of a disaggregated service holds.
long long prefill_replica_kv_blocks(const ServicePlan& plan);

}  // namespace capsim
