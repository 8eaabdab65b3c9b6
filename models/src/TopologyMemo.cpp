#include "TopologyMemo.hpp"

#include <list>
#include <mutex>
#include <utility>

namespace capsim {
namespace {

// A few entries: a scenario's clusters and the placed workloads' shares of them. A 16,384-GPU
// topology holds tens of MB, so the memo stays small.
constexpr std::size_t kRemembered = 4;

struct Memo {
  std::mutex mutex;
  std::list<std::pair<FabricSpec, std::shared_ptr<const PlannedTopology>>> entries;  // newest first
};

Memo& memo() {
  static Memo instance;
  return instance;
}

std::shared_ptr<const PlannedTopology> analyse(const FabricSpec& spec) {
  auto planned = std::make_shared<PlannedTopology>();
  planned->topology = build_topology(spec);
  planned->problems = planned->topology.check();
  if (planned->problems.empty()) {  // the figures of a broken fabric are never read
    planned->bom = planned->topology.bill_of_materials();
    planned->bisection_Bps = planned->topology.bisection_bandwidth_Bps();
    planned->max_switch_hops = planned->topology.max_hops();
  }
  return planned;
}

}  // namespace

std::shared_ptr<const PlannedTopology> planned_topology(const FabricSpec& spec) {
  Memo& m = memo();
  {
    std::lock_guard lock(m.mutex);
    for (auto it = m.entries.begin(); it != m.entries.end(); ++it) {
      if (it->first == spec) {
        m.entries.splice(m.entries.begin(), m.entries, it);
        return m.entries.front().second;
      }
    }
  }
  auto planned = analyse(spec);  // outside the lock: other threads keep planning meanwhile
  std::lock_guard lock(m.mutex);
  m.entries.emplace_front(spec, planned);
  if (m.entries.size() > kRemembered) m.entries.pop_back();
  return planned;
}

}  // namespace capsim
