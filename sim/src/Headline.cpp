#include <cstdio>

#include "capsim/models/Units.hpp"
#include "capsim/sim/Report.hpp"

namespace capsim {
namespace {

// 1908 -> "1,908": whole counts people compare digit by digit.
std::string grouped(double value) {
  const std::string digits = std::to_string(static_cast<long long>(value + 0.5));
  std::string text;
  for (std::size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) text.push_back(',');
    text.push_back(digits[i]);
  }
  return text;
}

std::string layout_text(const TrainingPlan& plan) {
  const TrainingLayout& l = plan.layout;
  char text[160];
  const std::string ep = l.ep > 1 ? " EP" + std::to_string(l.ep) : "";
  std::snprintf(text, sizeof text, "TP%d PP%d%s DP%d CP%d%s, micro-batch %d%s, ZeRO-%d", l.tp, l.pp,
                l.vpp > 1 ? (" (x" + std::to_string(l.vpp) + " virtual)").c_str() : "", l.dp, l.cp,
                ep.c_str(), l.micro_batch, plan.micro_batch_chosen ? " (chosen)" : "",
                l.zero_stage);
  return text;
}

const ClusterPlan& cluster_of(const Result& result, const TrainingPlan& plan) {
  for (const auto& cluster : result.clusters) {
    if (cluster.name == plan.cluster) return cluster;
  }
  return result.clusters.front();
}

// The time to train, and where it was simulated, the estimate's beside it.
std::string time_to_train_text(const Result& result, std::size_t index) {
  const TrainingPlan& plan = result.training.at(index);
  std::string text = format_duration(plan.time_to_train_s);
  if (index < result.simulations.size() && result.simulations[index].simulated)
    text.append(" (simulated; estimate ")
        .append(format_duration(result.simulations[index].estimate_time_to_train_s))
        .append(")");
  return text;
}

// The estimate's iteration, and where it was simulated, the simulated mean beside it.
std::string iteration_text(const Result& result, std::size_t index) {
  std::string text =
      format_quantity(result.training.at(index).estimate.iteration_s, Quantity::Time);
  if (index < result.simulations.size() && result.simulations[index].simulated)
    text.append(" (estimate; simulated mean ")
        .append(format_quantity(result.simulations[index].iteration_s, Quantity::Time))
        .append(")");
  return text;
}

std::string seconds_text(double seconds) { return format_quantity(seconds, Quantity::Time); }

// The run's checkpoint stalls and, where one was simulated, what it took beside the estimate.
void checkpoint_rows(const Result& result, std::size_t index, std::vector<HeadlineRow>& rows) {
  const TrainingPlan& plan = result.training.at(index);
  const TrainingWorkload& job = result.workloads.at(index);
  const bool async = job.checkpoint_async;
  const SimulationOutcome* sim = index < result.simulations.size() &&
                                         result.simulations[index].simulated &&
                                         result.simulations[index].checkpoint.played
                                     ? &result.simulations[index]
                                     : nullptr;
  const double per_checkpoint_s =
      plan.checkpoints > 0 ? plan.checkpoint_stall_s / plan.checkpoints : 0.0;
  std::string stalls = grouped(plan.checkpoints) + " x " + seconds_text(per_checkpoint_s) + " = " +
                       seconds_text(plan.checkpoint_stall_s);
  if (sim)
    stalls += " (simulated; estimate " + seconds_text(sim->estimate_checkpoint_stall_s) + ")";
  rows.push_back({"checkpoint stalls", stalls});
  std::string each = format_quantity(plan.checkpoint_bytes, Quantity::Bytes);
  if (sim) {
    const CheckpointTiming& c = sim->checkpoint;
    each += " by " + std::to_string(c.writers) + " GPUs to " + std::to_string(c.storage_nodes) +
            (c.storage_nodes == 1 ? " storage node, " : " storage nodes, ");
    if (async) {
      each += "asynchronous: training stalled " + seconds_text(c.stall_s) + ", on disk after " +
              seconds_text(c.write_s) + ", " + std::to_string(c.overlapped_iterations) +
              (c.overlapped_iterations == 1 ? " iteration" : " iterations") + " overlapping it " +
              seconds_text(c.slowdown_s) + " slower (simulated; estimate: copy " +
              seconds_text(plan.checkpoint_snapshot_s) + ", write " +
              seconds_text(plan.checkpoint_write_s) + ")";
    } else {
      each += "synchronous: on disk after " + seconds_text(c.write_s) + " (simulated; estimate " +
              seconds_text(plan.checkpoint_write_s) + ")";
    }
  } else if (async) {
    each += ", asynchronous: copy to host memory " + seconds_text(plan.checkpoint_snapshot_s) +
            ", write " + seconds_text(plan.checkpoint_write_s) + " in the background";
  } else {
    each += ", synchronous: write " + seconds_text(plan.checkpoint_write_s);
  }
  if (index < result.simulations.size() && result.simulations[index].simulated &&
      !result.simulations[index].checkpoint_not_simulated.empty())
    each +=
        " (closed form, not simulated: " + result.simulations[index].checkpoint_not_simulated + ")";
  rows.push_back({"each checkpoint", each});
}

}  // namespace

std::string format_duration(double seconds) {
  if (seconds < 2 * 86400.0) return format_quantity(seconds, Quantity::Time);
  char text[64];
  std::snprintf(text, sizeof text, "%.1f days", seconds / 86400.0);
  return text;
}

