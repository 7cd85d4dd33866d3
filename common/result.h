// Result<T>: a value or an Error, for every operation that can fail at run
// time (reads, parses, requests). Exceptions are kept for start-up only.
#pragma once

#include <string>
#include <string_view>

#include <tl/expected.hpp>

namespace vigie {

enum class ErrorCode { kNotFound, kPermissionDenied, kUnavailable, kMalformed, kIo };

struct Error {
  ErrorCode code;
  std::string message;
};

// std::expected once the toolchain is gcc >= 13.
template <class T>
using Result = tl::expected<T, Error>;

inline tl::unexpected<Error> Fail(ErrorCode code, std::string message) {
  return tl::unexpected<Error>(Error{code, std::move(message)});
}

// Maps an errno value to the ErrorCode a caller can act on.
ErrorCode ErrorCodeFromErrno(int errno_value);

// "not found", "permission denied", ... for messages.
std::string_view ErrorCodeName(ErrorCode code);

}  // namespace vigie
