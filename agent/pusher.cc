#include "agent/pusher.h"

#include <fmt/format.h>

namespace vigie::agent {
namespace {

// A PushAck is a few bytes; an error text a few hundred. Anything longer is
// not from a Vigie collector.
constexpr size_t kMaxResponseBytes = 64 * 1024;

size_t AppendResponse(char* data, size_t size, size_t count, void* user) {
  std::string& response = *static_cast<std::string*>(user);
  const size_t bytes = size * count;
  if (response.size() + bytes > kMaxResponseBytes) return 0;  // makes curl fail the transfer
  response.append(data, bytes);
  return bytes;
}

std::string Printable(const std::string& text) {
  std::string out;
  for (char c : text.substr(0, 300)) out += (c >= 0x20 && c < 0x7f) ? c : ' ';
  return out;
}

}  // namespace

Pusher::Pusher(CollectorTarget target)
    : target_(std::move(target)), push_url_(target_.url + "/v1/push"), curl_(curl_easy_init()) {
  curl_slist* list = curl_slist_append(nullptr, "Content-Type: application/x-protobuf");
  list = curl_slist_append(list, fmt::format("Authorization: Bearer {}", target_.token).c_str());
  // libcurl would otherwise wait for "100 Continue" on bodies over 1 MiB.
  list = curl_slist_append(list, "Expect:");
  headers_.reset(list);

  CURL* curl = curl_.get();
  curl_easy_setopt(curl, CURLOPT_URL, push_url_.c_str());
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers_.get());
  curl_easy_setopt(curl, CURLOPT_POST, 1L);
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, static_cast<long>(target_.timeout.count()));
  curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(target_.timeout.count()));
  curl_easy_setopt(curl, CURLOPT_TCP_KEEPALIVE, 1L);
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, &AppendResponse);
  curl_easy_setopt(curl, CURLOPT_USERAGENT, "vigie-agent/" VIGIE_VERSION);
  if (!target_.ca_file.empty()) curl_easy_setopt(curl, CURLOPT_CAINFO, target_.ca_file.c_str());
}

PushResult Pusher::Push(const std::string& batch) {
  PushResult result;
  response_.clear();
  CURL* curl = curl_.get();
  // Set per push: a Pusher may have moved since the last one.
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &response_);
  curl_easy_setopt(curl, CURLOPT_POSTFIELDS, batch.data());
  curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(batch.size()));
  const CURLcode code = curl_easy_perform(curl);
  if (code != CURLE_OK) {
    result.outcome = PushResult::Outcome::kRetry;
    result.reason = curl_easy_strerror(code);
    return result;
  }
  curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &result.http_status);
  if (result.http_status == 200) {
    if (result.ack.ParseFromString(response_)) {
      result.outcome = PushResult::Outcome::kStored;
    } else {
      // A 200 we cannot read proves nothing was stored: keep the batch.
      result.outcome = PushResult::Outcome::kRetry;
      result.reason = "200 without a valid PushAck";
    }
    return result;
  }
  result.reason = fmt::format("HTTP {}: {}", result.http_status, Printable(response_));
  // 408 and 429 are the collector asking us to come back, not a verdict.
  const bool permanent = result.http_status >= 400 && result.http_status < 500 && result.http_status != 408 &&
                         result.http_status != 429;
  result.outcome = permanent ? PushResult::Outcome::kRejected : PushResult::Outcome::kRetry;
  return result;
}

}  // namespace vigie::agent
