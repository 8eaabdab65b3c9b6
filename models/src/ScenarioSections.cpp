#include "ScenarioSections.hpp"

#include <algorithm>
#include <cstdio>
#include <set>

#include "CatalogReference.hpp"
#include "ServingParsing.hpp"

namespace capsim {
namespace {

constexpr int kMaxCount = 1'000'000;  // guards int conversions; no real cluster comes near it

int bounded_int(YamlMap& map, const std::string& key, std::int64_t value) {
  if (value > kMaxCount) {
    map.fail(key, std::to_string(value) + " is implausibly large",
             "at most " + std::to_string(kMaxCount));
  }
  return static_cast<int>(value);
}

int read_int(YamlMap& map, const std::string& key, int fallback, int minimum = 1) {
  return bounded_int(map, key, map.integer_or(key, fallback, minimum));
}

FabricTemplate parse_template(YamlMap& fabric) {
  const std::string name = fabric.choice(
      "template", {"single-switch", "leaf-spine", "rail-optimized", "clos3"}, "leaf-spine");
  if (name == "single-switch") return FabricTemplate::SingleSwitch;
  if (name == "rail-optimized") return FabricTemplate::RailOptimized;
  if (name == "clos3") return FabricTemplate::Clos3;
  return FabricTemplate::LeafSpine;
}

// "800Gbps": link speeds are quoted in bits per second.
std::string bit_rate(double bandwidth_Bps) {
  char text[32];
  std::snprintf(text, sizeof text, "%gGbps", bandwidth_Bps * 8 / 1e9);
  return text;
}

// The cheapest catalog optic of `kind` that carries at least `bandwidth_Bps`.
OpticSpec default_optic(const Catalog& catalog, const std::string& kind, double bandwidth_Bps,
                        const YamlMap& fabric) {
  const OpticSpec* best = nullptr;
  for (const auto& [id, optic] : catalog.optics) {
    if (optic.kind != kind || optic.bandwidth_Bps < bandwidth_Bps) continue;
    if (!best || optic.bandwidth_Bps < best->bandwidth_Bps ||
        (optic.bandwidth_Bps == best->bandwidth_Bps && optic.price_usd < best->price_usd)) {
      best = &optic;
    }
  }
  if (!best) {
    throw InputError(fabric.location(), fabric.path(),
                     "the catalog has no " + kind + " for " + bit_rate(bandwidth_Bps) + " ports",
                     "an optics entry of that speed, or name one explicitly");
  }
  return *best;
}

FabricConfig parse_fabric(YamlMap& cluster, const Catalog& catalog) {
  FabricConfig fabric;
  YamlMap map = cluster.map("fabric");
  fabric.kind = parse_template(map);
  fabric.leaf_switch = resolve_entry(map, "switch", catalog.switches, "switch");
  // Upper tiers default to the leaf's switch, inline overrides included.
  fabric.spine_switch = map.has("spine_switch")
                            ? resolve_entry(map, "spine_switch", catalog.switches, "switch")
                            : fabric.leaf_switch;
  fabric.core_switch = map.has("core_switch")
                           ? resolve_entry(map, "core_switch", catalog.switches, "switch")
                           : fabric.spine_switch;
  fabric.oversubscription = map.quantity_or("oversubscription", Quantity::Ratio, 1.0);
  if (fabric.oversubscription < 1.0) {
    map.fail("oversubscription", "is below 1:1", "a ratio of at least 1:1, such as \"2:1\"");
  }
  // NCCL enables adaptive routing by default on InfiniBand and not on RoCE (net_ib.cc), and
  // InfiniBand's subnet manager enables it by default; Ethernet fabrics hash flows (ECMP).
  const bool infiniband = fabric.leaf_switch.technology == "infiniband";
  fabric.routing = map.choice("routing", {"static", "adaptive"},
                              infiniband ? "adaptive" : "static") == "adaptive"
                       ? Routing::Adaptive
                       : Routing::Static;
  const double port_Bps = fabric.leaf_switch.port_bandwidth_Bps;
  auto optic = [&](const std::string& key, const std::string& kind) {
    map.raw(key);
    if (!map.has(key)) return default_optic(catalog, kind, port_Bps, map);
    OpticSpec named = resolve_entry(map, key, catalog.optics, "optic");
    if (named.kind != kind) {
      map.fail(key, "'" + named.id + "' is a " + named.kind, "an optic of kind " + kind);
    }
    if (named.bandwidth_Bps < port_Bps) {
      map.fail(key,
               "'" + named.id + "' carries " + bit_rate(named.bandwidth_Bps) +
                   " but the switch ports run at " + bit_rate(port_Bps),
               "an optic at least as fast as the ports");
    }
    return named;
  };
  fabric.transceiver = optic("transceiver", "transceiver");
  fabric.fiber_cable = optic("fiber_cable", "fiber");
  fabric.copper_cable = optic("copper_cable", "dac");
  map.finish();
  return fabric;
}

std::vector<StorageConfig> parse_storage(YamlMap& cluster, const Catalog& catalog) {
  std::vector<StorageConfig> storage;
  for (auto& entry : cluster.list_of_maps("storage")) {
    StorageConfig config;
    config.system = resolve_entry(entry, "system", catalog.storage, "storage");
    if (config.system.kind == "local-nvme") {
      entry.fail("system",
                 "'" + config.system.id +
                     "' is a drive inside a server, not a storage "
                     "system on the fabric",
                 "a parallel-fs or object store here, and local drives as the server's "
                 "local_storage");
    }
    config.count = read_int(entry, "count", 1);
    entry.finish();
    storage.push_back(config);
  }
  return storage;
}

// The cluster's `site`, which must name a declared site; empty when the key is absent.
std::string parse_cluster_site(YamlMap& map, const std::vector<SiteConfig>& sites) {
  if (!map.has("site")) return {};
  const std::string site = map.string("site");
  const bool declared =
      std::any_of(sites.begin(), sites.end(), [&](const SiteConfig& s) { return s.name == site; });
  if (!declared) {
    std::string names;
    for (const auto& s : sites) names += (names.empty() ? "" : ", ") + s.name;
    map.fail("site", "no site is named '" + site + "'",
             sites.empty() ? "a site declared under infrastructure.sites (none is)"
                           : "one of the sites declared under infrastructure.sites: " + names);
  }
  return site;
}

ClusterConfig parse_cluster(YamlMap& map, const Catalog& catalog,
                            const std::vector<SiteConfig>& sites, int index) {
  ClusterConfig cluster;
  cluster.name = map.string_or("name", "cluster" + std::to_string(index));
  cluster.site = parse_cluster_site(map, sites);
  cluster.server = resolve_entry(map, "server", catalog.servers, "server");
  cluster.gpu = resolve_entry(map, "gpu", catalog.gpus, "GPU", cluster.server.gpu);
  cluster.server.gpu = cluster.gpu.id;
  cluster.nic = resolve_entry(map, "nic", catalog.nics, "NIC", cluster.server.nic);
  cluster.server.nic = cluster.nic.id;
  cluster.server_count = read_int(map, "count", 1);
  cluster.fabric = parse_fabric(map, catalog);
  cluster.storage = parse_storage(map, catalog);
  cluster.placement = map.choice("placement", {"packed", "scattered"}, "packed");
  map.finish();
  return cluster;
}

TrainingPrecision parse_precision(YamlMap& map, const GpuSpec& gpu) {
  const std::string name = map.choice("precision", {"bf16", "fp8"}, "bf16");
  if (name == "fp8" && gpu.fp8_flop_per_s <= 0) {
    map.fail("precision", "fp8 is not supported by " + gpu.id, "bf16 on this GPU");
  }
  return name == "fp8" ? TrainingPrecision::FP8 : TrainingPrecision::BF16;
}

RecomputeMode parse_recompute(YamlMap& map) {
  const std::string name = map.choice("recompute", {"none", "selective", "full"}, "none");
  if (name == "none") return RecomputeMode::None;
  if (name == "full") return RecomputeMode::Full;
  return RecomputeMode::Selective;
}

void parse_parallelism(YamlMap& workload, TrainingWorkload& job) {
  auto map = workload.optional_map("parallelism");
  if (!map) return;
  job.tp = read_int(*map, "tp", 1);
  job.pp = read_int(*map, "pp", 1);
  job.cp = read_int(*map, "cp", 1);
  job.vpp = read_int(*map, "vpp", 1);
  job.ep = read_int(*map, "ep", 1);
  job.dp = read_int(*map, "dp", 0, 1);
  map->finish();
}

TrainingWorkload parse_training(YamlMap& map, const Catalog& catalog,
                                const std::vector<ClusterConfig>& clusters, int index) {
  TrainingWorkload job;
  job.name = map.string_or("name", "workload" + std::to_string(index));
  job.purpose = map.choice("purpose", {"pre-training", "fine-tuning"}, "pre-training");
  job.cluster = map.string_or("cluster", clusters.front().name);
  const auto cluster = std::find_if(clusters.begin(), clusters.end(),
                                    [&](const ClusterConfig& c) { return c.name == job.cluster; });
  if (cluster == clusters.end()) {
    std::string names;
    for (const auto& c : clusters) names += (names.empty() ? "" : ", ") + c.name;
    map.fail("cluster", "no cluster is named '" + job.cluster + "'", "one of: " + names);
  }
  job.model = resolve_entry(map, "model", catalog.models, "model");
  const bool has_tokens = map.has("tokens"), has_steps = map.has("steps");
  if (has_tokens == has_steps) {
    throw InputError(map.location(), map.path(),
                     has_tokens ? "gives both tokens and steps" : "gives neither tokens nor steps",
                     "exactly one of 'tokens' (e.g. \"15T\") or 'steps'");
  }
  job.tokens = map.optional_quantity("tokens", Quantity::Count).value_or(0);
  job.steps = map.integer_or("steps", 0, 1);
  if (has_tokens && job.tokens < 1) {
    map.fail("tokens", "is less than one token", "a positive token count such as \"1B\"");
  }
  job.seq_len = bounded_int(map, "seq_len", map.integer("seq_len"));
  if (job.model.max_seq_len > 0 && job.seq_len > job.model.max_seq_len) {
    map.fail("seq_len",
             std::to_string(job.seq_len) + " is longer than " + job.model.id + "'s context of " +
                 std::to_string(job.model.max_seq_len),
             "at most " + std::to_string(job.model.max_seq_len) +
                 ", or override the model's max_seq_len to plan a longer context");
  }
  job.global_batch = bounded_int(map, "global_batch", map.integer("global_batch"));
  job.micro_batch = read_int(map, "micro_batch", 0, 1);
  job.servers = read_int(map, "servers", 0, 1);
  if (job.servers > cluster->server_count) {
    map.fail("servers",
             std::to_string(job.servers) + " is more than cluster '" + cluster->name + "' has (" +
                 std::to_string(cluster->server_count) + ")",
             "at most " + std::to_string(cluster->server_count));
  }
  parse_parallelism(map, job);
  job.zero_stage = read_int(map, "zero_stage", 1, 0);
  if (job.zero_stage > 3) map.fail("zero_stage", "is above 3", "0, 1, 2 or 3");
  job.recompute = parse_recompute(map);
  job.precision = parse_precision(map, cluster->gpu);
  job.grad_reduce_fp32 = map.choice("grad_reduce", {"fp32", "bf16"}, "fp32") == "fp32";
  if (auto implementation = map.optional_map("implementation")) {
    job.attention =
        implementation->choice("attention", {"fused", "materialized"}, "fused") == "materialized"
            ? AttentionKernel::Materialized
            : AttentionKernel::Fused;
    job.sequence_parallel = implementation->boolean_or("sequence_parallel", true);
    job.dropout = implementation->boolean_or("dropout", false);
    job.grad_accumulation_fusion = implementation->boolean_or("gradient_accumulation_fusion", true);
    job.fused_cross_entropy =
        implementation->choice("cross_entropy", {"fp32", "fused"}, "fp32") == "fused";
    implementation->finish();
  }
  if (auto overlap = map.optional_map("overlap")) {
    job.overlap_dp_comm = overlap->boolean_or("data_parallel", job.overlap_dp_comm);
    job.overlap_tp_comm = overlap->boolean_or("tensor_parallel", job.overlap_tp_comm);
    if (job.overlap_tp_comm && !job.sequence_parallel) {
      overlap->fail("tensor_parallel", "is true while implementation.sequence_parallel is false",
                    "sequence parallelism on (Megatron's --tp-comm-overlap requires it) or false");
    }
    overlap->finish();
  }
  if (auto loading = map.optional_map("data_loading")) {
    const bool per_sample = loading->has("bytes_per_sample");
    const bool per_server = loading->has("read_per_server");
    if (per_sample == per_server) {
      loading->fail(per_sample ? "read_per_server" : "bytes_per_sample",
                    per_sample ? "is given with bytes_per_sample" : "is missing",
                    "exactly one of bytes_per_sample (such as \"2MB\") and read_per_server "
                    "(such as \"2GB/s\")");
    }
    if (per_sample) {
      job.data_loading.bytes_per_sample = loading->quantity("bytes_per_sample", Quantity::Bytes);
      if (!(job.data_loading.bytes_per_sample > 0))
        loading->fail("bytes_per_sample", "is zero", "a positive size such as \"2MB\"");
    } else {
      job.data_loading.read_per_server_Bps =
          loading->quantity("read_per_server", Quantity::Bandwidth);
      if (!(job.data_loading.read_per_server_Bps > 0))
        loading->fail("read_per_server", "is zero", "a positive rate such as \"2GB/s\"");
    }
    loading->finish();
  }
  if (auto checkpoint = map.optional_map("checkpoint")) {
    job.checkpoint_interval_s = checkpoint->quantity("interval", Quantity::Time);
    if (job.checkpoint_interval_s <= 0) {
      checkpoint->fail("interval", "is zero", "a positive duration such as \"30min\"");
    }
    job.checkpoint_async = checkpoint->choice("mode", {"sync", "async"}, "sync") == "async";
    checkpoint->finish();
  }
  map.finish();
  return job;
}

CloudPriceSpec parse_rental(YamlMap& economics, const Catalog& catalog, const std::string& gpu) {
  YAML::Node node = economics.raw("rental");
  if (node.IsDefined() && node.IsScalar() && !node.Scalar().empty() &&
      node.Scalar().front() == '$') {
    CloudPriceSpec inline_price;
    inline_price.id = "inline";
    inline_price.name = "rate given in the scenario";
    inline_price.source = economics.location("rental").to_string();
    inline_price.gpu = gpu;
    inline_price.usd_per_gpu_hour = economics.quantity("rental", Quantity::MoneyPerHour);
    return inline_price;
  }
  if (node.IsDefined() && !node.IsNull()) {
    return resolve_entry(economics, "rental", catalog.cloud_prices, "cloud price");
  }
  if (auto fallback = default_rental(catalog, gpu)) return *fallback;
  return CloudPriceSpec{};  // no rate known for this GPU: rental cost is reported as unknown
}

}  // namespace

// The default rate for this GPU: the newest on-demand one, or the newest of any terms when none
// is on demand (ties: the lower id). Catalog dates are YYYY or YYYY-MM, so text order is date
// order.
std::optional<CloudPriceSpec> default_rental(const Catalog& catalog, const std::string& gpu) {
  std::optional<CloudPriceSpec> best;
  auto rank = [](const CloudPriceSpec& p) {
    return std::make_pair(p.terms == "on-demand", p.date);
  };
  for (const auto& [id, price] : catalog.cloud_prices) {
    if (price.gpu != gpu) continue;
    if (!best || rank(price) > rank(*best)) best = price;
  }
  return best;
}

std::vector<ClusterConfig> parse_clusters(YamlMap& infrastructure, const Catalog& catalog,
                                          const std::vector<SiteConfig>& sites) {
  auto entries = infrastructure.list_of_maps("clusters");
  if (entries.empty()) {
    throw InputError(infrastructure.location(), infrastructure.child_path("clusters"),
                     "is missing or empty", "a list with at least one cluster");
  }
  std::vector<ClusterConfig> clusters;
  std::set<std::string> names;
  for (std::size_t i = 0; i < entries.size(); ++i) {
    clusters.push_back(parse_cluster(entries[i], catalog, sites, static_cast<int>(i)));
    if (!names.insert(clusters.back().name).second) {
      entries[i].fail("name", "'" + clusters.back().name + "' is used twice", "unique names");
    }
  }
  return clusters;
}

void parse_workloads(YamlMap& top, const Catalog& catalog,
                     const std::vector<ClusterConfig>& clusters, const std::string& base_dir,
                     std::vector<TrainingWorkload>& jobs, std::vector<InferenceService>& services) {
  auto entries = top.list_of_maps("workloads");
  if (entries.empty()) {
    throw InputError(top.location(), "workloads", "is missing or empty",
                     "a list with at least one workload");
  }
  std::vector<int> placed(clusters.size(), 0);  // servers given to placed workloads so far
  std::set<std::string> names;
  for (std::size_t i = 0; i < entries.size(); ++i) {
    const bool inference = entries[i].choice("kind", {"training", "inference"}) == "inference";
    std::string name, cluster_name;
    int servers = 0;
    if (inference) {
      services.push_back(
          parse_inference_service(entries[i], catalog, clusters, static_cast<int>(i), base_dir));
      name = services.back().name;
      cluster_name = services.back().cluster;
      servers = services.back().servers;
    } else {
      jobs.push_back(parse_training(entries[i], catalog, clusters, static_cast<int>(i)));
      name = jobs.back().name;
      cluster_name = jobs.back().cluster;
      servers = jobs.back().servers;
    }
    if (!names.insert(name).second) {
      entries[i].fail("name", "'" + name + "' is used twice", "unique workload names");
    }
    if (servers == 0) continue;
    std::size_t c = 0;
    while (clusters[c].name != cluster_name) ++c;
    placed[c] += servers;
    if (placed[c] > clusters[c].server_count) {
      entries[i].fail("servers",
                      "brings the servers of the workloads placed on cluster '" + cluster_name +
                          "' to " + std::to_string(placed[c]) + ", more than its " +
                          std::to_string(clusters[c].server_count),
                      "workloads whose servers add up to at most the cluster's count");
    }
  }
}

EconomicsConfig parse_economics(YamlMap& top, const Catalog& catalog,
                                const std::vector<ClusterConfig>& clusters) {
  EconomicsConfig economics;
  auto map = top.optional_map("economics");
  YamlMap empty(YAML::Node(), top.origin(), "economics");
  YamlMap& section = map ? *map : empty;
  economics.ownership = section.choice("ownership", {"own", "rent"}, "own");
  economics.params = resolve_entry(section, "tco", catalog.economics, "economics", "default");
  economics.rental_explicit = section.has("rental");
  economics.rental = parse_rental(section, catalog, clusters.front().gpu.id);
  if (economics.ownership == "rent" && economics.rental.usd_per_gpu_hour <= 0) {
    section.fail("ownership", "is rent but no rental rate is known for " + clusters.front().gpu.id,
                 "a rental: a catalog cloud price id or a rate such as \"$2.99/h\"");
  }
  section.finish();
  return economics;
}

Targets parse_targets(YamlMap& top) {
  Targets targets;
  if (auto map = top.optional_map("targets")) {
    targets.deadline_s = map->optional_quantity("deadline", Quantity::Time);
    targets.budget_usd = map->optional_quantity("budget", Quantity::Money);
    map->finish();
  }
  return targets;
}

RunSettings parse_run_settings(YamlMap& top) {
  RunSettings run;
  if (auto map = top.optional_map("run")) {
    run.fidelity = map->choice("fidelity", {"estimate", "simulate"}, "estimate");
    run.seed = static_cast<std::uint64_t>(map->integer_or("seed", 1, 0));
    const YAML::Node calibration = map->raw("calibration");
    if (calibration.IsDefined() && !calibration.IsNull()) {
      const bool scalar = calibration.IsScalar();
      if (!scalar && !calibration.IsSequence()) {
        map->fail("calibration", "is a mapping",
                  "a profile path, \"GPU_ID=path\", or a list of them");
      }
      for (const auto& entry :
           scalar ? std::vector<YAML::Node>{calibration}
                  : std::vector<YAML::Node>(calibration.begin(), calibration.end())) {
        if (!entry.IsScalar() || entry.Scalar().empty()) {
          map->fail("calibration", "has an entry that is not a path",
                    "a profile path, \"GPU_ID=path\", or a list of them");
        }
        run.calibration.push_back(entry.Scalar());
      }
    }
    run.iterations = read_int(*map, "iterations", 1, 1);
    if (auto variability = map->optional_map("variability")) {
      VariabilityConfig& v = run.variability;
      v.gpu_jitter = variability->quantity_or("gpu_jitter", Quantity::Fraction, 0.0);
      v.slow_servers = read_int(*variability, "slow_servers", 0, 0);
      v.slowdown = variability->quantity_or("slowdown", Quantity::Fraction, 0.2);
      variability->finish();
    }
    map->finish();
  }
  return run;
}

}  // namespace capsim
