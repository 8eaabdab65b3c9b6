#include "capsim/models/DataLoading.hpp"

#include <algorithm>

#include "capsim/models/Errors.hpp"

namespace capsim {

InputLoad input_load(const DataLoadingSpec& spec, int global_batch, int servers, double iteration_s,
                     double storage_read_Bps, double server_nic_Bps) {
  InputLoad load;
  if (!spec.any()) return load;
  load.bytes_per_iteration = spec.bytes_per_sample > 0
                                 ? spec.bytes_per_sample * global_batch
                                 : spec.read_per_server_Bps * servers * iteration_s;
  load.demand_Bps = iteration_s > 0 ? load.bytes_per_iteration / iteration_s : 0;
  load.supply_Bps = std::min(storage_read_Bps, servers * server_nic_Bps);
  if (!(load.supply_Bps > 0)) {
    throw ConfigurationError(
        "data_loading reads input data but the cluster has no storage to read it from; expected "
        "a storage entry in the cluster");
  }
  load.stall_s = std::max(0.0, load.bytes_per_iteration / load.supply_Bps - iteration_s);
  return load;
}

void add_input_stall(TrainingEstimate& estimate, double stall_s) {
  if (!(stall_s > 0)) return;
  const double before = estimate.iteration_s;
  estimate.breakdown.input_stall_s += stall_s;
  estimate.iteration_s += stall_s;
  const double scale = before / estimate.iteration_s;
  estimate.tokens_per_s *= scale;
  estimate.mfu *= scale;
  estimate.hfu *= scale;
}

}  // namespace capsim
