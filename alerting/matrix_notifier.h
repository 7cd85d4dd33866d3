// Delivers outbox entries to Matrix through the client-server API (spec
// v1.x, "Client-Server API"):
//
//   PUT /_matrix/client/v3/rooms/{roomId}/send/m.room.message/{txnId}
//   {"msgtype": "m.notice", "body": plain, "format": "org.matrix.custom.html", "formatted_body": html}
//
// with the entry's TxnId(): the spec's "Transaction identifiers" section
// makes a retry with the same access token and txnId idempotent, so a retry
// after a timeout or a dropped connection never posts twice.
//
// Answers:  200 -> delivered.  429 M_LIMIT_EXCEEDED -> retry after the
// Retry-After header (seconds, spec v1.10) or, failing that, the body's
// retry_after_ms, at most kMaxRetryAfterMs.  408, 5xx, timeouts, dropped
// connections, an answer over kMaxAnswerBytes (http_call.h) -> retry with
// backoff.  401/403 and other 4xx -> permanent (the engine tells the admins).
//
// Direct messages to a user (matrix_user): Matrix has no "send to user";
// a message goes to a room. Choice: Vigie creates the direct room itself,
// once per user, with POST /_matrix/client/v3/createRoom {"is_direct": true,
// "preset": "trusted_private_chat", "invite": [user]} (spec "Direct
// Messaging"), and the engine remembers its id in SQLite (matrix_dm), so
// members need only give their user id. A configured matrix_room is used as
// is (the bot must already be joined). createRoom is not idempotent: if its
// answer is lost, a second room may be created; the member sees two
// invitations at worst, never a lost message.
//
// Thread-safe (no state beyond the config). Each call blocks up to timeout_ms.
#pragma once

#include <cstdint>
#include <string>

#include "alerting/alerting_config.h"
#include "alerting/notifier.h"

namespace vigie::alerting {

inline constexpr int64_t kMaxRetryAfterMs = 3'600'000;

// The outcome of one Matrix answer (above); `retry_after_header` is the
// Retry-After header's value, or empty.
Delivery ClassifyMatrixAnswer(long status, const std::string& body, const std::string& retry_after_header);

class MatrixNotifier : public Notifier {
 public:
  explicit MatrixNotifier(MatrixConfig config, int64_t timeout_ms = 10'000);
  Delivery Deliver(const OutboxEntry& entry) override;

 private:
  // The room id of a new direct room with `user`, or a Delivery saying why not.
  Delivery CreateDirectRoom(const std::string& user);

  MatrixConfig config_;
  int64_t timeout_ms_;
};

}  // namespace vigie::alerting
