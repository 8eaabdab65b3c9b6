#include "ServiceReports.hpp"
#include "capsim/models/Units.hpp"
#include "capsim/sim/Report.hpp"

namespace capsim {
namespace {

void cluster_section(const ClusterPlan& plan, const ClusterConfig& config, std::ostream& out) {
  const BillOfMaterials& bom = plan.bom;
  const CapexBreakdown& capex = plan.cost.capex;
  out << "## Cluster " << plan.name << "\n\n"
      << plan.servers << " x " << config.server.name << " (" << plan.gpus << " x "
      << config.gpu.name << "), " << config.server.nics << " x " << config.nic.name
      << " per server.\n\n";
  if (config.site_economics) {
    const EconomicsSpec& site = *config.site_economics;
    out << "Site " << config.site << ": electricity "
        << format_quantity(site.electricity_usd_per_kWh, Quantity::MoneyPerEnergy) << ", PUE "
        << site.pue << ".\n\n";
  }
  out << "| item | count | unit price | total |\n|---|---|---|---|\n"
      << "| servers (" << config.server.id << ") | " << plan.servers << " | "
      << format_quantity(config.server.price_usd, Quantity::Money) << " | "
      << format_quantity(capex.servers_usd, Quantity::Money) << " |\n"
      << "| leaf switches (" << config.fabric.leaf_switch.id << ") | " << bom.leaf_switches << " | "
      << format_quantity(config.fabric.leaf_switch.price_usd, Quantity::Money) << " | |\n"
      << "| spine switches (" << config.fabric.spine_switch.id << ") | " << bom.spine_switches
      << " | " << format_quantity(config.fabric.spine_switch.price_usd, Quantity::Money) << " | |\n"
      << "| core switches (" << config.fabric.core_switch.id << ") | " << bom.core_switches << " | "
      << format_quantity(config.fabric.core_switch.price_usd, Quantity::Money) << " | "
      << format_quantity(capex.switches_usd, Quantity::Money) << " (all switches) |\n"
      << "| transceivers (" << config.fabric.transceiver.id << ") | " << bom.transceivers << " | "
      << format_quantity(config.fabric.transceiver.price_usd, Quantity::Money) << " | |\n"
      << "| optical cables | " << bom.fiber_cables << " | "
      << format_quantity(config.fabric.fiber_cable.price_usd, Quantity::Money) << " | |\n"
      << "| copper cables | " << bom.copper_cables << " | "
      << format_quantity(config.fabric.copper_cable.price_usd, Quantity::Money) << " | "
      << format_quantity(capex.optics_usd, Quantity::Money) << " (all optics) |\n";
  for (const auto& storage : config.storage) {
    out << "| storage (" << storage.system.id << ") | " << storage.count << " | "
        << format_quantity(storage.system.price_usd, Quantity::Money) << " | "
        << format_quantity(storage.count * storage.system.price_usd, Quantity::Money) << " |\n";
  }
  out << "| **total capex** | | | **" << format_quantity(capex.total_usd(), Quantity::Money)
      << "** |\n\n"
      << "- Fabric: " << bom.leaf_switches << " leaf, " << bom.spine_switches << " spine, "
      << bom.core_switches << " core switches; bisection "
      << format_quantity(plan.bisection_Bps, Quantity::Bandwidth) << " per direction; at most "
      << plan.max_switch_hops << " switch hops between GPUs.\n"
      << "- Storage: " << format_quantity(plan.storage_capacity_bytes, Quantity::Bytes) << ", read "
      << format_quantity(plan.storage_read_Bps, Quantity::Bandwidth) << ", write "
      << format_quantity(plan.storage_write_Bps, Quantity::Bandwidth) << ".\n"
      << "- Power: " << format_quantity(plan.cost.it_power_W, Quantity::Power) << " IT, "
      << format_quantity(plan.cost.facility_power_W, Quantity::Power) << " at the facility.\n"
      << "- Owning costs " << format_quantity(plan.cost.owned_usd_per_h, Quantity::Money)
      << " per hour (amortisation "
      << format_quantity(plan.cost.amortisation_usd_per_h, Quantity::Money) << ", maintenance "
      << format_quantity(plan.cost.maintenance_usd_per_h, Quantity::Money) << ", energy "
      << format_quantity(plan.cost.energy_usd_per_h, Quantity::Money) << ")";
  if (plan.cost.rental_usd_per_h) {
    out << "; renting the same GPUs costs "
        << format_quantity(*plan.cost.rental_usd_per_h, Quantity::Money) << " per hour";
  }
  out << ".\n\n";
}

void training_section(const Result& result, std::size_t index, std::ostream& out) {
  const TrainingPlan& plan = result.training[index];
  out << "## Workload " << plan.workload << "\n\n| figure | value |\n|---|---|\n";
  for (const auto& row : training_headline(result, index)) {
    out << "| " << row.label << " | " << row.value << " |\n";
  }
  const std::string placement = placement_of(result, index);
  if (!placement.empty()) out << "\nThe workload " << placement << ".\n";
  if (index < result.simulations.size())
    out << "\n" << simulation_line(result.simulations[index]) << ".\n";
  out << "\n### Where one iteration's time goes\n\n| part | time | share |\n|---|---|---|\n";
  for (const auto& row : iteration_breakdown(plan)) {
    out << "| " << row.label << " | " << format_quantity(row.seconds, Quantity::Time) << " | "
        << format_quantity(row.share, Quantity::Fraction) << " |\n";
  }
  const MemoryBreakdown& m = plan.estimate.memory;
  out << "\n### Memory per GPU (pipeline stage " << m.stage << ")\n\n"
      << "| part | size |\n|---|---|\n"
      << "| weights | " << format_quantity(m.weights_bytes, Quantity::Bytes) << " |\n"
      << "| gradients | " << format_quantity(m.gradients_bytes, Quantity::Bytes) << " |\n"
      << "| optimizer states | " << format_quantity(m.optimizer_bytes, Quantity::Bytes) << " |\n"
      << "| activations | " << format_quantity(m.activations_bytes, Quantity::Bytes) << " |\n"
      << "| logits buffer | " << format_quantity(m.logits_bytes, Quantity::Bytes) << " |\n"
      << "| **total** | **" << format_quantity(m.total_bytes, Quantity::Bytes) << "** of "
      << format_quantity(m.capacity_bytes, Quantity::Bytes) << " |\n\n"
      << "### Assumptions\n\n";
  for (const auto& assumption : plan.assumptions) out << "- " << assumption << "\n";
  out << "\n";
}

}  // namespace

void write_markdown_report(const Result& result, std::ostream& out) {
  out << "# " << result.scenario_name << "\n\n";
  if (!result.scenario_description.empty()) out << result.scenario_description << "\n\n";
  out << "capsim " << result.capsim_version << ", fidelity `" << result.fidelity << "`, seed "
      << result.seed << ", scenario `" << result.scenario_file << "`.\n\n";
  const std::string slow = slow_servers_line(result);
  if (!slow.empty()) out << "Simulated with " << slow << ".\n\n";
  if (!result.targets.empty()) {
    out << "## Targets\n\n| target | workload | limit | plan | met |\n|---|---|---|---|---|\n";
    for (const auto& target : result.targets) {
      out << "| " << target.name << " | " << target.workload << " | "
          << format_target_value(target, target.limit) << " | "
          << format_target_value(target, target.value) << " | " << (target.met ? "yes" : "**no**")
          << " |\n";
    }
    out << "\n";
  }
  for (std::size_t i = 0; i < result.training.size(); ++i) training_section(result, i, out);
  sim_detail::write_services_markdown(result, out);
  for (std::size_t i = 0; i < result.clusters.size(); ++i) {
    cluster_section(result.clusters[i], result.cluster_configs[i], out);
  }
  out << "## Sources\n\n";
  for (const auto& config : result.cluster_configs) {
    out << "- " << config.server.id << ": " << config.server.source << "\n"
        << "- " << config.gpu.id << ": " << config.gpu.source << "\n"
        << "- " << config.nic.id << ": " << config.nic.source << "\n"
        << "- " << config.fabric.leaf_switch.id << ": " << config.fabric.leaf_switch.source << "\n";
  }
  for (const auto& job : result.workloads)
    out << "- " << job.model.id << ": " << job.model.source << "\n";
  for (const auto& service : result.services)
    out << "- " << service.model.id << ": " << service.model.source << "\n";
  out << "- economics (" << result.economics.params.id << "): " << result.economics.params.source
      << "\n";
  for (const auto& site : result.sites) {
    out << "- site " << site.name << " economics (" << site.economics.id
        << ", with the site's overrides): " << site.economics.source << "\n";
  }
  if (!result.economics.rental.id.empty()) {
    out << "- rental (" << result.economics.rental.id << "): " << result.economics.rental.source
        << "\n";
  }
}

}  // namespace capsim
