// vigie-disk-probe: one disk-source cycle, printed as JSON, optionally
// recording every command's answer. The disk source alone, without the
// agent's configuration, libsensors or libcurl: what the QEMU test carries
// into its guest. `vigie-agent --record DIR` does the same recording.
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
#include <cstdio>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "common/report_json.h"
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

  vigie::JsonWriter json;
  json.BeginObject().Key("disks").BeginArray();
  bool all_read = true;
  for (const Disk& disk : disks) {
    WriteDiskJson(disk, json);
    all_read &= disk.status() == Disk::READ || disk.status() == Disk::SKIPPED_ASLEEP;
    fmt::print(stderr, "{} ({}): {}{}{}\n", disk.device(), Disk::Kind_Name(disk.kind()),
               Disk::Status_Name(disk.status()), disk.error().empty() ? "" : ": ", disk.error());
  }
  json.EndArray().EndObject();
  fmt::print("{}\n", json.str());
  return all_read ? 0 : 1;
}
