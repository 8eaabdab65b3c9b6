// Alpha-beta cost of the collectives a training step uses, on one homogeneous group of GPUs.
//
// Every function takes the full buffer size S in bytes (the size of the tensor one rank holds
// before an all-reduce, or after an all-gather), the group size n and a CommLink giving the
// per-GPU bandwidth B per direction and the per-step latency alpha. Ring algorithms:
//   all-reduce        2 (n-1) (alpha + S / (n B))
//   reduce-scatter      (n-1) (alpha + S / (n B))
//   all-gather          (n-1) (alpha + S / (n B))
//   all-to-all          (n-1) (alpha + S / (n B))   pairwise exchange: S is what each rank sends
//                       in total, its own 1/n share included (that share stays local), so each
//                       of the n-1 steps sends S / n to one peer
//   point-to-point          alpha + S / B
// A group of one GPU communicates nothing and costs 0. These are the uncontended costs; the
// simulator plays the same steps out on the real topology.
#pragma once

namespace capsim {

/// One group kind's path between GPUs, as seen by a single GPU.
struct CommLink {
  double bandwidth_Bps = 0.0;  ///< achieved bandwidth per GPU per direction, bytes/s
  double latency_s = 0.0;      ///< latency of one algorithm step (alpha), seconds
};

/// Ring all-reduce of a `bytes`-sized buffer over `ranks` GPUs, in seconds (0 when ranks == 1).
double ring_all_reduce_s(double bytes, int ranks, const CommLink& link);

/// Ring reduce-scatter of a full `bytes`-sized buffer over `ranks` GPUs, in seconds.
double reduce_scatter_s(double bytes, int ranks, const CommLink& link);

/// Ring all-gather producing a full `bytes`-sized buffer on each of `ranks` GPUs, in seconds.
double all_gather_s(double bytes, int ranks, const CommLink& link);

/// All-to-all in which each of `ranks` GPUs sends `bytes` in total, 1/ranks to each rank (itself
/// included), as (ranks - 1) pairwise steps, in seconds (0 when ranks == 1).
double all_to_all_s(double bytes, int ranks, const CommLink& link);

/// One send of `bytes` from one GPU to another, in seconds (alpha + bytes / bandwidth).
double point_to_point_s(double bytes, const CommLink& link);

}  // namespace capsim
