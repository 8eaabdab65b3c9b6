// simulate_collectives(): checks the input, finds the routes the rings need, then plays each ring
// step as Mailbox put/get between one actor per member, all collectives at once.
#include "capsim/sim/CollectiveSimulation.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <map>
#include <set>
#include <simgrid/s4u/Actor.hpp>
#include <simgrid/s4u/Comm.hpp>
#include <simgrid/s4u/Engine.hpp>
#include <simgrid/s4u/Mailbox.hpp>
#include <sstream>
#include <string>
#include <utility>

#include "SimEngine.hpp"
#include "SimPlatform.hpp"
#include "capsim/models/Errors.hpp"
#include "capsim/models/FabricRoutes.hpp"

namespace capsim {
namespace {

using Kind = SimulatedCollective::Kind;

// Larger messages would not fit SimGrid's 64-bit byte counts; no real buffer comes close.
constexpr double kMaxBytes = 1e18;

[[noreturn]] void fail(const std::string& message) {
  throw ConfigurationError(std::string("simulate_collectives: ").append(message));
}

std::string collective_label(std::size_t k) {
  return std::string("collective ").append(std::to_string(k));
}

void validate(const Topology& topology, const std::vector<SimulatedCollective>& concurrent) {
  if (concurrent.empty()) fail("no collectives given; expected at least one");
  for (std::size_t k = 0; k < concurrent.size(); ++k) {
    const SimulatedCollective& c = concurrent[k];
    const std::string where = collective_label(k);
    if (c.ranks.empty()) fail(where + " has no ranks; expected one or more GPU ranks");
    if (c.kind == Kind::PointToPoint && c.ranks.size() != 2)
      fail(where + " is a point-to-point with " + std::to_string(c.ranks.size()) +
           " ranks; expected exactly two (from, to)");
    std::set<int> seen;
    for (const int rank : c.ranks) {
      if (rank < 0 || rank >= topology.gpu_count())
        fail(where + ": rank " + std::to_string(rank) + " does not exist; the topology has " +
             std::to_string(topology.gpu_count()) + " GPUs (ranks 0.." +
             std::to_string(topology.gpu_count() - 1) + ")");
      if (!seen.insert(rank).second)
        fail(where + ": rank " + std::to_string(rank) + " appears twice; expected each rank once");
    }
    if (!std::isfinite(c.bytes) || c.bytes < 0 || c.bytes > kMaxBytes) {
      std::ostringstream text;
      text << where << ": bytes is " << c.bytes << "; expected a size from 0 to " << kMaxBytes;
      fail(text.str());
    }
  }
}

// Ring steps and the bytes each rank sends per step, as in Collectives.hpp.
int steps_of(const SimulatedCollective& c) {
  const int n = static_cast<int>(c.ranks.size());
  if (n < 2) return 0;
  switch (c.kind) {
    case Kind::AllReduce:
      return 2 * (n - 1);
    case Kind::ReduceScatter:
    case Kind::AllGather:
      return n - 1;
    case Kind::PointToPoint:
      return 1;
  }
  return 0;
}

std::uint64_t message_bytes(const SimulatedCollective& c) {
  const double share =
      c.kind == Kind::PointToPoint ? c.bytes : c.bytes / static_cast<double>(c.ranks.size());
  return static_cast<std::uint64_t>(std::llround(share));
}

// Ordered (from, to) GPU pairs that exchange messages: ring neighbours, or the one send.
std::vector<std::pair<int, int>> pairs_of(const SimulatedCollective& c) {
  std::vector<std::pair<int, int>> pairs;
  const std::size_t n = c.ranks.size();
  if (n < 2) return pairs;
  if (c.kind == Kind::PointToPoint) return {{c.ranks[0], c.ranks[1]}};
  for (std::size_t i = 0; i < n; ++i) pairs.emplace_back(c.ranks[i], c.ranks[(i + 1) % n]);
  return pairs;
}

using RouteTable = std::map<std::pair<int, int>, std::vector<RouteHop>>;

// Every route the collectives need, checked before SimGrid starts so that bad input leaves the
// process able to simulate.
RouteTable find_routes(const Topology& topology, FabricRoutes& routes,
                       const std::vector<SimulatedCollective>& concurrent) {
  const TopologyGraph& graph = topology.graph();
  RouteTable table;
  for (std::size_t k = 0; k < concurrent.size(); ++k) {
    for (const auto& pair : pairs_of(concurrent[k])) {
      if (table.count(pair)) continue;
      const auto [from, to] = pair;
      auto hops = routes.route(topology.gpu_vertex(from), topology.gpu_vertex(to));
      if (hops.empty())
        fail(collective_label(k) + ": no route from GPU " + std::to_string(from) + " (" +
             graph[topology.gpu_vertex(from)].name + ") to GPU " + std::to_string(to) + " (" +
             graph[topology.gpu_vertex(to)].name + "); Topology::check() lists what is broken");
      for (const auto& hop : hops)
        if (!(routes.link(hop.edge).bandwidth_Bps > 0))
          fail(collective_label(k) + ": the route from GPU " + std::to_string(from) + " to GPU " +
               std::to_string(to) + " crosses " + graph[routes.first(hop.edge)].name + " - " +
               graph[routes.second(hop.edge)].name +
               " with no bandwidth; expected every link to have a positive bandwidth");
      table.emplace(pair, std::move(hops));
    }
  }
  return table;
}

// One member of a collective: each step sends to the next member and receives from the previous
// one; the step ends when both are done.
void run_member(const SimulatedCollective& c, std::size_t k, std::size_t position,
                double* finish_s) {
  namespace s4u = simgrid::s4u;
  static int payload = 0;  // SimGrid moves only the simulated size; the pointer is never read
  const std::size_t n = c.ranks.size();
  auto mailbox = [k](std::size_t p) {
    return s4u::Mailbox::by_name(
        std::string("c").append(std::to_string(k)).append(".").append(std::to_string(p)));
  };
  const std::uint64_t size = message_bytes(c);
  if (c.kind == Kind::PointToPoint) {
    if (position == 0)
      mailbox(1)->put(&payload, size);
    else
      mailbox(1)->get<int>();
  } else {
    s4u::Mailbox* outbox = mailbox((position + 1) % n);
    s4u::Mailbox* inbox = mailbox(position);
    for (int step = 0; step < steps_of(c); ++step) {
      s4u::CommPtr send = outbox->put_async(&payload, size);
      inbox->get<int>();
      send->wait();
    }
  }
  *finish_s = std::max(*finish_s, s4u::Engine::get_clock());
}

}  // namespace

double simulate_collectives(const Topology& topology,
                            const std::vector<SimulatedCollective>& concurrent,
                            std::vector<double>* each_finish_s) {
  validate(topology, concurrent);
  FabricRoutes routes(topology.graph(), topology.routing());
  const RouteTable table = find_routes(topology, routes, concurrent);
  sim_detail::claim_engine("simulate_collectives");
  const auto engine = sim_detail::start_engine();
  sim_detail::SimPlatform platform(topology, routes);
  for (const auto& [pair, hops] : table) platform.add_route(pair.first, pair.second, hops);
  platform.seal();

  std::vector<double> finish_s(concurrent.size(), 0.0);
  for (std::size_t k = 0; k < concurrent.size(); ++k) {
    const SimulatedCollective& c = concurrent[k];
    if (steps_of(c) == 0) continue;
    for (std::size_t p = 0; p < c.ranks.size(); ++p) {
      const std::string name =
          std::string("c").append(std::to_string(k)).append(".r").append(std::to_string(p));
      simgrid::s4u::Actor::create(name, platform.gpu_host(c.ranks[p]),
                                  [&c, k, p, &finish_s] { run_member(c, k, p, &finish_s[k]); });
    }
  }
  engine->run();

  if (each_finish_s) *each_finish_s = finish_s;
  return *std::max_element(finish_s.begin(), finish_s.end());
}

}  // namespace capsim
