#include "common/report_limits.h"

#include <fmt/format.h>

#include "common/printable.h"

namespace vigie {
namespace {

// Where a field is, e.g. disks[3].serial: built on the stack as the walk
// goes, written out only for a violation.
struct Path {
  const Path* parent;
  const char* name;
  int index = -1;

  std::string Text() const {
    std::string text = parent ? parent->Text() + "." : "";
    text += name;
    if (index >= 0) text += fmt::format("[{}]", index);
    return text;
  }
};

// VIGIE_TEXT(message, field, path, max_bytes)
#define VIGIE_TEXT(message, field, ...) \
  Text((message).field(), [&] { return (message).mutable_##field(); }, __VA_ARGS__)

// Walks every bounded string and repeated field of a report once, either to
// find the first violation or to repair them all.
class LimitWalk {
 public:
  LimitWalk(const ReportLimits& limits, bool repair) : limits_(limits), repair_(repair) {}

  const std::string& violation() const { return violation_; }
  size_t dropped() const { return dropped_; }

  void Walk(v1::Report& report) {
    VIGIE_TEXT(report, node_id, Path{nullptr, "node_id"}, limits_.max_name_bytes);
    VIGIE_TEXT(report, boot_id, Path{nullptr, "boot_id"}, limits_.max_name_bytes);
    VIGIE_TEXT(report, agent_version, Path{nullptr, "agent_version"}, limits_.max_name_bytes);
    Count(*report.mutable_sensors(), Path{nullptr, "sensors"}, limits_.max_sensors);
    for (int i = 0; i < report.sensors_size(); ++i) {
      v1::Sensor& sensor = *report.mutable_sensors(i);
      const Path at{nullptr, "sensors", i};
      VIGIE_TEXT(sensor, chip, Path{&at, "chip"}, limits_.max_name_bytes);
      VIGIE_TEXT(sensor, label, Path{&at, "label"}, limits_.max_name_bytes);
    }
    Count(*report.mutable_disks(), Path{nullptr, "disks"}, limits_.max_disks);
    for (int i = 0; i < report.disks_size(); ++i) Disk(*report.mutable_disks(i), Path{nullptr, "disks", i});
    if (report.has_power()) {
      v1::Power& power = *report.mutable_power();
      Count(*power.mutable_rapl(), Path{nullptr, "power.rapl"}, limits_.max_rapl_zones);
      for (int i = 0; i < power.rapl_size(); ++i) {
                v1::RaplZone& zone = *power.mutable_rapl(i);
        const Path rapl_at{nullptr, "power.rapl", i};
        VIGIE_TEXT(zone, name, Path{&rapl_at, "name"}, limits_.max_name_bytes);
      }
      Count(*power.mutable_batteries(), Path{nullptr, "power.batteries"}, limits_.max_batteries);
      for (int i = 0; i < power.batteries_size(); ++i) {
        v1::Battery& battery = *power.mutable_batteries(i);
        const Path at{nullptr, "power.batteries", i};
        VIGIE_TEXT(battery, name, Path{&at, "name"}, limits_.max_name_bytes);
        VIGIE_TEXT(battery, status, Path{&at, "status"}, limits_.max_name_bytes);
      }
    }
    if (report.has_system()) {
      v1::System& system = *report.mutable_system();
      Count(*system.mutable_filesystems(), Path{nullptr, "system.filesystems"}, limits_.max_filesystems);
      for (int i = 0; i < system.filesystems_size(); ++i) {
        v1::Filesystem& fs = *system.mutable_filesystems(i);
        const Path at{nullptr, "system.filesystems", i};
        VIGIE_TEXT(fs, mountpoint, Path{&at, "mountpoint"}, limits_.max_name_bytes);
        VIGIE_TEXT(fs, device, Path{&at, "device"}, limits_.max_name_bytes);
        VIGIE_TEXT(fs, fstype, Path{&at, "fstype"}, limits_.max_name_bytes);
      }
    }
    Count(*report.mutable_events(), Path{nullptr, "events"}, limits_.max_events);
    for (int i = 0; i < report.events_size(); ++i) {
      v1::Event& event = *report.mutable_events(i);
      const Path at{nullptr, "events", i};
      VIGIE_TEXT(event, previous_boot_id, Path{&at, "previous_boot_id"}, limits_.max_name_bytes);
      VIGIE_TEXT(event, message, Path{&at, "message"}, limits_.max_message_bytes);
    }
    Count(*report.mutable_source_errors(), Path{nullptr, "source_errors"}, limits_.max_source_errors);
    for (int i = 0; i < report.source_errors_size(); ++i) {
      v1::SourceError& error = *report.mutable_source_errors(i);
      const Path at{nullptr, "source_errors", i};
      VIGIE_TEXT(error, source, Path{&at, "source"}, limits_.max_name_bytes);
      VIGIE_TEXT(error, message, Path{&at, "message"}, limits_.max_message_bytes);
    }
  }

 private:
  void Disk(v1::Disk& disk, const Path& at) {
    VIGIE_TEXT(disk, device, Path{&at, "device"}, limits_.max_name_bytes);
    VIGIE_TEXT(disk, model, Path{&at, "model"}, limits_.max_name_bytes);
    VIGIE_TEXT(disk, serial, Path{&at, "serial"}, limits_.max_name_bytes);
    VIGIE_TEXT(disk, firmware, Path{&at, "firmware"}, limits_.max_name_bytes);
    VIGIE_TEXT(disk, error, Path{&at, "error"}, limits_.max_message_bytes);
    Count(*disk.mutable_ata_attributes(), Path{&at, "ata_attributes"}, limits_.max_attributes_per_disk);
    for (int j = 0; j < disk.ata_attributes_size(); ++j) {
      v1::AtaAttribute& attribute = *disk.mutable_ata_attributes(j);
      const Path attribute_at{&at, "ata_attributes", j};
      VIGIE_TEXT(attribute, name, Path{&attribute_at, "name"}, limits_.max_name_bytes);
      VIGIE_TEXT(attribute, raw_text, Path{&attribute_at, "raw_text"}, limits_.max_name_bytes);
    }
    if (disk.has_last_self_test()) {
      v1::SelfTest& self_test = *disk.mutable_last_self_test();
      VIGIE_TEXT(self_test, description, Path{&at, "last_self_test.description"}, limits_.max_name_bytes);
    }
    if (disk.has_nvme()) {
      v1::NvmeHealth& nvme = *disk.mutable_nvme();
      Count(*nvme.mutable_temperature_sensors(), Path{&at, "nvme.temperature_sensors"},
            limits_.max_nvme_temperature_sensors);
    }
  }

  // `mutable_text` is called only to repair: in a check, a string field's
  // mutable accessor would allocate (and write to a report that is shared).
  template <class MutableText>
  void Text(const std::string& text, const MutableText& mutable_text, const Path& at, size_t max_bytes) {
    if (text.size() <= max_bytes && IsPrintableUtf8(text)) return;
    if (repair_) {
      *mutable_text() = PrintableUtf8(text, max_bytes);
    } else if (violation_.empty()) {
      violation_ = text.size() > max_bytes ? fmt::format("{} is over {} bytes", at.Text(), max_bytes)
                                           : fmt::format("{} is not printable UTF-8", at.Text());
    }
  }

  template <class Repeated>
  void Count(Repeated& items, const Path& at, size_t max_count) {
    const size_t size = static_cast<size_t>(items.size());
    if (size <= max_count) return;
    if (repair_) {
      items.DeleteSubrange(static_cast<int>(max_count), static_cast<int>(size - max_count));
      dropped_ += size - max_count;
    } else if (violation_.empty()) {
      violation_ = fmt::format("{} {}, over the limit of {}", size, at.Text(), max_count);
    }
  }


  const ReportLimits& limits_;
  const bool repair_;
  std::string violation_;
  size_t dropped_ = 0;
};

#undef VIGIE_TEXT

}  // namespace

std::string ReportLimitViolation(const v1::Report& report, const ReportLimits& limits) {
  return ReportLimitViolation(report, limits, report.ByteSizeLong());
}

std::string ReportLimitViolation(const v1::Report& report, const ReportLimits& limits, size_t bytes) {
  if (bytes > limits.max_report_bytes) {
    return fmt::format("the report is {} bytes, over the limit of {}", bytes, limits.max_report_bytes);
  }
  LimitWalk walk(limits, /*repair=*/false);
  // A walk that does not repair calls only accessors that do not write.
  walk.Walk(const_cast<v1::Report&>(report));
  return walk.violation();
}

size_t CapReport(v1::Report& report, const ReportLimits& limits) {
  LimitWalk walk(limits, /*repair=*/true);
  walk.Walk(report);
  return walk.dropped();
}

}  // namespace vigie
