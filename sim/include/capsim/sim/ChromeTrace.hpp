// The simulated timeline in the Chrome trace event format (the JSON object form), which
// Perfetto (ui.perfetto.dev) and chrome://tracing open: one complete event (ph "X") per span of
// work, pid = the training workload's index (named by a process_name metadata event), tid = the
// pipeline stage (named "stage k, GPU g" by a thread_name event), ts and dur in microseconds of
// simulated time. Event names: "F<micro-batch>.<chunk>" forward, "B<micro-batch>.<chunk>"
// backward, "dp" gradient reduction, "optimizer"; cat is forward, backward, dp or optimizer;
// args hold the iteration and the GPU.
#pragma once

#include <ostream>
#include <string>
#include <vector>

#include "capsim/sim/JobsSimulation.hpp"

namespace capsim {

/// Writes `spans` (TraceSpan::job indexes `job_names`) as one JSON object.
void write_chrome_trace(const std::vector<TraceSpan>& spans,
                        const std::vector<std::string>& job_names, std::ostream& out);

}  // namespace capsim
