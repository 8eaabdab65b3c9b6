// start_jobs(): one actor per pipeline rank of every job playing its PipelineProgram, its
// gradient ring (members on the other replicas' GPUs) and its optimizer, iteration after
// iteration with a barrier in between.
#include "JobActors.hpp"

#include <algorithm>
#include <simgrid/s4u/Actor.hpp>
#include <simgrid/s4u/Barrier.hpp>
#include <simgrid/s4u/Comm.hpp>
#include <simgrid/s4u/Disk.hpp>
#include <simgrid/s4u/Engine.hpp>
#include <simgrid/s4u/Host.hpp>
#include <simgrid/s4u/Io.hpp>
#include <simgrid/s4u/Mailbox.hpp>
#include <string>

#include "PipelineProgram.hpp"

namespace capsim::sim_detail {
namespace {

namespace s4u = simgrid::s4u;

int payload = 0;  // SimGrid moves only the simulated size; the pointer is never read

// Activities played in this process: computations and transfers (one engine per process).
std::uint64_t activity_count = 0;

double now() { return s4u::Engine::get_clock(); }

void busy(double seconds) {
  if (seconds <= 0) return;
  ++activity_count;
  s4u::this_actor::execute(seconds * kHostFlops);
}

std::string job_prefix(int job) { return std::string("j").append(std::to_string(job)); }

// Mailbox of what pipeline rank `rank` of replica `replica` of `job` sends: activations ('a')
// or gradients ('g').
s4u::Mailbox* channel(int job, int replica, char kind, int rank) {
  return s4u::Mailbox::by_name(job_prefix(job)
                                   .append(".r")
                                   .append(std::to_string(replica))
                                   .append(".")
                                   .append(1, kind)
                                   .append(std::to_string(rank)));
}

s4u::Mailbox* ring_box(int job, int stage, std::size_t ring, std::size_t position) {
  return s4u::Mailbox::by_name(job_prefix(job)
                                   .append(".d")
                                   .append(std::to_string(stage))
                                   .append(".")
                                   .append(std::to_string(ring))
                                   .append(".")
                                   .append(std::to_string(position)));
}

double slowdown(const JobRun& run, int iteration, int replica, int stage) {
  return run.stage_slowdown.empty()
             ? 1.0
             : run.stage_slowdown.at(iteration).at(replica * run.plan.pp + stage);
}

// Member `position` of data-parallel ring `ring` of pipeline rank `stage`, sending to the next
// member (on `next`) and receiving from the previous one.
// Replayed: every step of every phase as its own transfer, each step waiting for the previous
// one's receive. Reduced (the default): the ring's steps are identical (same neighbours, same
// bytes), so they are played as ONE transfer of all their bytes per ring edge, after the
// latency of the steps but one (the transfer pays the last): uncontended, exactly the steps'
// time; under contention each edge gets its fair share for as long as it lasts, where the replay
// also makes every step wait for the ring's slowest edge (docs/simulation.md measures both).
void play_ring(int job, int stage, const StagePlan& plan, const std::vector<RingPhase>& phases,
               std::size_t ring, std::size_t position, s4u::Host* next, bool replay) {
  const std::size_t n = plan.rings[ring].size();
  s4u::Mailbox* outbox = ring_box(job, stage, ring, (position + 1) % n);
  s4u::Mailbox* inbox = ring_box(job, stage, ring, position);
  if (!replay) {
    std::uint64_t bytes = 0;
    int steps = 0;
    for (const RingPhase& phase : phases) {
      bytes += static_cast<std::uint64_t>(phase.steps) * phase.bytes;
      steps += phase.steps;
    }
    std::vector<s4u::Link*> links;
    double latency_s = 0;
    s4u::this_actor::get_host()->route_to(next, links, &latency_s);
    if (steps > 1) s4u::this_actor::sleep_for((steps - 1) * latency_s);
    s4u::CommPtr send = outbox->put_async(&payload, bytes);
    ++activity_count;
    inbox->get<int>();
    send->wait();
    return;
  }
  for (const RingPhase& phase : phases) {
    for (int step = 0; step < phase.steps; ++step) {
      s4u::CommPtr send = outbox->put_async(&payload, phase.bytes);
      ++activity_count;
      inbox->get<int>();
      send->wait();
    }
  }
}

// Writer `writer` of `job`'s checkpoint, on its GPU: its chunks one after the other.
void send_checkpoint_share(int job, std::size_t writer, const CheckpointPlan& plan) {
  s4u::Mailbox* box =
      s4u::Mailbox::by_name(job_prefix(job).append(".ck").append(std::to_string(writer)));
  for (int c = 0; c < plan.chunks; ++c) {
    ++activity_count;
    box->put(&payload, plan.chunk_bytes);
  }
}

// Its counterpart on the storage node: each chunk goes to the disk as it arrives (the disk is
// shared with the node's other writers), and the share is done when the last write ends. At
// most kCheckpointWindowChunks of a writer's chunks wait for the disk: the next chunk is taken
// only when the one that many before it is written (the storage's flow control), so a
// disk-bound write keeps its flows on the fabric, at the disk's pace, for as long as it lasts.
void store_checkpoint_share(int job, std::size_t writer, const CheckpointPlan& plan,
                            s4u::Disk* disk, CheckpointTiming& timing) {
  s4u::Mailbox* box =
      s4u::Mailbox::by_name(job_prefix(job).append(".ck").append(std::to_string(writer)));
  std::vector<s4u::IoPtr> writes;
  for (int c = 0; c < plan.chunks; ++c) {
    if (c >= kCheckpointWindowChunks) writes[c - kCheckpointWindowChunks]->wait();
    box->get<int>();
    ++activity_count;
    writes.push_back(disk->write_async(plan.chunk_bytes));
  }
  for (const s4u::IoPtr& write : writes) write->wait();
  timing.write_s = std::max(timing.write_s, now() - timing.start_s);
}

class StageActor {
 public:
  StageActor(const SimPlatform& platform, const std::vector<JobRun>& jobs, int job, int replica,
             int stage, int iterations, JobOutcomes& out, s4u::BarrierPtr barrier)
      : platform_(platform),
        run_(jobs[job]),
        plan_(run_.plan),
        job_(job),
        replica_(replica),
        stage_(stage),
        iterations_(iterations),
        out_(out),
        barrier_(std::move(barrier)) {}

