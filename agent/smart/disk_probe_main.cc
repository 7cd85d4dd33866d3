// vigie-disk-probe: one disk-source cycle, printed as JSON, optionally
// recording every command's answer. The diagnostic and test tool of the disk
// source until `vigie-agent --record` / `--replay-disks` exist (the lead folds
// it in; see RecordDisks in agent/sources/disk_source.h).
//
//   vigie-disk-probe [--sys ROOT | --replay DIR] [--record DIR] [--skip MODE]
//
// --sys ROOT     find disks under ROOT/sys/block (default /)
// --replay DIR   read a recorded folder instead of the hardware
// --record DIR   save every command's answer under DIR (recorded_device_io.h)
// --skip MODE    never | sleep | standby (default) | idle, as smartd -n
//
// Prints {"disks": [...]} on stdout, one object per disk with the fields of
// v1::Disk (proto/vigie.proto) under their proto names. Exit status: 0 when
// every disk was read or is asleep, 1 when one was not, 2 on a usage error.
#include <cmath>
#include <cstdio>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "agent/smart/device_io.h"
#include "agent/smart/disk_discovery.h"
#include "agent/smart/recorded_device_io.h"
#include "agent/sources/disk_source.h"

namespace {

using vigie::v1::Disk;

int Usage() {
  std::fputs("usage: vigie-disk-probe [--sys ROOT | --replay DIR] [--record DIR] [--skip never|sleep|standby|idle]\n",
             stderr);
  return 2;
}

std::string Quote(std::string_view text) {
  std::string out = "\"";
  for (const char c : text) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          out += fmt::format("\\u{:04x}", static_cast<unsigned char>(c));
        } else {
          out += c;
        }
    }
  }
  return out + "\"";
}

std::string Number(double value) {
  if (std::floor(value) == value && std::fabs(value) < 1e15) return fmt::format("{}", static_cast<int64_t>(value));
  return fmt::format("{}", value);
}

std::string DiskJson(const Disk& disk) {
  std::vector<std::string> fields = {
      fmt::format("\"device\": {}", Quote(disk.device())),
      fmt::format("\"kind\": {}", Quote(Disk::Kind_Name(disk.kind()))),
      fmt::format("\"model\": {}", Quote(disk.model())),
      fmt::format("\"serial\": {}", Quote(disk.serial())),
      fmt::format("\"firmware\": {}", Quote(disk.firmware())),
      fmt::format("\"capacity_bytes\": {}", disk.capacity_bytes()),
      fmt::format("\"rotation_rate_rpm\": {}", disk.rotation_rate_rpm()),
      fmt::format("\"power_state\": {}", Quote(Disk::PowerState_Name(disk.power_state()))),
      fmt::format("\"status\": {}", Quote(Disk::Status_Name(disk.status()))),
      fmt::format("\"last_read_unix_ms\": {}", disk.last_read_unix_ms()),
      fmt::format("\"health\": {}", Quote(Disk::Health_Name(disk.health()))),
      fmt::format("\"error\": {}", Quote(disk.error())),
  };
  if (disk.has_temperature_celsius()) {
    fields.push_back(fmt::format("\"temperature_celsius\": {}", Number(disk.temperature_celsius())));
  }
  std::vector<std::string> attributes;
  for (const vigie::v1::AtaAttribute& a : disk.ata_attributes()) {
    attributes.push_back(fmt::format(
        "{{\"id\": {}, \"name\": {}, \"prefailure\": {}, \"value\": {}, \"worst\": {}, \"threshold\": {}, "
        "\"raw\": {}, \"raw_decoded\": {}, \"raw_text\": {}}}",
        a.id(), Quote(a.name()), a.prefailure(), a.value(), a.worst(), a.threshold(), a.raw(), a.raw_decoded(),
        Quote(a.raw_text())));
  }
  fields.push_back(fmt::format("\"ata_attributes\": [{}]", fmt::join(attributes, ", ")));
  if (disk.has_ata_error_count()) fields.push_back(fmt::format("\"ata_error_count\": {}", disk.ata_error_count()));
  if (disk.has_last_self_test()) {
    const vigie::v1::SelfTest& t = disk.last_self_test();
    fields.push_back(fmt::format("\"last_self_test\": {{\"status\": {}, \"description\": {}, \"lifetime_hours\": {}}}",
                                 t.status(), Quote(t.description()), t.lifetime_hours()));
  }
  if (disk.has_nvme()) {
    const vigie::v1::NvmeHealth& n = disk.nvme();
    std::vector<std::string> sensors;
    for (const auto& s : n.temperature_sensors()) {
      sensors.push_back(fmt::format("{{\"index\": {}, \"celsius\": {}}}", s.index(), Number(s.celsius())));
    }
    fields.push_back(fmt::format(
        "\"nvme\": {{\"critical_warning\": {}, \"composite_temperature_celsius\": {}, \"available_spare_percent\": {}, "
        "\"available_spare_threshold_percent\": {}, \"percentage_used\": {}, \"data_units_read\": {}, "
        "\"data_units_written\": {}, \"power_cycles\": {}, \"power_on_hours\": {}, \"unsafe_shutdowns\": {}, "
        "\"media_errors\": {}, \"error_log_entries\": {}, \"warning_temperature_minutes\": {}, "
        "\"critical_temperature_minutes\": {}, \"temperature_sensors\": [{}]}}",
        n.critical_warning(), Number(n.composite_temperature_celsius()), n.available_spare_percent(),
        n.available_spare_threshold_percent(), n.percentage_used(), n.data_units_read(), n.data_units_written(),
        n.power_cycles(), n.power_on_hours(), n.unsafe_shutdowns(), n.media_errors(), n.error_log_entries(),
        n.warning_temperature_minutes(), n.critical_temperature_minutes(), fmt::join(sensors, ", ")));
  }
  return fmt::format("{{{}}}", fmt::join(fields, ", "));
}

}  // namespace

