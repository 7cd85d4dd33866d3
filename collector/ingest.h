// POST /v1/push: authenticates the node, validates the batch, stores it and
// answers with a PushAck only after the store committed and the alerting
// engine saw the reports.
//
//   401  no bearer token, or a token that belongs to no node (told before
//        the body is parsed)
//   403  a valid token used for another node's reports
//   400  a body that does not parse, breaks the schema's rules, or holds a
//        report over the configured ReportLimits or with a string that is
//        not printable UTF-8 (the reason is in the answer); nothing is stored
//   429  the node pushes more often than max_pushes_per_minute (Retry-After)
//   503  the store cannot write now (disk full, locked): the agent keeps the
//        batch and retries
//   200  a serialized v1::PushAck
//
// Thread-safe; called from the HTTP server's threads. A valid push's answer
// is deferred (HttpResponse::deferred): its Start submits the batch to the
// group committer, and its Finish gives the 200 or the 503. No thread waits
// for the commit.
#pragma once

#include <atomic>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "collector/collector_config.h"
#include "collector/fleet_state.h"
#include "collector/group_committer.h"
#include "collector/http_types.h"
#include "collector/rate_limiter.h"

namespace vigie::collector {

// The collector's own counters, exposed on /metrics.
struct IngestCounters {
  std::atomic<uint64_t> pushes_stored{0};
  std::atomic<uint64_t> pushes_unauthorized{0};
  std::atomic<uint64_t> pushes_forbidden{0};
  std::atomic<uint64_t> pushes_bad_request{0};
  // Of the bad requests, those refused for a report over ReportLimits.
  std::atomic<uint64_t> pushes_over_limits{0};
  std::atomic<uint64_t> pushes_rate_limited{0};
  std::atomic<uint64_t> pushes_store_error{0};
  std::atomic<uint64_t> reports_stored{0};
  std::atomic<uint64_t> reports_duplicate{0};
  std::atomic<uint64_t> bytes_received{0};
};

class Ingest {
 public:
  // The alerting engine hears of the stored reports from the committer
  // (GroupCommitter::AfterCommit), before the push is answered.
  Ingest(const CollectorConfig& config, GroupCommitter& committer, FleetState& state);

  // An error at once, or the deferred answer of a valid push.
  HttpResponse HandlePush(std::string_view authorization, std::string_view body, int64_t now_ms);
  // The 401 (counted) of a push whose Authorization names no node, from its
  // headers alone; nullopt for a known node's token.
  std::optional<HttpResponse> RefuseUnknownToken(std::string_view authorization);

  const IngestCounters& counters() const { return counters_; }

 private:
  class PendingPush;

  // The node whose token `authorization` carries ("Bearer <token>", the
  // scheme in any case); null when none.
  const std::string* NodeOfToken(std::string_view authorization);

  // The answer to a push whose group commit is over; its newest report (by
  // boot and seq: the node's clock may be wrong) goes to the fleet's state with its bytes (`report_bytes`: each report's, in
  // the batch's order).
  HttpResponse Acknowledge(const std::string& node_id, v1::Batch& batch,
                           const std::vector<std::string_view>& report_bytes, int64_t now_ms,
                           const Result<StoredBatch>& stored);

  const CollectorConfig& config_;
  GroupCommitter& committer_;
  FleetState& state_;
  RateLimiter rate_limiter_;
  // token SHA-256 -> node id: who pushes, known before the body is parsed.
  std::unordered_map<std::string, std::string> node_by_token_hash_;
  IngestCounters counters_;
};

}  // namespace vigie::collector
