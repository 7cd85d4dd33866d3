// The outbound edge: something that delivers one outbox entry. The engine
// calls Deliver without holding its lock, one entry at a time, from the
// thread that calls Engine::Tick; an implementation may block (network I/O)
// up to its own timeout. Tests use a recording notifier.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "alerting/outbox_entry.h"

namespace vigie::alerting {

struct Delivery {
  enum class Status {
    kDelivered,  // the peer accepted it
    kRetry,      // a timeout, 5xx, 429, a dropped connection: try again later
    kPermanent,  // 4xx such as 401/403: retrying will not help
  };
  Status status = Status::kRetry;
  // For kRetry: the peer asked to wait this long (429 Retry-After); 0: use the outbox's backoff.
  int64_t retry_after_ms = 0;
  std::string error;
  // Matrix: the direct room created for a user target, to be remembered.
  std::string dm_room;
};

class Notifier {
 public:
  virtual ~Notifier() = default;
  virtual Delivery Deliver(const OutboxEntry& entry) = 0;
};

// Alertmanager is state, not messages: it is told the full set of alerts
// periodically (its API expects resends, or it resolves them itself).
struct AlertmanagerAlert {
  std::string rule, site, node, subject, severity, summary, advice, generator_url;
  int64_t starts_ms = 0;
  int64_t ends_ms = 0;  // when resolved, or a time shortly ahead while firing
};

class AlertSink {
 public:
  virtual ~AlertSink() = default;
  // True when the peer accepted them; errors are logged by the implementation.
  virtual bool Push(const std::vector<AlertmanagerAlert>& alerts) = 0;
};

}  // namespace vigie::alerting