  void operator()() {
    const int pp = plan_.pp;
    const std::vector<PipelineStep> program =
        pipeline_program(pp, plan_.vpp, plan_.micro_batches, stage_);
    s4u::Mailbox* send_forward = channel(job_, replica_, 'a', stage_);
    s4u::Mailbox* send_backward = channel(job_, replica_, 'g', stage_);
    s4u::Mailbox* recv_forward = channel(job_, replica_, 'a', (stage_ + pp - 1) % pp);
    s4u::Mailbox* recv_backward = channel(job_, replica_, 'g', (stage_ + 1) % pp);
    const DpMoments moments = dp_moments(program);
    for (int it = 0; it < iterations_; ++it) {
      IterationTiming& timing = out_.timings[job_][it];
      const double start = now();
      timing.start_s = start;
      const double factor = slowdown(run_, it, replica_, stage_);
      const StagePlan& work = plan_.stages[stage_];
      dp_exposed_s_ = 0.0;
      s4u::ActorPtr gather, reduce;
      if (overlapped() && !work.collectives.first_forward.empty())
        gather = start_collectives(work, {&work.collectives.first_forward});
      for (std::size_t i = 0; i < program.size(); ++i) {
        const PipelineStep& step = program[i];
        if (step.compute) {
          const bool forward = step.pass == Pass::Forward;
          if (i == moments.reduce_start && !work.collectives.after_backward.empty())
            reduce = start_collectives(work, {&work.collectives.after_backward});
          const double t0 = now();
          compute_with_collectives(it, work, factor, step);
          span(it,
               std::string(forward ? "F" : "B")
                   .append(std::to_string(step.micro_batch))
                   .append(".")
                   .append(std::to_string(step.chunk)),
               t0);
          if (i == moments.gather_needed && gather) wait_for(it, gather);
        }
        std::vector<s4u::CommPtr> comms;
        int* sink[2] = {nullptr, nullptr};
        if (step.send_forward) comms.push_back(send_forward->put_async(&payload, plan_.p2p_bytes));
        if (step.send_backward)
          comms.push_back(send_backward->put_async(&payload, plan_.p2p_bytes));
        if (step.recv_forward) comms.push_back(recv_forward->get_async<int>(&sink[0]));
        if (step.recv_backward) comms.push_back(recv_backward->get_async<int>(&sink[1]));
        activity_count += step.send_forward + step.send_backward;
        if (!comms.empty()) s4u::Comm::wait_all(comms);
      }
      const double pipeline_end = now();
      timing.stage_pipeline_s[stage_] =
          std::max(timing.stage_pipeline_s[stage_], pipeline_end - start);
      if (reduce) {
        wait_for(it, reduce);
      } else {
        after_pipeline(it, work);
      }
      timing.dp_comm_s = std::max(timing.dp_comm_s, dp_exposed_s_);
      const double t0 = now();
      busy(factor * plan_.optimizer_s);
      span(it, "optimizer", t0);
      if (plan_.input_stall_s > 0) {  // not slowed by a slow GPU: the storage sets it
        const double wait_start = now();
        ++activity_count;
        s4u::this_actor::sleep_for(plan_.input_stall_s);
        span(it, "waiting for input data", wait_start);
      }
      timing.stage_finish_s[stage_] = std::max(timing.stage_finish_s[stage_], now() - start);
      barrier_->wait();
      timing.iteration_s = now() - start;
      if (run_.checkpoint.enabled && it == run_.checkpoint.after_iteration) checkpoint(it);
    }
    // An asynchronous write that outlasted the iterations: the job ends when it is on disk.
    if (!storing_.empty()) {
      const double t0 = now();
      for (const auto& actor : storing_) actor->join();
      out_.checkpoints[job_].stall_s += now() - t0;
    }
  }

