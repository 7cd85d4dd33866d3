// The agent's one thread: a poll loop over timerfds and a signalfd.
//
//   period timer    collect one report from every source, queue it, deliver
//   retry timer     armed only while a collector is in backoff with a backlog
//   watchdog timer  only when WatchdogSec/2 is shorter than the period
//   signals         SIGTERM/SIGINT: last report, spool to disk, exit;
//                   SIGHUP: reload the configuration, keeping the spool
//
// When idle it wakes exactly once per period. It writes to disk only on
// SIGTERM and when the backlog is older than spool_write_after.
//
// Report identity: (node_id, boot_id, seq). seq starts, for each run of the
// agent, at CLOCK_BOOTTIME in milliseconds and then counts up by one per
// report: contiguous within a run, increasing across restarts within a boot,
// and never reused, without writing a counter to disk.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "agent/agent_config.h"
#include "agent/delivery.h"
#include "agent/report_bounds.h"
#include "agent/sources/source.h"
#include "agent/spool.h"
#include "vigie.pb.h"

namespace vigie::agent {

// A source and how often it runs: every cycle (period 0), or once per period
// (SMART: 30 minutes), in the cycle where it falls due.
struct ScheduledSource {
  std::unique_ptr<Source> source;
  std::chrono::milliseconds period{0};
  int64_t next_due_ns = 0;
};

class Agent {
 public:
  // Sources run in the given order (the disk source before the hwmon
  // source, which asks it which disks sleep).
  Agent(AgentConfig config, std::vector<ScheduledSource> sources, std::string boot_id, uint64_t first_seq);

  // One report, with identity and pending events, from the sources due at
  // context.monotonic_ns, or from all of them when `all_sources`; within
  // the bounds a collector accepts (agent/report_bounds.h).
  v1::Report Collect(const CollectContext& context, bool all_sources = false);

  // The loop; returns the process exit code after SIGTERM or SIGINT.
  int Run();

  const ReportSpool& spool() const { return spool_; }

 private:
  void Start(int64_t wall_unix_ms, int64_t now_ns);
  void CollectAndQueue(int64_t now_ns);
  // Sends each ready collector what it lacks (agent/delivery.h).
  void Deliver(int64_t now_ns, bool ignore_backoff);
  void PersistIfOld(int64_t now_ns);
  void Persist(int64_t now_ns);
  void Stop(int64_t now_ns);
  void Reload();
  void ApplyCollectors();
  // The earliest backoff end among collectors with a backlog; 0 if none.
  int64_t NextRetryNs() const;

  AgentConfig config_;
  std::vector<ScheduledSource> sources_;
  std::string boot_id_;
  uint64_t next_seq_;
  std::vector<v1::Event> pending_events_;
  ReportBounds bounds_{AgentReportLimits()};
  ReportSpool spool_;
  std::vector<CollectorLink> links_;
  // Reports dropped because no collector would ever take them: refused by
  // a collector (400), or another node's left in the spool file.
  uint64_t unsendable_dropped_ = 0;
  bool spool_file_exists_ = false;
  int64_t last_persist_ns_ = 0;
};

// How the previous run ended, as the AGENT_STARTED event of this run says it,
// from two small files in `state_directory`:
//   clean-shutdown  written on SIGTERM (WriteCleanShutdownMarker), removed here:
//                   its presence proves a clean end; it holds that run's boot id;
//   boot-id         the boot id of the last run, (re)written here only when it
//                   differs from `boot_id`: once per boot, never in steady state.
// Without the marker the previous run was killed or lost its power, and
// previous_boot_id comes from boot-id, so that the collector can tell a
// reboot (another boot id) from an agent crash (the same). A first start has
// neither file: no previous_boot_id. A file that cannot be written is logged.
v1::Event StartedEvent(const std::filesystem::path& state_directory, const std::string& boot_id,
                       int64_t wall_unix_ms);
void WriteCleanShutdownMarker(const std::filesystem::path& state_directory, const std::string& boot_id);

// Fills `spool` from the spool file at `path` (ReportSpool::StartRestore ...
// FinishRestore), leaving out the reports of another node (node_id changed
// before this start): every collector would refuse them (403) and hold back
// the reports behind them. Each collector's progress is kept. The reports
// are not parsed (the parser would stay resident); one that a collector
// refuses anyway is dropped alone at delivery (agent/delivery.h). Logs what
// it left out. `read` counts the file's reports, `dropped` those left out.
struct SpoolRestore {
  size_t read = 0;
  size_t dropped = 0;
};
SpoolRestore RestoreSpoolFile(const std::filesystem::path& path, const std::string& node_id, ReportSpool& spool,
                              int64_t now_ns);

// CLOCK_REALTIME in ms, CLOCK_MONOTONIC in ns, CLOCK_BOOTTIME in ms.
int64_t WallUnixMs();
int64_t MonotonicNs();
int64_t BoottimeMs();

}  // namespace vigie::agent
