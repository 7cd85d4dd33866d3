#include "agent/report_bounds.h"

#include <algorithm>
#include <array>

#include <fmt/format.h>

#include "common/log.h"

namespace vigie::agent {
namespace {

// The source name of the note the agent adds about a capped report.
constexpr const char* kNoteSource = "agent";
// Kinds of excess remembered for the log: a report has a few dozen bounded
// fields, so this is never reached but keeps the set bounded.
constexpr size_t kMaxLoggedKinds = 64;

// The violation without its numbers: "412 disks, over the limit of 256" and
// "413 disks, ..." are one kind, as are disks[2].serial and disks[3].serial.
std::string KindOf(const std::string& violation) {
  std::string kind = violation;
  std::erase_if(kind, [](char c) { return c >= '0' && c <= '9'; });
  return kind;
}

template <class Items>
size_t ListBytes(const Items& items) {
  size_t bytes = 0;
  for (const auto& item : items) bytes += item.ByteSizeLong();
  return bytes;
}

// Drops the second half of `items` (the last item when there is one);
// returns how many were dropped.
template <class Items>
size_t DropSecondHalf(Items& items) {
  const int size = items.size();
  const int kept = size / 2;
  items.DeleteSubrange(kept, size - kept);
  return static_cast<size_t>(size - kept);
}

// Halves the list of `report` that holds the most bytes; 0 when all are empty.
size_t HalveLargestList(v1::Report& report) {
  const std::array<size_t, 7> bytes = {
      ListBytes(report.sensors()),        ListBytes(report.disks()),   ListBytes(report.system().filesystems()),
      ListBytes(report.power().rapl()),   ListBytes(report.power().batteries()),
      ListBytes(report.events()),         ListBytes(report.source_errors()),
  };
  const auto largest = std::max_element(bytes.begin(), bytes.end());
  if (*largest == 0) return 0;
  switch (largest - bytes.begin()) {
    case 0:
      return DropSecondHalf(*report.mutable_sensors());
    case 1:
      return DropSecondHalf(*report.mutable_disks());
    case 2:
      return DropSecondHalf(*report.mutable_system()->mutable_filesystems());
    case 3:
      return DropSecondHalf(*report.mutable_power()->mutable_rapl());
    case 4:
      return DropSecondHalf(*report.mutable_power()->mutable_batteries());
    case 5:
      return DropSecondHalf(*report.mutable_events());
    default:
      return DropSecondHalf(*report.mutable_source_errors());
  }
}

}  // namespace

ReportBounds::ReportBounds(const ReportLimits& limits) : limits_(limits) {}

size_t ReportBounds::Apply(v1::Report& report) {
  const std::string violation = ReportLimitViolation(report, limits_);
  if (violation.empty()) return 0;

  // Room for the note, in the list of source errors and in the bytes.
  ReportLimits room = limits_;
  room.max_source_errors = std::max<size_t>(limits_.max_source_errors, 1) - 1;
  const size_t note_bytes = limits_.max_name_bytes + limits_.max_message_bytes + 16;
  room.max_report_bytes = limits_.max_report_bytes > note_bytes ? limits_.max_report_bytes - note_bytes : 0;
  size_t dropped = CapReport(report, room);
  while (report.ByteSizeLong() > room.max_report_bytes) {
    const size_t halved = HalveLargestList(report);
    if (halved == 0) break;
    dropped += halved;
  }
  items_dropped_ += dropped;

  const std::string what =
      fmt::format("the report was over its bounds ({}); capped: {} item(s) dropped, text made printable and cut to "
                  "length",
                  violation, dropped);
  if (limits_.max_source_errors > 0) {
    v1::SourceError& note = *report.add_source_errors();
    note.set_source(kNoteSource);
    note.set_code(v1::SourceError::MALFORMED);
    // The violation quotes no text of the report, only field names and numbers.
    note.set_message(what.substr(0, limits_.max_message_bytes));
  }
  const std::string kind = KindOf(violation);
  if (logged_kinds_.size() < kMaxLoggedKinds && logged_kinds_.insert(kind).second) {
    LogWarning("report {}: {} (said once for this kind of excess; the report carries it as a source error)",
               report.seq(), what);
  }
  return dropped;
}

}  // namespace vigie::agent
