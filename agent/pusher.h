// Sends serialized batches to one collector over one kept-alive libcurl
// connection, and says what the agent should do with the batch.
// Blocking (bounded by the target's timeout); not thread-safe.
#pragma once

#include <memory>
#include <string>

#include <curl/curl.h>

#include "agent/agent_config.h"
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

  PushResult Push(const std::string& batch);
  const std::string& url() const { return target_.url; }

 private:
  struct CurlDeleter {
    void operator()(CURL* curl) const { curl_easy_cleanup(curl); }
  };
  struct SlistDeleter {
    void operator()(curl_slist* list) const { curl_slist_free_all(list); }
  };

  CollectorTarget target_;
  std::string push_url_;
  std::unique_ptr<CURL, CurlDeleter> curl_;
  std::unique_ptr<curl_slist, SlistDeleter> headers_;
  std::string response_;
};

}  // namespace vigie::agent
