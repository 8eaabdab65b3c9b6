// The closed-form estimate of the scenario being edited, computed off the GUI thread.
//
// Each change of the document schedules capsim::run() at fidelity `estimate` (the same call `capsim
// check` and `capsim run` make) on a worker thread after a short pause; a newer change supersedes
// an older one, whose figures are dropped. The figures shown are those of the headline: iteration
// (step) time, tokens/s, cost per hour as the scenario prices it, and facility power.
#pragma once

#include <QElapsedTimer>
#include <QFutureWatcher>
#include <QObject>
#include <QString>
#include <QTimer>
#include <optional>
#include <vector>

#include "ScenarioDocument.hpp"

namespace capsim::studio {

/// Headline figures of one training workload.
struct WorkloadEstimate {
  QString name;
  QString cluster;
  QString layout;           ///< "TP2 PP1 DP16 CP1, micro-batch 2"
  double iteration_s = 0;   ///< one optimizer step
  double tokens_per_s = 0;  ///< all replicas together
  double mfu = 0;           ///< model FLOPs utilisation, 0..1
  double time_to_train_s = 0;
  double cost_usd = 0;         ///< the run at the headline rate (own or rent)
  double memory_fraction = 0;  ///< per-GPU need / capacity
};

/// The closed-form answer for one inference service (ServicePlan.hpp): what a replica can serve
/// and how many replicas the traffic's peak needs. Latencies need fidelity `simulate`.
struct ServiceEstimate {
  QString name;
  QString cluster;
  QString model;
  int tp = 1;
  int pp = 1;                              ///< pipeline stages per replica
  int replicas = 0;                        ///< at the start
  int max_replicas = 0;                    ///< the autoscaler's maximum, else the fixed count
  int gpus = 0;                            ///< of the servers the service runs on
  double replica_requests_per_s = 0;       ///< at max throughput
  double replica_output_tokens_per_s = 0;  ///< at max throughput
  double peak_rate_per_s = 0;              ///< the traffic's highest arrival rate
  double mean_rate_per_s = 0;              ///< over the service's duration
  int replicas_for_peak = 0;               ///< ceil(peak rate / replica_requests_per_s)
  long long kv_tokens = 0;                 ///< the KV cache of one replica
  double usd_per_gpu_hour = 0;             ///< owned, or rented as the headline
};

/// The fabric and price of one cluster as planned.
struct ClusterEstimate {
  QString name;
  int leaf_switches = 0, spine_switches = 0, core_switches = 0;
  double bisection_Bps = 0;     ///< per direction
  double storage_read_Bps = 0;  ///< all storage units, limited by their fabric ports
  double cost_usd_per_h = 0;    ///< owned or rented, as the headline
  double facility_power_W = 0;
};

/// What the status panel shows: per workload figures, cluster-wide rates, or the problem.
struct EstimateSummary {
  int generation = 0;                       ///< which document change it belongs to
  std::vector<WorkloadEstimate> workloads;  ///< training jobs, in file order
  std::vector<ServiceEstimate> services;    ///< inference services, in file order
  std::vector<ClusterEstimate> clusters;
  double cost_usd_per_h = 0;    ///< all clusters, owned or rented as the scenario's headline
  bool rented = false;          ///< the headline cost is the rental rate
  double facility_power_W = 0;  ///< all clusters, IT power x PUE
  int gpus = 0;
  bool targets_met = true;
  std::vector<Problem> problems;  ///< from planning (topology, layout, memory)
  double elapsed_ms = 0;          ///< time the estimate took
  bool valid = false;             ///< false when the scenario did not parse or plan
};

/// Runs the estimate of a parsed scenario (the worker's job; also callable directly).
EstimateSummary estimate_scenario(const Scenario& scenario, int generation);

/// Maps a planning error's message to the key path of the cluster, workload or service it names.
QString key_path_of_message(const Scenario& scenario, const QString& message);

class LiveEstimate : public QObject {
  Q_OBJECT
 public:
  explicit LiveEstimate(ScenarioDocument* document, QObject* parent = nullptr);

  const std::optional<EstimateSummary>& latest() const { return latest_; }
  /// True while an estimate for the current text is pending or running.
  bool busy() const { return timer_.isActive() || watcher_.isRunning(); }

 signals:
  void started();
  void updated(const capsim::studio::EstimateSummary& summary);

 private:
  void schedule();
  void start();
  void finished();

  ScenarioDocument* document_;
  QTimer timer_;
  QFutureWatcher<EstimateSummary> watcher_;
  int generation_ = 0;
  bool rerun_ = false;
  std::optional<EstimateSummary> latest_;
};

}  // namespace capsim::studio
