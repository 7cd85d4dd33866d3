// What a request handler answers, independent of the HTTP library.
#pragma once

#include <cstddef>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <utility>
#include <vector>

namespace vigie::collector {

enum class HttpStatus : unsigned {
  kOk = 200,
  kBadRequest = 400,
  kUnauthorized = 401,
  kForbidden = 403,
  kNotFound = 404,
  kMethodNotAllowed = 405,
  kPayloadTooLarge = 413,
  kUnsupportedMediaType = 415,
  kTooManyRequests = 429,
  kInternalServerError = 500,
  kServiceUnavailable = 503,
};

// A body produced while it is sent, for a page too large to hold whole.
// Read fills `out` with the next bytes and returns how many (at least one),
// or 0 at the end, waiting for them if need be. TryRead does the same without
// waiting: it returns kNotReady when no byte is ready yet, and then
// WhenReady(ready) calls `ready` once, as soon as Read would not wait (at
// once on the caller's thread, or later on the producer's). Read, TryRead and
// WhenReady are called from one thread at a time; the stream is destroyed
// once the response is sent or its client went away.
class BodyStream {
 public:
  static constexpr size_t kNotReady = static_cast<size_t>(-1);

  virtual ~BodyStream() = default;
  virtual size_t Read(std::span<char> out) = 0;
  virtual size_t TryRead(std::span<char> out) = 0;
  virtual void WhenReady(std::function<void()> ready) = 0;
};

struct HttpResponse;

// An answer that waits for work done elsewhere (a push waits for its group
// commit) without holding a server thread meanwhile. The server parks the
// connection and calls Start once; the work calls `ready` exactly once, from
// any thread, when it is done; the server then calls Finish, on one of its
// threads, for the answer. A server that is stopping calls neither and
// answers 503 itself.
class DeferredResponse {
 public:
  virtual ~DeferredResponse() = default;
  virtual void Start(std::function<void()> ready) = 0;
  virtual HttpResponse Finish() = 0;
};

struct HttpResponse {
  HttpStatus status = HttpStatus::kOk;
  std::string content_type = "text/plain; charset=utf-8";
  std::string body;
  // Further headers, e.g. {"Retry-After", "10"}.
  std::vector<std::pair<std::string, std::string>> headers = {};
  // When set, the body is this stream's (chunked transfer) and `body` is unused.
  std::shared_ptr<BodyStream> stream = {};
  // When set, the answer is this one's Finish(), and the fields above are unused.
  std::shared_ptr<DeferredResponse> deferred = {};
};

inline HttpResponse TextResponse(HttpStatus status, std::string text) {
  return HttpResponse{status, "text/plain; charset=utf-8", std::move(text) + "\n", {}};
}

}  // namespace vigie::collector
