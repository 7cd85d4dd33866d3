// The agent's one thread: a poll loop over a timerfd (the collection period)
// and a signalfd (SIGTERM, SIGINT). Each tick collects one report from every
// source, appends it to the spool and delivers what the collectors have not
// acknowledged yet.
//
// Report identity: (node_id, boot_id, seq). seq starts, for each run of the
// agent, at CLOCK_BOOTTIME in milliseconds and then counts up by one per
// report: contiguous within a run, increasing across restarts within a boot,
// and never reused, without writing a counter to disk.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "agent/agent_config.h"
#include "agent/pusher.h"
#include "agent/sources/source.h"
#include "agent/spool.h"
#include "vigie.pb.h"

namespace vigie::agent {

class Agent {
 public:
  Agent(AgentConfig config, std::vector<std::unique_ptr<Source>> sources, std::string boot_id, uint64_t first_seq);

  // One report from every source, with identity and pending events.
  v1::Report Collect(const CollectContext& context);

  // Collects one report and queues it for every collector.
  void CollectAndQueue(const CollectContext& context);

  // Sends each collector what it has not acknowledged yet, batch by batch,
  // until it is up to date or a push fails.
  void Deliver();

  // Reads the clean-shutdown marker left by the previous run (and removes it)
  // and queues the AGENT_STARTED event for the first report.
  void NoteStart(int64_t wall_unix_ms);

  // The loop; returns the process exit code after SIGTERM or SIGINT.
  int Run();

  const ReportSpool& spool() const { return spool_; }

 private:
  void Stop(int64_t wall_unix_ms);

  AgentConfig config_;
  std::vector<std::unique_ptr<Source>> sources_;
  std::string boot_id_;
  uint64_t next_seq_;
  std::vector<v1::Event> pending_events_;
  ReportSpool spool_;
  std::vector<Pusher> pushers_;
};

// CLOCK_REALTIME in ms, CLOCK_MONOTONIC in ns, CLOCK_BOOTTIME in ms.
int64_t WallUnixMs();
int64_t MonotonicNs();
int64_t BoottimeMs();

}  // namespace vigie::agent