 private:
  void span(int iteration, std::string name, double start) {
    if (!out_.record_spans || replica_ != 0) return;
    out_.spans.push_back(WorkSpan{job_, stage_, run_.gpus[plan_.stages[stage_].rank], iteration,
                                  std::move(name), start, now()});
  }

  bool overlapped() const { return plan_.dp_as_flows && plan_.stages[stage_].collectives.overlap; }

  // Where the overlapped end-of-iteration collectives meet the program: the reduction starts with
  // the last backward of the last model chunk (the first of the final micro-batch's backwards;
  // with one chunk, the last backward), the parameter gather is needed when the first forward of
  // the last chunk ends (with one chunk, the first forward). Steps that are neither: npos.
  struct DpMoments {
    std::size_t reduce_start = std::string::npos;
    std::size_t gather_needed = std::string::npos;
  };
  DpMoments dp_moments(const std::vector<PipelineStep>& program) const {
    DpMoments m;
    if (!overlapped()) return m;
    const int last_chunk = plan_.vpp - 1;
    for (std::size_t j = 0; j < program.size(); ++j) {
      const PipelineStep& step = program[j];
      if (!step.compute || step.chunk != last_chunk) continue;
      if (step.pass == Pass::Backward) m.reduce_start = j;
      if (step.pass == Pass::Forward && m.gather_needed == std::string::npos) m.gather_needed = j;
    }
    return m;
  }

