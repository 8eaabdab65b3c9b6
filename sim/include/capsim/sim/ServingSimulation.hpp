// Inference services simulated request by request on SimGrid: arrivals, a router, replica
// engines with continuous batching (sim/src/ServingReplica.hpp) and an autoscaler, as actors on
// SimGrid's clock. Co-located replicas share no link, so for them SimGrid is the clock and the
// actors; a disaggregated service's KV transfers are SimGrid flows on its cluster's fabric.
//
// Actors per service:
//   arrivals    sleeps until each request's arrival and hands it to the router;
//   router      (called by arrivals) round-robin or least outstanding requests (queued +
//               running; ties to the lowest replica) over the replicas taking requests;
//   replica     loops over iterations of its engine (ServingReplica.hpp), each lasting its
//               step time, sleeping once through a run of identical decode iterations (woken
//               early by a request for it); sleeps while it has nothing to do. A replica of
//               pp > 1 pipeline stages runs pp such engine streams side by side (vLLM's virtual
//               engines: each its own batch, max_batch_size and kv_blocks / pp blocks), each
//               iteration lasting the pipeline's time (every stage's kernels and the sends
//               between them, InferenceStep.hpp); a request routed to it joins the stream with
//               the fewest outstanding requests;
//   prefill     (disaggregated services) replicas of the prefill pool, the same engine on
//               requests of one output token; at the end of a prompt's iteration a transfer
//               actor sends its KV cache to the decode replica with the fewest outstanding
//               requests (sim/src/KvTransfer.hpp) and queues it there: the first token reaches
//               the client when the KV has arrived;
//   autoscaler  every interval reads the metric over the replicas taking requests (mean queued
//               or in-flight requests per replica, or mean share of the KV cache in use, over
//               the interval) and wants ceil(replicas x metric / target) replicas (the
//               Kubernetes HPA rule), unchanged while metric / target is within 1 +- tolerance;
//               it scales down only to
//               the largest wish of the last scale_down_window (the HPA's stabilisation
//               window). A new replica takes requests after startup_s; one scaled down stops
//               taking requests and stops when it has served what it holds.
// Requests arrive during [0, duration); the simulation ends when every one has finished, or at
// twice the duration (the rest are reported unfinished and miss every latency limit).
//
// SimGrid allows one engine per process: one call per process (a second throws
// ConfigurationError).
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "capsim/models/InferenceStep.hpp"
#include "capsim/models/ServingTraffic.hpp"
#include "capsim/models/ServingWorkload.hpp"
#include "capsim/models/Topology.hpp"

