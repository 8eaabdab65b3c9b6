// Parsing of `kind: inference` workloads (private to models/; used by ScenarioSections.cpp).
#pragma once

#include <string>
#include <vector>

#include "YamlReader.hpp"
#include "capsim/models/Scenario.hpp"

namespace capsim {

/// Reads one inference service; `base_dir` resolves a relative trace file. Throws InputError.
InferenceService parse_inference_service(YamlMap& map, const Catalog& catalog,
                                         const std::vector<ClusterConfig>& clusters, int index,
                                         const std::string& base_dir);

/// Reads a trace CSV (arrival_s,input_tokens,output_tokens; arrivals in order). Throws
/// InputError naming the file, line and column of a bad value.
std::vector<TraceRequest> load_trace(const std::string& path);

}  // namespace capsim
