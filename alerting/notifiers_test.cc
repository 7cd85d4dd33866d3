// The notifiers' edges: the mail as handed to SMTP (no header a node can
// forge), Matrix answers (408, Retry-After), and answers too large to read,
// against tests/testing's RecordingServer on 127.0.0.1.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "alerting/http_call.h"
#include "alerting/mail_notifier.h"
#include "alerting/matrix_notifier.h"
#include "tests/testing/recording_server.h"

namespace vigie::alerting {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::StartsWith;

OutboxEntry Mail(const std::string& subject, const std::string& references = "") {
  OutboxEntry e;
  e.channel = Channel::kEmail;
  e.target = "alice@example.org";
  e.subject = subject;
  e.text = "body";
  e.message_id = "<m@example.org>";
  e.references = references;
  e.created_ms = 1'764'000'000'000;
  return e;
}

// The text of a header value made of RFC 2047 "B" encoded-words, folded.
std::string DecodeWords(std::string value) {
  static const std::string kAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string text;
  for (size_t at = value.find("=?UTF-8?B?"); at != std::string::npos; at = value.find("=?UTF-8?B?", at)) {
    const size_t end = value.find("?=", at + 10);
    uint32_t bits = 0;
    int count = 0;
    for (char c : value.substr(at + 10, end - at - 10)) {
      if (c == '=') break;
      bits = bits << 6 | static_cast<uint32_t>(kAlphabet.find(c));
      if ((count += 6) >= 8) text += static_cast<char>((bits >> (count -= 8)) & 0xff);
    }
    at = end + 2;
  }
  return text;
}

std::string Headers(const std::string& mail) { return mail.substr(0, mail.find("\r\n\r\n") + 2); }

TEST(FormatMail, NoLineBreakOrControlOfTheSubjectReachesTheHeaders) {
  const std::string mail = FormatMail(Mail("[vigie] FIRING x\r\nBcc: evil@example.org\n\x1b[2J"), "vigie@example.org");
  const std::string headers = Headers(mail);
  EXPECT_THAT(headers, Not(HasSubstr("\nBcc:")));
  EXPECT_THAT(headers, Not(HasSubstr("\x1b")));
  // Every header line is "Name: value" or a folded continuation.
  for (size_t at = 0, end; (end = headers.find("\r\n", at)) != std::string::npos; at = end + 2) {
    const std::string line = headers.substr(at, end - at);
    EXPECT_TRUE(line.starts_with(" ") || line.find(": ") != std::string::npos) << line;
  }
}

TEST(FormatMail, NonAsciiSubjectIsEncodedWordsFoldedAtCharacterBoundaries) {
  const std::string subject = "[vigie] FIRING rennes-1 filesystem /données/été/ça nearly full and more words after";
  const std::string headers = Headers(FormatMail(Mail(subject), "vigie@example.org"));
  const size_t start = headers.find("Subject: ");
  const size_t end = headers.find("\r\nMessage-ID:");
  ASSERT_NE(start, std::string::npos);
  const std::string value = headers.substr(start + 9, end - start - 9);
  EXPECT_THAT(value, StartsWith("=?UTF-8?B?"));
  EXPECT_THAT(value, HasSubstr("?=\r\n =?UTF-8?B?"));
  EXPECT_EQ(DecodeWords(value), subject);
  for (unsigned char c : headers) EXPECT_LT(c, 0x80);
  for (size_t at = 0, end; (end = headers.find("\r\n", at)) != std::string::npos; at = end + 2) {
    EXPECT_LE(end - at, 78u);
  }
}

TEST(FormatMail, SeveralReferencesAreFoldedOnePerLine) {
  const std::string headers = Headers(FormatMail(Mail("s", "<a@x> <b@x>"), "vigie@example.org"));
  EXPECT_THAT(headers, HasSubstr("In-Reply-To: <a@x>\r\n <b@x>\r\n"));
  EXPECT_THAT(headers, HasSubstr("References: <a@x>\r\n <b@x>\r\n"));
}

TEST(MatrixAnswer, RequestTimeoutIsRetried) {
  EXPECT_EQ(ClassifyMatrixAnswer(408, "", "").status, Delivery::Status::kRetry);
  EXPECT_EQ(ClassifyMatrixAnswer(400, R"({"errcode": "M_BAD_JSON"})", "").status, Delivery::Status::kPermanent);
}

TEST(MatrixAnswer, HugeRetryAfterIsCappedNotOverflowed) {
  for (const char* header : {"99999999999999999999999", "9223372036854775807", "9223372036854775", "3601"}) {
    const Delivery d = ClassifyMatrixAnswer(429, "", header);
    EXPECT_EQ(d.status, Delivery::Status::kRetry);
    EXPECT_EQ(d.retry_after_ms, kMaxRetryAfterMs) << header;
  }
  EXPECT_EQ(ClassifyMatrixAnswer(429, "", "120").retry_after_ms, 120'000);
  EXPECT_EQ(ClassifyMatrixAnswer(429, R"({"retry_after_ms": 9223372036854775807})", "").retry_after_ms,
            kMaxRetryAfterMs);
  EXPECT_EQ(ClassifyMatrixAnswer(429, R"({"retry_after_ms": 99999999999999999999999})", "").retry_after_ms, 5'000);
}

TEST(HttpCall, AnswerOverTheLimitIsAnErrorThatSaysSo) {
  testing::RecordingServer server;
  server.Answer({200}, std::string(kMaxAnswerBytes + 1, 'x'));
  const Result<HttpAnswer> answer = HttpCall("GET", server.Url("/big"), {}, "", 5'000);
  ASSERT_FALSE(answer);
  EXPECT_EQ(answer.error().code, ErrorCode::kMalformed);
  EXPECT_THAT(answer.error().message, HasSubstr("HTTP 200 with an answer over 64 KiB, not read"));
  server.Answer({200}, std::string(kMaxAnswerBytes, 'x'));
  const Result<HttpAnswer> fits = HttpCall("GET", server.Url("/fits"), {}, "", 5'000);
  ASSERT_TRUE(fits) << fits.error().message;
  EXPECT_EQ(fits->body.size(), kMaxAnswerBytes);
}

TEST(MatrixNotifier, TooLargeOrTimedOutAnswersAreRetried) {
  testing::RecordingServer server;
  MatrixConfig config;
  config.homeserver_url = server.Url("");
  config.access_token = "t";
  MatrixNotifier notifier(config, 5'000);
  OutboxEntry entry;
  entry.id = 1;
  entry.target = "!room:x";
  entry.text = "x";
  server.Answer({408});
  EXPECT_EQ(notifier.Deliver(entry).status, Delivery::Status::kRetry);
  server.Answer({500}, std::string(kMaxAnswerBytes * 4, 'x'));
  const Delivery big = notifier.Deliver(entry);
  EXPECT_EQ(big.status, Delivery::Status::kRetry);
  EXPECT_THAT(big.error, HasSubstr("over 64 KiB"));
}

}  // namespace
}  // namespace vigie::alerting
