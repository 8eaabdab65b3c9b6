// KvTransfers: the flows of a prompt's KV cache between a prefill and a decode replica.
#include "KvTransfer.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <simgrid/s4u/Comm.hpp>

#include "capsim/models/Errors.hpp"

namespace capsim::sim_detail {

std::vector<KvFlow> kv_flows(const InferenceInstance& prefill, int prefill_first_gpu,
                             const InferenceInstance& decode, int decode_first_gpu, int tokens) {
  const int g = prefill.model.kv_heads;
  const int per_prefill = g / prefill.tp, per_decode = g / decode.tp;
  const double gpu_bytes = static_cast<double>(tokens) * kv_bytes_per_token(prefill);
  std::vector<KvFlow> flows;
  for (int i = 0; i < prefill.tp; ++i) {
    for (int j = 0; j < decode.tp; ++j) {
      const int common = std::min((i + 1) * per_prefill, (j + 1) * per_decode) -
                         std::max(i * per_prefill, j * per_decode);
      if (common <= 0) continue;
      flows.push_back({prefill_first_gpu + i, decode_first_gpu + j,
                       gpu_bytes * common / static_cast<double>(per_prefill)});
    }
  }
  return flows;
}

KvTransfers::KvTransfers(const PrefillPoolSetup& pool, const InferenceInstance& decode,
                         const simgrid::s4u::NetZone* parent, const std::string& zone_name)
    : pool_(pool), decode_(decode), routes_(pool.topology->graph(), pool.topology->routing()) {
  const Topology& topology = *pool.topology;
  platform_ = std::make_unique<SimPlatform>(
      topology, routes_, LinkEfficiency{pool.scaleup_efficiency, pool.network_efficiency}, parent,
      zone_name);
  for (const int p : pool.first_gpus) {
    for (const int d : pool.decode_first_gpus) {
      for (const KvFlow& flow : kv_flows(pool.instance, p, decode, d, 1)) {
        const auto hops =
            routes_.route(topology.gpu_vertex(flow.from_gpu), topology.gpu_vertex(flow.to_gpu));
        if (hops.empty()) {
          throw ConfigurationError(std::string("KV transfer: no route from GPU ")
                                       .append(std::to_string(flow.from_gpu))
                                       .append(" to GPU ")
                                       .append(std::to_string(flow.to_gpu))
                                       .append("; expected a connected fabric"));
        }
        platform_->add_route(flow.from_gpu, flow.to_gpu, hops);
      }
    }
  }
  platform_->seal();
}

double KvTransfers::send(int p, int d, int tokens) {
  namespace s4u = simgrid::s4u;
  const auto flows =
      kv_flows(pool_.instance, pool_.first_gpus.at(static_cast<std::size_t>(p)), decode_,
               pool_.decode_first_gpus.at(static_cast<std::size_t>(d)), tokens);
  std::vector<s4u::CommPtr> comms;
  double bytes = 0;
  for (const KvFlow& flow : flows) {
    const auto flow_bytes = static_cast<std::uint64_t>(std::llround(flow.bytes));
    comms.push_back(s4u::Comm::sendto_async(platform_->gpu_host(flow.from_gpu),
                                            platform_->gpu_host(flow.to_gpu), flow_bytes));
    bytes += static_cast<double>(flow_bytes);
  }
  s4u::Comm::wait_all(comms);
  return bytes;
}

}  // namespace capsim::sim_detail
