#include "alerting/mail_notifier.h"

#include <curl/curl.h>
#include <time.h>

#include <algorithm>
#include <cstring>
#include <string_view>
#include <memory>
#include <mutex>

#include <fmt/format.h>

#include "common/printable.h"

namespace vigie::alerting {
namespace {

struct CurlDeleter {
  void operator()(CURL* curl) const { curl_easy_cleanup(curl); }
};
struct SlistDeleter {
  void operator()(curl_slist* list) const { curl_slist_free_all(list); }
};

struct Payload {
  const std::string* text;
  size_t offset = 0;
};

size_t ReadPayload(char* buffer, size_t size, size_t count, void* user) {
  auto* payload = static_cast<Payload*>(user);
  const size_t n = std::min(size * count, payload->text->size() - payload->offset);
  std::memcpy(buffer, payload->text->data() + payload->offset, n);
  payload->offset += n;
  return n;
}

// RFC 5322 section 3.3 date-time, in UTC.
std::string MailDate(int64_t unix_ms) {
  const time_t t = static_cast<time_t>(unix_ms / 1000);
  struct tm utc {};
  gmtime_r(&t, &utc);
  static constexpr const char* kDays[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
  static constexpr const char* kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                            "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  return fmt::format("{}, {:02d} {} {} {:02d}:{:02d}:{:02d} +0000", kDays[utc.tm_wday], utc.tm_mday,
                     kMonths[utc.tm_mon], utc.tm_year + 1900, utc.tm_hour, utc.tm_min, utc.tm_sec);
}

// Header values never carry a line break (RFC 5322 section 2.2: no header injection).
std::string OneLine(std::string text) {
  for (char& c : text) {
    if (c == '\r' || c == '\n') c = ' ';
  }
  return text;
}

// RFC 4648 section 4.
std::string Base64(std::string_view bytes) {
  static constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  for (size_t i = 0; i < bytes.size(); i += 3) {
    const size_t n = std::min<size_t>(3, bytes.size() - i);
    uint32_t chunk = 0;
    for (size_t j = 0; j < 3; ++j) chunk = chunk << 8 | (j < n ? static_cast<unsigned char>(bytes[i + j]) : 0u);
    for (size_t j = 0; j < 4; ++j) out += j <= n ? kAlphabet[(chunk >> (18 - 6 * j)) & 63] : '=';
  }
  return out;
}

// An unstructured header value such as Subject (RFC 5322 section 2.2.1):
// printable and cut, as is when it is ASCII, else as RFC 2047 encoded-words
// (UTF-8, "B" encoding, section 4.1), each under 75 characters (section 2)
// and cut at a character boundary, folded one per line (RFC 5322 section 2.2.3).
std::string UnstructuredValue(const std::string& value) {
  constexpr size_t kMaxValueBytes = 900;
  // 56 base64 characters, 68 with "=?UTF-8?B?" and "?=": 77 with "Subject: ",
  // under the 78 a line should hold (RFC 5322 section 2.1.1).
  constexpr size_t kWordBytes = 42;
  const std::string text = PrintableUtf8(value, kMaxValueBytes);
  if (std::all_of(text.begin(), text.end(), [](char c) { return static_cast<unsigned char>(c) < 0x80; })) {
    return text;  // under the 998 characters a line may hold (section 2.1.1)
  }
  std::string out;
  for (size_t at = 0; at < text.size();) {
    size_t end = std::min(text.size(), at + kWordBytes);
    // Back to the start of a UTF-8 character: continuation bytes are 10xxxxxx.
    while (end < text.size() && end > at + 1 && (static_cast<unsigned char>(text[end]) & 0xC0) == 0x80) --end;
    if (!out.empty()) out += "\r\n ";
    out += "=?UTF-8?B?" + Base64(std::string_view(text).substr(at, end - at)) + "?=";
    at = end;
  }
  return out;
}

// Message ids separated by spaces, folded one per line.
std::string FoldedIds(const std::string& ids) {
  std::string out;
  for (char c : OneLine(ids)) out += c == ' ' ? std::string("\r\n ") : std::string(1, c);
  return out;
}

// "Vigie <a@b>" -> "<a@b>"; "a@b" -> "<a@b>": the SMTP reverse-path (RFC 5321 section 4.1.2).
std::string AngleAddress(const std::string& address) {
  const size_t open = address.find('<');
  if (open != std::string::npos) return address.substr(open);
  return "<" + address + ">";
}

}  // namespace

std::string FormatMail(const OutboxEntry& e, const std::string& from) {
  std::string mail;
  mail += "Date: " + MailDate(e.created_ms) + "\r\n";
  mail += "From: " + OneLine(from) + "\r\n";
  mail += "To: " + OneLine(e.target) + "\r\n";
  mail += "Subject: " + UnstructuredValue(e.subject) + "\r\n";
  mail += "Message-ID: " + OneLine(e.message_id) + "\r\n";
  if (!e.references.empty()) {
    mail += "In-Reply-To: " + FoldedIds(e.references) + "\r\n";
    mail += "References: " + FoldedIds(e.references) + "\r\n";
  }
  mail += "MIME-Version: 1.0\r\n";
  mail += "Content-Type: text/plain; charset=utf-8\r\n";
  mail += "Content-Transfer-Encoding: 8bit\r\n";
  mail += "Auto-Submitted: auto-generated\r\n";  // RFC 3834: no vacation replies
  mail += "\r\n";
  // Bare LFs become CRLF; a line of a lone "." is dot-stuffed by libcurl.
  for (char c : e.text) {
    if (c == '\n') {
      mail += "\r\n";
    } else if (c != '\r') {
      mail += c;
    }
  }
  mail += "\r\n";
  return mail;
}

MailNotifier::MailNotifier(SmtpConfig config, int64_t timeout_ms) : config_(std::move(config)), timeout_ms_(timeout_ms) {}

Delivery MailNotifier::Deliver(const OutboxEntry& entry) {
  static std::once_flag init;
  std::call_once(init, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
  std::unique_ptr<CURL, CurlDeleter> curl(curl_easy_init());
  if (!curl) return Delivery{Delivery::Status::kRetry, 0, "curl_easy_init failed", ""};
  const std::string message = FormatMail(entry, config_.from);
  Payload payload{&message};
  std::unique_ptr<curl_slist, SlistDeleter> recipients(curl_slist_append(nullptr, AngleAddress(entry.target).c_str()));
  const std::string mail_from = AngleAddress(config_.from);
  CURL* c = curl.get();
  curl_easy_setopt(c, CURLOPT_URL, config_.url.c_str());
  curl_easy_setopt(c, CURLOPT_MAIL_FROM, mail_from.c_str());
  curl_easy_setopt(c, CURLOPT_MAIL_RCPT, recipients.get());
  curl_easy_setopt(c, CURLOPT_READFUNCTION, ReadPayload);
  curl_easy_setopt(c, CURLOPT_READDATA, &payload);
  curl_easy_setopt(c, CURLOPT_UPLOAD, 1L);
  curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, static_cast<long>(timeout_ms_));
  curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
  if (config_.tls == SmtpConfig::Tls::kStartTls) curl_easy_setopt(c, CURLOPT_USE_SSL, static_cast<long>(CURLUSESSL_ALL));
  if (!config_.ca_file.empty()) curl_easy_setopt(c, CURLOPT_CAINFO, config_.ca_file.c_str());
  if (!config_.username.empty()) {
    curl_easy_setopt(c, CURLOPT_USERNAME, config_.username.c_str());
    curl_easy_setopt(c, CURLOPT_PASSWORD, config_.password.c_str());
    // The credentials in the AUTH command itself (RFC 4954 section 4, initial response):
    // one round trip, and a refusal comes as a plain 535.
    curl_easy_setopt(c, CURLOPT_SASL_IR, 1L);
  }
  const CURLcode rc = curl_easy_perform(c);
  if (rc == CURLE_OK) return Delivery{Delivery::Status::kDelivered, 0, "", ""};
  long smtp_code = 0;
  curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &smtp_code);
  Delivery d;
  d.error = fmt::format("SMTP {}: {}", smtp_code, curl_easy_strerror(rc));
  // RFC 5321 section 4.2.1: 5yz is a permanent negative reply.
  d.status = (rc == CURLE_LOGIN_DENIED || smtp_code >= 500) ? Delivery::Status::kPermanent : Delivery::Status::kRetry;
  return d;
}

}  // namespace vigie::alerting
