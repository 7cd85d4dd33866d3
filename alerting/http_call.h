// One blocking HTTP request through libcurl, for the notifiers. A transport
// failure (refused, reset, timeout) is an Error (kUnavailable); any HTTP
// answer, 4xx and 5xx included, is a value. An answer whose body or headers
// exceed kMaxAnswerBytes is not read further: an Error (kMalformed) that says
// so. Thread-safe (one easy handle per call); curl_global_init must have run
// (done once, on first use).
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "common/result.h"

namespace vigie::alerting {

// Matrix and Alertmanager answer with a few hundred bytes of JSON.
inline constexpr size_t kMaxAnswerBytes = 64 * 1024;

struct HttpAnswer {
  long status = 0;
  std::string body;
  std::map<std::string, std::string> headers;  // names in lower case
};

Result<HttpAnswer> HttpCall(const std::string& method, const std::string& url,
                            const std::vector<std::string>& headers, const std::string& body, int64_t timeout_ms);

// RFC 3986 percent-encoding of everything but unreserved characters, for path segments.
std::string UrlEncode(const std::string& text);

// The value of a top-level "key": number or "key": "string" in a flat JSON
// object such as a Matrix error or createRoom answer; nullopt when absent.
std::optional<int64_t> JsonInteger(const std::string& json, const std::string& key);
std::optional<std::string> JsonString(const std::string& json, const std::string& key);

}  // namespace vigie::alerting
