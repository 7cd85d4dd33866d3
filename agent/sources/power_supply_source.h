// Mains and batteries from /sys/class/power_supply (Documentation/ABI/
// testing/sysfs-class-power) through a FileTree.
//
// report.power.ac_online: true when any supply of type "Mains" has online 1,
// false when there are Mains supplies and none is online, absent when the
// machine reports no Mains supply at all (most desktops: their supply is not
// visible to the kernel).
// report.power.batteries: one per supply of type "Battery", except those of
// scope "Device" (the battery of a wireless mouse or keyboard, not the
// machine's), with capacity (percent, absent if unreadable) and status
// ("Charging", "Discharging", "Full", "Not charging", "Unknown").
//
// A file that fails to read becomes a SourceError; the other supplies are
// still read. Cost: a directory listing and two or three small reads per
// supply, every cycle (supplies come and go: USB, docks). Not thread-safe.
#pragma once

#include "agent/sources/source.h"
#include "common/file_tree.h"

namespace vigie::agent {

class PowerSupplySource : public Source {
 public:
  // `tree` must outlive the source.
  explicit PowerSupplySource(const FileTree& tree) : tree_(tree) {}

  std::string_view name() const override { return "power_supply"; }
  void Collect(const CollectContext& context, v1::Report& report) override;

 private:
  const FileTree& tree_;
};

}  // namespace vigie::agent
