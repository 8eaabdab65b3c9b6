// How the data-parallel rings of one training job share the fabric when they run together.
//
// Every data-parallel group reduces its gradients over a ring (NCCL), and the groups of a job
// (each tensor and context rank of each pipeline stage) do so at about the same time, at the end
// of the backward pass. The fabric routes each ring edge statically (FabricRoutes.hpp: D-mod-k by
// destination, as InfiniBand's fat-tree routing does), so edges of different rings can take the
// same switch link in the same direction: a link crossed by c of them gives each 1/c of its
// bandwidth, and a ring moves at the pace of its slowest edge (each step waits for all of them).
// comm_link() prices one group alone on its share of the topology; this is the bandwidth the
// slowest ring gets when all of them route their edges at once, and how far apart in the
// pipeline the rings sharing it are: stage k finishes its last backward k backward slots before
// stage 0, so its ring runs alone until the next ones start (CommPaths::dp_contention, used by
// TrainingEstimate.cpp). docs/simulation.md shows the case that needed it: on
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

/// The busiest link of the data-parallel rings of `layout` run all at once.
struct SharedRings {
  /// Raw link bandwidth (bytes/s per direction, before NCCL's efficiency) each edge crossing it
  /// gets; +infinity when not analysed (adaptive routing, dp 1, members sharing an NVLink
  /// domain, or more ranks than GPUs).
  double shared_Bps = 0;
  /// The farthest apart two pipeline stages whose rings cross it are (of the busiest links, the
  /// one whose rings are closest, the pessimistic choice); 0 when only one stage's rings do.
  int stage_span = 0;
};

/// Ranks ordered tp, cp, dp, pp on GPUs 0, 1, ... of `topology`.
SharedRings dp_rings_shared(const Topology& topology, const TrainingLayout& layout);

}  // namespace capsim
