// Time of one closed-form training estimate (target: well under 1 ms per configuration), and of
// building and analysing a cluster topology.
#include <benchmark/benchmark.h>

#include "capsim/models/Topology.hpp"
#include "capsim/models/TrainingEstimate.hpp"

namespace {

using namespace capsim;

// Llama 3.1 405B, TP8 PP16 DP128 on 16,384 H100 (figures from the catalog's reference sources).
const ModelShape kLlama405b{126, 16384, 128, 8, 53248, 128256, true, false};

TrainingLayout layout_405b() {
  TrainingLayout layout;
  layout.tp = 8;
  layout.pp = 16;
  layout.dp = 128;
  layout.cp = 1;
  layout.micro_batch = 1;
  layout.global_batch = 2048;
  layout.seq_len = 8192;
  layout.zero_stage = 2;
  layout.recompute = Recompute::Selective;
  return layout;
}

// The catalog's H100 kernel parameters (fitted to shared/calibration), written out here so the
// benchmark measures the estimate alone.
GpuPerformance h100() {
  GpuPerformance gpu;
  gpu.peak_flop_per_s = 989e12;
  gpu.memory_bytes = 80e9;
  KernelParameters& k = gpu.kernels;
  k.bf16_peak_flop_per_s = 989e12;
  k.gemm_efficiency_bf16 = 0.8220;
  k.sm_count = 132;
  k.gemm_tile_m = 64;
  k.gemm_tile_n = 256;
  k.gemm_k_overhead = 143.5;
  k.memory_bandwidth_Bps = 2.872e12;
  k.launch_s = 5.66e-6;
  k.attention_efficiency_fwd = 0.6984;
  k.attention_efficiency_bwd = 0.6267;
  k.attention_half_seq_fwd = 526.5;
  k.attention_half_seq_bwd = 2313;
  k.attention_tail_rows_fwd = 31534;
  k.attention_tail_rows_bwd = 18439;
  return gpu;
}
const GpuPerformance kH100 = h100();
// NVLink inside the server for TP, one 400G NIC per GPU for the other groups.
CommPaths paths() {
  CommPaths comm;
  comm.tp = CommLink{450e9, 1e-6};
  comm.pp = comm.dp = comm.cp = CommLink{50e9, 5e-6};
  return comm;
}
const CommPaths kPaths = paths();

void BM_EstimateTraining(benchmark::State& state) {
  const TrainingLayout layout = layout_405b();
  const int gpus = layout.tp * layout.pp * layout.dp * layout.cp;
  for (auto _ : state) {
    TrainingEstimate estimate = estimate_training(kLlama405b, layout, kH100, kPaths, gpus);
    benchmark::DoNotOptimize(estimate);
  }
}
BENCHMARK(BM_EstimateTraining);

void BM_BuildTopology(benchmark::State& state) {
  FabricSpec spec;
  spec.kind = FabricTemplate::Clos3;
  spec.servers = static_cast<int>(state.range(0));
  spec.gpus_per_server = 8;
  spec.nvlink_domain_gpus = 8;
  spec.nvlink_bandwidth_Bps = 450e9;
  spec.nics_per_server = 8;
  spec.nic_bandwidth_Bps = 50e9;
  spec.leaf = spec.spine = spec.core = SwitchModel{64, 50e9, 130e-9};
  for (auto _ : state) {
    Topology topology = build_topology(spec);
    benchmark::DoNotOptimize(topology.bisection_bandwidth_Bps());
    benchmark::DoNotOptimize(topology.max_hops());
  }
  state.SetLabel(std::to_string(spec.servers * 8) + " GPUs");
}
BENCHMARK(BM_BuildTopology)->Arg(4)->Arg(128)->Arg(2048)->Unit(benchmark::kMillisecond);

}  // namespace
