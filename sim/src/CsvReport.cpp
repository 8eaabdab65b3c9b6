#include <iomanip>
#include <stdexcept>

#include "ServiceReports.hpp"
#include "capsim/sim/Report.hpp"

namespace capsim {
namespace {

// Quotes a text cell when it holds a comma, quote or newline (RFC 4180).
std::string cell(const std::string& text) {
  if (text.find_first_of(",\"\n") == std::string::npos) return text;
  std::string quoted = "\"";
  for (char c : text) quoted += (c == '"') ? std::string("\"\"") : std::string(1, c);
  return quoted + "\"";
}

void breakdown_table(const Result& result, std::ostream& out) {
  out << "workload,part,seconds,share\n";
  for (const auto& plan : result.training) {
    for (const auto& row : iteration_breakdown(plan)) {
      out << cell(plan.workload) << "," << cell(row.label) << "," << row.seconds << "," << row.share
          << "\n";
    }
  }
}

void memory_table(const Result& result, std::ostream& out) {
  out << "workload,stage,weights_bytes,gradients_bytes,optimizer_bytes,activations_bytes,"
         "logits_bytes,total_bytes,capacity_bytes\n";
  for (const auto& plan : result.training) {
    const MemoryBreakdown& m = plan.estimate.memory;
    out << cell(plan.workload) << "," << m.stage << "," << m.weights_bytes << ","
        << m.gradients_bytes << "," << m.optimizer_bytes << "," << m.activations_bytes << ","
        << m.logits_bytes << "," << m.total_bytes << "," << m.capacity_bytes << "\n";
  }
}

void training_table(const Result& result, std::ostream& out) {
  out << "workload,cluster,tp,pp,dp,cp,micro_batch,global_batch,seq_len,iteration_s,tokens_per_s,"
         "mfu,hfu,steps,tokens,time_to_train_s,checkpoint_stall_s,energy_J,owned_usd,rented_usd,"
         "simulated_iteration_s,estimate_time_to_train_s,estimate_checkpoint_stall_s\n";
  for (std::size_t i = 0; i < result.training.size(); ++i) {
    const TrainingPlan& plan = result.training[i];
    const TrainingLayout& l = plan.layout;
    out << cell(plan.workload) << "," << cell(plan.cluster) << "," << l.tp << "," << l.pp << ","
        << l.dp << "," << l.cp << "," << l.micro_batch << "," << l.global_batch << "," << l.seq_len
        << "," << plan.estimate.iteration_s << "," << plan.estimate.tokens_per_s << ","
        << plan.estimate.mfu << "," << plan.estimate.hfu << "," << plan.steps << "," << plan.tokens
        << "," << plan.time_to_train_s << "," << plan.checkpoint_stall_s << ","
        << plan.cost.energy_J << "," << plan.cost.owned_usd << ",";
    if (plan.cost.rented_usd) out << *plan.cost.rented_usd;
    // Simulated workloads: the figures above follow the simulation; the estimate's beside them.
    const bool simulated = i < result.simulations.size() && result.simulations[i].simulated;
    if (simulated) {
      const SimulationOutcome& sim = result.simulations[i];
      out << "," << sim.iteration_s << "," << sim.estimate_time_to_train_s << ","
          << sim.estimate_checkpoint_stall_s;
    } else {
      out << ",,,";
    }
    out << "\n";
  }
}

void bom_table(const Result& result, std::ostream& out) {
  out << "cluster,item,id,count,unit_price_usd,total_usd\n";
  for (std::size_t i = 0; i < result.clusters.size(); ++i) {
    const ClusterPlan& plan = result.clusters[i];
    const Inventory& inv = plan.inventory;
    auto row = [&](const std::string& item, const std::string& id, int count, double price) {
      out << cell(plan.name) << "," << cell(item) << "," << cell(id) << "," << count << "," << price
          << "," << count * price << "\n";
    };
    row("server", inv.server.id, inv.servers, inv.server.price_usd);
    row("leaf switch", inv.leaf_switch.id, inv.leaf_switches, inv.leaf_switch.price_usd);
    row("spine switch", inv.spine_switch.id, inv.spine_switches, inv.spine_switch.price_usd);
    row("core switch", inv.core_switch.id, inv.core_switches, inv.core_switch.price_usd);
    row("transceiver", inv.transceiver.id, inv.transceivers, inv.transceiver.price_usd);
    row("fiber cable", inv.fiber_cable.id, inv.fiber_cables, inv.fiber_cable.price_usd);
    row("copper cable", inv.copper_cable.id, inv.copper_cables, inv.copper_cable.price_usd);
    for (const auto& storage : inv.storage) {
      row("storage", storage.system.id, storage.count, storage.system.price_usd);
    }
  }
}

void cost_table(const Result& result, std::ostream& out) {
  out << "cluster,capex_usd,it_power_W,facility_power_W,amortisation_usd_per_h,"
         "maintenance_usd_per_h,energy_usd_per_h,owned_usd_per_h,rental_usd_per_h,"
         "break_even_utilisation,site\n";
  for (std::size_t i = 0; i < result.clusters.size(); ++i) {
    const ClusterPlan& plan = result.clusters[i];
    const CostRates& r = plan.cost;
    out << cell(plan.name) << "," << r.capex.total_usd() << "," << r.it_power_W << ","
        << r.facility_power_W << "," << r.amortisation_usd_per_h << "," << r.maintenance_usd_per_h
        << "," << r.energy_usd_per_h << "," << r.owned_usd_per_h << ",";
    if (r.rental_usd_per_h) out << *r.rental_usd_per_h;
    out << ",";
    if (r.break_even_utilisation) out << *r.break_even_utilisation;
    out << "," << cell(result.cluster_configs.at(i).site) << "\n";  // empty: economics.tco
  }
}

}  // namespace

std::vector<std::string> csv_table_names() {
  return {"training.csv", "breakdown.csv", "memory.csv",  "bom.csv",
          "cost.csv",     "serving.csv",   "replicas.csv"};
}

void write_csv_table(const Result& result, const std::string& table, std::ostream& out) {
  out << std::setprecision(10);
  if (table == "training.csv") return training_table(result, out);
  if (table == "breakdown.csv") return breakdown_table(result, out);
  if (table == "memory.csv") return memory_table(result, out);
  if (table == "bom.csv") return bom_table(result, out);
  if (table == "cost.csv") return cost_table(result, out);
  if (table == "serving.csv") return sim_detail::write_serving_csv(result, out);
  if (table == "replicas.csv") return sim_detail::write_replicas_csv(result, out);
  throw std::invalid_argument("unknown CSV table " + table);
}

}  // namespace capsim
