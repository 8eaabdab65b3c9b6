// `capsim search` for an inference service: the cheapest hardware and replica count that meets
// the service's SLOs at its traffic, with the runners-up.
//
// Candidates: every server type of the service's `search.servers` (default: its cluster's) with
// every tensor-parallel degree of `search.tp` (default: the powers of two within the server's
// NVLink domain) that holds the model and the longest request, at each pipeline degree of
// `search.pp` (default: pp 1, and where no tp of one NVLink domain holds the model or the
// longest request, the fewest stages 2, 4, ... that do at the domain's tp, their sends over
// the candidate's own fabric). For each, the closed-form
// capacity (ServicePlan.hpp: one replica's requests per second at the mean lengths) prunes the
// replica counts: fewer than ceil(peak rate / capacity) replicas cannot keep up, so the first
// simulated count is that one; then counts grow (+1, +2, +4, ...) until one meets the SLO and a
// bisection finds the smallest that does (meeting the SLO is taken to be monotone in replicas).
// Every count is played by the request-level simulation (ServingSimulation.hpp) with a fixed
// replica count (the autoscaler is left off), the scenario's seed and so the same requests for
// every candidate, each in its own child process (SimGrid allows one engine per process).
//
// Cost: owned = the whole servers the replicas need (capex amortised, maintenance, power:
// Cost.hpp; no fabric: replicas share no link in this model); rented = replicas x tp x pp GPU-hours
// at the catalog's default rate for the GPU. The scenario's economics.ownership picks which one
// ranks.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "capsim/models/Scenario.hpp"
#include "capsim/sim/ServingSimulation.hpp"

namespace capsim {

/// One hardware, tp and replica count, simulated.
struct ServingCandidate {
  std::string server, gpu;  ///< catalog ids
  int tp = 1;
  int pp = 1;  ///< pipeline stages per replica
  int replicas = 0;
  int servers = 0;                    ///< whole servers the replicas need
  double replica_requests_per_s = 0;  ///< the closed-form capacity of one replica
  int replicas_for_peak = 0;          ///< ceil(peak rate / capacity): the first count tried
  double owned_usd_per_h = 0;
  std::optional<double> rented_usd_per_h;  ///< when the catalog rents the GPU
  std::optional<double> usd_per_h;         ///< on the ranking basis; empty when unpriced
  std::optional<double> usd_per_million_output_tokens;  ///< usd_per_h / output tokens per hour
  bool meets_slo = false;
  ServiceStats stats;   ///< of the simulation (records not kept)
  int simulations = 0;  ///< replica counts simulated for this hardware and tp
};

/// A hardware and tp that could not be tried, and why.
struct SkippedCandidate {
  std::string server;
  int tp = 1;
  int pp = 1;
  std::string reason;
};

struct ServingSearchResult {
  std::string service;
  bool rented = false;  ///< ranked by rental cost (economics.ownership: rent)
  /// Meeting the SLO first, then by cost per hour, then by cost per million output tokens;
  /// one row per hardware and tp: its smallest count meeting the SLO, else the largest tried.
  std::vector<ServingCandidate> ranked;
  std::vector<SkippedCandidate> skipped;
  int simulations = 0;
};

/// Searches `service` of `scenario` (seed: run.seed unless `seed` is given). `progress` gets
/// the candidates done as a fraction. Throws ConfigurationError when the service has no latency
/// limit to meet.
ServingSearchResult search_service(const Scenario& scenario, const InferenceService& service,
                                   std::optional<std::uint64_t> seed = std::nullopt,
                                   const std::function<void(double)>& progress = {});

}  // namespace capsim
