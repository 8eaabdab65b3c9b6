// Small hand-checkable topologies and cluster settings shared by the simulation tests.
#pragma once

#include "capsim/models/Scenario.hpp"
#include "capsim/models/Topology.hpp"

namespace capsim::test {

// Servers of 2 GPUs in one NVLink domain (450 GB/s), one 400 Gb/s NIC per GPU, one switch.
inline Topology two_gpu_servers(int servers) {
  FabricSpec spec;
  spec.kind = FabricTemplate::SingleSwitch;
  spec.servers = servers;
  spec.gpus_per_server = 2;
  spec.nvlink_domain_gpus = 2;
  spec.nvlink_bandwidth_Bps = 450e9;
  spec.nvlink_latency_s = 0.5e-6;
  spec.nics_per_server = 2;
  spec.nic_bandwidth_Bps = 50e9;
  spec.nic_latency_s = 1e-6;
  spec.leaf = SwitchModel{64, 50e9, 0.2e-6};
  spec.spine = spec.leaf;
  spec.core = spec.leaf;
  spec.cable_latency_s = 0.01e-6;
  return build_topology(spec);
}

// Only the link efficiencies of a cluster enter the simulation and comm_paths().
inline ClusterConfig efficiencies(double scaleup, double network) {
  ClusterConfig cluster;
  cluster.gpu.scaleup_collective_efficiency = scaleup;
  cluster.nic.collective_efficiency = network;
  return cluster;
}

}  // namespace capsim::test
