// pipeline_program(): Megatron-LM's two 1F1B schedules turned into step lists (see the header).
// The interleaved one follows megatron/core/pipeline_parallel/schedules.py line by line,
// including Python's modulo of a negative virtual micro-batch index.
#include "PipelineProgram.hpp"

#include <algorithm>

namespace capsim::sim_detail {
namespace {

PipelineStep compute(Pass pass, int chunk, int micro_batch) {
  PipelineStep step;
  step.compute = true;
  step.pass = pass;
  step.chunk = chunk;
  step.micro_batch = micro_batch;
  return step;
}

PipelineStep receive_forward() {
  PipelineStep step;
  step.recv_forward = true;
  return step;
}

PipelineStep receive_backward() {
  PipelineStep step;
  step.recv_backward = true;
  return step;
}

std::vector<PipelineStep> plain_1f1b(int pp, int m, int k) {
  const bool first = k == 0, last = k == pp - 1;
  const int warmup = std::min(pp - k - 1, m);
  const int steady = m - warmup;
  std::vector<PipelineStep> steps;
  int forward = 0, backward = 0;
  for (int i = 0; i < warmup; ++i) {
    if (!first) steps.push_back(receive_forward());
    PipelineStep step = compute(Pass::Forward, 0, forward++);
    step.send_forward = !last;
    steps.push_back(step);
  }
  if (steady > 0 && !first) steps.push_back(receive_forward());
  for (int i = 0; i < steady; ++i) {
    PipelineStep f = compute(Pass::Forward, 0, forward++);
    f.send_forward = f.recv_backward = !last;  // send_forward_recv_backward
    steps.push_back(f);
    PipelineStep b = compute(Pass::Backward, 0, backward++);
    b.send_backward = !first;
    b.recv_forward = !first && i != steady - 1;  // send_backward_recv_forward
    steps.push_back(b);
  }
  for (int i = 0; i < warmup; ++i) {
    if (!last) steps.push_back(receive_backward());
    PipelineStep step = compute(Pass::Backward, 0, backward++);
    step.send_backward = !first;
    steps.push_back(step);
  }
  return steps;
}

// Python's a % b for b > 0.
int python_mod(int a, int b) { return ((a % b) + b) % b; }

std::vector<PipelineStep> interleaved_1f1b(int pp, int vpp, int m, int k) {
  const bool first_rank = k == 0, last_rank = k == pp - 1;
  const int group = pp * vpp;
  const int total = m * vpp;
  const bool all_warmup = m == pp;
  const int warmup = all_warmup ? total : std::min((pp - k - 1) * 2 + (vpp - 1) * pp, total);
  const int remaining = total - warmup;
  auto chunk_of = [&](int i, Pass pass) {
    const int chunk = python_mod(i, group) / pp;
    return pass == Pass::Forward ? chunk : vpp - 1 - chunk;
  };
  auto micro_batch_of = [&](int i) { return i / group * pp + i % pp; };
  auto first_virtual = [&](int chunk) { return first_rank && chunk == 0; };
  auto last_virtual = [&](int chunk) { return last_rank && chunk == vpp - 1; };
  auto forward_step = [&](int i) {
    const int chunk = chunk_of(i, Pass::Forward);
    PipelineStep step = compute(Pass::Forward, chunk, micro_batch_of(i));
    step.send_forward = !last_virtual(chunk);
    return step;
  };
  auto backward_step = [&](int i) {
    const int chunk = chunk_of(i, Pass::Backward);
    PipelineStep step = compute(Pass::Backward, chunk, micro_batch_of(i));
    step.send_backward = !first_virtual(chunk);
    return step;
  };

  std::vector<PipelineStep> steps;
  if (!first_rank) steps.push_back(receive_forward());
  for (int i = 0; i < warmup; ++i) {
    PipelineStep step = forward_step(i);
    step.recv_forward = !(first_rank && chunk_of(i + 1, Pass::Forward) == 0) && i != total - 1;
    // The last warm-up step also receives the first gradient
    // (send_forward_backward_recv_forward_backward with no gradient to send).
    if (i == warmup - 1 && !all_warmup) step.recv_backward = !last_rank;
    steps.push_back(step);
  }
  for (int j = 0; j < remaining; ++j) {
    const int forward_k = j + warmup, backward_k = j;
    PipelineStep f = forward_step(forward_k);
    PipelineStep b = backward_step(backward_k);
    // Both computations run before the batch of four transfers.
    b.send_forward = f.send_forward;
    f.send_forward = false;
    steps.push_back(f);
    b.recv_forward = !first_rank || chunk_of(forward_k - (pp - 1), Pass::Forward) != vpp - 1;
    b.recv_backward = !last_rank || chunk_of(backward_k - (pp - 1), Pass::Backward) != 0;
    if (j == remaining - 1) b.recv_forward = false;
    steps.push_back(b);
  }
  if (all_warmup && !last_rank) steps.push_back(receive_backward());
  for (int i = remaining; i < total; ++i) {
    PipelineStep step = backward_step(i);
    step.recv_backward =
        !(last_rank && chunk_of(i + 1, Pass::Backward) == vpp - 1) && i != total - 1;
    steps.push_back(step);
  }
  return steps;
}

}  // namespace

std::vector<PipelineStep> pipeline_program(int pp, int vpp, int micro_batches, int rank) {
  return vpp <= 1 ? plain_1f1b(pp, micro_batches, rank)
                  : interleaved_1f1b(pp, vpp, micro_batches, rank);
}

}  // namespace capsim::sim_detail
