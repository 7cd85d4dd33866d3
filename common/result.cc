#include "common/result.h"

#include <cerrno>

namespace vigie {

ErrorCode ErrorCodeFromErrno(int errno_value) {
  switch (errno_value) {
    case ENOENT:
    case ENOTDIR:
    case ENODEV:
    case ENXIO:
      return ErrorCode::kNotFound;
    case EACCES:
    case EPERM:
      return ErrorCode::kPermissionDenied;
    case EAGAIN:
    case EBUSY:
    case ETIMEDOUT:
    case EOPNOTSUPP:
      return ErrorCode::kUnavailable;
    case EINVAL:
      return ErrorCode::kMalformed;
    default:
      return ErrorCode::kIo;
  }
}

std::string_view ErrorCodeName(ErrorCode code) {
  switch (code) {
    case ErrorCode::kNotFound:
      return "not found";
    case ErrorCode::kPermissionDenied:
      return "permission denied";
    case ErrorCode::kUnavailable:
      return "unavailable";
    case ErrorCode::kMalformed:
      return "malformed";
    case ErrorCode::kIo:
      return "I/O error";
  }
  return "unknown error";
}

}  // namespace vigie
