// A published run's estimate and its simulation on the same cluster (the catalog's hardware and
// the fabric predict_published_run builds), for the tests that compare the two fidelities.
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <stdexcept>
#include <string>
#include <vector>

#include "ShippedCatalog.hpp"
#include "capsim/models/PublishedRuns.hpp"
#include "capsim/models/TrainingPlan.hpp"
#include "capsim/sim/IterationSimulation.hpp"

namespace capsim::test {

inline const std::string kPublicTraining = CAPSIM_SHARED_DIR "/validation/training_public.csv";

struct PublishedSimulation {
  TrainingPrediction prediction;
  SimulatedIteration sim;
};

// A published run's estimate and its simulation on the same cluster (the catalog's hardware and
// the fabric predict_published_run builds).
// `vpp` replaces the row's virtual pipeline size when given.
inline PublishedSimulation simulate_published_run(const std::string& id, int vpp = 0) {
  auto runs = load_published_training_runs(kPublicTraining);
  const auto run = std::find_if(runs.begin(), runs.end(),
                                [&](const PublishedTrainingRun& r) { return r.id == id; });
  if (run == runs.end()) throw std::runtime_error("no row " + id);
  if (vpp > 0) run->vpp = vpp;
  const Catalog& catalog = shipped_catalog();
  const TrainingPrediction prediction = predict_published_run(*run, catalog);
  const ClusterConfig cluster = published_run_cluster(*run, catalog);
  EconomicsConfig economics;
  economics.params = catalog.economics.at("default");
  const ClusterPlan plan = plan_cluster(cluster, economics);
  const SimulatedIteration sim = simulate_training_iteration(
      prediction.model, prediction.layout, prediction.gpu, plan.topology, cluster, run->gpus);
  ::testing::Test::RecordProperty("simulated_s", std::to_string(sim.iteration_s));
  ::testing::Test::RecordProperty("estimated_s", std::to_string(prediction.estimate.iteration_s));
  return {prediction, sim};
}

}  // namespace capsim::test
