// write_chrome_trace(): TraceSpans as Chrome trace events.
#include "capsim/sim/ChromeTrace.hpp"

#include <map>
#include <nlohmann/json.hpp>
#include <utility>

namespace capsim {
namespace {

using Json = nlohmann::ordered_json;

std::string category_of(const std::string& name) {
  if (name.rfind('F', 0) == 0) return "forward";
  if (name.rfind('B', 0) == 0) return "backward";
  return name;  // "dp", "optimizer"
}

}  // namespace

void write_chrome_trace(const std::vector<TraceSpan>& spans,
                        const std::vector<std::string>& job_names, std::ostream& out) {
  Json events = Json::array();
  for (std::size_t j = 0; j < job_names.size(); ++j) {
    events.push_back(
        {{"name", "process_name"}, {"ph", "M"}, {"pid", j}, {"args", {{"name", job_names[j]}}}});
  }
  std::map<std::pair<int, int>, int> threads;  // (job, stage) -> its GPU
  for (const TraceSpan& span : spans)
    threads.emplace(std::make_pair(span.job, span.stage), span.gpu);
  for (const auto& [key, gpu] : threads) {
    events.push_back({{"name", "thread_name"},
                      {"ph", "M"},
                      {"pid", key.first},
                      {"tid", key.second},
                      {"args",
                       {{"name", std::string("stage ")
                                     .append(std::to_string(key.second))
                                     .append(", GPU ")
                                     .append(std::to_string(gpu))}}}});
  }
  for (const TraceSpan& span : spans) {
    events.push_back({{"name", span.name},
                      {"cat", category_of(span.name)},
                      {"ph", "X"},
                      {"pid", span.job},
                      {"tid", span.stage},
                      {"ts", span.start_s * 1e6},
                      {"dur", (span.end_s - span.start_s) * 1e6},
                      {"args", {{"iteration", span.iteration}, {"gpu", span.gpu}}}});
  }
  const Json trace = {{"traceEvents", events}, {"displayTimeUnit", "ms"}};
  out << trace.dump() << "\n";
}

}  // namespace capsim
