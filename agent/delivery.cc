#include "agent/delivery.h"

#include <time.h>

#include <algorithm>

#include "common/log.h"
#include "vigie.pb.h"

namespace vigie::agent {
namespace {

constexpr int64_t kRepeatBlockedLogNs = 3600LL * 1'000'000'000;

int64_t MonotonicNowNs() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}

}  // namespace

CollectorLink::CollectorLink(CollectorTarget target, Backoff backoff, size_t batch_max_reports)
    : pusher_(std::move(target)),
      backoff_(std::move(backoff)),
      batch_max_reports_(std::max<size_t>(batch_max_reports, 1)),
      batch_reports_(batch_max_reports_) {}

size_t CollectorLink::Deliver(ReportSpool& spool, size_t collector, int64_t now_ns, bool ignore_backoff) {
  if (!ignore_backoff && !backoff_.Ready(now_ns)) return 0;
  size_t delivered = 0;
  size_t dropped = 0;
  while (spool.pending(collector) > 0) {
    size_t count = 0;
    const std::string batch = spool.NextBatch(collector, batch_reports_, &count);
    const PushResult result = pusher_.Push(batch, count);
    if (result.outcome == PushResult::Outcome::kRetry || result.outcome == PushResult::Outcome::kBlocked) {
      // The time after the push, which may have waited for its timeout.
      Failed(result, spool.pending(collector), MonotonicNowNs());
      return dropped;
    }
    backoff_.Succeeded();
    if (result.outcome == PushResult::Outcome::kRefused && count > 1) {
      batch_reports_ = count / 2;
      continue;
    }
    if (result.outcome == PushResult::Outcome::kStored) {
      spool.Acknowledge(collector, count);
      delivered += count;
    } else {
      DropRefused(spool, collector, batch, result);
      ++dropped;
    }
    batch_reports_ = std::min(batch_reports_ * 2, batch_max_reports_);
  }
  batch_reports_ = batch_max_reports_;
  if (failing_) {
    LogInfo("{}: reachable again, delivered {} waiting report(s)", url(), delivered);
    failing_ = false;
  }
  return dropped;
}

void CollectorLink::Failed(const PushResult& result, size_t pending, int64_t now_ns) {
  backoff_.Failed(now_ns);
  const bool blocked = result.outcome == PushResult::Outcome::kBlocked;
  const bool changed = !failing_ || result.outcome != failed_outcome_ || result.http_status != failed_status_;
  const bool remind = blocked && now_ns - failure_logged_ns_ >= kRepeatBlockedLogNs;
  failing_ = true;
  failed_outcome_ = result.outcome;
  failed_status_ = result.http_status;
  if (!changed && !remind) return;
  failure_logged_ns_ = now_ns;
  if (blocked) {
    LogError("{}: {}; keeping {} report(s) and retrying with backoff", url(), result.reason, pending);
  } else {
    LogWarning("{}: push failed, keeping reports and retrying with backoff: {} ({} report(s) waiting)", url(),
               result.reason, pending);
  }
}

void CollectorLink::DropRefused(ReportSpool& spool, size_t collector, const std::string& batch,
                                const PushResult& result) {
  v1::Batch refused;
  const bool parsed = refused.ParseFromString(batch) && refused.reports_size() == 1;
  LogError("{} refused report {} alone, dropping it: {}", url(),
           parsed ? fmt::format("seq {}", refused.reports(0).seq()) : std::string("(unreadable)"), result.reason);
  spool.Acknowledge(collector, 1);
}

}  // namespace vigie::agent
