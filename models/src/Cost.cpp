#include "capsim/models/Cost.hpp"

namespace capsim {
namespace {
constexpr double kHour_s = 3600.0;
constexpr double kYear_h = 365.0 * 24.0;

double per_hour_over_life(double usd, double lifetime_s) {
  return lifetime_s > 0 ? usd / (lifetime_s / kHour_s) : 0.0;
}
}  // namespace

CostRates cost_rates(const Inventory& inv, const EconomicsSpec& economics,
                     double rental_usd_per_gpu_hour) {
  CostRates rates;
  CapexBreakdown& capex = rates.capex;
  capex.servers_usd = inv.servers * inv.server.price_usd;
  capex.switches_usd = inv.leaf_switches * inv.leaf_switch.price_usd +
                       inv.spine_switches * inv.spine_switch.price_usd +
                       inv.core_switches * inv.core_switch.price_usd;
  capex.optics_usd = inv.transceivers * inv.transceiver.price_usd +
                     inv.fiber_cables * inv.fiber_cable.price_usd +
                     inv.copper_cables * inv.copper_cable.price_usd;
  double storage_power_W = 0;
  for (const auto& item : inv.storage) {
    capex.storage_usd += item.count * item.system.price_usd;
    storage_power_W += item.count * item.system.power_W;
  }

  // Servers draw a fraction of their maximum while busy (Epoch AI: ~75% of TDP on average);
  // switches, optics and storage are counted at their rated power, which they draw regardless.
  const double server_power_W = inv.servers * inv.server.power_W * economics.average_power_fraction;
  const double network_power_W =
      inv.leaf_switches * inv.leaf_switch.power_W + inv.spine_switches * inv.spine_switch.power_W +
      inv.core_switches * inv.core_switch.power_W + inv.transceivers * inv.transceiver.power_W;
  rates.it_power_W = server_power_W + network_power_W + storage_power_W;
  rates.facility_power_W = rates.it_power_W * economics.pue;

  rates.amortisation_usd_per_h =
      per_hour_over_life(capex.servers_usd, economics.server_lifetime_s) +
      per_hour_over_life(capex.network_usd(), economics.network_lifetime_s) +
      per_hour_over_life(capex.storage_usd, economics.storage_lifetime_s);
  rates.maintenance_usd_per_h =
      capex.total_usd() * economics.maintenance_fraction_per_year / kYear_h;
  rates.energy_usd_per_h = rates.facility_power_W / 1000.0 * economics.electricity_usd_per_kWh;
  rates.owned_usd_per_h =
      rates.amortisation_usd_per_h + rates.maintenance_usd_per_h + rates.energy_usd_per_h;

  if (rental_usd_per_gpu_hour > 0) {
    const double rent_per_h = inv.gpus * rental_usd_per_gpu_hour;
    rates.rental_usd_per_h = rent_per_h;
    // Owning costs the fixed part every hour of the year and energy only while busy; renting
    // costs only busy hours. Equal when u * rent = fixed + u * energy.
    const double fixed_per_h = rates.amortisation_usd_per_h + rates.maintenance_usd_per_h;
    if (rent_per_h > rates.energy_usd_per_h) {
      const double u = fixed_per_h / (rent_per_h - rates.energy_usd_per_h);
      if (u <= 1.0) rates.break_even_utilisation = u;
    }
  }
  return rates;
}

RunCost run_cost(const CostRates& rates, double duration_s, double tokens) {
  RunCost cost;
  const double hours = duration_s / kHour_s;
  cost.duration_s = duration_s;
  cost.energy_J = rates.facility_power_W * duration_s;
  cost.owned_usd = rates.owned_usd_per_h * hours;
  if (rates.rental_usd_per_h) cost.rented_usd = *rates.rental_usd_per_h * hours;
  if (tokens > 0) {
    cost.owned_usd_per_million_tokens = cost.owned_usd / (tokens / 1e6);
    if (cost.rented_usd) cost.rented_usd_per_million_tokens = *cost.rented_usd / (tokens / 1e6);
  }
  return cost;
}

}  // namespace capsim
