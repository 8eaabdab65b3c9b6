// Speed of the layout search (`capsim search`): one layout's closed-form estimate as the search
// runs it (memory first, then the full estimate), and the full search of a 530B model, the
// MT-NLG shape (Smith et al. 2022: 105 layers, hidden 20480, 128 heads, ffn 81920, vocabulary
// 51200 padded, sequence 2048, global batch 1920), on DGX A100 clusters:
// - 641 servers = 5,128 GPUs, the size the issue names. 5,128 = 8 x 641 with 641 prime, so every
//   dp = 5,128 / (tp pp cp) keeps the factor 641 and none divides the batch of 1920: the search
//   is degenerate (nothing to evaluate) and its time is the set-up alone.
// - 640 servers = 5,120 GPUs (2^10 x 5), the nearest size with many layouts.
// - 560 servers = 4,480 GPUs, the published run (TP8 PP35 DP16).
// The catalog is the built-in one or $CAPSIM_CATALOG_DIR. Cluster plans (topology, prices) are
// built once, outside the timing; the search's own set-up (GPU figures, link cache) is timed.
#include <benchmark/benchmark.h>

#include <map>
#include <memory>

#include "capsim/models/LayoutSearch.hpp"
#include "capsim/models/Scenario.hpp"
#include "capsim/models/TrainingPlan.hpp"

namespace {

using namespace capsim;

std::string mtnlg_scenario(int servers) {
  return R"(name: mt-nlg-530b
infrastructure:
  clusters:
    - name: selene
      server: dgx-a100
      count: )" +
         std::to_string(servers) +
         R"(
      fabric: {template: clos3, switch: quantum-qm8700}
workloads:
  - name: mt-nlg
    kind: training
    model: {id: gpt3-175b, name: MT-NLG 530B shape, layers: 105, hidden: 20480, heads: 128,
            kv_heads: 128, ffn_hidden: 81920, vocab: 51200, tied_embeddings: true}
    tokens: 270B
    seq_len: 2048
    global_batch: 1920
    micro_batch: 1
    parallelism: {tp: 8, pp: 35}
    zero_stage: 1
    recompute: full
)";
}

struct Planned {
  Scenario scenario;
  ClusterPlan cluster;
};

// Parsed and planned once per size for the whole program.
const Planned& planned(int servers) {
  static const Catalog catalog = load_catalog(default_catalog_dir());
  static std::map<int, std::unique_ptr<Planned>> cache;
  auto& slot = cache[servers];
  if (!slot) {
    slot = std::make_unique<Planned>();
    slot->scenario = parse_scenario(mtnlg_scenario(servers), "bench.yaml", catalog);
    slot->cluster = plan_cluster(slot->scenario.clusters[0], slot->scenario.economics);
  }
  return *slot;
}

ModelShape shape_of(const ModelSpec& m) {
  ModelShape shape;
  shape.layers = m.layers;
  shape.hidden = m.hidden;
  shape.heads = m.heads;
  shape.kv_heads = m.kv_heads;
  shape.ffn_hidden = m.ffn_hidden;
  shape.vocab = m.vocab;
  shape.gated_mlp = m.mlp == "swiglu";
  shape.tied_embeddings = m.tied_embeddings;
  return shape;
}

// One layout of the search: the published TP8 PP35 DP16 on 4,480 A100s, memory then the full
// estimate, on the GPU figures and paths plan_training derives.
void BM_SearchOneLayout(benchmark::State& state) {
  const Planned& p = planned(560);
  const TrainingPlan plan =
      plan_training(p.scenario.training[0], p.scenario.clusters[0], p.cluster);
  const ModelShape shape = shape_of(p.scenario.training[0].model);
  for (auto _ : state) {
    const MemoryBreakdown memory = estimate_memory(shape, plan.layout, plan.gpu, p.cluster.gpus);
    benchmark::DoNotOptimize(memory);
    TrainingEstimate estimate =
        estimate_training(shape, plan.layout, plan.gpu, plan.comm, p.cluster.gpus);
    benchmark::DoNotOptimize(estimate);
  }
  state.SetLabel("530B TP8 PP35 DP16 on 4480 A100");
}
BENCHMARK(BM_SearchOneLayout)->Unit(benchmark::kMicrosecond);

// The same layout through plan_training (topology paths, estimate, cost, report text): what a
// search would pay per layout without its link cache.
void BM_PlanTrainingOneLayout(benchmark::State& state) {
  const Planned& p = planned(560);
  for (auto _ : state) {
    TrainingPlan plan = plan_training(p.scenario.training[0], p.scenario.clusters[0], p.cluster);
    benchmark::DoNotOptimize(plan);
  }
  state.SetLabel("530B TP8 PP35 DP16 on 4480 A100");
}
BENCHMARK(BM_PlanTrainingOneLayout)->Unit(benchmark::kMicrosecond);

// The whole search; counters: layouts evaluated / valid / fitting and the time per evaluated one.
void BM_SearchAllLayouts(benchmark::State& state) {
  const int servers = static_cast<int>(state.range(0));
  const Planned& p = planned(servers);
  LayoutSearchResult result;
  for (auto _ : state) {
    result = search_layouts(p.scenario.training[0], p.scenario.clusters[0], p.cluster);
    benchmark::DoNotOptimize(result.layouts.data());
  }
  state.counters["evaluated"] = static_cast<double>(result.stats.evaluated);
  state.counters["valid"] = static_cast<double>(result.stats.valid);
  state.counters["fitting"] = static_cast<double>(result.stats.fitting);
  state.counters["paths"] = static_cast<double>(result.stats.comm_paths);
  state.counters["us_per_layout"] = result.stats.seconds_per_layout() * 1e6;
  std::string label = "530B on " + std::to_string(p.cluster.gpus) + " A100";
  if (result.layouts.empty()) {
    label += " (no layout: " + result.empty_reason.substr(0, 60) + "...)";
  } else if (result.own.status == OwnLayoutStatus::Ranked) {
    label += ", TP8 PP35 ranks " + std::to_string(result.own.rank);
  } else {
    label += ", TP8 PP35 not listed: " + result.own.note.substr(0, 50);
  }
  state.SetLabel(label);
}
BENCHMARK(BM_SearchAllLayouts)->Arg(641)->Arg(640)->Arg(560)->Unit(benchmark::kMillisecond);

}  // namespace
