#include "LiveEstimate.hpp"

#include <yaml-cpp/yaml.h>

#include <QtConcurrent/QtConcurrentRun>
#include <chrono>

#include "capsim/models/Errors.hpp"
#include "capsim/sim/Run.hpp"

namespace capsim::studio {
namespace {

// Long enough to gather a burst of keystrokes into one estimate, short enough that the panel
// follows an edit within about 100 ms on the shipped scenarios.
constexpr int kPauseMs = 30;

QString layout_text(const TrainingLayout& layout) {
  return QStringLiteral("TP%1 PP%2 DP%3 CP%4, micro-batch %5")
      .arg(layout.tp)
      .arg(layout.pp)
      .arg(layout.dp)
      .arg(layout.cp)
      .arg(layout.micro_batch);
}

}  // namespace

QString key_path_of_message(const Scenario& scenario, const QString& message) {
  // Training jobs and services are kept apart in Scenario; their positions in the file's
  // `workloads` list come from the YAML the scenario was parsed from.
  std::vector<std::string> names;
  try {
    const YAML::Node workloads = YAML::Load(scenario.effective_yaml)["workloads"];
    for (std::size_t i = 0; workloads.IsSequence() && i < workloads.size(); ++i) {
      const YAML::Node name = workloads[i]["name"];
      names.push_back(name.IsScalar() ? name.Scalar() : "workload" + std::to_string(i));
    }
  } catch (const std::exception&) {
  }
  if (names.empty()) {
    for (const auto& job : scenario.training) names.push_back(job.name);
  }
  for (std::size_t i = 0; i < names.size(); ++i) {
    const QString name = QString::fromStdString(names[i]);
    if (message.contains("workload '" + name + "'") || message.contains("service '" + name + "'") ||
        message.contains("'" + name + "'")) {
      const QString path = QStringLiteral("workloads[%1]").arg(i);
      return message.contains("parallelism") ? path + ".parallelism" : path;
    }
  }
  for (std::size_t i = 0; i < scenario.clusters.size(); ++i) {
    const QString name = QString::fromStdString(scenario.clusters[i].name);
    if (message.contains("cluster '" + name + "'")) {
      const QString path = QStringLiteral("infrastructure.clusters[%1]").arg(i);
      return message.contains("fabric") ? path + ".fabric" : path;
    }
  }
  if (message.startsWith("run.variability")) return QStringLiteral("run.variability");
  return {};
}

EstimateSummary estimate_scenario(const Scenario& scenario, int generation) {
  const auto start = std::chrono::steady_clock::now();
  EstimateSummary summary;
  summary.generation = generation;
  try {
    RunOptions options;
    options.fidelity = "estimate";
    const Result result = run(scenario, options);
    summary.rented = result.ownership == "rent";
    for (const auto& cluster : result.clusters) {
      const bool rent = summary.rented && cluster.cost.rental_usd_per_h.has_value();
      summary.cost_usd_per_h +=
          rent ? *cluster.cost.rental_usd_per_h : cluster.cost.owned_usd_per_h;
      summary.facility_power_W += cluster.cost.facility_power_W;
      summary.gpus += cluster.gpus;
      ClusterEstimate figures;
      figures.name = QString::fromStdString(cluster.name);
      figures.leaf_switches = cluster.bom.leaf_switches;
      figures.spine_switches = cluster.bom.spine_switches;
      figures.core_switches = cluster.bom.core_switches;
      figures.bisection_Bps = cluster.bisection_Bps;
      figures.storage_read_Bps = cluster.storage_read_Bps;
      figures.cost_usd_per_h = rent ? *cluster.cost.rental_usd_per_h : cluster.cost.owned_usd_per_h;
      figures.facility_power_W = cluster.cost.facility_power_W;
      summary.clusters.push_back(figures);
    }
    for (const auto& plan : result.training) {
      WorkloadEstimate figures;
      figures.name = QString::fromStdString(plan.workload);
      figures.cluster = QString::fromStdString(plan.cluster);
      figures.layout = layout_text(plan.layout);
      figures.iteration_s = plan.estimate.iteration_s;
      figures.tokens_per_s = plan.estimate.tokens_per_s;
      figures.mfu = plan.estimate.mfu;
      figures.time_to_train_s = plan.time_to_train_s;
      const bool rent = summary.rented && plan.cost.rented_usd.has_value();
      figures.cost_usd = rent ? *plan.cost.rented_usd : plan.cost.owned_usd;
      const auto& memory = plan.estimate.memory;
      figures.memory_fraction =
          memory.capacity_bytes > 0 ? memory.total_bytes / memory.capacity_bytes : 0;
      summary.workloads.push_back(figures);
    }
    for (std::size_t i = 0; i < result.services.size() && i < result.service_plans.size(); ++i) {
      const InferenceService& service = result.services[i];
      const ServicePlan& plan = result.service_plans[i];
      ServiceEstimate figures;
      figures.name = QString::fromStdString(service.name);
      figures.cluster = QString::fromStdString(service.cluster);
      figures.model = QString::fromStdString(service.model.id);
      figures.tp = service.tp;
      figures.pp = service.pp;
      figures.replicas = service.replicas;
      figures.max_replicas = plan.max_replicas;
      figures.gpus = plan.gpus;
      figures.replica_requests_per_s = plan.replica_requests_per_s;
      figures.replica_output_tokens_per_s = plan.replica_output_tokens_per_s;
      figures.peak_rate_per_s = plan.peak_rate_per_s;
      figures.mean_rate_per_s = plan.mean_rate_per_s;
      figures.replicas_for_peak = plan.replicas_for_peak;
      figures.kv_tokens = plan.kv.kv_tokens;
      const bool rent = summary.rented && plan.rented_usd_per_gpu_hour.has_value();
      figures.usd_per_gpu_hour = rent ? *plan.rented_usd_per_gpu_hour : plan.owned_usd_per_gpu_hour;
      summary.services.push_back(figures);
    }
    summary.targets_met = result.targets_met();
    summary.valid = true;
  } catch (const std::exception& error) {
    // As `capsim check` reports it: the file, then the planner's message.
    const QString message =
        QString::fromStdString(scenario.source_file) + ": " + QString::fromUtf8(error.what());
    summary.problems.push_back(
        Problem{message, key_path_of_message(scenario, message), 0, 0, QStringLiteral("plan")});
  }
  summary.elapsed_ms =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
  return summary;
}

LiveEstimate::LiveEstimate(ScenarioDocument* document, QObject* parent)
    : QObject(parent), document_(document) {
  timer_.setSingleShot(true);
  timer_.setInterval(kPauseMs);
  connect(&timer_, &QTimer::timeout, this, &LiveEstimate::start);
  connect(&watcher_, &QFutureWatcher<EstimateSummary>::finished, this, &LiveEstimate::finished);
  connect(document_, &ScenarioDocument::changed, this, &LiveEstimate::schedule);
  schedule();
}

void LiveEstimate::schedule() {
  ++generation_;
  timer_.start();
  emit started();
}

void LiveEstimate::start() {
  if (watcher_.isRunning()) {  // one at a time; the newest text runs when this one ends
    rerun_ = true;
    return;
  }
  const auto& scenario = document_->scenario();
  if (!scenario) {
    EstimateSummary summary;
    summary.generation = generation_;
    latest_ = summary;
    emit updated(summary);
    return;
  }
  watcher_.setFuture(QtConcurrent::run(estimate_scenario, *scenario, generation_));
}

void LiveEstimate::finished() {
  EstimateSummary summary = watcher_.result();
  if (rerun_) {
    rerun_ = false;
    start();
    return;
  }
  if (summary.generation != generation_) return;  // a newer edit is waiting for its pause
  latest_ = summary;
  emit updated(summary);
}

}  // namespace capsim::studio
