// Qt Charts of run results, shared by the results view (the workloads of one run) and the
// comparison (the first workload of several runs): where an iteration's time goes, utilisation,
// simulated iteration times, cost.
#pragma once

#include <QChartView>
#include <QString>
#include <QStringList>
#include <vector>

#include "RunRecord.hpp"

namespace capsim::studio {

/// One bar per column: a stacked bar of an iteration's time shares (seconds).
QChartView* breakdown_chart(const QStringList& columns, const std::vector<TimeShares>& shares);
/// MFU, HFU and GPU memory use (percent) of each workload.
QChartView* utilisation_chart(const QStringList& columns, const std::vector<WorkloadResult>& jobs);
/// Simulated iteration times of each workload in order (the distribution the simulation drew).
QChartView* iteration_chart(const QStringList& columns, const std::vector<WorkloadResult>& jobs);
/// Cost of each run/workload, owned and rented (USD).
QChartView* cost_chart(const QStringList& columns, const std::vector<double>& owned_usd,
                       const std::vector<double>& rented_usd);

}  // namespace capsim::studio
