// What a request handler answers, independent of the HTTP library.
#pragma once

#include <string>

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
  kInternalServerError = 500,
  kServiceUnavailable = 503,
};

struct HttpResponse {
  HttpStatus status = HttpStatus::kOk;
  std::string content_type = "text/plain; charset=utf-8";
  std::string body;
};

inline HttpResponse TextResponse(HttpStatus status, std::string text) {
  return HttpResponse{status, "text/plain; charset=utf-8", std::move(text) + "\n"};
}

}  // namespace vigie::collector
