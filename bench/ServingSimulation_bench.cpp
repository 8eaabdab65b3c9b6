// Wall time of simulate_services() at the speed target: one hour of Poisson traffic at
// 200 requests/s (720,000 requests) over 32 fixed replicas of Llama 3.1 8B FP8 on one H100 each
// (prompts lognormal mean 1000, outputs lognormal mean 200 tokens), request by request.
//
// SimGrid allows one simulation per process, so each iteration forks a child that draws the
// requests, runs the simulation and reports its wall time and event count through a pipe
// (manual time: drawing the requests and the fork are not counted). Counters: events (SimGrid
// wake-ups: arrivals, replica sleeps each covering a run of one or more engine iterations,
// autoscaler ticks), events per second of wall time, engine iterations and iterations per second.
#include <benchmark/benchmark.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdint>

#include "capsim/models/Catalog.hpp"
#include "capsim/models/PublishedInference.hpp"
#include "capsim/models/TrainingPlan.hpp"
#include "capsim/sim/ServingSimulation.hpp"

namespace {

using namespace capsim;

struct ChildFigures {
  double wall_s = -1;
  double events = 0;
  double completed = 0;
  double iterations = 0;
};

ServiceSetup hour_at_200_per_s(const Catalog& catalog) {
  ServiceSetup setup;
  setup.name = "bench";
  setup.instance.model = model_shape(catalog.models.at("llama-3.1-8b"));
  setup.instance.precision = InferencePrecision::FP8;
  setup.instance.gpu = inference_gpu(catalog.gpus.at("h100-sxm-80gb"));
  setup.kv_blocks =
      kv_capacity(setup.instance, setup.engine.max_batch_size, setup.engine.max_num_tokens,
                  setup.engine.kv_memory_fraction, setup.engine.tokens_per_block)
          .kv_blocks;
  setup.replicas = 32;
  setup.duration_s = 3600;
  TrafficConfig traffic;
  traffic.rate_per_s = 200;
  traffic.input_tokens = {"lognormal", 1000, 500, 16, 8000};
  traffic.output_tokens = {"lognormal", 200, 100, 8, 2000};
  setup.requests = generate_requests(traffic, setup.duration_s, 1);
  return setup;
}

ChildFigures run_in_child(const ServiceSetup& setup) {
  int fds[2];
  if (pipe(fds) != 0) return {};
  const pid_t child = fork();
  if (child == 0) {
    close(fds[0]);
    const auto start = std::chrono::steady_clock::now();
    const ServingSimulation sim = simulate_services({setup});
    ChildFigures figures;
    figures.wall_s =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    figures.events = static_cast<double>(sim.events);
    figures.completed = static_cast<double>(sim.services.at(0).completed);
    figures.iterations = static_cast<double>(sim.services.at(0).iterations);
    const bool written = write(fds[1], &figures, sizeof figures) == sizeof figures;
    _exit(written ? 0 : 1);
  }
  close(fds[1]);
  ChildFigures figures;
  if (child < 0 || read(fds[0], &figures, sizeof figures) != sizeof figures) figures = {};
  close(fds[0]);
  int status = 0;
  if (child > 0) waitpid(child, &status, 0);
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) figures.wall_s = -1;
  return figures;
}

void BM_ServingHourAt200PerSecond32Replicas(benchmark::State& state) {
  const Catalog catalog = load_catalog(CAPSIM_CATALOG_DIR);
  const ServiceSetup setup = hour_at_200_per_s(catalog);
  ChildFigures last;
  for (auto _ : state) {
    last = run_in_child(setup);
    if (last.wall_s < 0) {
      state.SkipWithError("the simulation child process failed");
      break;
    }
    state.SetIterationTime(last.wall_s);
  }
  state.counters["requests"] = static_cast<double>(setup.requests.size());
  state.counters["completed"] = last.completed;
  state.counters["events"] = last.events;
  state.counters["events_per_s"] = last.wall_s > 0 ? last.events / last.wall_s : 0;
  state.counters["iterations"] = last.iterations;
  state.counters["iterations_per_s"] = last.wall_s > 0 ? last.iterations / last.wall_s : 0;
}
BENCHMARK(BM_ServingHourAt200PerSecond32Replicas)
    ->Iterations(1)
    ->Repetitions(1)
    ->UseManualTime()
    ->Unit(benchmark::kSecond);

}  // namespace
