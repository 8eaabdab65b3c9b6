// `capsim search` for an inference service: hardware, tp and replicas ranked by cost among
// those that meet the service's SLOs (sim/ServiceSearch.hpp), printed as a table.
#include <algorithm>
#include <cstdio>
#include <set>
#include <string>

#include "Commands.hpp"
#include "TextTable.hpp"
#include "capsim/models/Units.hpp"
#include "capsim/sim/ServiceSearch.hpp"

namespace capsim::cli {
namespace {

std::string fixed(const char* format, double value) {
  char text[64];
  std::snprintf(text, sizeof text, format, value);
  return text;
}

std::string money(const std::optional<double>& usd) {
  return usd ? fixed("$%.2f", *usd) : std::string("-");
}

std::string limits_text(const ServiceSlo& slo) {
  std::string text;
  for (const LatencySlo& l : slo.latency) {
    if (!text.empty()) text += ", ";
    text += l.measure + " p" + std::to_string(l.percentile) +
            " <= " + format_quantity(l.limit_s, Quantity::Time);
  }
  if (slo.goodput) text += ", goodput >= " + format_quantity(*slo.goodput, Quantity::Fraction);
  return text;
}

}  // namespace

int service_search_command(const Scenario& scenario, const InferenceService& service,
                           const SearchArgs& args, std::ostream& out) {
  const ServingSearchResult result = search_service(scenario, service);
  out << scenario.name << ": hardware for service '" << service.name << "' (" << service.model.id
      << " " << inference_precision_name(service.precision) << ", "
      << fixed("%.4g", service.traffic.peak_rate_per_s()) << " requests/s at peak, "
      << format_quantity(service.duration_s, Quantity::Time) << " simulated per candidate, seed "
      << scenario.run.seed << ")\n";
  out << "SLO: " << limits_text(service.slo) << "; every request finished\n";
  out << "ranked by " << (result.rented ? "rental" : "owned") << " cost per hour among those "
      << "meeting the SLO; replica counts start at the closed-form capacity's ceil(peak rate / "
         "replica capacity)\n\n";
  if (result.ranked.empty()) {
    out << "No candidate could be simulated.\n";
  } else {
    TextTable table({"rank", "server", "GPU", "tp", "pp", "replicas", "servers", "capacity/replica",
                     "$/h", "$/M output tokens", "TTFT p99", "TPOT p99", "goodput", "meets SLO"});
    const std::size_t shown =
        std::min(result.ranked.size(), static_cast<std::size_t>(std::max(1, args.top)));
    for (std::size_t i = 0; i < shown; ++i) {
      const ServingCandidate& c = result.ranked[i];
      table.add_row({std::to_string(i + 1), c.server, c.gpu, std::to_string(c.tp),
                     std::to_string(c.pp), std::to_string(c.replicas), std::to_string(c.servers),
                     fixed("%.3g req/s", c.replica_requests_per_s), money(c.usd_per_h),
                     money(c.usd_per_million_output_tokens),
                     format_quantity(c.stats.ttft.p99_s, Quantity::Time),
                     format_quantity(c.stats.tpot.p99_s, Quantity::Time),
                     format_quantity(c.stats.goodput_fraction, Quantity::Fraction),
                     c.meets_slo ? "yes" : "no (most tried)"});
    }
    table.print(out);
    out << "Showing " << shown << " of " << result.ranked.size()
        << " hardware and parallelism choices.\n";
    if (result.rented) {
      // Default rates come from different providers and dates: say which, so a reader can
      // judge the comparison (economics.rental in the scenario sets one explicitly).
      out << "Rental rates (catalog defaults per GPU):";
      std::set<std::string> said;
      for (const ServingHardware& h : service.search.hardware) {
        if (!said.insert(h.gpu.id).second) continue;
        out << " " << h.gpu.id << " "
            << (h.rental_id.empty() ? std::string("none known")
                                    : h.rental_id + " " + money(h.rental_usd_per_gpu_hour) + "/h")
            << ";";
      }
      out << "\n";
    }
    const ServingCandidate& best = result.ranked.front();
    if (best.meets_slo) {
      out << "Cheapest meeting the SLO: " << best.replicas << " x " << best.server << " tp"
          << best.tp << (best.pp > 1 ? " pp" + std::to_string(best.pp) : std::string())
          << " replicas (" << best.servers << " server" << (best.servers > 1 ? "s" : "") << "), "
          << money(best.usd_per_h) << "/h.\n";
    } else {
      out << "No candidate meets the SLO within search.max_replicas " << service.search.max_replicas
          << ".\n";
    }
  }
  for (const SkippedCandidate& s : result.skipped) {
    out << "skipped " << s.server << " tp" << s.tp
        << (s.pp > 1 ? " pp" + std::to_string(s.pp) : std::string()) << ": " << s.reason << "\n";
  }
  out << "simulations: " << result.simulations << "\n";
  return 0;
}

}  // namespace capsim::cli
