// What one pipeline rank does in one iteration, in order, as Megatron-LM's schedules issue it
// (private to sim/, SimGrid-free). The simulator's actors play these programs; the trace names
// their compute steps.
//
// A program is a list of steps. A step runs its computation (a forward or backward of one model
// chunk for one micro-batch), if any, then starts its transfers together and waits for all of
// them: Megatron's p2p calls batch their isend/irecv and wait for the whole batch, and NCCL's
// send/recv rendezvous (a send completes when its receiver takes it).
// Transfers travel on two channels per rank: rank k sends activations ("forward") to rank
// (k + 1) mod pp and gradients ("backward") to rank (k - 1) mod pp; messages on a channel are
// matched in order. Only the interleaved schedule uses the wrap-around (rank pp - 1 to rank 0).
//
// - vpp 1: forward_backward_pipelining_without_interleaving: min(pp - k - 1, m) warm-up
//   forwards, steady forward/backward pairs with send_forward_recv_backward and
//   send_backward_recv_forward, cool-down backwards.
// - vpp > 1: forward_backward_pipelining_with_interleaving (Megatron-Core, p2p not overlapped):
//   m x vpp virtual micro-batches in groups of pp; warm-up (pp - k - 1) x 2 + (vpp - 1) x pp of
//   them (all when m = pp), then steady steps of one forward and one backward followed by
//   send_forward_backward_recv_forward_backward, then the cool-down backwards. Virtual
//   micro-batch i runs chunk (i mod (pp vpp)) / pp forward (reversed backward) on micro-batch
//   (i / (pp vpp)) pp + i mod pp. Chunk c of rank k is virtual stage c pp + k.
#pragma once

#include <vector>

namespace capsim::sim_detail {

enum class Pass { Forward, Backward };

/// One step of a rank's program.
struct PipelineStep {
  bool compute = false;  ///< a forward or backward runs before the transfers
  Pass pass = Pass::Forward;
  int chunk = 0;               ///< model chunk (virtual stage chunk x pp + rank)
  int micro_batch = 0;         ///< 0-based micro-batch of the iteration
  bool send_forward = false;   ///< activation to rank + 1 (mod pp)
  bool send_backward = false;  ///< gradient to rank - 1 (mod pp)
  bool recv_forward = false;   ///< activation from rank - 1 (mod pp)
  bool recv_backward = false;  ///< gradient from rank + 1 (mod pp)
};

/// The program of pipeline rank `rank` (0 .. pp - 1) for `micro_batches` micro-batches and `vpp`
/// chunks per rank. vpp > 1 needs pp >= 2 and micro_batches a multiple of pp (validated by the
/// estimate's checks before this is called).
std::vector<PipelineStep> pipeline_program(int pp, int vpp, int micro_batches, int rank);

}  // namespace capsim::sim_detail
