// The system basics: uptime, load, memory and the usage of every mounted
// disk filesystem, from /proc and statvfs. Cost: four small /proc reads and
// one statvfs per filesystem; nothing touches a disk.
#pragma once

#include <memory>

#include "agent/sources/filesystem_usage.h"
#include "agent/sources/source.h"
#include "common/file_tree.h"

namespace vigie::agent {

class SystemSource : public Source {
 public:
  SystemSource(const FileTree& tree, std::unique_ptr<FilesystemUsageReader> usage);

  std::string_view name() const override { return "system"; }
  // Fills report.uptime_seconds and report.system.
  void Collect(const CollectContext& context, v1::Report& report) override;

 private:
  const FileTree& tree_;
  std::unique_ptr<FilesystemUsageReader> usage_;
};

// /proc/sys/kernel/random/boot_id: a new random UUID at every boot.
Result<std::string> ReadBootId(const FileTree& tree);

}  // namespace vigie::agent
