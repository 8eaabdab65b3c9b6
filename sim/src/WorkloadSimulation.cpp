// simulate_in_child(): the child writes one line per job iteration and per trace span, with
// numbers in their shortest exact text, and the parent reads them back.
#include "WorkloadSimulation.hpp"

#include <charconv>
#include <sstream>
#include <stdexcept>
#include <string>

namespace capsim::sim_detail {
namespace {

// Shortest text that reads back as the same double, so the parent sees the child's exact numbers.
std::string exact(double value) {
  char buffer[32];
  const auto end = std::to_chars(buffer, buffer + sizeof buffer, value).ptr;
  return std::string(buffer, end);
}

[[noreturn]] void bad(const std::string& word) {
  throw std::runtime_error(std::string("simulate_in_child: bad field '")
                               .append(word)
                               .append("' from the simulation's child process"));
}

template <typename T>
T read(std::istringstream& in) {
  std::string word;
  in >> word;
  T value{};
  const auto [end, error] = std::from_chars(word.data(), word.data() + word.size(), value);
  if (error != std::errc() || end != word.data() + word.size()) bad(word);
  return value;
}

// The simulation's own prefix adds nothing to a line that already says "not simulated".
std::string reason_of(const std::string& message) {
  for (const std::string prefix : {"simulate_training_jobs: "}) {
    if (message.rfind(prefix, 0) == 0) return message.substr(prefix.size());
  }
  return message;
}

// "E events", then "I job start iteration pipeline dp flows" per iteration, "C job played start
// stall write overlapped slowdown writers nodes" per job, "T job stage gpu iteration start end
// name" per span.
std::string encode(const JobsSimulation& result) {
  std::string text = std::string("E ").append(std::to_string(result.events)).append("\n");
  for (std::size_t j = 0; j < result.jobs.size(); ++j) {
    for (const SimulatedIteration& it : result.jobs[j]) {
      text.append("I ")
          .append(std::to_string(j))
          .append(" ")
          .append(exact(it.start_s))
          .append(" ")
          .append(exact(it.iteration_s))
          .append(" ")
          .append(exact(it.pipeline_s))
          .append(" ")
          .append(exact(it.dp_comm_s))
          .append(it.dp_comm_as_flows ? " 1\n" : " 0\n");
    }
  }
  for (std::size_t j = 0; j < result.checkpoints.size(); ++j) {
    const CheckpointTiming& c = result.checkpoints[j];
    text.append("C ")
        .append(std::to_string(j))
        .append(c.played ? " 1 " : " 0 ")
        .append(exact(c.start_s))
        .append(" ")
        .append(exact(c.stall_s))
        .append(" ")
        .append(exact(c.write_s))
        .append(" ")
        .append(std::to_string(c.overlapped_iterations))
        .append(" ")
        .append(exact(c.slowdown_s))
        .append(" ")
        .append(std::to_string(c.writers))
        .append(" ")
        .append(std::to_string(c.storage_nodes))
        .append("\n");
  }
  for (const TraceSpan& span : result.trace) {
    text.append("T ")
        .append(std::to_string(span.job))
        .append(" ")
        .append(std::to_string(span.stage))
        .append(" ")
        .append(std::to_string(span.gpu))
        .append(" ")
        .append(std::to_string(span.iteration))
        .append(" ")
        .append(exact(span.start_s))
        .append(" ")
        .append(exact(span.end_s))
        .append(" ")
        .append(span.name)
        .append("\n");
  }
  return text;
}

}  // namespace

ChildSimulation simulate_in_child(const std::vector<PlacedJob>& jobs, const Topology& topology,
                                  const ClusterConfig& cluster, SimulationSettings settings,
                                  const ChildProgress& on_progress) {
  const ChildOutcome child = run_in_child(
      [&](const ChildProgress& report) {
        settings.progress = report;
        return encode(simulate_training_jobs(jobs, topology, cluster, settings));
      },
      on_progress);
  ChildSimulation out;
  if (!child.ok) {
    out.reason = reason_of(child.text);
    return out;
  }
  out.simulated = true;
  out.jobs.resize(jobs.size());
  out.checkpoints.resize(jobs.size());
  std::istringstream lines(child.text);
  std::string line;
  while (std::getline(lines, line)) {
    std::istringstream in(line.substr(2));
    if (line.rfind("I ", 0) == 0) {
      const auto j = read<std::size_t>(in);
      if (j >= out.jobs.size()) bad(line);
      SimulatedIteration it;
      it.start_s = read<double>(in);
      it.iteration_s = read<double>(in);
      it.pipeline_s = read<double>(in);
      it.dp_comm_s = read<double>(in);
      it.dp_comm_as_flows = read<int>(in) != 0;
      out.jobs[j].push_back(it);
    } else if (line.rfind("C ", 0) == 0) {
      const auto j = read<std::size_t>(in);
      if (j >= out.jobs.size()) bad(line);
      CheckpointTiming c;
      c.played = read<int>(in) != 0;
      c.start_s = read<double>(in);
      c.stall_s = read<double>(in);
      c.write_s = read<double>(in);
      c.overlapped_iterations = read<int>(in);
      c.slowdown_s = read<double>(in);
      c.writers = read<int>(in);
      c.storage_nodes = read<int>(in);
      out.checkpoints[j] = c;
    } else if (line.rfind("E ", 0) == 0) {
      out.events = read<std::uint64_t>(in);
    } else if (line.rfind("T ", 0) == 0) {
      TraceSpan span;
      span.job = read<int>(in);
      span.stage = read<int>(in);
      span.gpu = read<int>(in);
      span.iteration = read<int>(in);
      span.start_s = read<double>(in);
      span.end_s = read<double>(in);
      in >> span.name;
      out.trace.push_back(span);
    } else {
      bad(line);
    }
  }
  return out;
}

}  // namespace capsim::sim_detail