  // One compute step with ZeRO-3's per-forward gather or ZeRO-2/3's per-backward collectives, as
  // flows: not overlapped, waited for before a forward and after a backward; overlapped, started
  // with the step and waited for at its end (the rank waits only for what outlasts the step).
  void compute_with_collectives(int iteration, const StagePlan& work, double factor,
                                const PipelineStep& step) {
    const bool forward = step.pass == Pass::Forward;
    const double step_s = factor * (forward ? work.forward_s : work.backward_s)[step.chunk];
    const std::vector<RingPhase>* beside = !plan_.dp_as_flows ? nullptr
                                           : forward          ? &work.collectives.each_forward
                                                              : &work.collectives.each_backward;
    if (beside == nullptr || beside->empty()) {
      busy(step_s);
    } else if (work.collectives.overlap) {
      const s4u::ActorPtr comm = start_collectives(work, {beside});
      busy(step_s);
      wait_for(iteration, comm);
    } else {
      if (forward) play_collective(iteration, work, *beside);
      busy(step_s);
      if (!forward) play_collective(iteration, work, *beside);
    }
  }

  // A helper actor on this GPU plays the collectives one after the other, as NCCL runs them on
  // its stream, while this rank computes (rings only move data: no CPU is shared).
  s4u::ActorPtr start_collectives(const StagePlan& work,
                                  std::vector<const std::vector<RingPhase>*> collectives) {
    return s4u::Actor::create(
        job_prefix(job_).append(".s").append(std::to_string(stage_)).append(".dp"),
        s4u::this_actor::get_host(), [this, &work, collectives] {
          for (const auto* phases : collectives) play_rings(work, *phases);
        });
  }

  // The rank needs a started collective done: what it waits is exposed.
  void wait_for(int iteration, const s4u::ActorPtr& collective) {
    const double t0 = now();
    collective->join();
    dp_exposed_s_ += now() - t0;
    if (now() > t0) span(iteration, "dp", t0);
  }

  // After the pipeline: the closed-form exposed time when the rings are not flows, else the
  // end-of-iteration collectives that were not overlapped.
  void after_pipeline(int iteration, const StagePlan& work) {
    if (!plan_.dp_as_flows) {
      const double t0 = now();
      busy(work.dp_s);
      dp_exposed_s_ += work.dp_s;
      span(iteration, "dp", t0);
    } else if (!work.collectives.overlap && !work.collectives.after_backward.empty()) {
      play_collective(iteration, work, work.collectives.after_backward);
    }
  }

  // A collective the rank waits for, start to end.
  void play_collective(int iteration, const StagePlan& work, const std::vector<RingPhase>& phases) {
    const double t0 = now();
    play_rings(work, phases);
    dp_exposed_s_ += now() - t0;
    span(iteration, "dp", t0);
  }

  // Every ring of the stage plays `phases`. The other tensor ranks and replicas of this rank reach
  // the collective now too (identical work): their ring members start now, on their GPUs, and
  // the calling actor plays member `replica_` of ring 0.
  // Reduced: the calling actor (replica 0) starts every member but its own. Full replay: each
  // replica's actor plays its own position of ring 0 and starts its tensor ranks' members of the
  // other rings.
  void play_rings(const StagePlan& work, const std::vector<RingPhase>& phases) {
    std::vector<s4u::ActorPtr> members;
    const int job = job_, stage = stage_;
    const bool replay = run_.replay_ring_steps;
    const bool all = run_.replicas == 1;
    const auto own = static_cast<std::size_t>(replica_);
    for (std::size_t r = 0; r < work.rings.size(); ++r) {
      const std::size_t n = work.rings[r].size();
      for (std::size_t j = 0; j < n; ++j) {
        if ((r == 0 && j == own) || (!all && j != own)) continue;
        const std::string name = job_prefix(job_)
                                     .append(".s")
                                     .append(std::to_string(stage_))
                                     .append(".dp")
                                     .append(std::to_string(r))
                                     .append(".")
                                     .append(std::to_string(j));
        s4u::Host* next = platform_.gpu_host(run_.gpus[work.rings[r][(j + 1) % n]]);
        members.push_back(s4u::Actor::create(name, platform_.gpu_host(run_.gpus[work.rings[r][j]]),
                                             [job, stage, &work, &phases, r, j, next, replay] {
                                               play_ring(job, stage, work, phases, r, j, next,
                                                         replay);
                                             }));
      }
    }
    const std::size_t n0 = work.rings[0].size();
    play_ring(job_, stage_, work, phases, 0, own,
              platform_.gpu_host(run_.gpus[work.rings[0][(own + 1) % n0]]), replay);
    for (const auto& member : members) member->join();
  }

