// Delivers outbox entries by e-mail: SMTP through libcurl, with STARTTLS
// (required unless tls = "none") and AUTH when a username is configured.
//
// The message (RFC 5322): Date (the entry's creation time), From, To,
// Subject ("[vigie] FIRING rennes-2 offline"), Message-ID, and for every
// message after the first of an alert In-Reply-To and References naming the
// firing message's id (section 3.6.4), so that mail clients thread the
// resolved mail under its alert (a merged mail names several, one per
// line). One text/plain UTF-8 part. No header carries a line break or a
// control character from the entry: the Subject is printable UTF-8, as RFC
// 2047 encoded-words unless it is ASCII; the other values have CR and
// LF replaced.
//
// Outcomes: accepted -> delivered; a 5xx SMTP reply or a refused login ->
// permanent; anything else (connection, timeout, 4xx) -> retry.
//
// Thread-safe. Each call blocks up to timeout_ms.
#pragma once

#include <cstdint>
#include <string>

#include "alerting/alerting_config.h"
#include "alerting/notifier.h"

namespace vigie::alerting {

class MailNotifier : public Notifier {
 public:
  explicit MailNotifier(SmtpConfig config, int64_t timeout_ms = 30'000);
  Delivery Deliver(const OutboxEntry& entry) override;

 private:
  SmtpConfig config_;
  int64_t timeout_ms_;
};

// The whole message, CRLF line endings, as handed to SMTP DATA. Public for tests.
std::string FormatMail(const OutboxEntry& entry, const std::string& from);

}  // namespace vigie::alerting
