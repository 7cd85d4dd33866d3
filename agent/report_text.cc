#include "agent/report_text.h"

#include <fmt/format.h>

#include "agent/sources/sensor_text.h"

namespace vigie::agent {
namespace {

std::string Bytes(uint64_t bytes) {
  static const char* const kUnits[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB"};
  double value = static_cast<double>(bytes);
  size_t unit = 0;
  while (value >= 1024 && unit + 1 < std::size(kUnits)) {
    value /= 1024;
    ++unit;
  }
  return unit == 0 ? fmt::format("{} B", bytes) : fmt::format("{:.1f} {}", value, kUnits[unit]);
}

double Percent(uint64_t part, uint64_t whole) { return whole == 0 ? 0.0 : 100.0 * static_cast<double>(part) / static_cast<double>(whole); }

std::string_view DiskStatusText(const v1::Disk& disk) {
  switch (disk.status()) {
    case v1::Disk::READ:
      return disk.health() == v1::Disk::FAILED ? "SMART overall health: FAILED" : "SMART overall health: PASSED";
    case v1::Disk::SKIPPED_ASLEEP:
      return "asleep: not woken, not read";
    case v1::Disk::UNSUPPORTED:
      return "SMART unsupported";
    case v1::Disk::ERROR:
      return "SMART not read";
    default:
      return "";
  }
}

// One disk, in the manner of `smartctl -H -A` (or the NVMe health section).
std::string DiskText(const v1::Disk& disk) {
  std::string out = fmt::format("{}  {}  serial {}  firmware {}", disk.device(), disk.model(), disk.serial(),
                                disk.firmware());
  if (disk.capacity_bytes() > 0) out += fmt::format("  {}", Bytes(disk.capacity_bytes()));
  out += fmt::format("\n  {}", DiskStatusText(disk));
  if (!disk.error().empty()) out += fmt::format(": {}", disk.error());
  if (disk.has_temperature_celsius()) out += fmt::format("  temperature {:.0f} °C", disk.temperature_celsius());
  out += '\n';
  if (disk.ata_attributes_size() > 0) {
    out += "  ID# ATTRIBUTE_NAME           VALUE WORST THRESH TYPE     RAW_VALUE\n";
    for (const v1::AtaAttribute& a : disk.ata_attributes()) {
      out += fmt::format("  {:>3} {:<24} {:03}   {:03}   {:03}    {:<8} {}\n", a.id(), a.name(), a.value(), a.worst(),
                         a.threshold(), a.prefailure() ? "Pre-fail" : "Old_age", a.raw_text());
    }
  }
  if (disk.has_ata_error_count()) out += fmt::format("  ATA errors logged: {}\n", disk.ata_error_count());
  if (disk.has_last_self_test()) {
    out += fmt::format("  last self-test: {} at {} h\n", disk.last_self_test().description(),
                       disk.last_self_test().lifetime_hours());
  }
  if (disk.kind() == v1::Disk::NVME && disk.has_nvme()) {
    const v1::NvmeHealth& n = disk.nvme();
    out += fmt::format("  critical warning 0x{:02x}  temperature {:.0f} °C  spare {}% (threshold {}%)  used {}%\n",
                       n.critical_warning(), n.composite_temperature_celsius(), n.available_spare_percent(),
                       n.available_spare_threshold_percent(), n.percentage_used());
    out += fmt::format("  read {}  written {}  power on {} h  power cycles {}  unsafe shutdowns {}\n",
                       Bytes(n.data_units_read() * 512000), Bytes(n.data_units_written() * 512000), n.power_on_hours(),
                       n.power_cycles(), n.unsafe_shutdowns());
    out += fmt::format("  media and data integrity errors {}  error log entries {}\n", n.media_errors(),
                       n.error_log_entries());
  }
  return out;
}

}  // namespace

std::string ReportAsText(const v1::Report& report) {
  std::string out;
  const v1::System& system = report.system();
  out += fmt::format("node {}  boot {}  seq {}\n", report.node_id(), report.boot_id(), report.seq());
  if (report.disks_size() > 0) {
    out += "\ndisks\n";
    for (const v1::Disk& disk : report.disks()) out += DiskText(disk);
  }
  // Two appends, not "\n" + string&&: gcc 12 -O3 reports a false -Wrestrict
  // in that operator+ (GCC bug 105329), which breaks the Release build.
  if (report.sensors_size() > 0) {
    out += '\n';
    out += FormatSensors(report.sensors());
  }
  const v1::Power& power = report.power();
  if (power.rapl_size() > 0 || power.has_ac_online() || power.batteries_size() > 0) {
    out += "\npower\n";
    for (const v1::RaplZone& zone : power.rapl()) out += fmt::format("  {:<12} {:6.2f} W\n", zone.name(), zone.watts());
    if (power.has_ac_online()) out += fmt::format("  AC           {}\n", power.ac_online() ? "online" : "OFFLINE");
    for (const v1::Battery& battery : power.batteries()) {
      out += fmt::format("  {:<12} {}% {}\n", battery.name(), battery.capacity_percent(), battery.status());
    }
  }
  out += "\nsystem\n";
  out += fmt::format("up {:.0f} s  load {:.2f} {:.2f} {:.2f}\n", report.uptime_seconds(), system.load1(),
                     system.load5(), system.load15());
  out += fmt::format("memory  {} available of {} ({:.0f}% free)\n", Bytes(system.memory_available_bytes()),
                     Bytes(system.memory_total_bytes()),
                     Percent(system.memory_available_bytes(), system.memory_total_bytes()));
  if (system.swap_total_bytes() > 0) {
    out += fmt::format("swap    {} free of {}\n", Bytes(system.swap_free_bytes()), Bytes(system.swap_total_bytes()));
  }
  if (system.filesystems_size() > 0) {
    out += "\nfilesystems\n";
    for (const v1::Filesystem& fs : system.filesystems()) {
      out += fmt::format("  {:<20} {:<12} {:<6} {} available of {} ({:.0f}% used)\n", fs.mountpoint(), fs.device(),
                         fs.fstype(), Bytes(fs.avail_bytes()), Bytes(fs.size_bytes()),
                         100.0 - Percent(fs.avail_bytes(), fs.avail_bytes() + (fs.size_bytes() - fs.free_bytes())));
    }
  }
  if (report.source_errors_size() > 0) {
    out += "\ncould not read\n";
    for (const v1::SourceError& error : report.source_errors()) {
      out += fmt::format("  {}: {}\n", error.source(), error.message());
    }
  }
  return out;
}

}  // namespace vigie::agent
