// The inference services' parts of the reports (private to sim/).
#pragma once

#include <nlohmann/json.hpp>
#include <ostream>

#include "capsim/sim/Result.hpp"

namespace capsim::sim_detail {

/// The JSON report's "services" array.
nlohmann::json services_json(const Result& result);
/// One "## Service NAME" section per service in summary.md.
void write_services_markdown(const Result& result, std::ostream& out);
/// serving.csv: one row per service (blank simulated figures when not simulated).
void write_serving_csv(const Result& result, std::ostream& out);
/// replicas.csv: every service's replicas over time.
void write_replicas_csv(const Result& result, std::ostream& out);

}  // namespace capsim::sim_detail
