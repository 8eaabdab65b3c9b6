// simulate_training_iteration(): one job on every GPU of the topology, one iteration: the
// simulate_training_jobs() machinery with the identity placement (see IterationSimulation.hpp).
#include "capsim/sim/IterationSimulation.hpp"

#include <string>

#include "JobsSimulationDetail.hpp"
#include "capsim/models/Errors.hpp"
#include "capsim/models/TrainingPlan.hpp"

namespace capsim {

SimulatedIteration simulate_training_iteration(const ModelShape& model,
                                               const TrainingLayout& layout,
                                               const GpuPerformance& gpu, const Topology& topology,
                                               const ClusterConfig& cluster, int total_gpus) {
  validate_training_inputs(model, layout, gpu, total_gpus);
  if (topology.gpu_count() != total_gpus)
    throw ConfigurationError(std::string("simulate_training_iteration: the topology has ")
                                 .append(std::to_string(topology.gpu_count()))
                                 .append(" GPUs; expected total_gpus (")
                                 .append(std::to_string(total_gpus))
                                 .append(")"));
  PlacedJob job{"training", model, layout, gpu, comm_paths(topology, cluster, layout), {}, {}, 0.0};
  for (int r = 0; r < total_gpus; ++r) job.gpus.push_back(r);
  const JobsSimulation result =
      sim_detail::simulate_jobs("simulate_training_iteration", {job}, topology, cluster, {});
  return result.jobs.at(0).at(0);
}

}  // namespace capsim
