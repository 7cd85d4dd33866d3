// What several integration tests read back: a Prometheus page as samples,
// a node's stored history as runs of consecutive sequence numbers, a
// process's resident memory.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "collector/store.h"

namespace vigie::testing {

// "name{labels}" -> value, from a Prometheus text page.
std::map<std::string, std::string> ParseMetrics(const std::string& page);

// The stored seqs in their stored order, split into runs of consecutive
// numbers: one run per agent run when nothing was lost or reordered.
std::vector<std::vector<uint64_t>> Runs(const std::vector<collector::Store::StoredReport>& reports);

// Resident memory of process `pid` in KiB (VmRSS of /proc/PID/status), 0 if unknown.
int64_t RssKib(pid_t pid);

}  // namespace vigie::testing
