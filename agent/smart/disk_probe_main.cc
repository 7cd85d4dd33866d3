// vigie-disk-probe: reads the SMART of every disk once, as the agent does,
// and either records the exact bytes (--record DIR) or prints what it read.
// A diagnostic and test tool until `vigie-agent --record` exists.
//
//   vigie-disk-probe [--sys ROOT] [--record DIR]
//
// --sys ROOT     find disks under ROOT/sys/block instead of /sys/block
// --record DIR   save every command's answer under DIR (recorded_device_io.h)
//
// Exit status: 0 when every disk found was read (or is asleep), 1 when one
// failed, 2 on a usage error.
#include <cstdio>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "agent/smart/device_io.h"
#include "agent/smart/disk_discovery.h"
#include "agent/smart/recorded_device_io.h"

namespace {

int Usage() {
  std::fputs("usage: vigie-disk-probe [--sys ROOT] [--record DIR]\n", stderr);
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  using namespace vigie::agent::smart;
  std::string sys_root = "/";
  std::string record_dir;
  std::string command = "vigie-disk-probe";
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    command += " " + arg;
    if (i + 1 >= argc) return Usage();
    if (arg == "--sys") {
      sys_root = argv[++i];
    } else if (arg == "--record") {
      record_dir = argv[++i];
    } else {
      return Usage();
    }
    command += " " + std::string(argv[i]);
  }
  if (record_dir.empty()) return Usage();

  const vigie::FileTree tree(sys_root);
  std::vector<DiskRef> disks;
  for (const DiscoveredDisk& disk : DiscoverDisks(tree)) {
    fmt::print(stderr, "found {} ({}, bus {})\n", disk.ref.name, disk.ref.node, disk.bus);
    disks.push_back(disk.ref);
  }
  const std::unique_ptr<DeviceIo> live = MakeLinuxDeviceIo();
  const vigie::Result<size_t> recorded = RecordDisks(disks, *live, record_dir, command);
  if (!recorded) {
    fmt::print(stderr, "vigie-disk-probe: {}\n", recorded.error().message);
    return 1;
  }
  fmt::print(stderr, "recorded {} of {} disks fully into {}\n", *recorded, disks.size(), record_dir);
  return *recorded == disks.size() ? 0 : 1;
}
