// Sends serialized batches to one collector over one kept-alive connection
// (agent/http_client.h), and says what the agent should do with the batch.
// Only a collector's verdict on the reports themselves ever costs a report:
//
//   200 + a PushAck whose stored + duplicates is the number of reports sent
//                       kStored: the batch is durable, drop it from the spool
//   400, 413, 422       kRefused: this content is refused; the agent splits
//                       the batch and drops only a single report refused alone
//   408, 429, 5xx, no answer (refused connection, timeout, TLS, malformed)
//                       kRetry: keep the reports, try again after a backoff
//   401, 403            kBlocked: the collector refuses this node's token; keep
//                       the reports, retry after a backoff, a person must act.
//                       The token file is read again before each retry after
//                       one: fixing the file is enough, no restart needed
//   any other answer (a 200 that acknowledges less or nothing, as a captive
//   portal's or a proxy's page does; a 3xx, as redirects are not followed;
//   404 and the other 4xx)
//                       kBlocked: the answer is not the collector's verdict;
//                       keep the reports, retry after a backoff
//
// Blocking (bounded by the target's timeout); not thread-safe.
#pragma once

#include <cstddef>
#include <optional>
#include <string>

#include "agent/agent_config.h"
#include "agent/http_client.h"
#include "vigie.pb.h"

namespace vigie::agent {

struct PushResult {
  enum class Outcome { kStored, kRefused, kRetry, kBlocked };
  Outcome outcome = Outcome::kRetry;
  int http_status = 0;  // 0 when no HTTP answer arrived
  v1::PushAck ack;
  // For a log line: what was received and, for kBlocked, what to fix. Only
  // printable text (common/printable.h), whatever the answer held.
  std::string reason;
};

class Pusher {
 public:
  explicit Pusher(CollectorTarget target);

  // Posts `batch`, a serialized v1::Batch of `report_count` reports. A client
  // that cannot be set up (bad URL, unreadable CA file) fails every push
  // with kRetry and the reason, and is set up again at the next push:
  // fixing the file is enough, no restart needed.
  PushResult Push(const std::string& batch, size_t report_count);
  const std::string& url() const { return target_.url; }

 private:
  // After a 401 or 403: the token file, read again; a new token replaces
  // the client (and its Authorization header).
  void RereadToken();

  CollectorTarget target_;
  std::optional<HttpClient> client_;
  bool token_refused_ = false;
};

}  // namespace vigie::agent
