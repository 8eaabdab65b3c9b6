// Sites (infrastructure.sites[]): each cluster that names a site is priced with the site's TCO
// values; a cluster that names none, and a scenario without sites, with economics.tco.
#include <gtest/gtest.h>

#include "ShippedCatalog.hpp"
#include "capsim/models/Errors.hpp"
#include "capsim/models/Scenario.hpp"
#include "capsim/models/TrainingPlan.hpp"

namespace capsim {
namespace {

const Catalog& catalog() { return test::shipped_catalog(); }

// Two sites and two clusters; tests replace pieces of it.
const std::string kTwoSites = R"(name: sites
infrastructure:
  sites:
    - name: north
      location: Luleå, Sweden
      description: hydro power
      economics: {electricity_price: "$0.05/kWh", pue: 1.1}
    - name: south
      economics: {id: default, server_lifetime: 4y}
  clusters:
    - name: a
      site: north
      server: dgx-h100
      count: 4
      fabric: {template: single-switch, switch: quantum-2-qm9700}
    - name: b
      site: south
      server: dgx-h100
      count: 4
      fabric: {template: single-switch, switch: quantum-2-qm9700}
    - name: c
      server: dgx-h100
      count: 4
      fabric: {template: single-switch, switch: quantum-2-qm9700}
workloads:
  - {name: ft, kind: training, cluster: a, model: llama-3.1-8b, tokens: 1B, seq_len: 8192,
     global_batch: 64, parallelism: {tp: 2}}
economics:
  tco: {pue: 1.3}
)";

std::string replace(std::string text, const std::string& from, const std::string& to) {
  const auto at = text.find(from);
  EXPECT_NE(at, std::string::npos) << from;
  return text.replace(at, from.size(), to);
}

std::string error_of(const std::string& text) {
  try {
    parse_scenario(text, "sites.yaml", catalog());
  } catch (const InputError& error) {
    return error.what();
  }
  return "";
}

TEST(Site, OverridesTheScenariosTcoOrANamedCatalogEntry) {
  const Scenario s = parse_scenario(kTwoSites, "sites.yaml", catalog());
  ASSERT_EQ(s.sites.size(), 2u);
  const EconomicsSpec& base = catalog().economics.at("default");
  // north: no id, so the scenario's tco (default with pue 1.3) with north's two values on top.
  const SiteConfig& north = s.sites[0];
  EXPECT_EQ(north.name, "north");
  EXPECT_EQ(north.location, "Luleå, Sweden");
  EXPECT_EQ(north.description, "hydro power");
  EXPECT_DOUBLE_EQ(north.economics.electricity_usd_per_kWh, 0.05);
  EXPECT_DOUBLE_EQ(north.economics.pue, 1.1);
  EXPECT_DOUBLE_EQ(north.economics.server_lifetime_s, base.server_lifetime_s);
  // south names the catalog entry: its pue is the catalog's, not the scenario's 1.3.
  const SiteConfig& south = s.sites[1];
  EXPECT_DOUBLE_EQ(south.economics.pue, base.pue);
  EXPECT_DOUBLE_EQ(south.economics.server_lifetime_s, 4 * 365 * 24 * 3600.0);
  // Clusters carry their site's values; c names none and keeps the scenario's.
  EXPECT_EQ(s.clusters[0].site, "north");
  ASSERT_TRUE(s.clusters[0].site_economics.has_value());
  EXPECT_DOUBLE_EQ(cluster_tco(s.clusters[0], s.economics).pue, 1.1);
  EXPECT_DOUBLE_EQ(cluster_tco(s.clusters[1], s.economics).pue, base.pue);
  EXPECT_EQ(s.clusters[2].site, "");
  EXPECT_FALSE(s.clusters[2].site_economics.has_value());
  EXPECT_DOUBLE_EQ(cluster_tco(s.clusters[2], s.economics).pue, 1.3);
}

TEST(Site, SameClusterCostsTheSameWithAndWithoutASiteOfTheScenariosValues) {
  // A site with no economics of its own prices exactly as economics.tco does.
  const std::string text = replace(kTwoSites, R"(economics: {id: default, server_lifetime: 4y})",
                                   "description: same as the scenario");
  const Scenario s = parse_scenario(text, "sites.yaml", catalog());
  const ClusterPlan in_south = plan_cluster(s.clusters[1], s.economics);
  const ClusterPlan no_site = plan_cluster(s.clusters[2], s.economics);
  EXPECT_EQ(in_south.cost.owned_usd_per_h, no_site.cost.owned_usd_per_h);
  EXPECT_EQ(in_south.cost.energy_usd_per_h, no_site.cost.energy_usd_per_h);
}

TEST(Site, AClusterMustNameADeclaredSite) {
  const std::string unknown = error_of(replace(kTwoSites, "site: south", "site: west"));
  // Line 17 is `site: west` of the second cluster (1-based, as editors count).
  EXPECT_NE(unknown.find("sites.yaml:17:"), std::string::npos) << unknown;
  EXPECT_NE(unknown.find("infrastructure.clusters[1].site: no site is named 'west'"),
            std::string::npos)
      << unknown;
  EXPECT_NE(unknown.find("north, south"), std::string::npos) << unknown;

  std::string no_sites = kTwoSites;
  no_sites.erase(no_sites.find("  sites:"),
                 no_sites.find("  clusters:") - no_sites.find("  sites:"));
  const std::string none = error_of(no_sites);
  EXPECT_NE(none.find("infrastructure.clusters[0].site: no site is named 'north'"),
            std::string::npos)
      << none;
  EXPECT_NE(none.find("(none is)"), std::string::npos) << none;
}

TEST(Site, BadSitesAreErrorsWithTheirKeyPath) {
  EXPECT_NE(error_of(replace(kTwoSites, "name: south", "name: north"))
                .find("infrastructure.sites[1].name: 'north' is used twice"),
            std::string::npos);
  EXPECT_NE(error_of(replace(kTwoSites, "pue: 1.1}", "pue: 0.9}"))
                .find("infrastructure.sites[0].economics"),
            std::string::npos);
  EXPECT_NE(error_of(replace(kTwoSites, "pue: 1.1}", "pue: 1.1, colour: green}"))
                .find("infrastructure.sites[0].economics.colour"),
            std::string::npos);
  EXPECT_NE(error_of(replace(kTwoSites, "{id: default,", "{id: cheap,"))
                .find("infrastructure.sites[1].economics.id: unknown economics id 'cheap'"),
            std::string::npos);
  EXPECT_NE(error_of(replace(kTwoSites, "location: Luleå, Sweden", "rack_count: 3"))
                .find("infrastructure.sites[0].rack_count"),
            std::string::npos);
}

// scenarios/two-sites-h100.yaml: identical clusters (8 DGX H100 on one QM9700, no storage) in a
// hyperscale site ($0.077/kWh, PUE 1.1) and a colocation site ($0.083/kWh, PUE 1.25).
TEST(Site, TwoSitesScenarioDiffersByTheHandCalculatedEnergyCost) {
  const Scenario s = load_scenario(CAPSIM_SOURCE_DIR "/scenarios/two-sites-h100.yaml", catalog());
  const ClusterPlan west = plan_cluster(s.cluster("west"), s.economics);
  const ClusterPlan east = plan_cluster(s.cluster("east"), s.economics);
  // IT power by hand (docs/scenario-format.md 6.5, catalog servers.yaml and network.yaml):
  // 8 servers x 10.2 kW x 0.75 average draw + one 747 W switch; the NIC-to-switch links are
  // copper in the rack, so no transceivers: 61,200 + 747 = 61,947 W.
  const double it_W = 8 * 10200.0 * 0.75 + 747.0;
  EXPECT_DOUBLE_EQ(west.cost.it_power_W, it_W);
  EXPECT_DOUBLE_EQ(east.cost.it_power_W, it_W);
  // Energy per hour: 61.947 kW x 1.1 x $0.077 = $5.2469/h; 61.947 kW x 1.25 x $0.083 = $6.4270/h.
  EXPECT_NEAR(west.cost.energy_usd_per_h, 61.947 * 1.1 * 0.077, 1e-9);
  EXPECT_NEAR(east.cost.energy_usd_per_h, 61.947 * 1.25 * 0.083, 1e-9);
  // Same hardware, same lifetimes and maintenance: owning differs only by the energy,
  // 61.947 kW x (1.25 x 0.083 - 1.1 x 0.077) = 61.947 x 0.01905 = $1.18009/h.
  EXPECT_DOUBLE_EQ(west.cost.amortisation_usd_per_h, east.cost.amortisation_usd_per_h);
  EXPECT_DOUBLE_EQ(west.cost.maintenance_usd_per_h, east.cost.maintenance_usd_per_h);
  EXPECT_NEAR(east.cost.owned_usd_per_h - west.cost.owned_usd_per_h, 1.1800903, 1e-6);
  // The same job on each: same time to train, so the run costs differ by $1.18009/h x its hours.
  const TrainingPlan job_west = plan_training(s.training[0], s.cluster("west"), west);
  const TrainingPlan job_east = plan_training(s.training[1], s.cluster("east"), east);
  ASSERT_EQ(job_west.time_to_train_s, job_east.time_to_train_s);
  EXPECT_NEAR(job_east.cost.owned_usd - job_west.cost.owned_usd,
              1.1800903 * job_west.time_to_train_s / 3600.0, 1e-5);
  EXPECT_NEAR(job_east.cost.energy_J / job_west.cost.energy_J, 1.25 / 1.1, 1e-12);
}

}  // namespace
}  // namespace capsim
