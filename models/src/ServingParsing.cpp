#include "ServingParsing.hpp"

#include <algorithm>
#include <filesystem>

#include "CatalogReference.hpp"
#include "CsvRows.hpp"
#include "ScenarioSections.hpp"

namespace capsim {
namespace {

constexpr int kMaxCount = 1'000'000;

int read_int(YamlMap& map, const std::string& key, int fallback, int minimum = 1) {
  const std::int64_t value = map.integer_or(key, fallback, minimum);
  if (value > kMaxCount) {
    map.fail(key, std::to_string(value) + " is implausibly large",
             "at most " + std::to_string(kMaxCount));
  }
  return static_cast<int>(value);
}

double positive_time(YamlMap& map, const std::string& key, double fallback) {
  const double value = map.quantity_or(key, Quantity::Time, fallback);
  if (!(value > 0)) map.fail(key, "is zero", "a positive duration such as \"30s\"");
  return value;
}

double rate(YamlMap& map, const std::string& key) {
  const double value = map.quantity(key, Quantity::Number);
  if (!(value > 0)) map.fail(key, "is zero", "requests per second > 0, such as 20");
  return value;
}

LengthDistribution parse_length(YamlMap& traffic, const std::string& key, int model_max) {
  LengthDistribution d;
  const YAML::Node node = traffic.raw(key);
  if (!node.IsDefined() || node.IsNull()) {
    traffic.fail(key, "is missing", "a token count such as 1000, or {distribution: ...}");
  }
  const int fallback_max = model_max > 0 ? model_max : kMaxCount;
  if (node.IsScalar()) {
    const std::int64_t value = traffic.integer(key, 1);
    if (value > fallback_max) {
      traffic.fail(key,
                   std::to_string(value) + " tokens is longer than the model's context of " +
                       std::to_string(fallback_max),
                   "at most " + std::to_string(fallback_max));
    }
    d.mean = static_cast<double>(value);
    d.min = d.max = static_cast<int>(value);
    return d;
  }
  YamlMap map = traffic.map(key);
  d.kind = map.choice("distribution", {"fixed", "uniform", "normal", "lognormal"});
  d.min = read_int(map, "min", 1, 1);
  d.max = read_int(map, "max", fallback_max, 1);
  if (d.kind == "fixed") {
    d.mean = static_cast<double>(read_int(map, "mean", 1, 1));
    d.min = d.max = static_cast<int>(d.mean);
  } else if (d.kind == "uniform") {
    if (!map.has("min") || !map.has("max")) {
      throw InputError(map.location(), map.path(), "a uniform distribution needs min and max",
                       "min and max token counts");
    }
    d.mean = (d.min + d.max) / 2.0;
  } else {
    d.mean = map.quantity("mean", Quantity::Number);
    d.stddev = map.quantity("stddev", Quantity::Number);
    if (!(d.mean >= 1)) map.fail("mean", "is below one token", "a mean of at least 1");
  }
  if (d.max < d.min) map.fail("max", "is below min", "max >= min");
  if (d.max > fallback_max) {
    map.fail("max",
             std::to_string(d.max) + " tokens is longer than the model's context of " +
                 std::to_string(fallback_max),
             "at most " + std::to_string(fallback_max));
  }
  map.finish();
  return d;
}

TrafficConfig parse_traffic(YamlMap& service, int model_max, const std::string& base_dir) {
  TrafficConfig t;
  YamlMap map = service.map("traffic");
  const std::string pattern = map.choice("pattern", {"poisson", "bursty", "daily", "trace"});
  if (pattern == "poisson") {
    t.pattern = ArrivalPattern::Poisson;
    t.rate_per_s = rate(map, "rate");
  } else if (pattern == "bursty") {
    t.pattern = ArrivalPattern::Bursty;
    t.rate_per_s = map.quantity("rate", Quantity::Number);
    t.burst_rate_per_s = rate(map, "burst_rate");
    t.burst_interval_s = positive_time(map, "burst_interval", 0);
    t.burst_duration_s = positive_time(map, "burst_duration", 0);
  } else if (pattern == "daily") {
    t.pattern = ArrivalPattern::Daily;
    const std::vector<std::string> rates = map.list_of_strings("hourly_rates");
    if (rates.size() != 24) {
      map.fail("hourly_rates", "has " + std::to_string(rates.size()) + " entries",
               "24 rates in requests per second, hour 0 (midnight) to hour 23");
    }
    for (std::size_t h = 0; h < rates.size(); ++h) {
      try {
        t.hourly_rates_per_s.push_back(parse_quantity(rates[h], Quantity::Number));
      } catch (const UnitError& error) {
        map.fail("hourly_rates", "entry " + std::to_string(h) + ": " + error.problem(),
                 "requests per second, such as 12.5");
      }
    }
    t.start_hour = map.quantity_or("start_hour", Quantity::Number, 0);
    if (t.start_hour >= 24) map.fail("start_hour", "is 24 or more", "an hour in [0, 24)");
  } else {
    t.pattern = ArrivalPattern::Trace;
    t.trace_file = map.string("file");
    const std::filesystem::path path(t.trace_file);
    const std::string resolved = path.is_relative() && !base_dir.empty()
                                     ? (std::filesystem::path(base_dir) / path).string()
                                     : t.trace_file;
    t.trace = load_trace(resolved);
  }
  if (t.pattern != ArrivalPattern::Trace) {
    t.input_tokens = parse_length(map, "input_tokens", model_max);
    t.output_tokens = parse_length(map, "output_tokens", model_max);
  } else {
    for (const TraceRequest& r : t.trace) {
      t.input_tokens.max = std::max(t.input_tokens.max, r.input_tokens);
      t.output_tokens.max = std::max(t.output_tokens.max, r.output_tokens);
    }
    t.input_tokens.mean = t.output_tokens.mean = 0;
  }
  map.finish();
  return t;
}

ServingEngineConfig parse_engine(YamlMap& service) {
  ServingEngineConfig e;
  auto map = service.optional_map("engine");
  if (!map) return e;
  e.max_batch_size = read_int(*map, "max_batch_size", e.max_batch_size);
  e.max_num_tokens = read_int(*map, "max_num_tokens", e.max_num_tokens);
  e.kv_memory_fraction = map->quantity_or("kv_memory_fraction", Quantity::Fraction, 0.9);
  if (!(e.kv_memory_fraction > 0)) {
    map->fail("kv_memory_fraction", "is zero", "a fraction in (0, 1], such as 90%");
  }
  e.tokens_per_block = read_int(*map, "tokens_per_block", e.tokens_per_block);
  e.chunked_prefill = map->boolean_or("chunked_prefill", true);
  e.kv_policy = map->choice("kv_policy", {"max-utilization", "guaranteed-no-evict"},
                            "max-utilization") == "max-utilization"
                    ? KvPolicy::MaxUtilization
                    : KvPolicy::GuaranteedNoEvict;
  if (e.max_num_tokens < e.max_batch_size) {
    map->fail("max_num_tokens",
              std::to_string(e.max_num_tokens) + " is below max_batch_size " +
                  std::to_string(e.max_batch_size),
              "a token budget at least max_batch_size (one decode token per sequence)");
  }
  map->finish();
  return e;
}

PrefixCacheConfig parse_prefix_cache(YamlMap& service, int model_max) {
  PrefixCacheConfig c;
  auto map = service.optional_map("prefix_cache");
  if (!map) return c;
  c.enabled = map->boolean_or("enabled", false);
  c.shared_prefix_tokens = read_int(*map, "shared_prefix_tokens", 0, c.enabled ? 1 : 0);
  if (c.enabled && c.shared_prefix_tokens == 0) {
    map->fail("shared_prefix_tokens", "is missing",
              "the tokens every prompt starts with (a system prompt), such as 1024");
  }
  if (c.shared_prefix_tokens > model_max) {
    map->fail("shared_prefix_tokens",
              std::to_string(c.shared_prefix_tokens) + " is longer than the model's context of " +
                  std::to_string(model_max) + " tokens",
              "at most the model's max_seq_len");
  }
  c.prefixes = read_int(*map, "prefixes", 1);
  map->finish();
  return c;
}

AutoscalerConfig parse_autoscaler(YamlMap& service) {
  AutoscalerConfig a;
  auto map = service.optional_map("autoscaler");
  if (!map) return a;
  a.enabled = true;
  const std::string metric = map->choice("metric", {"queue", "concurrency", "utilization"});
  a.metric = metric == "queue"         ? ScalingMetric::Queue
             : metric == "concurrency" ? ScalingMetric::Concurrency
                                       : ScalingMetric::Utilization;
  a.target = a.metric == ScalingMetric::Utilization ? map->quantity("target", Quantity::Fraction)
                                                    : map->quantity("target", Quantity::Number);
  if (!(a.target > 0)) map->fail("target", "is zero", "a positive target");
  a.min_replicas = read_int(*map, "min_replicas", 1, 1);
  a.max_replicas = read_int(*map, "max_replicas", 0, 1);
  a.startup_s = map->quantity_or("startup", Quantity::Time, a.startup_s);
  a.interval_s = positive_time(*map, "interval", a.interval_s);
  a.scale_down_window_s =
      map->quantity_or("scale_down_window", Quantity::Time, a.scale_down_window_s);
  a.tolerance = map->quantity_or("tolerance", Quantity::Fraction, a.tolerance);
  map->finish();
  return a;
}

ServiceSlo parse_slo(YamlMap& service) {
  ServiceSlo slo;
  auto map = service.optional_map("slo");
  if (!map) return slo;
  for (const char* measure : {"ttft", "tpot", "e2e"}) {
    for (const int percentile : {50, 90, 99}) {
      const std::string key = std::string(measure).append("_p").append(std::to_string(percentile));
      if (auto limit = map->optional_quantity(key, Quantity::Time)) {
        if (!(*limit > 0)) map->fail(key, "is zero", "a positive duration such as \"500ms\"");
        slo.latency.push_back({measure, percentile, *limit});
      }
    }
  }
  slo.goodput = map->optional_quantity("goodput", Quantity::Fraction);
  if (slo.goodput && slo.latency.empty()) {
    map->fail("goodput", "is given without a latency limit",
              "at least one of ttft_p50 .. e2e_p99, whose limits a request must meet");
  }
  map->finish();
  return slo;
}

// A list of parallel degrees (whole numbers from 1 to 1024) under `key`; empty when absent.
std::vector<int> degrees(YamlMap& map, const std::string& key, const std::string& expected) {
  std::vector<int> out;
  if (!map.has(key)) return out;
  const std::vector<std::string> values = map.list_of_strings(key);
  if (values.empty()) map.fail(key, "is empty", expected);
  for (const std::string& text : values) {
    int degree = 0;
    try {
      const double value = parse_quantity(text, Quantity::Number);
      degree = value >= 1 && value <= 1024 && value == static_cast<int>(value)
                   ? static_cast<int>(value)
                   : 0;
    } catch (const UnitError&) {
    }
    if (degree == 0) {
      map.fail(key, "entry '" + text + "' is not a whole number from 1 to 1024", expected);
    }
    out.push_back(degree);
  }
  return out;
}

// The `search` key: catalog server types, tensor- and pipeline-parallel degrees and a replica
// bound.
ServingSearchSpace parse_search(YamlMap& service, const Catalog& catalog,
                                const ClusterConfig& cluster) {
  ServingSearchSpace space;
  auto map = service.optional_map("search");
  std::vector<std::string> ids;
  if (map && map->has("servers")) {
    ids = map->list_of_strings("servers");
    if (ids.empty()) map->fail("servers", "is empty", "catalog server ids such as [hgx-h100]");
  }
  for (const std::string& id : ids) {
    const SourceLocation where = map->location("servers");
    const ServerSpec& server =
        find_entry(catalog.servers, id, "server", where, map->child_path("servers"));
    space.hardware.push_back({server, catalog.gpus.at(server.gpu), 0, ""});
  }
  if (ids.empty()) space.hardware.push_back({cluster.server, cluster.gpu, 0, ""});
  for (ServingHardware& h : space.hardware) {
    if (auto price = default_rental(catalog, h.gpu.id)) {
      h.rental_usd_per_gpu_hour = price->usd_per_gpu_hour;
      h.rental_id = price->id;
    }
  }
  if (!map) return space;
  space.tp = degrees(*map, "tp", "tensor-parallel degrees such as [1, 2, 4]");
  space.pp = degrees(*map, "pp", "pipeline-parallel degrees such as [1, 2]");
  space.max_replicas = read_int(*map, "max_replicas", space.max_replicas, 1);
  map->finish();
  return space;
}

int parse_tp(YamlMap& map, const ClusterConfig& cluster) {
  const int tp = read_int(map, "tp", 1);
  const int domain = std::min(cluster.server.nvlink_domain_gpus, cluster.server.gpus);
  if (domain % tp != 0) {
    map.fail("tp",
             std::to_string(tp) + " does not divide the " + std::to_string(domain) +
                 " GPUs of one scale-up domain of " + cluster.server.id,
             "a replica inside one NVLink domain: tp dividing " + std::to_string(domain));
  }
  return tp;
}

// Pipeline stages of a replica: at least one layer each, and the replica's tp x pp GPUs either
// inside one server (a divisor of its GPUs) or whole servers (a multiple), so that every replica
// is placed alike and a stage never straddles two servers.
int parse_pp(YamlMap& map, const ClusterConfig& cluster, const ModelSpec& model, int tp) {
  const int pp = read_int(map, "pp", 1);
  if (pp > model.layers) {
    map.fail("pp",
             std::to_string(pp) + " pipeline stages for the " + std::to_string(model.layers) +
                 " layers of " + model.id,
             "at most " + std::to_string(model.layers) + " (at least one layer per stage)");
  }
  const int gpus = cluster.server.gpus;
  const long long replica = static_cast<long long>(tp) * pp;
  if (pp > 1 && gpus % replica != 0 && replica % gpus != 0) {
    map.fail("pp",
             "a replica of tp " + std::to_string(tp) + " x pp " + std::to_string(pp) + " = " +
                 std::to_string(replica) + " GPUs neither fits evenly into nor spans whole " +
                 cluster.server.id + " servers of " + std::to_string(gpus) + " GPUs",
             "tp x pp dividing " + std::to_string(gpus) + " or a multiple of it");
  }
  return pp;
}

ServingPool parse_pool(YamlMap& parent, const std::string& key, const ClusterConfig& cluster) {
  YamlMap map = parent.map(key);
  ServingPool pool;
  pool.tp = parse_tp(map, cluster);
  pool.replicas = read_int(map, "replicas", 1);
  const int per_server = cluster.server.gpus;
  const int fewest = (pool.replicas * pool.tp + per_server - 1) / per_server;
  pool.servers = read_int(map, "servers", fewest, 1);
  if (pool.servers < fewest) {
    map.fail("servers",
             std::to_string(pool.servers) + " servers of " + std::to_string(per_server) +
                 " GPUs do not hold " + std::to_string(pool.replicas) + " replicas of tp " +
                 std::to_string(pool.tp),
             "at least " + std::to_string(fewest));
  }
  map.finish();
  return pool;
}

// The `disaggregation` key: a prefill pool and a decode pool, laid out from server 0.
Disaggregation parse_disaggregation(YamlMap& service, const ClusterConfig& cluster,
                                    int service_servers) {
  Disaggregation d;
  if (!service.has("disaggregation")) return d;
  for (const char* key : {"parallelism", "replicas", "autoscaler"}) {
    if (service.has(key)) {
      service.fail(key, "is set together with disaggregation",
                   "tp and replicas per pool (disaggregation.prefill, disaggregation.decode); "
                   "no autoscaler with disaggregated pools");
    }
  }
  YamlMap map = service.map("disaggregation");
  d.enabled = true;
  d.prefill = parse_pool(map, "prefill", cluster);
  d.decode = parse_pool(map, "decode", cluster);
  if (d.prefill.servers + d.decode.servers > service_servers) {
    map.fail("decode",
             "the pools need " + std::to_string(d.prefill.servers) + " + " +
                 std::to_string(d.decode.servers) + " servers, more than the service's " +
                 std::to_string(service_servers),
             "pools whose servers add up to at most " + std::to_string(service_servers));
  }
  map.finish();
  return d;
}

}  // namespace

std::vector<TraceRequest> load_trace(const std::string& path) {
  std::vector<TraceRequest> rows;
  csv::for_each_row(path, read_text_file(path), "columns arrival_s,input_tokens,output_tokens",
                    [&](const csv::Row& row, int) {
                      TraceRequest r;
                      r.arrival_s = row.number("arrival_s");
                      if (r.arrival_s < 0) row.fail("arrival_s", "is negative", "seconds >= 0");
                      if (!rows.empty() && r.arrival_s < rows.back().arrival_s) {
                        row.fail("arrival_s", "is earlier than the row before",
                                 "rows in arrival order");
                      }
                      r.input_tokens = row.count("input_tokens", 1);
                      r.output_tokens = row.count("output_tokens", 1);
                      rows.push_back(r);
                    });
  return rows;
}

InferenceService parse_inference_service(YamlMap& map, const Catalog& catalog,
                                         const std::vector<ClusterConfig>& clusters, int index,
                                         const std::string& base_dir) {
  InferenceService s;
  s.name = map.string_or("name", "workload" + std::to_string(index));
  s.cluster = map.string_or("cluster", clusters.front().name);
  const auto cluster = std::find_if(clusters.begin(), clusters.end(),
                                    [&](const ClusterConfig& c) { return c.name == s.cluster; });
  if (cluster == clusters.end()) {
    std::string names;
    for (const auto& c : clusters) names += (names.empty() ? "" : ", ") + c.name;
    map.fail("cluster", "no cluster is named '" + s.cluster + "'", "one of: " + names);
  }
  const GpuSpec& gpu = cluster->gpu;
  s.model = resolve_entry(map, "model", catalog.models, "model");
  const std::string precision = map.choice("precision", {"bf16", "fp8", "fp4"}, "bf16");
  if (precision == "fp4" && !(gpu.fp4_flop_per_s > 0 && gpu.matmul_efficiency_fp4 > 0)) {
    map.fail("precision", "fp4 needs an FP4 tensor-core rate, which " + gpu.id + " has not",
             "bf16 or fp8 on this GPU (FP4: B200)");
  }
  if (precision == "fp8" && !(gpu.fp8_flop_per_s > 0 && gpu.matmul_efficiency_fp8 > 0)) {
    map.fail("precision", "fp8 has no measured or published FP8 GEMM rate for " + gpu.id,
             "bf16 on this GPU");
  }
  s.precision = precision == "fp8"   ? InferencePrecision::FP8
                : precision == "fp4" ? InferencePrecision::FP4
                                     : InferencePrecision::BF16;
  if (auto parallelism = map.optional_map("parallelism")) {
    s.tp = parse_tp(*parallelism, *cluster);
    s.pp = parse_pp(*parallelism, *cluster, s.model, s.tp);
    parallelism->finish();
  }
  s.servers = read_int(map, "servers", 0, 1);
  if (s.servers > cluster->server_count) {
    map.fail("servers",
             std::to_string(s.servers) + " is more than cluster '" + cluster->name + "' has (" +
                 std::to_string(cluster->server_count) + ")",
             "at most " + std::to_string(cluster->server_count));
  }
  const int servers = s.servers > 0 ? s.servers : cluster->server_count;
  s.disaggregation = parse_disaggregation(map, *cluster, servers);
  if (s.disaggregation.enabled) {
    s.tp = s.disaggregation.decode.tp;
    s.replicas = s.disaggregation.decode.replicas;
  }
  const int replica_gpus = s.tp * s.pp;
  const int fit = servers * cluster->server.gpus / replica_gpus;
  if (fit < 1) {
    map.fail("parallelism",
             "a replica of tp " + std::to_string(s.tp) + " x pp " + std::to_string(s.pp) +
                 " needs " + std::to_string(replica_gpus) + " GPUs, more than the service's " +
                 std::to_string(servers * cluster->server.gpus),
             "tp x pp at most the GPUs of its servers");
  }
  s.engine = parse_engine(map);
  s.engine.prefix_cache = parse_prefix_cache(map, s.model.max_seq_len);
  s.traffic = parse_traffic(map, s.model.max_seq_len, base_dir);
  s.router = map.choice("router", {"round-robin", "least-outstanding"}, "least-outstanding") ==
                     "round-robin"
                 ? RouterPolicy::RoundRobin
                 : RouterPolicy::LeastOutstanding;
  s.autoscaler = parse_autoscaler(map);
  if (s.autoscaler.enabled) {
    if (s.autoscaler.max_replicas == 0) s.autoscaler.max_replicas = fit;
    if (s.autoscaler.max_replicas > fit) {
      throw InputError(map.location("autoscaler"), map.child_path("autoscaler.max_replicas"),
                       std::to_string(s.autoscaler.max_replicas) + " replicas of tp " +
                           std::to_string(s.tp) + " x pp " + std::to_string(s.pp) +
                           " need more than the service's " +
                           std::to_string(servers * cluster->server.gpus) + " GPUs",
                       "at most " + std::to_string(fit));
    }
    if (s.autoscaler.min_replicas > s.autoscaler.max_replicas) {
      throw InputError(map.location("autoscaler"), map.child_path("autoscaler.min_replicas"),
                       "is above max_replicas", "min_replicas <= max_replicas");
    }
  }
  if (!s.disaggregation.enabled) {
    s.replicas = read_int(map, "replicas", s.autoscaler.enabled ? s.autoscaler.min_replicas : fit);
  }
  if (s.replicas > fit) {
    map.fail("replicas",
             std::to_string(s.replicas) + " replicas of tp " + std::to_string(s.tp) + " x pp " +
                 std::to_string(s.pp) + " need more than the service's " +
                 std::to_string(servers * cluster->server.gpus) + " GPUs",
             "at most " + std::to_string(fit));
  }
  if (s.autoscaler.enabled &&
      (s.replicas < s.autoscaler.min_replicas || s.replicas > s.autoscaler.max_replicas)) {
    map.fail("replicas", "is outside the autoscaler's min_replicas .. max_replicas",
             "a starting count between them");
  }
  s.slo = parse_slo(map);
  s.duration_s = positive_time(map, "duration", 3600);
  s.search = parse_search(map, catalog, *cluster);
  map.finish();
  return s;
}

}  // namespace capsim
