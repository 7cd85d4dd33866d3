#include "alerting/http_call.h"

#include <curl/curl.h>

#include <cctype>
#include <charconv>
#include <memory>
#include <mutex>

#include <fmt/format.h>

namespace vigie::alerting {
namespace {

struct CurlDeleter {
  void operator()(CURL* curl) const { curl_easy_cleanup(curl); }
};
struct SlistDeleter {
  void operator()(curl_slist* list) const { curl_slist_free_all(list); }
};

// What a call has read so far; a callback returning less than it was given
// makes libcurl stop with CURLE_WRITE_ERROR.
struct Reading {
  HttpAnswer* answer;
  size_t header_bytes = 0;
  bool over_limit = false;
};

size_t WriteBody(char* data, size_t size, size_t count, void* user) {
  auto* reading = static_cast<Reading*>(user);
  if (reading->answer->body.size() + size * count > kMaxAnswerBytes) {
    reading->over_limit = true;
    return 0;
  }
  reading->answer->body.append(data, size * count);
  return size * count;
}

size_t WriteHeader(char* data, size_t size, size_t count, void* user) {
  auto* reading = static_cast<Reading*>(user);
  reading->header_bytes += size * count;
  if (reading->header_bytes > kMaxAnswerBytes) {
    reading->over_limit = true;
    return 0;
  }
  auto* headers = &reading->answer->headers;
  const std::string_view line(data, size * count);
  const size_t colon = line.find(':');
  if (colon != std::string_view::npos) {
    std::string name(line.substr(0, colon));
    for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    std::string_view value = line.substr(colon + 1);
    while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) value.remove_prefix(1);
    while (!value.empty() && (value.back() == '\r' || value.back() == '\n' || value.back() == ' ')) value.remove_suffix(1);
    (*headers)[name] = std::string(value);
  }
  return size * count;
}

// Position just after `"key"` and the colon that follows, or npos.
size_t ValueStart(const std::string& json, const std::string& key) {
  const std::string quoted = "\"" + key + "\"";
  for (size_t at = json.find(quoted); at != std::string::npos; at = json.find(quoted, at + 1)) {
    size_t i = at + quoted.size();
    while (i < json.size() && std::isspace(static_cast<unsigned char>(json[i]))) ++i;
    if (i < json.size() && json[i] == ':') {
      ++i;
      while (i < json.size() && std::isspace(static_cast<unsigned char>(json[i]))) ++i;
      return i;
    }
  }
  return std::string::npos;
}

}  // namespace

Result<HttpAnswer> HttpCall(const std::string& method, const std::string& url,
                            const std::vector<std::string>& headers, const std::string& body, int64_t timeout_ms) {
  static std::once_flag init;
  std::call_once(init, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
  std::unique_ptr<CURL, CurlDeleter> curl(curl_easy_init());
  if (!curl) return Fail(ErrorCode::kIo, "curl_easy_init failed");
  std::unique_ptr<curl_slist, SlistDeleter> list;
  for (const std::string& h : headers) {
    curl_slist* appended = curl_slist_append(list.get(), h.c_str());
    if (appended == nullptr) return Fail(ErrorCode::kIo, "curl_slist_append failed");
    (void)list.release();
    list.reset(appended);
  }
  HttpAnswer answer;
  CURL* c = curl.get();
  curl_easy_setopt(c, CURLOPT_URL, url.c_str());
  curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method.c_str());
  if (method != "GET") {
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, body.data());
    curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, static_cast<long>(body.size()));
  }
  curl_easy_setopt(c, CURLOPT_HTTPHEADER, list.get());
  curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, static_cast<long>(timeout_ms));
  curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, WriteBody);
  Reading reading{&answer};
  curl_easy_setopt(c, CURLOPT_WRITEDATA, &reading);
  curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, WriteHeader);
  curl_easy_setopt(c, CURLOPT_HEADERDATA, &reading);
  const CURLcode rc = curl_easy_perform(c);
  if (reading.over_limit) {
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &answer.status);
    return Fail(ErrorCode::kMalformed, fmt::format("{}: HTTP {} with an answer over {} KiB, not read", url,
                                                   answer.status, kMaxAnswerBytes / 1024));
  }
  if (rc != CURLE_OK) return Fail(ErrorCode::kUnavailable, fmt::format("{}: {}", url, curl_easy_strerror(rc)));
  curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &answer.status);
  return answer;
}

std::string UrlEncode(const std::string& text) {
  std::string out;
  for (unsigned char c : text) {
    if (std::isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += fmt::format("%{:02X}", c);
    }
  }
  return out;
}

std::optional<int64_t> JsonInteger(const std::string& json, const std::string& key) {
  const size_t start = ValueStart(json, key);
  if (start == std::string::npos) return std::nullopt;
  int64_t value = 0;
  const auto [end, ec] = std::from_chars(json.data() + start, json.data() + json.size(), value);
  if (ec != std::errc()) return std::nullopt;
  return value;
}

std::optional<std::string> JsonString(const std::string& json, const std::string& key) {
  const size_t start = ValueStart(json, key);
  if (start == std::string::npos || json[start] != '"') return std::nullopt;
  std::string value;
  for (size_t i = start + 1; i < json.size(); ++i) {
    if (json[i] == '"') return value;
    if (json[i] == '\\' && i + 1 < json.size()) ++i;  // ids never hold escapes worth decoding
    value += json[i];
  }
  return std::nullopt;
}

}  // namespace vigie::alerting
