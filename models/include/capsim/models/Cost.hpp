// The cost of a plan: owning the hardware (capex amortised over its life, maintenance, power at
// the facility's PUE) or renting the GPUs by the hour, per hour, per run and per million tokens.
#pragma once

#include <optional>

#include "capsim/models/Catalog.hpp"

namespace capsim {

/// What a cluster is made of, with unit prices and powers taken from the catalog entries.
struct Inventory {
  int servers = 0;
  int gpus = 0;
  ServerSpec server;  ///< price includes the server's GPUs and NICs
  int leaf_switches = 0, spine_switches = 0, core_switches = 0;
  SwitchSpec leaf_switch, spine_switch, core_switch;
  int transceivers = 0, fiber_cables = 0, copper_cables = 0;
  OpticSpec transceiver, fiber_cable, copper_cable;
  struct StorageItem {
    StorageSpec system;
    int count = 0;
  };
  std::vector<StorageItem> storage;
};

struct CapexBreakdown {
  double servers_usd = 0;
  double switches_usd = 0;
  double optics_usd = 0;  ///< transceivers and cables
  double storage_usd = 0;
  double total_usd() const { return servers_usd + switches_usd + optics_usd + storage_usd; }
  double network_usd() const { return switches_usd + optics_usd; }
};

/// Hourly rates of a cluster while it runs a workload.
struct CostRates {
  CapexBreakdown capex;
  double it_power_W = 0;              ///< servers at the average draw, switches, optics, storage
  double facility_power_W = 0;        ///< it_power_W x PUE
  double amortisation_usd_per_h = 0;  ///< capex spread over each part's lifetime
  double maintenance_usd_per_h = 0;   ///< capex x maintenance fraction per year
  double energy_usd_per_h = 0;        ///< facility power x electricity price
  double owned_usd_per_h = 0;         ///< the three above added
  std::optional<double> rental_usd_per_h;  ///< GPUs x hourly rate; empty when no rate is known
  /// Fraction of the hours in a year the owned cluster must be busy for owning to cost less
  /// than renting; empty when owning never pays off even fully busy (or no rate is known).
  std::optional<double> break_even_utilisation;
};

/// Rates for `inventory` under `economics`, renting at `rental` per GPU-hour (0 = unknown).
CostRates cost_rates(const Inventory& inventory, const EconomicsSpec& economics,
                     double rental_usd_per_gpu_hour);

/// The cost of one run of `duration_s` that processes `tokens`.
struct RunCost {
  double duration_s = 0;
  double energy_J = 0;  ///< facility energy over the run
  double owned_usd = 0;
  std::optional<double> rented_usd;
  double owned_usd_per_million_tokens = 0;
  std::optional<double> rented_usd_per_million_tokens;
};

RunCost run_cost(const CostRates& rates, double duration_s, double tokens);

}  // namespace capsim
