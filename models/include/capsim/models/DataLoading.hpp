// Reading a training job's input data from the cluster's storage (user story 5: "a multimodal job
// reads 2 GB/s per server: does the storage tier hold?").
//
// Data loaders read ahead of the step that consumes the data (PyTorch's DataLoader keeps
// prefetch_factor batches per worker in flight; Megatron-LM and NeMo load through it), so reading
// overlaps compute: the job waits only when the storage cannot deliver an iteration's bytes
// within the iteration. The stall per iteration is then bytes / supply - iteration, and the
// iteration stretches to the time the storage needs: the job runs input-bound.
//
// Supply is the storage's read bandwidth (ClusterPlan::storage_read_Bps, its units limited by
// their fabric ports), capped by the NICs of the job's servers; other jobs reading the same
// storage at the same time are not subtracted (the estimate plans one job at a time).
#pragma once

#include "capsim/models/TrainingEstimate.hpp"

namespace capsim {

/// What a job reads (scenario `workloads[].data_loading`); at most one of the two is set.
struct DataLoadingSpec {
  /// Bytes read per sample (sequence): token ids, images, audio. The demand then follows the
  /// job's speed: samples per second x this.
  double bytes_per_sample = 0;
  /// A measured demand, bytes/s per server, at the job's speed without stalls (the loader's
  /// read rate as a profile shows it); the bytes per iteration are this x servers x iteration.
  double read_per_server_Bps = 0;

  bool any() const { return bytes_per_sample > 0 || read_per_server_Bps > 0; }
};

/// The input side of one iteration.
struct InputLoad {
  double bytes_per_iteration = 0;  ///< all servers of the job together
  double demand_Bps = 0;           ///< bytes_per_iteration over the iteration without stalls
  double supply_Bps = 0;           ///< storage read bandwidth the job can draw
  double stall_s = 0;              ///< added to every iteration: bytes / supply - iteration, >= 0
};

/// The input load of a job whose iteration takes `iteration_s` without waiting for data, with
/// `global_batch` samples per iteration on `servers` servers, reading from storage that
/// delivers `storage_read_Bps` through NICs of `server_nic_Bps` per server in all. Throws
/// ConfigurationError when the job reads data and the storage delivers nothing.
InputLoad input_load(const DataLoadingSpec& spec, int global_batch, int servers, double iteration_s,
                     double storage_read_Bps, double server_nic_Bps);

/// Adds `stall_s` to `estimate` as input wait (IterationBreakdown::input_stall_s) and scales
/// what follows from the iteration time: tokens/s, MFU and HFU by old / new iteration.
void add_input_stall(TrainingEstimate& estimate, double stall_s);

}  // namespace capsim
