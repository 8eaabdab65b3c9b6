// Reports of a Result: JSON (complete, stable keys with units in their names), Markdown (a summary
// a person reads), a self-contained HTML page with charts, and CSV tables. write_reports() puts
// them in a folder without leaving partial files behind.
#pragma once

#include <ostream>
#include <string>
#include <vector>

#include "capsim/sim/Result.hpp"

namespace capsim {

enum class ReportFormat { Json, Markdown, Html, Csv };

/// One labelled figure of a workload's headline, formatted with its unit ("time to train",
/// "71.3 d"). The terminal summary and summary.md show the same rows.
struct HeadlineRow {
  std::string label;
  std::string value;
};

/// A duration for people: days from two days on ("71.3 days"), else its own unit ("53 min").
std::string format_duration(double seconds);

/// A target's limit or value with its unit: a duration for deadlines, money for budgets.
std::string format_target_value(const TargetCheck& target, double value);

/// A latency for people: "412 ms", "1.25 s", longer ones as format_duration().
std::string format_latency(double seconds);

/// The headline of inference service `index` of `result` (its plan, and its simulation's
/// figures when simulated).
std::vector<HeadlineRow> service_headline(const Result& result, std::size_t index);

/// The headline of training workload `index` of `result`.
std::vector<HeadlineRow> training_headline(const Result& result, std::size_t index);

/// The `simulate` fidelity's line for one workload: "simulated iteration 2.5 s (estimate 2.51 s,
/// -0.3%); data-parallel rings as flows", or "not simulated: REASON".
std::string simulation_line(const SimulationOutcome& outcome);

/// Where a placed workload runs: "runs on servers 0-3, 8 (scattered)" (0-based server indices of
/// its cluster, consecutive ones as ranges).
std::string placement_line(const std::vector<int>& servers, const std::string& policy);

/// placement_line() of training workload `index`, or "" when it takes its whole cluster.
std::string placement_of(const Result& result, std::size_t index);

/// "slow servers drawn (run.variability): pod 3, 17; ..." or "" when none was drawn.
std::string slow_servers_line(const Result& result);

/// Where one iteration's time goes, as (label, seconds, share of the iteration) rows.
struct BreakdownRow {
  std::string label;
  double seconds = 0;
  double share = 0;
};
std::vector<BreakdownRow> iteration_breakdown(const TrainingPlan& plan);

/// Parses a comma-separated list such as "json,md,html,csv". Throws InputError naming the bad
/// entry.
std::vector<ReportFormat> parse_report_formats(const std::string& list);

/// Writes the complete result as JSON (result.json).
void write_json_report(const Result& result, std::ostream& out);

/// Writes the Markdown summary (summary.md).
void write_markdown_report(const Result& result, std::ostream& out);

/// Writes the summary as one HTML page with inline SVG charts and nothing fetched from
/// elsewhere (report.html).
void write_html_report(const Result& result, std::ostream& out);

/// The CSV tables a result has, by file name ("breakdown.csv", "memory.csv", ...).
std::vector<std::string> csv_table_names();

/// Writes one CSV table (one of csv_table_names()).
void write_csv_table(const Result& result, const std::string& table, std::ostream& out);

/// Writes the chosen formats into `directory` (created when missing) and returns the paths
/// written. Every file is first written under a temporary name and renamed only once all are
/// complete, so a failure leaves no partial report. Throws std::runtime_error on I/O failure.
std::vector<std::string> write_reports(const Result& result, const std::string& directory,
                                       const std::vector<ReportFormat>& formats);

}  // namespace capsim
