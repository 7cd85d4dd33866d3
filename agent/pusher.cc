#include "agent/pusher.h"

#include <fmt/format.h>

namespace vigie::agent {
namespace {

std::string Printable(const std::string& text) {
  std::string out;
  for (char c : text.substr(0, 300)) out += (c >= 0x20 && c < 0x7f) ? c : ' ';
  return out;
}

}  // namespace

Pusher::Pusher(CollectorTarget target) : target_(std::move(target)) {}

PushResult Pusher::Push(const std::string& batch) {
  PushResult result;
  if (!client_) {
    Result<HttpClient> client = HttpClient::Create(HttpClientOptions{
        .base_url = target_.url,
        .ca_file = target_.ca_file,
        .timeout = target_.timeout,
        .headers = {fmt::format("Authorization: Bearer {}", target_.token), "User-Agent: vigie-agent/" VIGIE_VERSION},
    });
    if (!client) {
      result.reason = client.error().message;
      return result;
    }
    client_ = std::move(*client);
  }
  Result<HttpResponse> response = client_->Post("/v1/push", "application/x-protobuf", batch);
  if (!response) {
    result.reason = response.error().message;
    return result;
  }
  result.http_status = response->status;
  if (result.http_status == 200) {
    if (result.ack.ParseFromString(response->body)) {
      result.outcome = PushResult::Outcome::kStored;
    } else {
      // A 200 we cannot read proves nothing was stored: keep the batch.
      result.reason = "200 without a valid PushAck";
    }
    return result;
  }
  result.reason = fmt::format("HTTP {}: {}", result.http_status, Printable(response->body));
  // 408 and 429 are the collector asking us to come back, not a verdict.
  const bool permanent = result.http_status >= 400 && result.http_status < 500 && result.http_status != 408 &&
                         result.http_status != 429;
  result.outcome = permanent ? PushResult::Outcome::kRejected : PushResult::Outcome::kRetry;
  return result;
}

}  // namespace vigie::agent
