// An inference service as a scenario describes it: the model and precision its replicas serve,
// each replica's tensor parallelism, the servers it runs on, the engine's limits, the traffic it
// receives, how requests are routed, how it scales and the latency targets it must meet.
//
// parse_scenario() fills these structs (workloads of `kind: inference`); the request-level
// simulation (sim/ServingSimulation.hpp) plays them out. Every key is documented in
// docs/scenario-format.md; the model behind the engine in docs/inference.md.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "capsim/models/Catalog.hpp"
#include "capsim/models/InferenceStep.hpp"
#include "capsim/models/PrefixCache.hpp"

namespace capsim {

/// How request arrival times are drawn.
enum class ArrivalPattern {
  Poisson,  ///< exponential gaps at a constant rate
  Bursty,   ///< Poisson at the base rate, switching to a burst rate for exponential spells
  Daily,    ///< Poisson at a rate that changes every hour of the day (a profile of 24 rates)
  Trace,    ///< arrival times and lengths read from a CSV file
};

/// The prompt or output lengths of requests, in tokens.
struct LengthDistribution {
  std::string kind = "fixed";  ///< fixed | uniform | normal | lognormal
  double mean = 0;             ///< fixed: the length; uniform: (min + max) / 2
  double stddev = 0;           ///< normal and lognormal
  int min = 1;                 ///< every draw is clamped to [min, max]
  int max = 0;                 ///< the largest length a request can have
};

/// One request of a trace file.
struct TraceRequest {
  double arrival_s = 0;
  int input_tokens = 0;
  int output_tokens = 0;
};

struct TrafficConfig {
  ArrivalPattern pattern = ArrivalPattern::Poisson;
  double rate_per_s = 0;        ///< poisson and bursty: the base rate, requests per second
  double burst_rate_per_s = 0;  ///< bursty: the rate during a burst
  double burst_interval_s = 0;  ///< bursty: mean time between bursts (exponential)
  double burst_duration_s = 0;  ///< bursty: mean length of a burst (exponential)
  std::vector<double> hourly_rates_per_s;  ///< daily: 24 rates, hour 0 to hour 23
  double start_hour = 0;                   ///< daily: the hour of day at simulated time 0
  std::string trace_file;                  ///< trace: the CSV as named (for reports)
  std::vector<TraceRequest> trace;         ///< trace: its rows, in arrival order
  LengthDistribution input_tokens;         ///< not used with a trace
  LengthDistribution output_tokens;

