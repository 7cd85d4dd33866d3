// Sends serialized batches to one collector over one kept-alive connection
// (agent/http_client.h), and says what the agent should do with the batch.
// Blocking (bounded by the target's timeout); not thread-safe.
#pragma once

#include <optional>
#include <string>

#include "agent/agent_config.h"
#include "agent/http_client.h"
#include "vigie.pb.h"

namespace vigie::agent {

struct PushResult {
  enum class Outcome {
    kStored,    // 200 with a PushAck: the batch is durable, drop it from the spool
    kRejected,  // 4xx: the collector will never take it; drop it and log why
    kRetry,     // 5xx, timeout, refused connection: keep it, try again later
  };
  Outcome outcome = Outcome::kRetry;
  long http_status = 0;  // 0 when no HTTP answer arrived
  v1::PushAck ack;
  std::string reason;  // for logs: the error or the collector's answer
};

class Pusher {
 public:
  explicit Pusher(CollectorTarget target);

  // A client that cannot be set up (bad URL, unreadable CA file) fails every
  // push with kRetry and the reason, and is set up again at the next push:
  // fixing the file is enough, no restart needed.
  PushResult Push(const std::string& batch);
  const std::string& url() const { return target_.url; }

 private:
  CollectorTarget target_;
  std::optional<HttpClient> client_;
};

}  // namespace vigie::agent
