// Where each training workload of a scenario runs (private to sim/): the servers of the
// workloads that set `servers`, by their cluster's placement policy (ClusterConfig::placement
// says exactly how), and the cluster GPUs of each job rank.
#pragma once

#include <vector>

#include "capsim/models/Scenario.hpp"

namespace capsim::sim_detail {

/// Servers of each workload, same order as scenario.training; empty for a workload without
/// `servers` (it takes its whole cluster). The parser has checked that they fit.
std::vector<std::vector<int>> place_workloads(const Scenario& scenario);

/// The cluster GPU of each job rank 0 .. servers.size() x gpus_per_server - 1: rank r runs on
/// server servers[r / gpus_per_server], GPU r mod gpus_per_server of it (tensor ranks, fastest
/// in the rank order, stay in one server).
std::vector<int> gpus_of(const std::vector<int>& servers, int gpus_per_server);

}  // namespace capsim::sim_detail
