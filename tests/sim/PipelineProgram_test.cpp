// pipeline_program(): Megatron's 1F1B schedules as step lists, checked without SimGrid by
// playing the channels as in-order queues of labelled messages: every transfer a rank receives
// is one its neighbour sent, in order, and every computation finds its input already received.
#include "PipelineProgram.hpp"

#include <gtest/gtest.h>

#include <deque>
#include <set>
#include <tuple>
#include <vector>

namespace capsim::test {
namespace {

using sim_detail::Pass;
using sim_detail::pipeline_program;
using sim_detail::PipelineStep;

// A message: forward activation or backward gradient of virtual stage `from`, micro-batch `mb`.
using Message = std::tuple<Pass, int, int>;

// Plays every rank's program step by step: a step runs its computation and posts its sends
// (queued at once), then completes when its receives find a message. The rendezvous of the
// simulation only adds waiting, not reordering; its freedom from deadlock is checked by the
// simulations themselves. Checks that each computation's input arrived before it, that each
// channel is emptied, and that every rank computes m x vpp forwards and backwards. Returns false
// when the programs stop short.
bool play(int pp, int vpp, int m) {
  std::vector<std::vector<PipelineStep>> programs;
  for (int k = 0; k < pp; ++k) programs.push_back(pipeline_program(pp, vpp, m, k));
  std::vector<std::deque<Message>> forward(pp), backward(pp);  // sent by rank k
  std::vector<std::size_t> next(pp, 0);
  std::vector<bool> started(pp, false);      // the step's computation ran and its sends are posted
  std::vector<std::set<Message>> inbox(pp);  // received, not yet used
  std::vector<Message> last_forward(pp), last_backward(pp);
  std::vector<int> forwards(pp, 0), backwards(pp, 0);
  const int stages = pp * vpp;
  bool progress = true;
  while (progress) {
    progress = false;
    for (int k = 0; k < pp; ++k) {
      if (next[k] == programs[k].size()) continue;
      const PipelineStep& step = programs[k][next[k]];
      std::deque<Message>& from_prev = forward[(k + pp - 1) % pp];
      std::deque<Message>& from_next = backward[(k + 1) % pp];
      if (!started[k]) {
        started[k] = true;
        progress = true;
        if (step.compute) {
          const int v = step.chunk * pp + k;  // virtual stage
          if (step.pass == Pass::Forward) {
            ++forwards[k];
            if (v > 0) {
              EXPECT_EQ(inbox[k].erase({Pass::Forward, v - 1, step.micro_batch}), 1u);
            }
            last_forward[k] = {Pass::Forward, v, step.micro_batch};
          } else {
            ++backwards[k];
            if (v < stages - 1) {
              EXPECT_EQ(inbox[k].erase({Pass::Backward, v + 1, step.micro_batch}), 1u);
            }
            last_backward[k] = {Pass::Backward, v, step.micro_batch};
          }
        }
        // A steady interleaved step sends the output of the forward that ran just before it (a
        // compute-only step) with that of its own backward.
        if (step.send_forward) forward[k].push_back(last_forward[k]);
        if (step.send_backward) backward[k].push_back(last_backward[k]);
      }
      if ((step.recv_forward && from_prev.empty()) || (step.recv_backward && from_next.empty()))
        continue;
      if (step.recv_forward) {
        inbox[k].insert(from_prev.front());
        from_prev.pop_front();
      }
      if (step.recv_backward) {
        inbox[k].insert(from_next.front());
        from_next.pop_front();
      }
      ++next[k];
      started[k] = false;
      progress = true;
    }
  }
  bool done = true;
  for (int k = 0; k < pp; ++k) {
    done = done && next[k] == programs[k].size();
    EXPECT_EQ(forwards[k], m * vpp) << "rank " << k;
    EXPECT_EQ(backwards[k], m * vpp) << "rank " << k;
    EXPECT_TRUE(forward[k].empty()) << "rank " << k;
    EXPECT_TRUE(backward[k].empty()) << "rank " << k;
    EXPECT_TRUE(inbox[k].empty()) << "rank " << k;
  }
  return done;
}

TEST(PipelineProgram, PlainScheduleMatchesEveryMessage) {
  for (const int pp : {1, 2, 3, 4, 8})
    for (const int m : {1, 2, 3, 4, 8, 16}) EXPECT_TRUE(play(pp, 1, m)) << pp << " " << m;
}

TEST(PipelineProgram, InterleavedScheduleMatchesEveryMessage) {
  for (const int pp : {2, 3, 4, 8})
    for (const int vpp : {2, 3, 4})
      for (const int rounds : {1, 2, 3}) EXPECT_TRUE(play(pp, vpp, rounds * pp)) << pp << vpp;
}

// The plain schedule's shape by hand: rank k of 4 warms up with 3 - k forwards, rank 3 (the
// last) alternates F and B from the start and never sends activations.
TEST(PipelineProgram, PlainWarmupByHand) {
  const auto first = pipeline_program(4, 1, 8, 0);
  int leading_forwards = 0;
  for (const PipelineStep& step : first) {
    if (!step.compute) continue;
    if (step.pass == Pass::Backward) break;
    ++leading_forwards;
  }
  EXPECT_EQ(leading_forwards, 3 + 1);  // warm-up 3, then the first steady forward
  for (const PipelineStep& step : pipeline_program(4, 1, 8, 3)) EXPECT_FALSE(step.send_forward);
  for (const PipelineStep& step : first) EXPECT_FALSE(step.send_backward);
}

// Interleaved, pp 2, vpp 2, m 2 (every micro-batch in the warm-up, Megatron's m = pp case):
// rank 0 runs F(chunk 0, mb 0), F(0, 1), F(1, 0), F(1, 1), then B(1, 0), B(1, 1), B(0, 0),
// B(0, 1); the last rank sends its chunk 0 activations on to rank 0 (virtual stage 1 -> 2).
TEST(PipelineProgram, InterleavedOrderByHand) {
  std::vector<std::tuple<Pass, int, int>> order;
  for (const PipelineStep& step : pipeline_program(2, 2, 2, 0))
    if (step.compute) order.emplace_back(step.pass, step.chunk, step.micro_batch);
  const std::vector<std::tuple<Pass, int, int>> expected{
      {Pass::Forward, 0, 0},  {Pass::Forward, 0, 1},  {Pass::Forward, 1, 0},
      {Pass::Forward, 1, 1},  {Pass::Backward, 1, 0}, {Pass::Backward, 1, 1},
      {Pass::Backward, 0, 0}, {Pass::Backward, 0, 1}};
  EXPECT_EQ(order, expected);
  int sends = 0;
  for (const PipelineStep& step : pipeline_program(2, 2, 2, 1)) sends += step.send_forward;
  EXPECT_EQ(sends, 2);  // chunk 0's two micro-batches; chunk 1 is the last virtual stage
}

}  // namespace
}  // namespace capsim::test
