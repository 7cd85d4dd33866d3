#include "agent/pusher.h"

#include <fmt/format.h>

#include "common/file_tree.h"
#include "common/log.h"
#include "common/printable.h"

namespace vigie::agent {
namespace {

// Of an answer quoted in a log line: enough to recognise a portal's page or
// a collector's reason.
constexpr size_t kQuotedBodyBytes = 200;
constexpr size_t kMaxTokenFileBytes = 4096;

std::string Quoted(const HttpResponse& response) {
  if (response.body.empty()) return "no body";
  return fmt::format("{} byte(s){}{}: '{}'", response.body.size(), response.content_type.empty() ? "" : " of ",
                     PrintableUtf8(response.content_type), PrintableUtf8(response.body, kQuotedBodyBytes));
}

std::string_view TrimWhitespace(std::string_view text) {
  constexpr std::string_view kSpace = " \t\r\n\v\f";
  const size_t first = text.find_first_not_of(kSpace);
  if (first == std::string_view::npos) return {};
  return text.substr(first, text.find_last_not_of(kSpace) - first + 1);
}

// What a 200 answer says about `count` reports sent: the ack, or why it is none.
std::optional<std::string> NotAnAcknowledgement(const HttpResponse& response, size_t count, v1::PushAck& ack) {
  if (!ack.ParseFromString(response.body)) {
    return fmt::format("HTTP 200 that is not a PushAck ({}): not the collector's answer (a captive portal, a proxy?)",
                       Quoted(response));
  }
  const uint64_t acknowledged = static_cast<uint64_t>(ack.stored()) + ack.duplicates();
  if (acknowledged != count) {
    return fmt::format(
        "HTTP 200 acknowledging {} report(s) ({} stored, {} duplicate) of the {} sent ({}): not the collector's answer "
        "(a captive portal, a proxy?)",
        acknowledged, ack.stored(), ack.duplicates(), count, Quoted(response));
  }
  return std::nullopt;
}

}  // namespace

Pusher::Pusher(CollectorTarget target) : target_(std::move(target)) {}

void Pusher::RereadToken() {
  if (target_.token_file.empty()) return;
  const Result<std::string> text = ReadFile(target_.token_file, kMaxTokenFileBytes);
  if (!text) {
    LogError("{}: cannot read the token again: {}", target_.url, text.error().message);
    return;
  }
  const std::string_view token = TrimWhitespace(*text);
  if (token == target_.token) return;
  if (!IsValidToken(token)) {
    LogError("{}: {} does not hold a token (one word of visible ASCII characters); keeping the one in use",
             target_.url, target_.token_file.string());
    return;
  }
  target_.token = token;
  client_.reset();
  LogInfo("{}: read a new token from {}", target_.url, target_.token_file.string());
}

PushResult Pusher::Push(const std::string& batch, size_t report_count) {
  PushResult result;
  if (token_refused_) RereadToken();
  if (!client_) {
    Result<HttpClient> client = HttpClient::Create(HttpClientOptions{
        .base_url = target_.url,
        .ca_file = target_.ca_file,
        .timeout = target_.timeout,
        .headers = {fmt::format("Authorization: Bearer {}", target_.token), "User-Agent: vigie-agent/" VIGIE_VERSION},
    });
    if (!client) {
      result.reason = PrintableUtf8(client.error().message);
      return result;
    }
    client_ = std::move(*client);
  }
  Result<HttpResponse> response = client_->Post("/v1/push", "application/x-protobuf", batch);
  if (!response) {
    result.reason = PrintableUtf8(response.error().message);
    return result;
  }
  const int status = response->status;
  result.http_status = status;
  token_refused_ = status == 401 || status == 403;
  if (status == 200) {
    if (std::optional<std::string> why = NotAnAcknowledgement(*response, report_count, result.ack)) {
      result.outcome = PushResult::Outcome::kBlocked;
      result.reason = std::move(*why);
    } else {
      result.outcome = PushResult::Outcome::kStored;
    }
    return result;
  }
  result.reason = fmt::format("HTTP {}: {}", status, Quoted(*response));
  if (status == 400 || status == 413 || status == 422) {
    result.outcome = PushResult::Outcome::kRefused;
  } else if (status == 408 || status == 429 || status >= 500) {
    // The collector (or a proxy before it) asking to come back, not a verdict.
    result.outcome = PushResult::Outcome::kRetry;
  } else if (token_refused_) {
    result.outcome = PushResult::Outcome::kBlocked;
    result.reason += target_.token_file.empty()
                         ? "; the collector refuses this node's token: fix it"
                         : fmt::format("; the collector refuses this node's token: fix {} (read again before each "
                                       "retry, no restart needed)",
                                       target_.token_file.string());
  } else {
    result.outcome = PushResult::Outcome::kBlocked;
    if (status < 400) result.reason += "; redirects are not followed: is the collector's url right?";
  }
  return result;
}

}  // namespace vigie::agent
