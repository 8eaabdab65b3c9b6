// The state the serving actors share (private to sim/; ServingSimulation.cpp runs the actors,
// ServingStatistics.cpp turns what they did into ServiceStats).
#pragma once

#include <cstdint>
#include <deque>
#include <memory>
#include <simgrid/s4u/Host.hpp>
#include <simgrid/s4u/Semaphore.hpp>
#include <utility>
#include <vector>

#include "KvTransfer.hpp"
#include "ServingReplica.hpp"
#include "capsim/sim/ServingSimulation.hpp"

namespace capsim::sim_detail {

enum class Phase { Starting, Active, Draining, Stopped };

// One engine stream of a replica: the replica itself with pp 1, one of its pp virtual engines
// (each with its own batch and 1/pp of the KV blocks, stepping at the pipeline's iteration
// time; InferenceStep.hpp) otherwise.
struct Stream {
  std::unique_ptr<ReplicaEngine> engine;
  simgrid::s4u::SemaphorePtr wake = simgrid::s4u::Semaphore::create(0);
  bool sleeping = false;
  bool stopped = false;  // drained and ended
};

struct Replica {
  std::vector<Stream> streams;
  bool prefill = false;  // of a disaggregated service's prefill pool
  int pool_index = 0;    // its index in its pool
  int gpus = 1;
  int incoming = 0;               // decode pool: KV transfers on their way to it
  std::vector<int> finished_log;  // prefill pool: prompts done, to hand on
  Phase phase = Phase::Active;
  double born_s = 0, stopped_s = -1;
  // At the autoscaler's last reading.
  double kv_block_s_mark = 0, waiting_s_mark = 0, outstanding_s_mark = 0;

  /// Queued + running requests over its streams.
  int outstanding() const {
    int n = 0;
    for (const Stream& s : streams) n += s.engine->outstanding();
    return n;
  }
  /// A figure of the engines summed over the streams.
  template <typename T>
  T sum(T ReplicaEngine::*field) const {
    T total{};
    for (const Stream& s : streams) total += (*s.engine).*field;
    return total;
  }
  long long kv_blocks() const {
    long long n = 0;
    for (const Stream& s : streams) n += s.engine->kv_blocks();
    return n;
  }
  /// Wakes every stream that sleeps.
  void wake_all() {
    for (Stream& s : streams) {
      if (!s.sleeping) continue;
      s.sleeping = false;
      s.wake->release();
    }
  }
};

struct ServiceRun {
  const ServiceSetup* setup = nullptr;
  std::vector<RequestState> requests;
  std::vector<int> replica_of;
  std::unique_ptr<StepTimeTable> steps;
  std::vector<std::unique_ptr<Replica>> replicas;  // disaggregated: the decode pool first
  std::deque<int> pending;                         // arrived while no replica took requests
  std::size_t next_round_robin = 0, next_prefill_round_robin = 0;
  // Disaggregated: the prefill pool's view of the requests (one output token each), its step
  // times and the fabric the KV crosses.
  std::vector<RequestState> prefill_requests;
  std::unique_ptr<StepTimeTable> prefill_steps;
  std::unique_ptr<KvTransfers> transfers;
  double kv_transfer_bytes = 0;
  double output_tokens_in_window = 0;
  std::vector<ReplicaSample> samples;
  std::deque<std::pair<double, int>> wishes;  // the autoscaler's (time, replicas wanted)
  int peak_alive = 0;
  double next_tick_s = 0;  // the autoscaler's next reading (infinity without one)
};

struct World {
  std::vector<ServiceRun> services;
  long long total_requests = 0;
  long long finished = 0;
  std::uint64_t events = 0;
  simgrid::s4u::SemaphorePtr all_done = simgrid::s4u::Semaphore::create(0);
  simgrid::s4u::Host* host = nullptr;
  double window_s = 0;    // the longest duration
  double deadline_s = 0;  // the controller ends the simulation then at the latest
};

/// What the service's replicas did, from the start to `end_s`; `keep` fills the records.
ServiceStats statistics(const ServiceRun& s, double end_s, bool keep);

}  // namespace capsim::sim_detail
