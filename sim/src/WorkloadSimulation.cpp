#include "WorkloadSimulation.hpp"

#include <charconv>
#include <sstream>
#include <stdexcept>
#include <string>

#include "ChildProcess.hpp"
#include "capsim/sim/IterationSimulation.hpp"

namespace capsim::sim_detail {
namespace {

// Shortest text that reads back as the same double, so the parent sees the child's exact numbers.
std::string exact(double value) {
  char buffer[32];
  const auto end = std::to_chars(buffer, buffer + sizeof buffer, value).ptr;
  return std::string(buffer, end);
}

double read_number(std::istringstream& in) {
  std::string word;
  in >> word;
  double value = 0;
  const auto [end, error] = std::from_chars(word.data(), word.data() + word.size(), value);
  if (error != std::errc() || end != word.data() + word.size())
    throw std::runtime_error(std::string("simulate_workload: bad number '")
                                 .append(word)
                                 .append("' from the simulation's child process"));
  return value;
}

// The simulation's own prefix adds nothing to a line that already says "not simulated".
std::string reason_of(const std::string& message) {
  const std::string prefix = "simulate_training_iteration: ";
  return message.rfind(prefix, 0) == 0 ? message.substr(prefix.size()) : message;
}

}  // namespace

SimulationOutcome simulate_workload(const TrainingWorkload& job, const ClusterConfig& cluster,
                                    const ClusterPlan& cluster_plan, const TrainingPlan& plan) {
  const ChildOutcome child = run_in_child([&] {
    const SimulatedIteration sim =
        simulate_training_iteration(model_shape(job.model), plan.layout, plan.gpu,
                                    cluster_plan.topology, cluster, cluster_plan.gpus);
    return exact(sim.iteration_s)
        .append(" ")
        .append(exact(sim.pipeline_s))
        .append(" ")
        .append(exact(sim.dp_comm_s))
        .append(sim.dp_comm_as_flows ? " 1" : " 0");
  });
  SimulationOutcome outcome;
  outcome.estimate_iteration_s = plan.estimate.iteration_s;
  if (!child.ok) {
    outcome.reason = reason_of(child.text);
    return outcome;
  }
  std::istringstream in(child.text);
  outcome.simulated = true;
  outcome.iteration_s = read_number(in);
  outcome.pipeline_s = read_number(in);
  outcome.dp_comm_s = read_number(in);
  outcome.dp_comm_as_flows = read_number(in) != 0;
  return outcome;
}

}  // namespace capsim::sim_detail
