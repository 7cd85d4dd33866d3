// CPU power from the powercap "intel-rapl" zones (Documentation/power/
// powercap/powercap.rst): package, core, uncore, dram, psys, read from
// /sys/class/powercap/intel-rapl:* (zones "intel-rapl:N" and their subzones
// "intel-rapl:N:M") through a FileTree.
//
// Each zone's energy_uj is a counter in microjoules that wraps to 0 after
// max_energy_range_uj. A cycle reads every counter and reports, per zone,
// the average power since the previous cycle:
//   watts = delta_microjoules / delta_monotonic_ns * 1000,
// where a counter lower than at the previous cycle wrapped once:
//   delta = (max_energy_range_uj - previous) + current.
// A counter that wraps more than once between two cycles cannot be told
// apart: at 65 W a 262143 J range wraps every 67 minutes, so keep the period
// well below max_energy_range_uj / peak power.
//
// The first cycle (and the first after a zone failed to read) only records
// the counters: no RaplZone is reported for that zone yet, and that is not
// an error. A cycle whose monotonic time did not advance reports nothing.
//
// energy_uj is readable by root only since Linux 5.10 (CVE-2020-8694,
// "PLATYPUS"): a permission-denied read becomes a SourceError
// (PERMISSION_DENIED) that says so and how to fix it. Any other failed read
// becomes a SourceError too, and the other zones are still read.
//
// Cost: the zone list, names and ranges are read once, at construction, and
// each energy_uj is opened then and kept open (one descriptor per zone,
// under the FileTree's root); a cycle is one pread(2) at offset 0 per zone,
// which makes sysfs call the attribute's show() again
// (Documentation/filesystems/sysfs.rst, "Reading/Writing Attribute Data").
// A file that could not be opened is opened again at the next cycle, and a
// failed read closes it, so a zone that reappears (driver reloaded, udev
// rule applied) is picked up. A machine without powercap (AMD before Linux
// 5.8, VMs) has no zones: Collect then adds nothing, no error. Not
// thread-safe (it keeps the previous counters).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "agent/sources/source.h"
#include "common/file_tree.h"

namespace vigie::agent {

class RaplSource : public Source {
 public:
  // Lists the zones under tree's /sys/class/powercap. `tree` must outlive
  // the source.
  explicit RaplSource(const FileTree& tree);
  ~RaplSource() override;
  RaplSource(const RaplSource&) = delete;
  RaplSource& operator=(const RaplSource&) = delete;

  std::string_view name() const override { return "rapl"; }
  // Appends a RaplZone per zone that has a previous reading to report.power.
  void Collect(const CollectContext& context, v1::Report& report) override;

  struct Zone {
    std::string id;           // "intel-rapl:0:1"
    std::string name;         // the zone's name file: "package-0", "core", "uncore", "dram"
    std::string energy_path;  // "/sys/class/powercap/intel-rapl:0:1/energy_uj"
    uint64_t max_energy_range_uj = 0;
    std::optional<uint64_t> previous_uj;
    int64_t previous_ns = 0;
    int fd = -1;  // energy_uj, owned by the source; -1 while not open
  };
  const std::vector<Zone>& zones() const { return zones_; }

  // Zones that could not be set up at construction (no name or range).
  const std::vector<Error>& setup_errors() const { return setup_errors_; }

 private:
  Result<uint64_t> ReadEnergy(Zone& zone);

  const FileTree& tree_;
  std::vector<Zone> zones_;
  std::vector<Error> setup_errors_;
};

// Microjoules used between two readings of a counter that wraps after
// `max_range_uj` (at most one wrap).
uint64_t EnergyDeltaMicrojoules(uint64_t previous_uj, uint64_t current_uj, uint64_t max_range_uj);

// The message for a permission-denied energy_uj read.
std::string RaplPermissionMessage(const std::string& path);

}  // namespace vigie::agent
