// One run of the session: how it was started and the figures its result.json holds (the CLI's
// complete, machine-readable report; the studio reads nothing else of a run).
#pragma once

#include <QDateTime>
#include <QString>
#include <QStringList>
#include <optional>
#include <utility>
#include <vector>

namespace capsim::studio {

/// Where one iteration's time goes, in seconds, by the report's labels.
using TimeShares = std::vector<std::pair<QString, double>>;

struct WorkloadResult {
  QString name, cluster, model, layout;
  double iteration_s = 0;
  double tokens_per_s = 0;
  double mfu = 0, hfu = 0;
  double time_to_train_s = 0;
  double owned_usd = 0;
  std::optional<double> rented_usd;
  double energy_J = 0;
  /// compute, exposed communication by kind, pipeline bubble, optimizer, checkpoint I/O
  /// (the run's checkpoint stalls spread over its iterations).
  TimeShares breakdown;
  TimeShares memory_bytes;  ///< weights, gradients, optimizer, activations, logits
  double memory_capacity_bytes = 0;
  bool simulated = false;
  QString simulation_note;                ///< why not simulated, when not
  std::vector<double> iteration_times_s;  ///< simulated iterations in order
  double simulated_iteration_s = 0;
};

struct ClusterResult {
  QString name;
  int gpus = 0;
  double capex_usd = 0;
  double owned_usd_per_h = 0;
  std::optional<double> rental_usd_per_h;
  double facility_power_W = 0;
  std::optional<double> break_even_utilisation;
};

struct RunRecord {
  int number = 0;  ///< 1, 2, ... in the session
  QString scenario_name;
  QString scenario_file;  ///< the file that was run
  QString fidelity;
  QString out_dir;
  QDateTime started;
  double wall_s = 0;
  QString ownership;  ///< "own" or "rent"
  bool targets_met = true;
  std::vector<WorkloadResult> workloads;
  std::vector<ClusterResult> clusters;

  /// "#2 quickstart (estimate)".
  QString label() const;
  /// The headline cost of workload `w` (rented when the scenario rents and a rate is known).
  double headline_cost(std::size_t w) const;
};

/// Parses a result.json. Throws std::runtime_error naming what is missing.
RunRecord parse_result_json(const QByteArray& json);

}  // namespace capsim::studio