std::string format_target_value(const TargetCheck& target, double value) {
  if (target.name == "budget") return format_quantity(value, Quantity::Money);
  if (target.name == "goodput") return format_quantity(value, Quantity::Fraction);
  if (target.name == "deadline") return format_duration(value);
  return format_latency(value);  // a service's latency percentile
}

std::vector<HeadlineRow> training_headline(const Result& result, std::size_t index) {
  const TrainingPlan& plan = result.training.at(index);
  const TrainingWorkload& job = result.workloads.at(index);
  const ClusterPlan& cluster = cluster_of(result, plan);
  const ClusterConfig& config =
      result.cluster_configs.at(static_cast<std::size_t>(&cluster - result.clusters.data()));
  const TrainingEstimate& e = plan.estimate;
  std::vector<HeadlineRow> rows = {
      {"workload", plan.workload + " (" + job.purpose + " of " + job.model.id + ")"},
      {"cluster", std::to_string(cluster.servers) + " x " + config.server.id + " = " +
                      std::to_string(cluster.gpus) + " x " + config.gpu.id},
      {"layout", layout_text(plan)},
      {"time to train", time_to_train_text(result, index)},
      {"steps", grouped(plan.steps) + " x " + grouped(plan.tokens / plan.steps) +
                    " tokens = " + format_quantity(plan.tokens, Quantity::Count) + " tokens"},
      {"iteration time", iteration_text(result, index)},
      {"throughput", grouped(e.tokens_per_s) + " tokens/s"},
      {"MFU / HFU", format_quantity(e.mfu, Quantity::Fraction) + " / " +
                        format_quantity(e.hfu, Quantity::Fraction)},
      {"memory per GPU", format_quantity(e.memory.total_bytes, Quantity::Bytes) + " of " +
                             format_quantity(e.memory.capacity_bytes, Quantity::Bytes)},
  };
  if (config.site_economics) {  // after the layout: the site's prices give the costs below
    std::string site = config.site;
    site += " (electricity ";
    site +=
        format_quantity(config.site_economics->electricity_usd_per_kWh, Quantity::MoneyPerEnergy);
    site += ", PUE ";
    site += format_quantity(config.site_economics->pue, Quantity::Number);
    site += ")";
    rows.insert(rows.begin() + 3, {"site", site});
  }
  if (plan.input.bytes_per_iteration > 0) {
    const InputLoad& in = plan.input;
    std::string text = format_quantity(in.demand_Bps, Quantity::Bandwidth) + " of " +
                       format_quantity(in.supply_Bps, Quantity::Bandwidth) + " storage read (" +
                       format_quantity(in.demand_Bps / in.supply_Bps, Quantity::Fraction) + ")";
    if (in.stall_s > 0) {
      text +=
          "; input-bound, waits " + format_quantity(in.stall_s, Quantity::Time) + " per iteration";
    }
    rows.push_back({"data loading", text});
  }
  if (plan.checkpoints > 0) checkpoint_rows(result, index, rows);
  rows.push_back(
      {"facility power", format_quantity(cluster.cost.facility_power_W, Quantity::Power)});
  rows.push_back({"energy", format_quantity(plan.cost.energy_J, Quantity::Energy)});
  rows.push_back({"capex", format_quantity(cluster.cost.capex.total_usd(), Quantity::Money)});
  rows.push_back({"cost if owned",
                  format_quantity(plan.cost.owned_usd, Quantity::Money) + " (" +
                      format_quantity(plan.cost.owned_usd_per_million_tokens, Quantity::Money) +
                      " per million tokens)"});
  if (plan.cost.rented_usd) {
    rows.push_back(
        {"cost if rented",
         format_quantity(*plan.cost.rented_usd, Quantity::Money) + " (" +
             format_quantity(*plan.cost.rented_usd_per_million_tokens, Quantity::Money) +
             " per million tokens at " +
             format_quantity(result.economics.rental.usd_per_gpu_hour, Quantity::MoneyPerHour) +
             " per " + result.economics.rental.gpu + ")"});
  } else {
    rows.push_back({"cost if rented", "no rental rate known for " + config.gpu.id});
  }
  if (cluster.cost.break_even_utilisation) {
    rows.push_back({"owning pays off above",
                    format_quantity(*cluster.cost.break_even_utilisation, Quantity::Fraction) +
                        " utilisation"});
  }
  return rows;
}

std::vector<BreakdownRow> iteration_breakdown(const TrainingPlan& plan) {
  const IterationBreakdown& b = plan.estimate.breakdown;
  const double total = plan.estimate.iteration_s;
  std::vector<BreakdownRow> rows = {
      {"compute", b.compute_s, 0},
      {"tensor-parallel communication", b.tp_comm_s, 0},
      {"context-parallel communication", b.cp_comm_s, 0},
      {"pipeline communication", b.pp_comm_s, 0},
      {"data-parallel communication (exposed)", b.dp_comm_s, 0},
      {"pipeline bubble", b.bubble_s, 0},
      {"optimizer step", b.optimizer_s, 0},
      {"waiting for input data", b.input_stall_s, 0},
  };
  if (plan.layout.ep > 1) {  // mixture of experts with expert parallelism only
    rows.insert(rows.begin() + 4, {"expert-parallel all-to-all", b.ep_comm_s, 0});
  }
  for (auto& row : rows) row.share = total > 0 ? row.seconds / total : 0;
  return rows;
}

}  // namespace capsim