int main(int argc, char** argv) {
  using namespace vigie::agent;
  std::string sys_root = "/";
  std::string replay_dir;
  std::string record_dir;
  DiskSourceOptions options;
  std::string command = "vigie-disk-probe";
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (i + 1 >= argc) return Usage();
    const std::string value = argv[++i];
    command += " " + arg + " " + value;
    if (arg == "--sys") {
      sys_root = value;
    } else if (arg == "--replay") {
      replay_dir = value;
    } else if (arg == "--record") {
      record_dir = value;
    } else if (arg == "--skip") {
      const vigie::Result<SpinUpPolicy> policy = ParseSpinUpPolicy(value);
      if (!policy) {
        fmt::print(stderr, "vigie-disk-probe: --skip: {}\n", policy.error().message);
        return 2;
      }
      options.skip = *policy;
    } else {
      return Usage();
    }
  }

  const vigie::FileTree tree(sys_root);
  std::unique_ptr<smart::DeviceIo> io;
  DiskSource::DiskLister lister;
  if (replay_dir.empty()) {
    io = smart::MakeLinuxDeviceIo();
    lister = SysfsDiskLister(tree, {});
  } else {
    io = smart::MakeRecordedDeviceIo(replay_dir);
    lister = RecordedDiskLister(replay_dir);
  }

  std::vector<Disk> disks;
  if (!record_dir.empty()) {
    vigie::Result<std::vector<Disk>> recorded = RecordDisks(lister, *io, record_dir, command, options);
    if (!recorded) {
      fmt::print(stderr, "vigie-disk-probe: {}\n", recorded.error().message);
      return 1;
    }
    disks = std::move(*recorded);
  } else {
    DiskSource source(lister, *io, options);
    vigie::v1::Report report;
    source.Collect(CollectContext{}, report);
    disks.assign(report.disks().begin(), report.disks().end());
  }

  std::vector<std::string> objects;
  bool all_read = true;
  for (const Disk& disk : disks) {
    objects.push_back(DiskJson(disk));
    all_read &= disk.status() == Disk::READ || disk.status() == Disk::SKIPPED_ASLEEP;
    fmt::print(stderr, "{} ({}): {}{}{}\n", disk.device(), Disk::Kind_Name(disk.kind()),
               Disk::Status_Name(disk.status()), disk.error().empty() ? "" : ": ", disk.error());
  }
  fmt::print("{{\"disks\": [\n  {}\n]}}\n", fmt::join(objects, ",\n  "));
  return all_read ? 0 : 1;
}
