// Delivery of the spool to one collector: batch by batch, oldest first, with
// a backoff after a failure, and no report lost for anything but the
// collector's verdict on that very report (agent/pusher.h says which answer
// means what).
//
// A batch refused as such (400, 413, 422) is split: its first half is sent,
// then the rest, halving again at each refusal, until a single report is
// refused alone; only that report is dropped, logged with the collector's
// reason, and counted. The batch size then doubles back after each answer
// that settles a batch: one refused report among n costs about 2 * log2(n)
// extra requests, a backlog refused whole about two requests a report.
//
// An answer that is not the collector's verdict keeps every report and
// holds the collector back for a backoff. It is logged when delivery starts
// failing and when the kind of failure changes; an answer that needs a
// person (a refused token, a captive portal's page, a 404) at error level,
// and again every hour while it lasts. Not thread-safe.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include "agent/agent_config.h"
#include "agent/backoff.h"
#include "agent/pusher.h"
#include "agent/spool.h"

namespace vigie::agent {

class CollectorLink {
 public:
  CollectorLink(CollectorTarget target, Backoff backoff, size_t batch_max_reports);

  // Sends collector `collector` of `spool` the reports it lacks until it has
  // them all or a push fails. Unless `ignore_backoff`, does nothing before
  // next_attempt_ns(). Returns how many reports it dropped because the
  // collector refused them.
  size_t Deliver(ReportSpool& spool, size_t collector, int64_t now_ns, bool ignore_backoff);

  // CLOCK_MONOTONIC time of the next attempt after a failure; 0 when none is due.
  int64_t next_attempt_ns() const { return backoff_.next_attempt_ns(); }
  const std::string& url() const { return pusher_.url(); }

 private:
  void Failed(const PushResult& result, size_t pending, int64_t now_ns);
  // Drops the single report of `batch`, refused alone.
  void DropRefused(ReportSpool& spool, size_t collector, const std::string& batch, const PushResult& result);

  Pusher pusher_;
  Backoff backoff_;
  size_t batch_max_reports_;
  size_t batch_reports_;  // below batch_max_reports_ while splitting
  bool failing_ = false;
  PushResult::Outcome failed_outcome_ = PushResult::Outcome::kRetry;
  int failed_status_ = 0;
  int64_t failure_logged_ns_ = 0;
};

}  // namespace vigie::agent
