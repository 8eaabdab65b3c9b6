#include "RunRecord.hpp"

#include <nlohmann/json.hpp>
#include <stdexcept>

namespace capsim::studio {
namespace {

using nlohmann::json;

QString str(const json& node, const char* key) {
  const auto it = node.find(key);
  return it != node.end() && it->is_string() ? QString::fromStdString(it->get<std::string>())
                                             : QString();
}

double num(const json& node, const char* key) {
  const auto it = node.find(key);
  return it != node.end() && it->is_number() ? it->get<double>() : 0.0;
}

std::optional<double> optional_num(const json& node, const char* key) {
  const auto it = node.find(key);
  if (it == node.end() || !it->is_number()) return std::nullopt;
  return it->get<double>();
}

const json& section(const json& node, const char* key) {
  static const json kEmpty = json::object();
  const auto it = node.find(key);
  return it != node.end() && it->is_object() ? *it : kEmpty;
}

WorkloadResult parse_workload(const json& t) {
  WorkloadResult w;
  w.name = str(t, "workload");
  w.cluster = str(t, "cluster");
  w.model = str(section(t, "model"), "id");
  const json& layout = section(t, "layout");
  w.layout = QStringLiteral("TP%1 PP%2 DP%3 CP%4, micro-batch %5")
                 .arg(num(layout, "tp"))
                 .arg(num(layout, "pp"))
                 .arg(num(layout, "dp"))
                 .arg(num(layout, "cp"))
                 .arg(num(layout, "micro_batch"));
  const json& iteration = section(t, "iteration");
  w.iteration_s = num(iteration, "iteration_s");
  w.tokens_per_s = num(iteration, "tokens_per_s");
  w.mfu = num(iteration, "mfu");
  w.hfu = num(iteration, "hfu");
  const json& breakdown = section(iteration, "breakdown");
  const json& run = section(t, "run");
  w.time_to_train_s = num(run, "time_to_train_s");
  const double steps = num(run, "steps");
  w.breakdown = {{"compute", num(breakdown, "compute_s")},
                 {"tensor-parallel comm.", num(breakdown, "tp_comm_s")},
                 {"context-parallel comm.", num(breakdown, "cp_comm_s")},
                 {"pipeline sends", num(breakdown, "pp_comm_s")},
                 {"expert all-to-all", num(breakdown, "ep_comm_s")},
                 {"data-parallel comm. (exposed)", num(breakdown, "dp_comm_s")},
                 {"pipeline bubble", num(breakdown, "bubble_s")},
                 {"optimizer", num(breakdown, "optimizer_s")},
                 {"input data I/O", num(breakdown, "input_stall_s")},
                 {"checkpoint I/O", steps > 0 ? num(run, "checkpoint_stall_s") / steps : 0.0}};
  const json& memory = section(t, "memory");
  w.memory_bytes = {{"weights", num(memory, "weights_bytes")},
                    {"gradients", num(memory, "gradients_bytes")},
                    {"optimizer states", num(memory, "optimizer_bytes")},
                    {"activations", num(memory, "activations_bytes")},
                    {"logits", num(memory, "logits_bytes")}};
  w.memory_capacity_bytes = num(memory, "capacity_bytes");
  const json& cost = section(t, "cost");
  w.owned_usd = num(cost, "owned_usd");
  w.rented_usd = optional_num(cost, "rented_usd");
  w.energy_J = num(cost, "energy_J");
  const json& simulation = section(t, "simulation");
  w.simulated = simulation.value("simulated", false);
  w.simulation_note = str(simulation, "reason");
  w.simulated_iteration_s = num(simulation, "iteration_s");
  if (const auto times = simulation.find("iteration_times_s");
      times != simulation.end() && times->is_array()) {
    for (const auto& value : *times) w.iteration_times_s.push_back(value.get<double>());
  }
  return w;
}

}  // namespace

QString RunRecord::label() const {
  return QStringLiteral("#%1 %2 (%3)").arg(number).arg(scenario_name, fidelity);
}

double RunRecord::headline_cost(std::size_t w) const {
  const WorkloadResult& job = workloads.at(w);
  return ownership == "rent" && job.rented_usd ? *job.rented_usd : job.owned_usd;
}

RunRecord parse_result_json(const QByteArray& bytes) {
  const json root =
      json::parse(bytes.constData(), bytes.constData() + bytes.size(), nullptr, false);
  if (root.is_discarded() || !root.is_object()) throw std::runtime_error("result.json is not JSON");
  if (!root.contains("training") || !root.contains("clusters")) {
    throw std::runtime_error("result.json has no 'training' or 'clusters'");
  }
  RunRecord record;
  const json& scenario = section(root, "scenario");
  record.scenario_name = str(scenario, "name");
  record.scenario_file = str(scenario, "file");
  record.fidelity = str(scenario, "fidelity");
  record.ownership = str(section(root, "economics"), "ownership");
  record.targets_met = root.value("targets_met", true);
  for (const auto& c : root["clusters"]) {
    ClusterResult cluster;
    cluster.name = str(c, "name");
    cluster.gpus = static_cast<int>(num(c, "gpus"));
    cluster.capex_usd = num(section(c, "capex"), "total_usd");
    const json& rates = section(c, "rates");
    cluster.owned_usd_per_h = num(rates, "owned_usd_per_h");
    cluster.rental_usd_per_h = optional_num(rates, "rental_usd_per_h");
    cluster.facility_power_W = num(rates, "facility_power_W");
    cluster.break_even_utilisation = optional_num(rates, "break_even_utilisation");
    record.clusters.push_back(cluster);
  }
  for (const auto& t : root["training"]) record.workloads.push_back(parse_workload(t));
  return record;
}

}  // namespace capsim::studio
