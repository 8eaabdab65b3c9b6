// The requests an inference service receives: arrival times and prompt/output lengths drawn from
// its traffic (ServingWorkload.hpp) with a seeded generator, or read from its trace.
//
// Arrivals are a (piecewise) Poisson process: exponential gaps at the current rate; where the
// rate changes (an hour of a daily profile, the start or end of a burst) the draw restarts at the
// change, which is exact for a Poisson process (memoryless). Random numbers come from
// std::mt19937_64 and capsim's own transforms (inverse CDF, Box-Muller), not the standard
// library's distributions, whose output differs between library versions: the same traffic and
// seed give the same requests, bit for bit, everywhere.
#pragma once

#include <cstdint>
#include <vector>

#include "capsim/models/ServingWorkload.hpp"

namespace capsim {

/// One request: when it arrives (seconds from the start) and its lengths in tokens.
struct ServingRequest {
  double arrival_s = 0;
  int input_tokens = 0;
  int output_tokens = 0;
  int prefix = -1;  ///< the shared prefix its prompt starts with; -1: none (prefix caching off)
};

/// The requests arriving in [0, duration_s), in arrival order. Throws ConfigurationError for a
/// traffic that cannot be drawn (a rate below zero, a distribution without a maximum).
std::vector<ServingRequest> generate_requests(const TrafficConfig& traffic, double duration_s,
                                              std::uint64_t seed);

/// With prefix caching on, gives every request one of `config.prefixes` prefixes, drawn
/// uniformly from a stream of its own seeded by `seed` (arrivals and lengths stay those of the
/// same traffic without prefix caching); leaves them at -1 otherwise.
void assign_prefixes(std::vector<ServingRequest>& requests, const PrefixCacheConfig& config,
                     std::uint64_t seed);

/// One draw of a length distribution from a uniform source `uniform` (values in [0, 1)).
int draw_length(const LengthDistribution& distribution, double u1, double u2);

/// The mean of a length distribution after clamping to [min, max], by numerical integration
/// for normal and lognormal (used by the capacity estimate).
double mean_length(const LengthDistribution& distribution);

}  // namespace capsim
