// Peer copies and NCCL collectives, timed with CUDA events on one stream per GPU.
#include <cuda_runtime.h>

#include <algorithm>
#include <stdexcept>

#include "CollectiveBenchmark.hpp"
#include "RandomFill.cuh"
#include "Statistics.hpp"
#include "Timing.hpp"

namespace capsim::calibrate {

double bus_factor(const std::string& op, int ranks) {
  const double n = ranks;
  return op == "all_reduce" ? 2 * (n - 1) / n : (n - 1) / n;
}

std::vector<PeerCopyResult> time_peer_copies(int devices, double bytes, int samples) {
  std::vector<PeerCopyResult> results;
  const size_t size = size_t(bytes);
  float* source = nullptr;
  check_cuda_status(cudaSetDevice(0), "cudaSetDevice");
  check_cuda_status(cudaMalloc(&source, size), "cudaMalloc");
  fill_random(source, size / sizeof(float), 21);
  for (int dst = 1; dst < devices; ++dst) {
    PeerCopyResult r;
    r.src = 0, r.dst = dst, r.bytes = double(size);
    int can = 0;
    cudaDeviceCanAccessPeer(&can, 0, dst);
    if (can) {
      const cudaError_t status = cudaDeviceEnablePeerAccess(dst, 0);
      r.peer_access = status == cudaSuccess || status == cudaErrorPeerAccessAlreadyEnabled;
      cudaGetLastError();  // clear "already enabled"
    }
    void* target = nullptr;
    check_cuda_status(cudaSetDevice(dst), "cudaSetDevice");
    check_cuda_status(cudaMalloc(&target, size), "cudaMalloc");
    check_cuda_status(cudaSetDevice(0), "cudaSetDevice");
    TimingPlan plan;
    plan.samples = samples;
    plan.min_sample_s = 1e-3;
    plan.max_launches = 100;
    try {
      const Timed timed = time_launches([&] { cudaMemcpyPeerAsync(target, dst, source, 0, size); },
                                        plan, "peer copy");
      r.seconds = median(timed.per_launch_s);
    } catch (...) {
      cudaFree(target);
      cudaFree(source);
      throw;
    }
    cudaFree(target);
    results.push_back(r);
  }
  cudaFree(source);
  return results;
}

namespace {

// One communicator, stream, event pair and send/receive buffer per GPU.
struct Rank {
  NcclComm comm = nullptr;
  cudaStream_t stream = nullptr;
  cudaEvent_t start = nullptr, stop = nullptr;
  float* send = nullptr;
  float* recv = nullptr;
};

// Enqueues one call of `op` on every rank, `count` = floats per rank in the larger buffer.
void enqueue(const NcclLibrary& nccl, const std::string& op, std::vector<Rank>& ranks,
             size_t count) {
  const int n = int(ranks.size());
  nccl.check(nccl.group_start(), "ncclGroupStart");
  for (int r = 0; r < n; ++r) {
    Rank& x = ranks[r];
    NcclResult result = 0;
    if (op == "all_reduce") {
      result = nccl.all_reduce(x.send, x.recv, count, kNcclFloat32, kNcclSum, x.comm, x.stream);
    } else if (op == "all_gather") {
      result = nccl.all_gather(x.send, x.recv, count / n, kNcclFloat32, x.comm, x.stream);
    } else if (op == "reduce_scatter") {
      result =
          nccl.reduce_scatter(x.send, x.recv, count / n, kNcclFloat32, kNcclSum, x.comm, x.stream);
    } else {
      const size_t chunk = count / n;
      for (int peer = 0; peer < n && result == 0; ++peer) {
        result = nccl.send(x.send + peer * chunk, chunk, kNcclFloat32, peer, x.comm, x.stream);
        if (result == 0) {
          result = nccl.recv(x.recv + peer * chunk, chunk, kNcclFloat32, peer, x.comm, x.stream);
        }
      }
    }
    if (result != 0) {
      nccl.group_end();
      nccl.check(result, "nccl " + op);
    }
  }
  nccl.check(nccl.group_end(), "ncclGroupEnd (" + op + ")");
}

// Seconds per call: the slowest rank's events around `iterations` calls.
double time_op(const NcclLibrary& nccl, const std::string& op, std::vector<Rank>& ranks,
               size_t count, int iterations) {
  for (Rank& x : ranks) check_cuda_status(cudaEventRecord(x.start, x.stream), "cudaEventRecord");
  for (int i = 0; i < iterations; ++i) enqueue(nccl, op, ranks, count);
  double slowest = 0;
  for (Rank& x : ranks) check_cuda_status(cudaEventRecord(x.stop, x.stream), "cudaEventRecord");
  for (Rank& x : ranks) {
    check_cuda_status(cudaEventSynchronize(x.stop), "nccl " + op);
    float ms = 0;
    check_cuda_status(cudaEventElapsedTime(&ms, x.start, x.stop), "cudaEventElapsedTime");
    slowest = std::max(slowest, ms * 1e-3 / iterations);
  }
  return slowest;
}

}  // namespace

std::vector<CollectiveResult> time_collectives(const NcclLibrary& nccl, int devices,
                                               const std::vector<double>& sizes, int samples,
                                               int iterations) {
  const double largest = *std::max_element(sizes.begin(), sizes.end());
  const size_t max_count = size_t(largest) / sizeof(float);
  std::vector<Rank> ranks(devices);
  std::vector<NcclComm> comms(devices);
  nccl.check(nccl.comm_init_all(comms.data(), devices, nullptr), "ncclCommInitAll");
  for (int r = 0; r < devices; ++r) {
    Rank& x = ranks[r];
    x.comm = comms[r];
    check_cuda_status(cudaSetDevice(r), "cudaSetDevice");
    check_cuda_status(cudaStreamCreateWithFlags(&x.stream, cudaStreamNonBlocking),
                      "cudaStreamCreate");
    check_cuda_status(cudaEventCreate(&x.start), "cudaEventCreate");
    check_cuda_status(cudaEventCreate(&x.stop), "cudaEventCreate");
    check_cuda_status(cudaMalloc(&x.send, max_count * sizeof(float)), "cudaMalloc");
    check_cuda_status(cudaMalloc(&x.recv, max_count * sizeof(float)), "cudaMalloc");
    fill_random(x.send, max_count, 30 + r);
    check_cuda_status(cudaDeviceSynchronize(), "filling NCCL buffers");
  }
  std::vector<CollectiveResult> results;
  for (const char* op : {"all_reduce", "all_gather", "reduce_scatter", "all_to_all"}) {
    for (double bytes : sizes) {
      // Whole floats per rank and per peer chunk.
      const size_t count = std::max<size_t>(size_t(bytes) / sizeof(float) / devices, 1) * devices;
      time_op(nccl, op, ranks, count, 1);  // warm-up: connections, buffers
      std::vector<double> times;
      for (int s = 0; s < samples; ++s)
        times.push_back(time_op(nccl, op, ranks, count, iterations));
      CollectiveResult c;
      c.op = op;
      c.ranks = devices;
      c.bytes = double(count * sizeof(float));
      c.seconds = median(times);
      c.algbw_Bps = c.bytes / c.seconds;
      c.busbw_Bps = c.algbw_Bps * bus_factor(op, devices);
      results.push_back(c);
    }
  }
  for (int r = 0; r < devices; ++r) {
    cudaSetDevice(r);
    nccl.comm_destroy(ranks[r].comm);
    cudaFree(ranks[r].send);
    cudaFree(ranks[r].recv);
    cudaEventDestroy(ranks[r].start);
    cudaEventDestroy(ranks[r].stop);
    cudaStreamDestroy(ranks[r].stream);
  }
  cudaSetDevice(0);
  return results;
}

}  // namespace capsim::calibrate