namespace capsim {

/// The prefill pool of a disaggregated service and the fabric its KV transfers cross.
struct PrefillPoolSetup {
  InferenceInstance instance;  ///< one prefill replica
  long long kv_blocks = 0;     ///< per prefill replica
  int replicas = 1;
  std::vector<int> first_gpus;         ///< cluster GPU rank of each prefill replica's GPU 0
  std::vector<int> decode_first_gpus;  ///< the same for each decode replica
  const Topology* topology = nullptr;  ///< the cluster's fabric; must outlive the simulation
  double scaleup_efficiency = 1;       ///< share of NVLink bandwidth a transfer gets
  double network_efficiency = 1;       ///< share of NIC, cable and switch bandwidth
};

/// A service ready to simulate.
struct ServiceSetup {
  std::string name;
  InferenceInstance instance;  ///< one replica (tp x pp GPUs)
  ServingEngineConfig engine;
  long long kv_blocks = 0;  ///< per replica; each of its pp streams gets kv_blocks / pp
  std::vector<ServingRequest> requests;
  RouterPolicy router = RouterPolicy::LeastOutstanding;
  AutoscalerConfig autoscaler;  ///< enabled or not
  int replicas = 1;             ///< at the start (fixed without an autoscaler)
  double duration_s = 0;
  ServiceSlo slo;  ///< the latency limits goodput counts against
  /// Disaggregated: requests are prefilled there; instance, kv_blocks and replicas above are the
  /// decode pool's.
  std::optional<PrefillPoolSetup> prefill_pool;
};

struct ServingSettings {
  /// Called as simulated time advances with the fraction of the longest duration done; may be
  /// empty.
  std::function<void(double)> progress;
  bool keep_requests = false;  ///< fill ServiceStats::records
};

struct LatencyStats {
  long long count = 0;
  double mean_s = 0, p50_s = 0, p90_s = 0, p99_s = 0, max_s = 0;
};

/// One request's outcome (times in seconds from the start; -1 when it never got there).
struct RequestRecord {
  double arrival_s = 0, first_scheduled_s = -1, first_token_s = -1, finish_s = -1;
  int input_tokens = 0, output_tokens = 0, preemptions = 0, replica = -1;
};

/// Replicas at one moment: taking requests, starting, draining.
struct ReplicaSample {
  double time_s = 0;
  int active = 0, starting = 0, draining = 0;
};

struct ServiceStats {
  std::string name;
  long long requests = 0, completed = 0, unfinished = 0;
  double duration_s = 0;           ///< arrivals window
  double end_s = 0;                ///< when the simulation of the service ended
  LatencyStats ttft, tpot, e2e;    ///< tpot over requests with at least two output tokens
  LatencyStats queue;              ///< arrival to the first iteration that ran it
  long long good_requests = 0;     ///< completed within every latency limit of the SLO
  double goodput_fraction = 0;     ///< good_requests / requests (1 without latency limits)
  double requests_per_s = 0;       ///< completed by `duration_s`, over it
  double output_tokens_per_s = 0;  ///< sampled by `duration_s`, over it
  double input_tokens = 0, output_tokens = 0;  ///< of completed requests
  double gpu_utilization = 0;                  ///< time in iterations / replica time alive
  double kv_utilization = 0;  ///< blocks in use over time / (blocks x replica time alive)
  long long preemptions = 0;
  /// Prefix caching: prompt tokens found in the cache / prompt tokens admitted for prefill
  /// (recomputed prompts included); 0 without prefix caching
  double prefix_hit_rate = 0;
  double prefill_tokens_saved = 0;  ///< prompt tokens reused from the cache, not computed
  long long prefix_evictions = 0;   ///< cached prefixes evicted for their blocks
  long long iterations = 0;
  /// Iterations that ran prefill chunks next to decode tokens: the decoding sequences' token
  /// waited on prompt work (prefill interference; none on a disaggregated decode pool unless
  /// it recomputes a preempted sequence)
  long long mixed_iterations = 0;
  double kv_transfer_bytes = 0;  ///< disaggregated: prompt KV sent from prefill to decode pools
  double replica_seconds = 0;    ///< replicas alive (starting included) x time, summed
  double gpu_seconds = 0;        ///< the same x each replica's GPUs
  int peak_replicas = 0;         ///< most replicas alive (starting included) at once
  std::vector<ReplicaSample> replicas_over_time;  ///< at every change and autoscaler tick
  std::vector<RequestRecord> records;             ///< when ServingSettings::keep_requests
};

struct ServingSimulation {
  std::vector<ServiceStats> services;
  /// SimGrid wake-ups: arrivals, replica sleeps (each one iteration or a run of them) and
  /// autoscaler ticks
  std::uint64_t events = 0;
};

/// Plays `services` together on SimGrid's clock. Throws ConfigurationError, before SimGrid
/// starts, for a service without replicas or KV blocks, one whose autoscaler bounds are
/// inconsistent, and for a second simulation in the process.
ServingSimulation simulate_services(const std::vector<ServiceSetup>& services,
                                    const ServingSettings& settings = {});

/// Mean and nearest-rank percentiles of `values` (sorted in place).
LatencyStats latency_stats(std::vector<double>& values);

}  // namespace capsim
