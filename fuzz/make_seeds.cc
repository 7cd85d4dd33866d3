// vigie-fuzz-seeds OUT: writes the hand-made seeds of the targets whose input
// is built from the protobuf schema (fuzz/README.md, "Seed corpora"): push
// bodies, API requests and spool files, each in OUT/<target>/. A campaign
// starts from them and the real-drive pages; its minimised corpus is what is
// committed under fuzz/corpus/.
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>

#include "agent/spool_file.h"
#include "tests/testing/sample_reports.h"
#include "vigie.pb.h"

namespace {

using namespace vigie;

void Write(const std::filesystem::path& path, const std::string& bytes) {
  std::filesystem::create_directories(path.parent_path());
  std::ofstream(path, std::ios::binary) << bytes;
}

// A report of node `node_id` as an agent sends it: identity, the sample
// hardware (tests/testing/sample_reports.h), the system part, an event and
// a failed source.
v1::Report FullReport(const std::string& node_id, uint64_t seq) {
  v1::Report report = testing::SampleHardwareReport();
  report.set_node_id(node_id);
  report.set_boot_id("5f0c7f5e-2b1c-4a53-9b7e-0d1c2e3f4a5b");
  report.set_seq(seq);
  report.set_timestamp_unix_ms(1'700'000'000'000 + static_cast<int64_t>(seq) * 60'000);
  report.set_uptime_seconds(3600.5);
  report.set_agent_version("0.1.0");
  report.set_disks_read(seq % 2 == 1);
  v1::System& system = *report.mutable_system();
  system.set_load1(0.19);
  system.set_load5(0.25);
  system.set_load15(0.3);
  system.set_memory_total_bytes(4'000'000'000);
  system.set_memory_available_bytes(1'234'567'890);
  system.set_swap_total_bytes(1 << 30);
  system.set_swap_free_bytes(1 << 29);
  for (const char* mountpoint : {"/", "/srv/my \"data\"", "/home"}) {
    v1::Filesystem& fs = *system.add_filesystems();
    fs.set_mountpoint(mountpoint);
    fs.set_device("/dev/sda2");
    fs.set_fstype("ext4");
    fs.set_size_bytes(100'000'000'000);
    fs.set_free_bytes(1'000'000'000);
    fs.set_avail_bytes(990'000'000);
    fs.set_files(6'000'000);
    fs.set_files_free(5'000'000);
  }
  v1::Battery& battery = *report.mutable_power()->add_batteries();
  battery.set_name("BAT0");
  battery.set_capacity_percent(87);
  battery.set_status("Discharging");
  v1::Event& started = *report.add_events();
  started.set_kind(v1::Event::AGENT_STARTED);
  started.set_timestamp_unix_ms(report.timestamp_unix_ms() - 1000);
  started.set_previous_shutdown_clean(false);
  started.set_previous_boot_id("0a1b2c3d");
  v1::SourceError& error = *report.add_source_errors();
  error.set_source("ata:sdc");
  error.set_code(v1::SourceError::PERMISSION_DENIED);
  error.set_message("open /dev/sdc: Permission denied");
  return report;
}

std::string BatchOf(const std::string& node_id, uint64_t first_seq, int count) {
  v1::Batch batch;
  for (int i = 0; i < count; ++i) *batch.add_reports() = FullReport(node_id, first_seq + static_cast<uint64_t>(i));
  return batch.SerializeAsString();
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s OUT\n", argv[0]);
    return 2;
  }
  const std::filesystem::path out = argv[1];

  Write(out / "push/one_report", BatchOf("fuzz-node", 1, 1));
  Write(out / "push/backlog_of_five", BatchOf("fuzz-node", 10, 5));
  v1::Batch minimal;
  v1::Report& bare = *minimal.add_reports();
  bare.set_node_id("fuzz-node");
  bare.set_boot_id("b");
  bare.set_seq(1);
  Write(out / "push/identity_only", minimal.SerializeAsString());
  Write(out / "push/other_node", BatchOf("rennes-1", 1, 1));

  const std::string report = FullReport("fuzz-node", 3).SerializeAsString();
  Write(out / "api/nodes", "GET\n/v1/nodes\n\n" + report);
  Write(out / "api/node", "GET\n/v1/nodes/fuzz-node\n\n" + report);
  Write(out / "api/alerts", "GET\n/v1/alerts\nall=1\n" + report);
  Write(out / "api/ack", "POST\n/v1/alerts/1/ack\nby=alice\n" + report);
  Write(out / "api/silence",
        "POST\n/v1/silences\nnode=fuzz-node&reason=disk swap&until_ms=1800000000000&by=bob\n" + report);
  Write(out / "api/silences", "GET\n/v1/silences\n\n" + report);
  Write(out / "api/unsilence", "DELETE\n/v1/silences/1\n\n" + report);
  Write(out / "api/test_alert", "POST\n/v1/test-alert\nsite=fuzz-site\n" + report);

  agent::SpoolContents spool;
  spool.collectors = {{"https://collector.example.org:9470", 1}, {"http://standby.example.org", 0}};
  for (uint64_t seq = 1; seq <= 3; ++seq) spool.reports.push_back(FullReport("fuzz-node", seq).SerializeAsString());
  const std::filesystem::path spool_path = out / "spool_file/three_reports";
  std::filesystem::create_directories(spool_path.parent_path());
  if (!agent::WriteSpoolFile(spool_path, spool)) return 1;
  if (!agent::WriteSpoolFile(out / "spool_file/empty", agent::SpoolContents{})) return 1;
  return 0;
}
