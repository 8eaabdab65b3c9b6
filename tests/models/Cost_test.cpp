// Cost arithmetic against a hand calculation (numbers in the comments).
#include "capsim/models/Cost.hpp"

#include <gtest/gtest.h>

namespace capsim {
namespace {

// 4 servers ($300k, 10 kW max), 1 switch ($20k, 500 W), 32 copper cables ($100), 1 storage unit
// ($200k, 2 kW); electricity $0.10/kWh, PUE 1.2, every lifetime 5 years, maintenance 5% of capex
// per year, servers draw 75% of their maximum.
Inventory small_inventory() {
  Inventory inv;
  inv.servers = 4;
  inv.gpus = 32;
  inv.server.price_usd = 300'000;
  inv.server.power_W = 10'000;
  inv.leaf_switches = 1;
  inv.leaf_switch.price_usd = 20'000;
  inv.leaf_switch.power_W = 500;
  inv.copper_cables = 32;
  inv.copper_cable.price_usd = 100;
  inv.storage.push_back({StorageSpec{}, 1});
  inv.storage[0].system.price_usd = 200'000;
  inv.storage[0].system.power_W = 2'000;
  return inv;
}

EconomicsSpec tco() {
  EconomicsSpec e;
  e.electricity_usd_per_kWh = 0.10;
  e.pue = 1.2;
  const double five_years_s = 5 * 365 * 86400.0;
  e.server_lifetime_s = e.network_lifetime_s = e.storage_lifetime_s = five_years_s;
  e.maintenance_fraction_per_year = 0.05;
  e.average_power_fraction = 0.75;
  return e;
}

TEST(Cost, CapexPowerAndHourlyRatesMatchHandCalculation) {
  const CostRates rates = cost_rates(small_inventory(), tco(), 2.99);
  // capex = 4 x 300k + 20k + 32 x 100 + 200k = 1,423,200
  EXPECT_DOUBLE_EQ(rates.capex.servers_usd, 1'200'000);
  EXPECT_DOUBLE_EQ(rates.capex.switches_usd, 20'000);
  EXPECT_DOUBLE_EQ(rates.capex.optics_usd, 3'200);
  EXPECT_DOUBLE_EQ(rates.capex.storage_usd, 200'000);
  EXPECT_DOUBLE_EQ(rates.capex.total_usd(), 1'423'200);
  // IT power = 4 x 10 kW x 0.75 + 0.5 kW + 2 kW = 32.5 kW; facility = x 1.2 = 39 kW
  EXPECT_DOUBLE_EQ(rates.it_power_W, 32'500);
  EXPECT_DOUBLE_EQ(rates.facility_power_W, 39'000);
  // amortisation = 1,423,200 / 43,800 h = 32.49315 $/h; maintenance = 1,423,200 x 0.05 / 8,760
  // = 8.12329 $/h; energy = 39 kWh/h x $0.10 = 3.90 $/h
  EXPECT_NEAR(rates.amortisation_usd_per_h, 32.493150685, 1e-6);
  EXPECT_NEAR(rates.maintenance_usd_per_h, 8.123287671, 1e-6);
  EXPECT_NEAR(rates.energy_usd_per_h, 3.9, 1e-12);
  EXPECT_NEAR(rates.owned_usd_per_h, 44.516438356, 1e-6);
  // rental = 32 GPUs x $2.99 = $95.68/h; break-even = 40.61644 / (95.68 - 3.90) = 0.442541
  ASSERT_TRUE(rates.rental_usd_per_h.has_value());
  EXPECT_NEAR(*rates.rental_usd_per_h, 95.68, 1e-9);
  ASSERT_TRUE(rates.break_even_utilisation.has_value());
  EXPECT_NEAR(*rates.break_even_utilisation, 40.616438356 / 91.78, 1e-9);
}

TEST(Cost, RunCostPerHourPerRunAndPerMillionTokens) {
  const CostRates rates = cost_rates(small_inventory(), tco(), 2.99);
  const RunCost run = run_cost(rates, 10 * 3600.0, 1e9);
  EXPECT_NEAR(run.owned_usd, 445.16438356, 1e-6);
  ASSERT_TRUE(run.rented_usd.has_value());
  EXPECT_NEAR(*run.rented_usd, 956.8, 1e-9);
  EXPECT_NEAR(run.owned_usd_per_million_tokens, 0.44516438356, 1e-9);
  EXPECT_NEAR(*run.rented_usd_per_million_tokens, 0.9568, 1e-12);
  EXPECT_DOUBLE_EQ(run.energy_J, 39'000.0 * 36'000.0);  // 39 kW for 10 h
}

TEST(Cost, NoRentalRateMeansNoRentalFigures) {
  const CostRates rates = cost_rates(small_inventory(), tco(), 0.0);
  EXPECT_FALSE(rates.rental_usd_per_h.has_value());
  EXPECT_FALSE(rates.break_even_utilisation.has_value());
  const RunCost run = run_cost(rates, 3600.0, 1e6);
  EXPECT_FALSE(run.rented_usd.has_value());
  EXPECT_NEAR(run.owned_usd, 44.516438356, 1e-6);
}

TEST(Cost, OwningNeverPaysWhenRentIsCheaperThanTheFixedCosts) {
  // $0.10 per GPU-hour: 3.20 $/h against 40.6 $/h of fixed costs -> no break-even.
  const CostRates rates = cost_rates(small_inventory(), tco(), 0.10);
  EXPECT_FALSE(rates.break_even_utilisation.has_value());
}

}  // namespace
}  // namespace capsim
