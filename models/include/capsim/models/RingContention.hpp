// How the data-parallel rings of one training job share the fabric when they run together.
//
// Every data-parallel group reduces its gradients over a ring (NCCL), and the groups of a job
// (each tensor and context rank of each pipeline stage) do so at about the same time, at the end
// of the backward pass. The fabric routes each ring edge statically (FabricRoutes.hpp: D-mod-k by
// destination, as InfiniBand's fat-tree routing does), so edges of different rings can take the
// same switch link in the same direction: a link crossed by c of them gives each 1/c of its
// bandwidth, and a ring moves at the pace of its slowest edge (each step waits for all of them).
// comm_link() prices one group alone on its share of the topology; this is the bandwidth the
// slowest ring gets when all of them route their edges at once, which the estimate takes where
// it is lower (TrainingPlan.cpp). docs/simulation.md shows the case that needed it: on
// megatron-sc21-39.1b the two stages' rings meet on one leaf uplink and each runs at half speed.
//
// Analysed under static routing only: adaptive routing spreads packets over the equal paths, so
// the rings share the fabric's capacity as comm_link's share already assumes. And analysed
// where every member of a ring is alone in its NVLink domain (tp x cp fills a server),
// so a ring edge is one flow over one NIC's path, as the simulation plays it. With several
// members per domain NCCL runs one ring per NIC (channels), which the closed form counts as k x
// one NIC; their routes are not analysed.
#pragma once

#include "capsim/models/Topology.hpp"
#include "capsim/models/TrainingEstimate.hpp"

namespace capsim {

/// Raw link bandwidth (bytes/s per direction, before NCCL's efficiency) of the slowest edge of
/// the slowest data-parallel ring of `layout` when all its rings run at once, ranks ordered tp,
/// cp, dp, pp on GPUs 0, 1, ... of `topology`; +infinity when not analysed (adaptive routing,
/// dp 1, members sharing an NVLink domain, or more ranks than GPUs).
double dp_rings_shared_bandwidth_Bps(const Topology& topology, const TrainingLayout& layout);

}  // namespace capsim
