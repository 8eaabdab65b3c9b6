#include "capsim/models/Collectives.hpp"

#include <cmath>
#include <string>

#include "capsim/models/Errors.hpp"

namespace capsim {

namespace {

// Misuse here is a configuration the caller let through (a zero-bandwidth link, an empty group);
// say which collective and which value, rather than returning inf or NaN.
void check(const char* what, double bytes, int ranks, const CommLink& link) {
  if (ranks < 1) {
    throw ConfigurationError(std::string("collective: ") + what + " over " + std::to_string(ranks) +
                             " GPUs; expected a group of at least 1 GPU");
  }
  if (!(bytes >= 0.0) || !std::isfinite(bytes)) {
    throw ConfigurationError(std::string("collective: ") + what + " of " + std::to_string(bytes) +
                             " bytes; expected a finite, non-negative size");
  }
  if (ranks == 1) return;  // nothing moves, so the link is never used
  if (!(link.bandwidth_Bps > 0.0) || !std::isfinite(link.bandwidth_Bps)) {
    throw ConfigurationError(std::string("collective: ") + what + " over a link of " +
                             std::to_string(link.bandwidth_Bps) +
                             " B/s; expected a finite, positive bandwidth");
  }
  if (!(link.latency_s >= 0.0) || !std::isfinite(link.latency_s)) {
    throw ConfigurationError(std::string("collective: ") + what + " over a link with latency " +
                             std::to_string(link.latency_s) +
                             " s; expected a finite, non-negative latency");
  }
}

// (n-1) steps, each moving one n-th of the buffer.
double ring_steps_s(double bytes, int ranks, const CommLink& link) {
  const double n = ranks;
  return (n - 1.0) * (link.latency_s + bytes / (n * link.bandwidth_Bps));
}

}  // namespace

double ring_all_reduce_s(double bytes, int ranks, const CommLink& link) {
  check("all-reduce", bytes, ranks, link);
  if (ranks == 1) return 0.0;
  return 2.0 * ring_steps_s(bytes, ranks, link);
}

double reduce_scatter_s(double bytes, int ranks, const CommLink& link) {
  check("reduce-scatter", bytes, ranks, link);
  if (ranks == 1) return 0.0;
  return ring_steps_s(bytes, ranks, link);
}

double all_gather_s(double bytes, int ranks, const CommLink& link) {
  check("all-gather", bytes, ranks, link);
  if (ranks == 1) return 0.0;
  return ring_steps_s(bytes, ranks, link);
}

double all_to_all_s(double bytes, int ranks, const CommLink& link) {
  check("all-to-all", bytes, ranks, link);
  if (ranks == 1) return 0.0;
  return ring_steps_s(bytes, ranks, link);
}

double point_to_point_s(double bytes, const CommLink& link) {
  check("point-to-point send", bytes, 2, link);
  return link.latency_s + bytes / link.bandwidth_Bps;
}

}  // namespace capsim
