// One message in the durable outbox (alert_db.h): written before any attempt
// to send it, then delivered, retried with backoff, or given up.
#pragma once

#include <cstdint>
#include <string>

namespace vigie::alerting {

enum class Channel { kMatrix = 0, kEmail = 1 };
std::string_view ChannelName(Channel channel);  // "matrix", "email"

enum class OutboxState { kQueued = 0, kSent = 1, kExpired = 2, kFailed = 3 };

struct OutboxEntry {
  int64_t id = 0;
  Channel channel = Channel::kMatrix;
  // A Matrix room id ("!abc:example.org"), a Matrix user id ("@alice:example.org",
  // delivered through a direct room) or an e-mail address.
  std::string target;
  std::string subject;  // e-mail Subject; Matrix: unused
  std::string text;     // the plain-text body
  std::string html;     // Matrix formatted_body (org.matrix.custom.html); e-mail: unused
  // RFC 5322 section 3.6.4: this message's Message-ID and the one it threads under.
  std::string message_id;
  std::string references;
  bool to_admins = false;  // failures of admin messages do not raise more admin messages
  int64_t created_ms = 0;
  int64_t next_attempt_ms = 0;
  int attempts = 0;
  OutboxState state = OutboxState::kQueued;
  std::string last_error;
  int64_t done_ms = 0;

  // The Matrix transaction id: stable across retries and restarts, unique per entry
  // (Matrix client-server API, "Transaction identifiers").
  std::string TxnId() const;
};

}  // namespace vigie::alerting
