// Helpers for the alerting integration tests: Debian packages the peers
// need, and reports shaped like the agent's.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "tests/testing/process.h"
#include "vigie.pb.h"

namespace vigie::testing {

// Runs tests/alerting/need_packages.sh: installs missing Debian packages (as root).
inline ::testing::AssertionResult NeedPackages(const std::vector<std::string>& packages) {
  std::vector<std::string> argv{"/bin/sh", std::string(VIGIE_SOURCE_DIR) + "/tests/alerting/need_packages.sh"};
  argv.insert(argv.end(), packages.begin(), packages.end());
  const CommandResult r = RunCommand(argv);
  if (r.exit_code != 0) return ::testing::AssertionFailure() << "need_packages.sh failed: " << r.exit_code;
  return ::testing::AssertionSuccess();
}

inline v1::Report BasicReport(const std::string& node, int64_t now_ms, uint64_t seq) {
  v1::Report r;
  r.set_node_id(node);
  r.set_boot_id("boot-" + node);
  r.set_seq(seq);
  r.set_timestamp_unix_ms(now_ms);
  r.set_uptime_seconds(3600);
  v1::Filesystem* fs = r.mutable_system()->add_filesystems();
  fs->set_mountpoint("/");
  fs->set_size_bytes(100'000'000'000);
  fs->set_free_bytes(50'000'000'000);
  fs->set_avail_bytes(45'000'000'000);
  return r;
}

inline void FillFilesystem(v1::Report& r, double used_fraction) {
  v1::Filesystem* fs = r.mutable_system()->mutable_filesystems(0);
  const auto free = static_cast<uint64_t>(static_cast<double>(fs->size_bytes()) * (1.0 - used_fraction));
  fs->set_free_bytes(free);
  fs->set_avail_bytes(free);
}

// Adds `count` filesystems "/srv/0", "/srv/1"... each `used_fraction` full.
inline void AddFilesystems(v1::Report& r, int count, double used_fraction) {
  for (int i = 0; i < count; ++i) {
    v1::Filesystem* fs = r.mutable_system()->add_filesystems();
    fs->set_mountpoint("/srv/" + std::to_string(i));
    fs->set_size_bytes(100'000'000'000);
    const auto free = static_cast<uint64_t>(100'000'000'000.0 * (1.0 - used_fraction));
    fs->set_free_bytes(free);
    fs->set_avail_bytes(free);
  }
}

// A report whose previous run ended without a clean shutdown, on another boot.
inline void AddUncleanStart(v1::Report& r) {
  v1::Event* e = r.add_events();
  e->set_kind(v1::Event::AGENT_STARTED);
  e->set_previous_shutdown_clean(false);
  e->set_previous_boot_id("old-" + r.boot_id());
}

inline v1::Disk* AddAtaDisk(v1::Report& r, const std::string& device, const std::string& serial) {
  v1::Disk* d = r.add_disks();
  d->set_device(device);
  d->set_kind(v1::Disk::ATA_HDD);
  d->set_model("TEST HDD");
  d->set_serial(serial);
  d->set_status(v1::Disk::READ);
  d->set_health(v1::Disk::PASSED);
  return d;
}

inline void AddAttribute(v1::Disk* d, uint32_t id, const std::string& name, uint32_t value, uint32_t threshold,
                         int64_t raw, bool prefailure = true) {
  v1::AtaAttribute* a = d->add_ata_attributes();
  a->set_id(id);
  a->set_name(name);
  a->set_value(value);
  a->set_worst(value);
  a->set_threshold(threshold);
  a->set_prefailure(prefailure);
  a->set_raw(static_cast<uint64_t>(raw));
  a->set_raw_decoded(raw);
}

}  // namespace vigie::testing