  // After iteration `it` has ended everywhere: replica 0's first stage starts the writers (after
  // the copy to host memory when asynchronous) and, synchronous, waits for the last chunk on
  // disk; every rank waits for it at the barrier.
  void checkpoint(int it) {
    if (replica_ == 0 && stage_ == 0) {
      const CheckpointPlan& plan = run_.checkpoint;
      CheckpointTiming& timing = out_.checkpoints[job_];
      timing.played = true;
      timing.start_s = now();
      timing.writers = static_cast<int>(plan.writers.size());
      if (plan.async) s4u::this_actor::sleep_for(plan.snapshot_s);
      const int job = job_;
      for (std::size_t w = 0; w < plan.writers.size(); ++w) {
        const CheckpointWriter& writer = plan.writers[w];
        const std::string name = job_prefix(job_).append(".ck").append(std::to_string(w));
        s4u::Actor::create(name + ".send", platform_.gpu_host(run_.gpus[writer.rank]),
                           [job, w, &plan] { send_checkpoint_share(job, w, plan); });
        s4u::Disk* disk = platform_.storage_disk(writer.storage);
        storing_.push_back(s4u::Actor::create(name + ".store",
                                              platform_.storage_host(writer.storage),
                                              [job, w, &plan, disk, &timing] {
                                                store_checkpoint_share(job, w, plan, disk, timing);
                                              }));
      }
      if (!plan.async) {
        for (const auto& actor : storing_) actor->join();
        storing_.clear();
      }
      timing.stall_s = now() - timing.start_s;
      span(it, "checkpoint", timing.start_s);
    }
    barrier_->wait();
  }

  const SimPlatform& platform_;
  const JobRun& run_;
  const IterationPlan& plan_;
  int job_;
  int replica_;
  int stage_;
  int iterations_;
  JobOutcomes& out_;
  s4u::BarrierPtr barrier_;
  double dp_exposed_s_ = 0.0;           ///< this iteration's wait for data-parallel collectives
  std::vector<s4u::ActorPtr> storing_;  ///< an asynchronous checkpoint's storage-side actors
};

}  // namespace

std::uint64_t played_activities() { return activity_count; }

void start_jobs(const SimPlatform& platform, const std::vector<JobRun>& jobs, int iterations,
                JobOutcomes& out) {
  out.timings.assign(jobs.size(), {});
  out.checkpoints.assign(jobs.size(), {});
  for (std::size_t j = 0; j < jobs.size(); ++j) {
    const int pp = jobs[j].plan.pp;
    IterationTiming blank;
    blank.stage_pipeline_s.assign(pp, 0.0);
    blank.stage_finish_s.assign(pp, 0.0);
    out.timings[j].assign(iterations, blank);
    const int replicas = jobs[j].replicas;
    const s4u::BarrierPtr barrier = s4u::Barrier::create(pp * replicas);
    for (int replica = 0; replica < replicas; ++replica) {
      for (int k = 0; k < pp; ++k) {
        const int rank = jobs[j].plan.stages[k].rank + replica * jobs[j].plan.replica_stride;
        s4u::Actor::create(
            job_prefix(static_cast<int>(j))
                .append(".r")
                .append(std::to_string(replica))
                .append(".s")
                .append(std::to_string(k)),
            platform.gpu_host(jobs[j].gpus[rank]),
            StageActor(platform, jobs, static_cast<int>(j), replica, k, iterations, out, barrier));
      }
    }
  }
}

}  // namespace capsim::sim_detail
