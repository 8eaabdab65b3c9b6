// Collectives played out as flows on a cluster's network (the first slice of the `simulate`
// fidelity): each given collective runs its ring algorithm on the Topology's links in SimGrid,
// all of them started at time 0, so collectives that cross the same links slow each other down.
//
// The steps are those of the closed-form formulas in capsim/models/Collectives.hpp, with the ring
// in the order the ranks are given (rank i sends to rank i+1, the last to the first):
//   all-reduce       2 (n-1) steps, each rank sending S / n to the next
//   reduce-scatter     (n-1) steps of S / n
//   all-gather         (n-1) steps of S / n
//   point-to-point   one message of S from ranks[0] to ranks[1]
// A step ends for a rank when its send and its receive are both done; the next step starts then.
// Links run at their raw bandwidth: no efficiency factors are applied in this slice, so an
// uncontended collective takes what ring_all_reduce_s() and friends give on a CommLink of the
// route's bandwidth and latency. Message sizes are rounded to whole bytes.
//
// SimGrid allows one engine per process: simulate_collectives() runs at most once per process
// (a second call throws ConfigurationError). Run each simulation in its own process.
#pragma once

#include <vector>

#include "capsim/models/Topology.hpp"

namespace capsim {

/// One collective over GPU ranks of a Topology.
struct SimulatedCollective {
  enum class Kind { AllReduce, ReduceScatter, AllGather, PointToPoint };
  std::vector<int> ranks;  ///< GPU ranks in ring order, each once; PointToPoint: {from, to}
  double bytes = 0.0;  ///< full buffer size S, bytes (what one rank holds, as in Collectives.hpp)
  Kind kind = Kind::AllReduce;
};

/// Simulates `concurrent` collectives on `topology`'s network, all starting at time 0, and returns
/// the simulated time the last one finishes, seconds. When `each_finish_s` is not null it receives
/// each collective's finish time, seconds, in the order given (0 for a group of one GPU).
/// Routes follow the Topology's rule (shortest, through NICs and switches only, NVLink preferred
/// on ties); where several next hops are equally short (parallel uplinks, several spines) the one
/// at position (destination rank mod choices) is taken, as InfiniBand's D-mod-k fat-tree routing
/// does, so that traffic to different GPUs spreads over the uplinks.
/// Throws ConfigurationError for bad input (no collectives, empty ranks, an unknown or repeated
/// rank, a point-to-point without exactly two ranks, negative or non-finite bytes, ranks with no
/// route between them) before touching SimGrid, and for a second call in the same process.
double simulate_collectives(const Topology& topology,
                            const std::vector<SimulatedCollective>& concurrent,
                            std::vector<double>* each_finish_s = nullptr);

}  // namespace capsim