  /// The highest arrival rate the traffic reaches (requests/s); for a trace, its mean rate.
  double peak_rate_per_s() const;
  /// The mean arrival rate over `duration_s` (requests/s).
  double mean_rate_per_s(double duration_s) const;
};

enum class RouterPolicy { RoundRobin, LeastOutstanding };

/// What a replica does when its KV cache cannot hold every running sequence's next token.
enum class KvPolicy {
  MaxUtilization,     ///< admit on the prompt's blocks, preempt the newest sequence when full
  GuaranteedNoEvict,  ///< admit only when the whole prompt + output is reserved; never preempt
};

/// A replica engine's limits (continuous batching with a token budget).
struct ServingEngineConfig {
  int max_batch_size = 256;         ///< sequences in flight (vLLM max_num_seqs)
  int max_num_tokens = 8192;        ///< tokens per iteration (vLLM max_num_batched_tokens)
  double kv_memory_fraction = 0.9;  ///< of the memory left after weights and workspace
  int tokens_per_block = 16;        ///< KV-cache page size (vLLM block_size)
  bool chunked_prefill = true;
  KvPolicy kv_policy = KvPolicy::MaxUtilization;
  PrefixCacheConfig prefix_cache;  ///< the service's `prefix_cache` key (off by default)
};

enum class ScalingMetric {
  Queue,        ///< requests waiting for admission per replica (vLLM num_requests_waiting)
  Utilization,  ///< KV-cache blocks in use per replica (vLLM gpu_cache_usage_perc)
  Concurrency,  ///< requests in flight (queued + running) per replica (Knative `concurrency`)
};

struct AutoscalerConfig {
  bool enabled = false;
  ScalingMetric metric = ScalingMetric::Queue;
  double target = 0;  ///< requests waiting or in flight, or a fraction of the cache
  int min_replicas = 1;
  int max_replicas = 0;              ///< 0: as many as the service's GPUs hold
  double startup_s = 120;            ///< from the decision to a replica taking requests
  double interval_s = 30;            ///< how often the metric is read
  double scale_down_window_s = 300;  ///< scale down only to the largest wish of this window
  double tolerance = 0.1;            ///< no change while metric / target is within 1 +- this
};

/// A latency limit on one percentile of one measure.
struct LatencySlo {
  std::string measure;  ///< "ttft", "tpot" or "e2e"
  int percentile = 99;  ///< 50, 90 or 99
  double limit_s = 0;
};

struct ServiceSlo {
  std::vector<LatencySlo> latency;
  /// Fraction of requests that must meet every latency limit (each request's own TTFT, TPOT and
  /// end-to-end time against the limits, whatever their percentile).
  std::optional<double> goodput;
};

/// One hardware option `capsim search` tries for a service: a catalog server type.
struct ServingHardware {
  ServerSpec server;
  GpuSpec gpu;                         ///< the server's GPU
  double rental_usd_per_gpu_hour = 0;  ///< the catalog's default rate for the GPU; 0 = none
  std::string rental_id;               ///< the catalog price entry of that rate; "" = none
};

/// What `capsim search` tries for a service (the scenario's `search` key): every hardware x tp x
/// pp.
struct ServingSearchSpace {
  std::vector<ServingHardware> hardware;  ///< default: the service's own cluster's server
  std::vector<int> tp;                    ///< empty: every power of two within the NVLink domain
  /// Pipeline stages per replica; empty: 1, and where no tp of one NVLink domain holds the
  /// model, the fewest stages (powers of two) that do at the domain's tp.
  std::vector<int> pp;
  int max_replicas = 64;  ///< the most replicas tried per hardware and tp
};

/// One pool of a disaggregated service: replicas that only prefill, or only decode.
struct ServingPool {
  int tp = 1;        ///< GPUs per replica (tensor parallel)
  int replicas = 1;  ///< fixed count (no autoscaler with disaggregation)
  int servers = 0;   ///< whole servers the pool occupies; 0 = the fewest that hold its replicas
};

/// Prefill/decode disaggregation: a request is prefilled on a prefill replica, its prompt's KV
/// cache sent over the fabric to a decode replica, and decoded there (docs/inference.md).
/// The pools lie on the service's cluster from server 0: the prefill pool's servers first,
/// then the decode pool's, each replica on consecutive GPUs.
struct Disaggregation {
  bool enabled = false;
  ServingPool prefill, decode;
};

/// One inference service.
struct InferenceService {
  std::string name;
  std::string cluster;
  ModelSpec model;
  InferencePrecision precision = InferencePrecision::BF16;
  int tp = 1, pp = 1;
  int servers = 0;   ///< servers of the cluster it runs on; 0 = the whole cluster
  int replicas = 0;  ///< replicas at the start (without an autoscaler: always)
  ServingEngineConfig engine;
  TrafficConfig traffic;
  RouterPolicy router = RouterPolicy::LeastOutstanding;
  AutoscalerConfig autoscaler;
  ServiceSlo slo;
  double duration_s = 3600;  ///< requests arrive during [0, duration)
  ServingSearchSpace search;
  /// When enabled, tp and replicas above are the decode pool's.
  Disaggregation disaggregation;
};

const char* arrival_pattern_name(ArrivalPattern pattern);
const char* router_policy_name(RouterPolicy policy);
const char* kv_policy_name(KvPolicy policy);
const char* scaling_metric_name(ScalingMetric metric);

}  // namespace capsim
