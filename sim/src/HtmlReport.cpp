// report.html: the summary.md content as one self-contained page with inline SVG charts (no
// script, no stylesheet or image fetched from elsewhere), for people who open a report in a
// browser or attach it to a decision document.
#include <string>

#include "capsim/models/Units.hpp"
#include "capsim/sim/Report.hpp"
#include "capsim/sim/SvgCharts.hpp"

namespace capsim {
namespace {

const char* const kStyle =
    "body{font-family:sans-serif;max-width:60em;margin:2em auto;padding:0 1em;color:#222}"
    "h1{margin-bottom:.2em}h2{border-bottom:1px solid #ccc;padding-bottom:.2em;margin-top:2em}"
    "table{border-collapse:collapse;margin:.5em 0}td,th{border:1px solid #ccc;padding:.25em .6em;"
    "text-align:left}th{background:#f3f3f3}.meta{color:#666}.missed{color:#b00;font-weight:bold}"
    "figure{margin:.5em 0 1.5em 0}figcaption{color:#555;font-size:.9em}";

std::string escape(const std::string& text) { return html_escape(text); }

// An axis tick in seconds: "0" at the origin rather than "0 ns".
std::string time_tick(double seconds) {
  return seconds == 0 ? "0" : format_quantity(seconds, Quantity::Time);
}

void headline_table(const std::vector<HeadlineRow>& rows, std::ostream& out) {
  out << "<table>";
  for (const auto& row : rows) {
    out << "<tr><th>" << escape(row.label) << "</th><td>" << escape(row.value) << "</td></tr>";
  }
  out << "</table>\n";
}

// A chart with its caption; `id` ("memory-0") names it for links and for tests.
void figure(const std::string& id, const std::string& svg, const std::string& caption,
            std::ostream& out) {
  out << "<figure id=\"" << escape(id) << "\">" << svg << "<figcaption>" << escape(caption)
      << "</figcaption></figure>\n";
}

void targets_section(const Result& result, std::ostream& out) {
  if (result.targets.empty()) return;
  out << "<h2>Targets</h2><table><tr><th>target</th><th>workload</th><th>limit</th><th>plan</th>"
         "<th>met</th></tr>";
  for (const auto& target : result.targets) {
    out << "<tr><td>" << escape(target.name) << "</td><td>" << escape(target.workload)
        << "</td><td>" << escape(format_target_value(target, target.limit)) << "</td><td>"
        << escape(format_target_value(target, target.value)) << "</td><td"
        << (target.met ? ">yes" : " class=\"missed\">no") << "</td></tr>";
  }
  out << "</table>\n";
}

void iterations_chart(const SimulationOutcome& sim, std::size_t index, std::ostream& out) {
  LineChart chart;
  for (std::size_t i = 0; i < sim.iteration_times_s.size(); ++i) {
    chart.x.push_back(static_cast<double>(i + 1));
    chart.y.push_back(sim.iteration_times_s[i]);
  }
  chart.x_label = "iteration";
  chart.y_label = "seconds";
  chart.reference_y = sim.estimate_iteration_s;
  chart.reference_label = "estimate " + format_quantity(sim.estimate_iteration_s, Quantity::Time);
  chart.format_y = time_tick;
  chart.format_x = [](double i) { return std::to_string(static_cast<long long>(i)); };
  figure("iterations-" + std::to_string(index), line_chart_svg(chart),
         "Simulated iterations (" + std::to_string(sim.iteration_times_s.size()) +
             "), against the estimate's iteration (dashed).",
         out);
}

void training_section(const Result& result, std::size_t index, std::ostream& out) {
  const TrainingPlan& plan = result.training[index];
  out << "<h2>Workload " << escape(plan.workload) << "</h2>\n";
  headline_table(training_headline(result, index), out);
  const std::string placement = placement_of(result, index);
  if (!placement.empty()) out << "<p>The workload " << escape(placement) << ".</p>\n";
  const bool simulated = index < result.simulations.size();
  if (simulated) out << "<p>" << escape(simulation_line(result.simulations[index])) << ".</p>\n";

  out << "<h3>Where one iteration's time goes</h3>\n";
  std::vector<ChartBar> parts;
  for (const auto& row : iteration_breakdown(plan)) {
    if (row.seconds <= 0) continue;  // parts this layout does not have
    parts.push_back({row.label, row.seconds,
                     format_quantity(row.seconds, Quantity::Time) + " (" +
                         format_quantity(row.share, Quantity::Fraction) + ")"});
  }
  figure("breakdown-" + std::to_string(index), horizontal_bars_svg(parts),
         "The estimate's iteration of " +
             format_quantity(plan.estimate.iteration_s, Quantity::Time) +
             ", by part (parts that take no time are left out).",
         out);
  if (simulated && result.simulations[index].simulated &&
      !result.simulations[index].iteration_times_s.empty()) {
    iterations_chart(result.simulations[index], index, out);
  }

  const MemoryBreakdown& m = plan.estimate.memory;
  out << "<h3>Memory per GPU (pipeline stage " << m.stage << ")</h3>\n";
  auto bytes = [](double b) { return format_quantity(b, Quantity::Bytes); };
  const std::vector<ChartBar> memory{
      {"weights", m.weights_bytes, bytes(m.weights_bytes)},
      {"gradients", m.gradients_bytes, bytes(m.gradients_bytes)},
      {"optimizer states", m.optimizer_bytes, bytes(m.optimizer_bytes)},
      {"activations", m.activations_bytes, bytes(m.activations_bytes)},
      {"logits buffer", m.logits_bytes, bytes(m.logits_bytes)}};
  figure("memory-" + std::to_string(index),
         stacked_bar_svg(memory, m.capacity_bytes, "capacity " + bytes(m.capacity_bytes)),
         "Total " + bytes(m.total_bytes) + " of " + bytes(m.capacity_bytes) +
             (m.fits ? "." : ": does not fit."),
         out);
  out << "<h3>Assumptions</h3><ul>";
  for (const auto& assumption : plan.assumptions) out << "<li>" << escape(assumption) << "</li>";
  out << "</ul>\n";
}

void replicas_chart(const ServiceStats& stats, std::size_t index, std::ostream& out) {
  LineChart chart;
  for (const auto& sample : stats.replicas_over_time) {
    chart.x.push_back(sample.time_s / 3600.0);
    chart.y.push_back(sample.active + sample.starting + sample.draining);
  }
  chart.step = true;
  chart.x_label = "hours from the start";
  chart.y_label = "replicas";
  chart.format_y = [](double r) { return std::to_string(static_cast<long long>(r)); };
  chart.format_x = [](double h) { return time_tick(h * 3600.0); };
  figure("replicas-" + std::to_string(index), line_chart_svg(chart),
         "Replicas alive (starting and draining included), peak " +
             std::to_string(stats.peak_replicas) + ".",
         out);
}

void latency_table(const ServiceStats& s, std::ostream& out) {
  out << "<table><tr><th>latency</th><th>p50</th><th>p90</th><th>p99</th><th>max</th></tr>";
  auto row = [&](const char* name, const LatencyStats& l) {
    out << "<tr><th>" << name << "</th><td>" << escape(format_latency(l.p50_s)) << "</td><td>"
        << escape(format_latency(l.p90_s)) << "</td><td>" << escape(format_latency(l.p99_s))
        << "</td><td>" << escape(format_latency(l.max_s)) << "</td></tr>";
  };
  row("time to first token", s.ttft);
  row("time per output token", s.tpot);
  row("end to end", s.e2e);
  row("queueing", s.queue);
  out << "</table>\n";
}

void service_section(const Result& result, std::size_t index, std::ostream& out) {
  out << "<h2>Service " << escape(result.services[index].name) << "</h2>\n";
  headline_table(service_headline(result, index), out);
  if (index >= result.service_outcomes.size()) return;
  const ServiceOutcome& outcome = result.service_outcomes[index];
  if (!outcome.simulated) {
    out << "<p>Not simulated: " << escape(outcome.reason) << ".</p>\n";
    return;
  }
  latency_table(outcome.stats, out);
  if (!outcome.stats.replicas_over_time.empty()) replicas_chart(outcome.stats, index, out);
}

void cluster_section(const ClusterPlan& plan, const ClusterConfig& config, std::size_t index,
                     std::ostream& out) {
  const CapexBreakdown& capex = plan.cost.capex;
  auto money = [](double usd) { return format_quantity(usd, Quantity::Money); };
  auto hourly_rate = [&](double usd) { return money(usd) + "/h"; };
  out << "<h2>Cluster " << escape(plan.name) << "</h2>\n<p>" << plan.servers << " x "
      << escape(config.server.name) << " (" << plan.gpus << " x " << escape(config.gpu.name)
      << "); bisection " << escape(format_quantity(plan.bisection_Bps, Quantity::Bandwidth))
      << " per direction; " << escape(format_quantity(plan.cost.it_power_W, Quantity::Power))
      << " IT power, " << escape(format_quantity(plan.cost.facility_power_W, Quantity::Power))
      << " at the facility.</p>\n";
  out << "<table><tr><th>capital cost</th><th>total</th></tr><tr><td>servers</td><td>"
      << escape(money(capex.servers_usd)) << "</td></tr><tr><td>switches</td><td>"
      << escape(money(capex.switches_usd)) << "</td></tr><tr><td>optics and cables</td><td>"
      << escape(money(capex.optics_usd)) << "</td></tr><tr><td>storage</td><td>"
      << escape(money(capex.storage_usd)) << "</td></tr><tr><th>total</th><th>"
      << escape(money(capex.total_usd())) << "</th></tr></table>\n";
  std::vector<ChartBar> hourly{
      {"amortisation", plan.cost.amortisation_usd_per_h,
       hourly_rate(plan.cost.amortisation_usd_per_h)},
      {"maintenance", plan.cost.maintenance_usd_per_h,
       hourly_rate(plan.cost.maintenance_usd_per_h)},
      {"energy", plan.cost.energy_usd_per_h, hourly_rate(plan.cost.energy_usd_per_h)},
      {"owned, all three", plan.cost.owned_usd_per_h, hourly_rate(plan.cost.owned_usd_per_h)}};
  if (plan.cost.rental_usd_per_h) {
    hourly.push_back(
        {"rented instead", *plan.cost.rental_usd_per_h, hourly_rate(*plan.cost.rental_usd_per_h)});
  }
  figure("cluster-cost-" + std::to_string(index), horizontal_bars_svg(hourly),
         "Cost per hour of the cluster.", out);
}

void sources_section(const Result& result, std::ostream& out) {
  out << "<h2>Sources</h2><ul>";
  auto item = [&](const std::string& id, const std::string& source) {
    out << "<li><b>" << escape(id) << "</b>: " << escape(source) << "</li>";
  };
  for (const auto& config : result.cluster_configs) {
    item(config.server.id, config.server.source);
    item(config.gpu.id, config.gpu.source);
    item(config.nic.id, config.nic.source);
    item(config.fabric.leaf_switch.id, config.fabric.leaf_switch.source);
  }
  for (const auto& job : result.workloads) item(job.model.id, job.model.source);
  for (const auto& service : result.services) item(service.model.id, service.model.source);
  item("economics (" + result.economics.params.id + ")", result.economics.params.source);
  if (!result.economics.rental.id.empty())
    item("rental (" + result.economics.rental.id + ")", result.economics.rental.source);
  out << "</ul>\n";
}

}  // namespace

void write_html_report(const Result& result, std::ostream& out) {
  out << "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>"
      << escape(result.scenario_name) << " - capsim</title><style>" << kStyle
      << "</style></head><body>\n<h1>" << escape(result.scenario_name) << "</h1>\n";
  if (!result.scenario_description.empty())
    out << "<p>" << escape(result.scenario_description) << "</p>\n";
  out << "<p class=\"meta\">capsim " << escape(result.capsim_version) << ", fidelity "
      << escape(result.fidelity) << ", seed " << result.seed << ", scenario "
      << escape(result.scenario_file) << ".</p>\n";
  const std::string slow = slow_servers_line(result);
  if (!slow.empty()) out << "<p>Simulated with " << escape(slow) << ".</p>\n";
  targets_section(result, out);
  for (std::size_t i = 0; i < result.training.size(); ++i) training_section(result, i, out);
  for (std::size_t i = 0; i < result.services.size(); ++i) service_section(result, i, out);
  for (std::size_t i = 0; i < result.clusters.size(); ++i)
    cluster_section(result.clusters[i], result.cluster_configs[i], i, out);
  sources_section(result, out);
  out << "</body></html>\n";
}

}  // namespace capsim
