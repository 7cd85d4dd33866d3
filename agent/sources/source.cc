#include "agent/sources/source.h"

#include "common/printable.h"

namespace vigie::agent {

const ReportLimits& AgentReportLimits() {
  static const ReportLimits limits;
  return limits;
}

std::string ReportName(std::string_view text) { return PrintableUtf8(text, AgentReportLimits().max_name_bytes); }

std::string ReportMessage(std::string_view text) {
  return PrintableUtf8(text, AgentReportLimits().max_message_bytes);
}

v1::SourceError::Code ToWireCode(ErrorCode code) {
  switch (code) {
    case ErrorCode::kNotFound:
      return v1::SourceError::NOT_FOUND;
    case ErrorCode::kPermissionDenied:
      return v1::SourceError::PERMISSION_DENIED;
    case ErrorCode::kUnavailable:
      return v1::SourceError::UNAVAILABLE;
    case ErrorCode::kMalformed:
      return v1::SourceError::MALFORMED;
    case ErrorCode::kIo:
      return v1::SourceError::IO;
  }
  return v1::SourceError::CODE_UNSPECIFIED;
}

void AddSourceError(v1::Report& report, std::string_view source, const Error& error) {
  v1::SourceError* entry = report.add_source_errors();
  entry->set_source(ReportName(source));
  entry->set_code(ToWireCode(error.code));
  entry->set_message(ReportMessage(error.message));
}

}  // namespace vigie::agent
