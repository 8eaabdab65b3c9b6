// Multi-GPU transfers on one host: peer copies (CUDA) and NCCL collectives (NcclLibrary.hpp).
#pragma once

#include <vector>

#include "Measurements.hpp"
#include "NcclLibrary.hpp"

namespace capsim::calibrate {

/// Copies `bytes` from GPU 0 to every other GPU (peer access enabled where the driver allows),
/// median of `samples` timings each.
std::vector<PeerCopyResult> time_peer_copies(int devices, double bytes, int samples);

/// all_reduce, all_gather, reduce_scatter and all_to_all (ncclSend/ncclRecv pairs) of fp32 data
/// over all `devices` GPUs, for each per-rank size in `sizes` (bytes), each timed as the median
/// of `samples` samples of `iterations` back-to-back calls.
std::vector<CollectiveResult> time_collectives(const NcclLibrary& nccl, int devices,
                                               const std::vector<double>& sizes, int samples,
                                               int iterations);

/// The nccl-tests bus-bandwidth factor of `op` on `ranks` GPUs: 2(n-1)/n for all_reduce,
/// (n-1)/n for the others.
double bus_factor(const std::string& op, int ranks);

}  // namespace capsim::calibrate
