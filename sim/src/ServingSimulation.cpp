// simulate_services(): the arrival, replica, autoscaler and controller actors of every service on
// SimGrid's clock (see ServingSimulation.hpp), and the statistics of what they did.
#include "capsim/sim/ServingSimulation.hpp"

#include <algorithm>
#include <cmath>
#include <deque>
#include <limits>
#include <memory>
#include <simgrid/s4u/Actor.hpp>
#include <simgrid/s4u/Engine.hpp>
#include <simgrid/s4u/Host.hpp>
#include <simgrid/s4u/NetZone.hpp>
#include <simgrid/s4u/Semaphore.hpp>
#include <string>

#include "KvTransfer.hpp"
#include "ServingReplica.hpp"
#include "ServingWorld.hpp"
#include "SimEngine.hpp"
#include "capsim/models/Errors.hpp"

namespace capsim {
namespace sim_detail {
namespace {

namespace s4u = simgrid::s4u;

double now() { return s4u::Engine::get_clock(); }

// Longest run of iterations one sleep plays: bounds the step times planned in vain when an
// arrival cuts the run short.
constexpr int kMostFollowers = 256;

// A run's iterations must end before the next autoscaler reading and the deadline: the reading
// sees every iteration begun before it, and the followers' figures are added when the run ends.
// The margin keeps a run clear of a reading that rounding puts a hair earlier.
double run_horizon_s(const World& world, const ServiceRun& s) {
  const double horizon_s = std::min(s.next_tick_s, world.deadline_s);
  return horizon_s - 1e-9 * std::max(1.0, horizon_s);
}

void record(ServiceRun& s) {
  ReplicaSample sample;
  sample.time_s = now();
  for (const auto& r : s.replicas) {
    sample.active += r->phase == Phase::Active;
    sample.starting += r->phase == Phase::Starting;
    sample.draining += r->phase == Phase::Draining;
  }
  s.peak_alive = std::max(s.peak_alive, sample.active + sample.starting + sample.draining);
  if (!s.samples.empty() && s.samples.back().time_s == sample.time_s) s.samples.pop_back();
  s.samples.push_back(sample);
}

// The replica's stream with the fewest outstanding requests (ties to the lowest) takes it.
void deliver(ServiceRun& s, std::size_t index, int request) {
  Replica& r = *s.replicas[index];
  std::size_t best = 0;
  for (std::size_t k = 1; k < r.streams.size(); ++k) {
    if (r.streams[k].engine->outstanding() < r.streams[best].engine->outstanding()) best = k;
  }
  Stream& stream = r.streams[best];
  stream.engine->enqueue(request);
  if (!r.prefill) s.replica_of[static_cast<std::size_t>(request)] = static_cast<int>(index);
  if (stream.sleeping) {
    stream.sleeping = false;
    stream.wake->release();
  }
}

// The replica of the pool (prefill or not) that takes the next request; replicas.size() if none.
std::size_t choose(ServiceRun& s, bool prefill) {
  std::size_t best = s.replicas.size();
  if (s.setup->router == RouterPolicy::LeastOutstanding) {
    int fewest = 0;
    for (std::size_t i = 0; i < s.replicas.size(); ++i) {
      const Replica& r = *s.replicas[i];
      if (r.phase != Phase::Active || r.prefill != prefill) continue;
      const int outstanding = r.outstanding() + r.incoming;
      if (best == s.replicas.size() || outstanding < fewest) {
        best = i;
        fewest = outstanding;
      }
    }
  } else {
    std::size_t& cursor = prefill ? s.next_prefill_round_robin : s.next_round_robin;
    for (std::size_t tried = 0; tried < s.replicas.size(); ++tried) {
      const std::size_t i = (cursor + tried) % s.replicas.size();
      if (s.replicas[i]->phase != Phase::Active || s.replicas[i]->prefill != prefill) continue;
      best = i;
      cursor = i + 1;
      break;
    }
  }
  return best;
}

void route(ServiceRun& s, int request) {
  const std::size_t best = choose(s, s.transfers != nullptr);
  if (best == s.replicas.size()) {
    s.pending.push_back(request);
    return;
  }
  deliver(s, best, request);
}

void request_done(World& world) {
  ++world.finished;
  if (world.finished == world.total_requests) world.all_done->release();
}

// A prompt finished on prefill replica `p`: its KV goes to the decode replica with the fewest
// outstanding requests (transfers on their way counted), which streams the first token once
// the KV has arrived. A one-token request ends on the prefill replica.
void hand_on(World& world, ServiceRun& s, const Replica& p, int request) {
  RequestState& q = s.requests[static_cast<std::size_t>(request)];
  const RequestState& prefilled = s.prefill_requests[static_cast<std::size_t>(request)];
  q.first_scheduled_s = prefilled.first_scheduled_s;
  if (q.output <= 1) {
    q.first_token_s = q.finish_s = prefilled.finish_s;
    request_done(world);
    return;
  }
  const std::size_t d = choose(s, false);
  ++s.replicas[d]->incoming;
  s4u::Actor::create(s.setup->name + ".kv", world.host,
                     [&world, &s, &q, request, d, from = p.pool_index] {
                       s4u::Actor::self()->daemonize();
                       Replica& decode = *s.replicas[d];
                       s.kv_transfer_bytes += s.transfers->send(from, decode.pool_index, q.input);
                       ++world.events;
                       q.first_token_s = now();
                       q.generated = 1;
                       q.kv_ready = true;
                       --decode.incoming;
                       deliver(s, d, request);
                     });
}

void stream_actor(World& world, ServiceRun& s, std::size_t index, std::size_t stream_index);

// Starts the replica after `startup_s` (0: at once), then runs its streams, stream 0 on this
// actor and the others on actors of their own.
void replica_actor(World& world, ServiceRun& s, std::size_t index, double startup_s) {
  s4u::Actor::self()->daemonize();
  Replica& r = *s.replicas[index];
  if (startup_s > 0) {
    s4u::this_actor::sleep_for(startup_s);
    ++world.events;
    if (r.phase != Phase::Starting) return;  // scaled down before it started
    r.phase = Phase::Active;
    record(s);
    while (!s.pending.empty()) {
      const int request = s.pending.front();
      s.pending.pop_front();
      route(s, request);
    }
  }
  for (std::size_t k = 1; k < r.streams.size(); ++k) {
    s4u::Actor::create(
        s.setup->name + ".replica" + std::to_string(index) + ".stream" + std::to_string(k),
        world.host, [&world, &s, index, k] {
          s4u::Actor::self()->daemonize();
          stream_actor(world, s, index, k);
        });
  }
  stream_actor(world, s, index, 0);
}

// One stream's iterations, one after another; it ends when its replica drains and it is idle.
void stream_actor(World& world, ServiceRun& s, std::size_t index, std::size_t stream_index) {
  Replica& r = *s.replicas[index];
  Stream& stream = r.streams[stream_index];
  ReplicaEngine& engine = *stream.engine;
  const double window_s = s.setup->duration_s;
  while (true) {
    const double start_s = now();
    const double step_s = engine.begin_iteration(start_s);
    if (step_s <= 0) {
      if (r.phase == Phase::Draining) {
        stream.stopped = true;
        if (std::all_of(r.streams.begin(), r.streams.end(),
                        [](const Stream& other) { return other.stopped; })) {
          r.phase = Phase::Stopped;
          r.stopped_s = now();
          record(s);
        }
        return;
      }
      stream.sleeping = true;
      stream.wake->acquire();
      stream.sleeping = false;
      continue;
    }
    ++world.events;
    const double tokens_before = engine.output_tokens;
    const long long finished_before = engine.finished;
    const int followers =
        engine.plan_followers(start_s + step_s, run_horizon_s(world, s), kMostFollowers);
    if (followers == 0) {
      s4u::this_actor::sleep_for(step_s);
      engine.end_iteration(now());
      if (now() <= window_s) s.output_tokens_in_window += engine.output_tokens - tokens_before;
    } else {
      // Sleep through the run; a request delivered meanwhile wakes the stream, which finishes
      // the iteration in progress and plans again with the request queued.
      const std::vector<double>& ends_s = engine.run_ends_s();
      stream.sleeping = true;
      stream.wake->acquire_timeout(ends_s.back() - start_s);
      stream.sleeping = false;
      while (!stream.wake->would_block()) stream.wake->acquire();  // a release racing the timeout
      const double woken_s = now();
      std::size_t last = 0;
      while (last + 1 < ends_s.size() && ends_s[last] < woken_s) ++last;
      // SimGrid's clock reaches a date as now + (date - now): a timeout may wake a hair early.
      if (ends_s[last] - woken_s > 1e-12 * std::max(1.0, woken_s)) {
        ++world.events;
        s4u::this_actor::sleep_until(ends_s[last]);
      }
      const auto per_iteration = static_cast<double>(engine.decoding());
      for (std::size_t i = 0; i <= last; ++i) {
        if (ends_s[i] <= window_s) s.output_tokens_in_window += per_iteration;
      }
      engine.end_run(static_cast<int>(last));
    }
    if (r.prefill) {
      for (const int request : r.finished_log) hand_on(world, s, r, request);
      r.finished_log.clear();
      continue;
    }
    world.finished += engine.finished - finished_before;
    if (world.finished == world.total_requests && engine.finished > finished_before) {
      world.all_done->release();
    }
  }
}

void start_replica(World& world, ServiceRun& s, Phase phase, double startup_s,
                   bool prefill = false) {
  const ServiceSetup& setup = *s.setup;
  auto replica = std::make_unique<Replica>();
  replica->prefill = prefill;
  if (prefill) {
    replica->streams.resize(1);
    replica->streams[0].engine = std::make_unique<ReplicaEngine>(
        *s.prefill_steps, setup.engine, setup.prefill_pool->kv_blocks, s.prefill_requests);
    replica->streams[0].engine->finished_log = &replica->finished_log;
    replica->gpus = setup.prefill_pool->instance.tp;
  } else {
    // pp streams, each with 1/pp of the blocks (rounded down, as vLLM's virtual engines).
    const int pp = setup.instance.pp;
    replica->streams.resize(static_cast<std::size_t>(pp));
    for (Stream& stream : replica->streams) {
      stream.engine =
          std::make_unique<ReplicaEngine>(*s.steps, setup.engine, setup.kv_blocks / pp, s.requests);
    }
    replica->gpus = setup.instance.tp * pp;
  }
  for (const auto& other : s.replicas) replica->pool_index += other->prefill == prefill;
  replica->phase = phase;
  replica->born_s = now();
  s.replicas.push_back(std::move(replica));
  const std::size_t index = s.replicas.size() - 1;
  s4u::Actor::create(setup.name + ".replica" + std::to_string(index), world.host,
                     [&world, &s, index, startup_s] { replica_actor(world, s, index, startup_s); });
}

void arrivals_actor(World& world, ServiceRun& s, const ServingSettings& settings) {
  s4u::Actor::self()->daemonize();
  const std::vector<ServingRequest>& requests = s.setup->requests;
  for (std::size_t i = 0; i < requests.size(); ++i) {
    s4u::this_actor::sleep_until(requests[i].arrival_s);
    ++world.events;
    route(s, static_cast<int>(i));
    if (settings.progress && i % 4096 == 0) {
      settings.progress(std::min(0.99, now() / world.window_s));
    }
  }
}

// One reading of the metric over the replicas taking requests, since the last reading.
double read_metric(ServiceRun& s, double interval_s) {
  const AutoscalerConfig& a = s.setup->autoscaler;
  double sum = 0;
  int active = 0;
  for (auto& r : s.replicas) {
    const double kv_block_s = r->sum(&ReplicaEngine::kv_block_s);
    const double waiting_s = r->sum(&ReplicaEngine::waiting_s);
    const double outstanding_s = r->sum(&ReplicaEngine::outstanding_s);
    const double kv = kv_block_s - r->kv_block_s_mark, waiting = waiting_s - r->waiting_s_mark;
    const double outstanding = outstanding_s - r->outstanding_s_mark;
    r->kv_block_s_mark = kv_block_s;
    r->waiting_s_mark = waiting_s;
    r->outstanding_s_mark = outstanding_s;
    if (r->phase != Phase::Active) continue;
    ++active;
    switch (a.metric) {
      case ScalingMetric::Queue:
        sum += waiting / interval_s;
        break;
      case ScalingMetric::Concurrency:
        sum += outstanding / interval_s;
        break;
      case ScalingMetric::Utilization:
        sum += kv / (interval_s * static_cast<double>(r->kv_blocks()));
        break;
    }
  }
  return active > 0 ? sum / active : 0;
}

void autoscaler_actor(World& world, ServiceRun& s) {
  s4u::Actor::self()->daemonize();
  const AutoscalerConfig& a = s.setup->autoscaler;
  while (true) {
    s.next_tick_s = now() + a.interval_s;
    s4u::this_actor::sleep_for(a.interval_s);
    ++world.events;
    const double metric = read_metric(s, a.interval_s);
    int active = 0, starting = 0;
    for (const auto& r : s.replicas) {
      active += r->phase == Phase::Active;
      starting += r->phase == Phase::Starting;
    }
    const int current = active + starting;
    const double ratio = metric / a.target;
    int wanted = current;
    if (active > 0 && std::abs(ratio - 1) > a.tolerance) {
      wanted = static_cast<int>(std::ceil(active * ratio - 1e-9));
    }
    wanted = std::clamp(wanted, a.min_replicas, a.max_replicas);
    s.wishes.emplace_back(now(), wanted);
    while (!s.wishes.empty() && s.wishes.front().first < now() - a.scale_down_window_s) {
      s.wishes.pop_front();
    }
    if (wanted > current) {
      for (int i = current; i < wanted; ++i) start_replica(world, s, Phase::Starting, a.startup_s);
    } else {
      int keep = 0;
      for (const auto& wish : s.wishes) keep = std::max(keep, wish.second);
      // Starting replicas go first, then the newest taking requests.
      for (int excess = current - keep; excess > 0; --excess) {
        Replica* victim = nullptr;
        for (auto it = s.replicas.rbegin(); it != s.replicas.rend() && !victim; ++it)
          if ((*it)->phase == Phase::Starting) victim = it->get();
        for (auto it = s.replicas.rbegin(); it != s.replicas.rend() && !victim; ++it)
          if ((*it)->phase == Phase::Active) victim = it->get();
        if (!victim) break;
        if (victim->phase == Phase::Starting) {
          victim->phase = Phase::Stopped;
          victim->stopped_s = now();
        } else {
          victim->phase = Phase::Draining;
          victim->wake_all();
        }
      }
    }
    record(s);
  }
}

void check(const ServiceSetup& setup) {
  const std::string who =
      std::string("simulate_services: service '").append(setup.name).append("'");
  if (setup.replicas < 1) throw ConfigurationError(who + ": needs at least one replica");
  if (setup.kv_blocks < 1) throw ConfigurationError(who + ": has no KV-cache blocks");
  if (setup.instance.pp < 1 || setup.kv_blocks < setup.instance.pp)
    throw ConfigurationError(who + ": needs pp >= 1 and a KV-cache block for each of its pp " +
                             "streams");
  if (setup.instance.pp > 1 && setup.prefill_pool)
    throw ConfigurationError(who +
                             ": pipeline-parallel replicas are not modelled with "
                             "disaggregated pools; expected pp 1");
  if (!(setup.duration_s > 0)) throw ConfigurationError(who + ": needs a positive duration");
  const AutoscalerConfig& a = setup.autoscaler;
  if (a.enabled &&
      (a.min_replicas < 1 || a.max_replicas < a.min_replicas || !(a.interval_s > 0) ||
       !(a.target > 0) || setup.replicas < a.min_replicas || setup.replicas > a.max_replicas))
    throw ConfigurationError(who +
                             ": autoscaler needs 1 <= min <= replicas <= max, a positive "
                             "interval and target");
  if (const auto& pool = setup.prefill_pool) {
    if (pool->replicas < 1 || pool->kv_blocks < 1 || !pool->topology || a.enabled ||
        static_cast<int>(pool->first_gpus.size()) != pool->replicas ||
        static_cast<int>(pool->decode_first_gpus.size()) != setup.replicas)
      throw ConfigurationError(who +
                               ": a prefill pool needs replicas with KV blocks, the first GPU "
                               "of each prefill and decode replica, a topology and no "
                               "autoscaler");
    const auto outside = [&](const std::vector<int>& firsts, int tp) {
      for (const int gpu : firsts)
        if (gpu < 0 || gpu + tp > pool->topology->gpu_count()) return true;
      return false;
    };
    if (outside(pool->first_gpus, pool->instance.tp) ||
        outside(pool->decode_first_gpus, setup.instance.tp))
      throw ConfigurationError(who + ": a replica's GPUs lie outside the topology's " +
                               std::to_string(pool->topology->gpu_count()));
  }
}

}  // namespace
}  // namespace sim_detail

ServingSimulation simulate_services(const std::vector<ServiceSetup>& services,
                                    const ServingSettings& settings) {
  using namespace sim_detail;
  if (services.empty()) throw ConfigurationError("simulate_services: no services; expected one");
  for (const ServiceSetup& setup : services) check(setup);
  World world;
  world.services.resize(services.size());
  for (std::size_t i = 0; i < services.size(); ++i) {
    ServiceRun& s = world.services[i];
    s.setup = &services[i];
    s.steps = std::make_unique<StepTimeTable>(services[i].instance);
    s.requests.resize(services[i].requests.size());
    s.replica_of.assign(services[i].requests.size(), -1);
    for (std::size_t r = 0; r < s.requests.size(); ++r) {
      s.requests[r].arrival_s = services[i].requests[r].arrival_s;
      s.requests[r].input = services[i].requests[r].input_tokens;
      s.requests[r].output = services[i].requests[r].output_tokens;
      s.requests[r].prefix = services[i].requests[r].prefix;
    }
    if (const auto& pool = services[i].prefill_pool) {
      s.prefill_steps = std::make_unique<StepTimeTable>(pool->instance);
      s.prefill_requests = s.requests;
      for (RequestState& q : s.prefill_requests) q.output = 1;
    }
    world.total_requests += static_cast<long long>(s.requests.size());
    world.window_s = std::max(world.window_s, services[i].duration_s);
    s.next_tick_s = services[i].autoscaler.enabled ? services[i].autoscaler.interval_s
                                                   : std::numeric_limits<double>::infinity();
  }
  world.deadline_s = 2 * world.window_s;
  claim_engine("simulate_services");
  const auto engine = start_engine();
  auto* zone = s4u::create_full_zone("serving");
  world.host = zone->create_host("frontend", 1e9);
  world.host->seal();
  for (ServiceRun& s : world.services) {
    if (s.setup->prefill_pool) {
      s.transfers = std::make_unique<KvTransfers>(*s.setup->prefill_pool, s.setup->instance, zone,
                                                  s.setup->name + ".fabric");
    }
  }
  zone->seal();

  for (ServiceRun& s : world.services) {
    for (int r = 0; r < s.setup->replicas; ++r) start_replica(world, s, Phase::Active, 0);
    if (const auto& pool = s.setup->prefill_pool) {
      for (int r = 0; r < pool->replicas; ++r) start_replica(world, s, Phase::Active, 0, true);
    }
    record(s);
    s4u::Actor::create(s.setup->name + ".arrivals", world.host,
                       [&world, &s, &settings] { arrivals_actor(world, s, settings); });
    if (s.setup->autoscaler.enabled) {
      s4u::Actor::create(s.setup->name + ".autoscaler", world.host,
                         [&world, &s] { autoscaler_actor(world, s); });
    }
  }
  double end_s = 0;
  s4u::Actor::create("controller", world.host, [&world, &end_s] {
    if (world.total_requests > 0) world.all_done->acquire_timeout(2 * world.window_s);
    if (now() < world.window_s) s4u::this_actor::sleep_until(world.window_s);
    end_s = now();
  });
  engine->run();

  ServingSimulation result;
  result.events = world.events;
  for (ServiceRun& s : world.services) {
    record(s);
    result.services.push_back(statistics(s, end_s, settings.keep_requests));
  }
  if (settings.progress) settings.progress(1.0);
  return result;
}

}  // namespace capsim
