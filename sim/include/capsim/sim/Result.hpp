// What a run produces: the plans of every cluster and workload, the targets checked against them,
// and the inputs that produced it. Reports (Report.hpp) render it; the JSON report is complete.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "capsim/models/Scenario.hpp"
#include "capsim/models/TrainingPlan.hpp"

namespace capsim {

/// One target of the scenario and whether the plan meets it.
struct TargetCheck {
  std::string name;      ///< "deadline" or "budget"
  std::string workload;  ///< the workload it was checked on
  double limit = 0;      ///< seconds or USD
  double value = 0;      ///< what the plan achieves, same unit
  bool met = false;
};

struct Result {
  std::string capsim_version;
  std::string scenario_name;
  std::string scenario_description;
  std::string scenario_file;
  std::string fidelity;
  std::uint64_t seed = 0;
  std::string ownership;  ///< which cost is the headline: "own" or "rent"
  EconomicsConfig economics;
  std::vector<ClusterConfig> cluster_configs;  ///< the scenario's clusters, as parsed
  std::vector<ClusterPlan> clusters;           ///< same order as cluster_configs
  std::vector<TrainingWorkload> workloads;     ///< the scenario's training jobs, as parsed
  std::vector<TrainingPlan> training;          ///< same order as workloads
  std::vector<TargetCheck> targets;
  std::string effective_yaml;  ///< the scenario as run, after --set overrides

  /// True when every target is met (or none is stated).
  bool targets_met() const;
};

}  // namespace capsim
