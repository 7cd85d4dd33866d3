// Splitting a request the receiver refused, so that only the samples it
// truly refuses are dropped. Prometheus appends a request all or nothing:
// one sample older than its series' newest (outside the out-of-order
// window) or a second value at a timestamp refuses the request's every
// sample, those of every other node with it.
//
// The sender splits a refused request per node, then halves a refused part
// again and again until a refused part is a single sample, which is
// dropped. Parts are sent depth first, the first half before the second:
// the first half holds the earlier samples, so every series still reaches
// the receiver in timestamp order. k refused samples among n cost about
// k * 2 * log2(n) requests, all refused: 2n - 1; the samples copied per
// level of halving are at most n.
//
// Pure, no I/O.
#pragma once

#include <cstddef>
#include <utility>
#include <vector>

#include "prometheus_remote.pb.h"

namespace vigie::collector {

size_t SampleCount(const prometheus::WriteRequest& request);

// One request per value of the "node" label, in the order the nodes first
// appear (series without one go together, last). A single node: one part.
std::vector<prometheus::WriteRequest> SplitByNode(const prometheus::WriteRequest& request);

// Two requests of half the samples each (the first holding at least one):
// samples ordered by timestamp, then by their series' position, the first
// half before the second; within a series, the samples keep their order.
// With at least two samples, both halves hold some.
std::pair<prometheus::WriteRequest, prometheus::WriteRequest> Bisect(const prometheus::WriteRequest& request);

}  // namespace vigie::collector
