// Wall time of simulate_collectives(): one ring all-reduce of 1 GB over every GPU of a DGX-like
// leaf/spine fabric (8 GPUs per server in one NVLink domain, 8 x 400G NICs, 64-port switches).
//
// SimGrid allows one simulation per process, so each iteration forks a child that builds the
// platform, runs the ring and reports its own wall time through a pipe (manual time: the fork
// is not counted).
#include <benchmark/benchmark.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <numeric>

#include "capsim/sim/CollectiveSimulation.hpp"

namespace {

using namespace capsim;

Topology dgx_leaf_spine(int gpus) {
  FabricSpec spec;
  spec.kind = FabricTemplate::LeafSpine;
  spec.servers = gpus / 8;
  spec.gpus_per_server = 8;
  spec.nvlink_domain_gpus = 8;
  spec.nvlink_bandwidth_Bps = 450e9;
  spec.nvlink_latency_s = 0.5e-6;
  spec.nics_per_server = 8;
  spec.nic_bandwidth_Bps = 50e9;
  spec.nic_latency_s = 1e-6;
  spec.leaf = SwitchModel{64, 50e9, 0.2e-6};
  spec.spine = spec.leaf;
  spec.cable_latency_s = 0.01e-6;
  return build_topology(spec);
}

// Runs the ring in a child process; returns its wall time in seconds, or a negative number
// when the child failed.
double time_in_child(const Topology& topology, int gpus) {
  int fds[2];
  if (pipe(fds) != 0) return -1.0;
  const pid_t child = fork();
  if (child == 0) {
    close(fds[0]);
    std::vector<int> ranks(gpus);
    std::iota(ranks.begin(), ranks.end(), 0);
    const auto start = std::chrono::steady_clock::now();
    simulate_collectives(topology, {{ranks, 1e9, SimulatedCollective::Kind::AllReduce}});
    const double wall_s =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    const bool written = write(fds[1], &wall_s, sizeof wall_s) == sizeof wall_s;
    _exit(written ? 0 : 1);
  }
  close(fds[1]);
  double wall_s = -1.0;
  if (child < 0 || read(fds[0], &wall_s, sizeof wall_s) != sizeof wall_s) wall_s = -1.0;
  close(fds[0]);
  int status = 0;
  if (child > 0) waitpid(child, &status, 0);
  return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? wall_s : -1.0;
}

void BM_RingAllReduce(benchmark::State& state) {
  const int gpus = static_cast<int>(state.range(0));
  const Topology topology = dgx_leaf_spine(gpus);
  for (auto _ : state) {
    const double wall_s = time_in_child(topology, gpus);
    if (wall_s < 0) {
      state.SkipWithError("the simulation child process failed");
      break;
    }
    state.SetIterationTime(wall_s);
  }
}
BENCHMARK(BM_RingAllReduce)->Arg(64)->Arg(512)->UseManualTime()->Unit(benchmark::kMillisecond);

}  // namespace
