// `capsim search`: the parallel layouts of one training workload on its cluster, ranked (an
// inference service goes to ServiceSearchCommand.cpp).
#include <algorithm>
#include <cstdio>

#include "Commands.hpp"
#include "TextTable.hpp"
#include "capsim/models/Catalog.hpp"
#include "capsim/models/Errors.hpp"
#include "capsim/models/LayoutSearch.hpp"
#include "capsim/models/Scenario.hpp"
#include "capsim/models/TrainingPlan.hpp"
#include "capsim/models/Units.hpp"
#include "capsim/sim/Report.hpp"

namespace capsim::cli {
namespace {

// The service `name` names, or the first service of a scenario without training workloads.
const InferenceService* pick_service(const Scenario& scenario, const std::string& name) {
  for (const auto& service : scenario.services)
    if (service.name == name) return &service;
  if (name.empty() && scenario.training.empty() && !scenario.services.empty()) {
    return &scenario.services.front();
  }
  return nullptr;
}

const TrainingWorkload& pick_workload(const Scenario& scenario, const std::string& name) {
  if (scenario.training.empty() && name.empty()) {
    throw InputError(SourceLocation{scenario.source_file, 0, 0}, "workloads",
                     "has no training workload or inference service to search",
                     "a scenario with a workload");
  }
  if (name.empty()) return scenario.training.at(0);
  std::string names;
  for (const auto& job : scenario.training) {
    if (job.name == name) return job;
    names += (names.empty() ? "" : ", ") + job.name;
  }
  for (const auto& service : scenario.services) names += (names.empty() ? "" : ", ") + service.name;
  throw InputError(
      SourceLocation{"--workload", 0, 0}, "",
      "the scenario has no training workload '" + name + "' (nor a service of that name)",
      "one of: " + names);
}

std::string printf_text(const char* format, double value) {
  char text[64];
  std::snprintf(text, sizeof text, format, value);
  return text;
}

std::string list_text(const std::vector<int>& values) {
  std::string text;
  for (const int v : values) {
    if (!text.empty()) text += ",";
    text += std::to_string(v);
  }
  return text;
}

std::string layout_text(const TrainingLayout& l, bool micro_batch_chosen) {
  return "TP" + std::to_string(l.tp) + " PP" + std::to_string(l.pp) +
         (l.vpp > 1 ? " VPP" + std::to_string(l.vpp) : "") + " DP" + std::to_string(l.dp) + " CP" +
         std::to_string(l.cp) + (l.ep > 1 ? " EP" + std::to_string(l.ep) : "") + ", micro-batch " +
         std::to_string(l.micro_batch) + (micro_batch_chosen ? " (chosen)" : "") + ", ZeRO-" +
         std::to_string(l.zero_stage) + ", recompute " + recompute_label(l.recompute);
}

std::string gib(double bytes) { return printf_text("%.1f", bytes / (1024.0 * 1024.0 * 1024.0)); }

// `with_ep`: the EP column, shown for mixture-of-experts models only.
std::vector<std::string> row_of(const RankedLayout& r, bool own, bool with_ep) {
  const TrainingLayout& l = r.layout;
  std::string rank = std::to_string(r.rank);
  if (own) rank += "*";
  std::vector<std::string> row = {rank,
                                  std::to_string(l.tp),
                                  std::to_string(l.pp),
                                  std::to_string(l.vpp),
                                  std::to_string(l.dp),
                                  std::to_string(l.cp),
                                  std::to_string(l.micro_batch),
                                  std::to_string(l.zero_stage),
                                  recompute_label(l.recompute),
                                  format_quantity(r.iteration_s, Quantity::Time),
                                  format_quantity(r.tokens_per_s, Quantity::Count),
                                  format_quantity(r.mfu, Quantity::Fraction),
                                  gib(r.memory_bytes),
                                  format_duration(r.time_to_train_s),
                                  format_quantity(r.cost_usd, Quantity::Money)};
  if (with_ep) row.insert(row.begin() + 6, std::to_string(l.ep));
  return row;
}

void print_own(const LayoutSearchResult& result, std::ostream& out) {
  const OwnLayout& own = result.own;
  const auto total = std::to_string(result.layouts.size());
  out << "scenario layout: " << layout_text(own.layout, own.micro_batch_chosen) << ": ";
  switch (own.status) {
    case OwnLayoutStatus::Ranked:
    case OwnLayoutStatus::OutsideSpace: {
      if (own.status == OwnLayoutStatus::Ranked) {
        out << "rank " << own.rank << " of " << total;
      } else {
        out << "not searched (" << own.note << "); it fits and would rank " << own.rank << " of "
            << total;
      }
      out << ", " << format_quantity(own.figures.iteration_s, Quantity::Time) << " per iteration";
      if (!result.layouts.empty() && result.layouts.front().iteration_s > 0) {
        const double slower = own.figures.iteration_s / result.layouts.front().iteration_s - 1;
        if (slower > 0) {
          out << ", " << format_quantity(slower, Quantity::Fraction) << " slower than the best";
        } else {
          out << ", the fastest";
        }
      }
      if (own.status == OwnLayoutStatus::Ranked && !own.note.empty())
        out << " (" << own.note << ")";
      out << "\n";
      return;
    }
    case OwnLayoutStatus::DoesNotFit:
      out << "does not fit in GPU memory: " << own.note << "\n";
      return;
    case OwnLayoutStatus::Invalid:
      out << "invalid: " << own.note << "\n";
      return;
  }
}

}  // namespace

int search_command(const SearchArgs& args, std::ostream& out) {
  const Scenario scenario = scenario_from(args);
  if (const InferenceService* service = pick_service(scenario, args.workload)) {
    try {
      return service_search_command(scenario, *service, args, out);
    } catch (const ConfigurationError& error) {
      throw ConfigurationError(scenario.source_file + ": " + error.what());
    }
  }
  const TrainingWorkload& job = pick_workload(scenario, args.workload);
  const ClusterConfig& cluster = scenario.cluster(job.cluster);
  SearchOptions options;
  options.objective = args.objective == "cost" ? SearchObjective::Cost : SearchObjective::Time;
  options.rent = scenario.economics.ownership == "rent";
  LayoutSearchResult result;
  try {
    const ClusterPlan plan = plan_cluster(cluster, scenario.economics);
    result = search_layouts(job, cluster, plan, options);
  } catch (const ConfigurationError& error) {
    throw ConfigurationError(scenario.source_file + ": " + error.what());
  }

  const SearchSpace& space = result.space;
  const bool moe = job.model.moe_experts > 0;
  out << scenario.name << ": layouts of workload '" << job.name << "' (" << job.model.id << ", "
      << "global batch " << job.global_batch << " x " << job.seq_len << " tokens) on cluster '"
      << cluster.name << "' (" << cluster.gpu_count() << " x " << cluster.gpu.id << "), by "
      << (options.objective == SearchObjective::Cost
              ? "cost of the run (the order of iteration time: the cluster's hourly cost does "
                "not depend on the layout)"
              : "iteration time")
      << "\n";
  out << "searched: TP " << list_text(space.tp) << " (within the NVLink domain of "
      << space.nvlink_domain_gpus << "), PP " << list_text(space.pp) << ", CP "
      << list_text(space.cp) << ", VPP " << list_text(space.vpp)
      << " (PP >= 2, a layer per virtual stage, micro-batches in rounds of PP); DP = GPUs / (TP PP "
         "CP) dividing the global batch; "
      << (moe ? "EP " + list_text(space.ep) + " dividing DP x CP; " : std::string())
      << "micro-batch the powers of two dividing global batch / DP; ZeRO 0-3 (0 at DP 1"
      << (moe ? " with no expert data parallelism" : "") << "); recompute none, selective, full\n";
  out << "\n";

  if (result.layouts.empty()) {
    out << "No layout: " << result.empty_reason << "\n";
  } else {
    const std::string basis = result.rented ? "rented" : "owned";
    std::vector<std::string> header = {"rank", "TP", "PP", "VPP", "DP", "CP"};
    if (moe) header.push_back("EP");
    for (const char* column : {"micro-batch", "ZeRO", "recompute", "iteration", "tokens/s", "MFU",
                               "memory/GPU (GiB)", "time to train"}) {
      header.push_back(column);
    }
    header.push_back("run cost (" + basis + ")");
    TextTable table(header);
    const std::size_t shown = std::min(result.layouts.size(), static_cast<std::size_t>(args.top));
    bool own_shown = false;
    for (std::size_t i = 0; i < shown; ++i) {
      const bool own =
          result.own.status == OwnLayoutStatus::Ranked && result.own.rank == result.layouts[i].rank;
      own_shown = own_shown || own;
      table.add_row(row_of(result.layouts[i], own, moe));
    }
    table.print(out);
    if (own_shown) out << "* the scenario's own layout\n";
    out << "Showing " << shown << " of " << result.layouts.size()
        << " layouts that fit; runs priced at "
        << format_quantity(result.usd_per_h, Quantity::Money) << "/h"
        << " (" << basis
        << (options.rent && !result.rented ? ": no rental rate prices this cluster" : "") << ").\n";
  }
  print_own(result, out);
  const SearchStats& s = result.stats;
  out << "evaluated " << s.evaluated << " layouts: " << s.valid << " valid, " << s.fitting
      << " fit in memory; " << s.comm_paths << " parallel-group links resolved; search took "
      << format_quantity(s.seconds, Quantity::Time) << " ("
      << format_quantity(s.seconds_per_layout(), Quantity::Time) << " per layout)\n";
  return 0;
}

}  // namespace capsim::cli
