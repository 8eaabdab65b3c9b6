// KV-cache transfers of a disaggregated service (private to sim/): a prompt's KV cache goes from
// the GPUs of the prefill replica that computed it to the GPUs of the decode replica that will
// decode it, as SimGrid flows on the links of the cluster's fabric they cross (FabricRoutes,
// SimPlatform), so transfers that meet on a link share it.
//
// Each GPU of a replica holds the K and V of its g / tp KV heads (Megatron's split). Prefill GPU i
// sends decode GPU j the heads both hold: tokens x kv_bytes_per_token(prefill replica) x (heads
// in common) / (g / tp_prefill) bytes, all pairs at once (NIXL/UCX-style GPU-to-GPU RDMA writes,
// as NVIDIA Dynamo and vLLM's NixlConnector do). With equal tp, GPU i sends GPU i its whole share.
// An uncontended flow takes the route's latency + bytes / its narrowest link's bandwidth, that
// bandwidth being the catalog's achieved share (network_efficiency off NVLink).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "SimPlatform.hpp"
#include "capsim/models/FabricRoutes.hpp"
#include "capsim/sim/ServingSimulation.hpp"

namespace capsim::sim_detail {

/// One GPU-to-GPU part of a transfer.
struct KvFlow {
  int from_gpu = 0, to_gpu = 0;  ///< cluster GPU ranks
  double bytes = 0;
};

/// The flows of one prompt from prefill replica GPUs to decode replica GPUs (no SimGrid).
std::vector<KvFlow> kv_flows(const InferenceInstance& prefill, int prefill_first_gpu,
                             const InferenceInstance& decode, int decode_first_gpu, int tokens);

class KvTransfers {
 public:
  /// Builds the hosts, links and routes between every prefill and decode replica in a zone named
  /// `zone_name` inside `parent` (before the parent is sealed). Throws ConfigurationError when
  /// a pair of GPUs has no route.
  KvTransfers(const PrefillPoolSetup& pool, const InferenceInstance& decode,
              const simgrid::s4u::NetZone* parent, const std::string& zone_name);
  KvTransfers(const KvTransfers&) = delete;
  KvTransfers& operator=(const KvTransfers&) = delete;

  /// Sends the KV of a `tokens`-token prompt from prefill replica `p` to decode replica `d` and
  /// returns when every flow has arrived (call from an actor). Returns the bytes sent.
  double send(int p, int d, int tokens);

 private:
  const PrefillPoolSetup& pool_;
  InferenceInstance decode_;
  FabricRoutes routes_;
  std::unique_ptr<SimPlatform> platform_;
};

}  // namespace capsim::sim_detail
