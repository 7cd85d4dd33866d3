#include "agent/report_text.h"

#include <fmt/format.h>

#include "common/json_writer.h"

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

}  // namespace

std::string ReportAsText(const v1::Report& report) {
  std::string out;
  const v1::System& system = report.system();
  out += fmt::format("node {}  boot {}  seq {}\n", report.node_id(), report.boot_id(), report.seq());
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

std::string ReportAsJson(const v1::Report& report) {
  JsonWriter json;
  const v1::System& system = report.system();
  json.BeginObject();
  json.Key("node_id").String(report.node_id());
  json.Key("boot_id").String(report.boot_id());
  json.Key("seq").Uint(report.seq());
  json.Key("timestamp_unix_ms").Int(report.timestamp_unix_ms());
  json.Key("uptime_seconds").Double(report.uptime_seconds());
  json.Key("agent_version").String(report.agent_version());
  json.Key("system").BeginObject();
  json.Key("load1").Double(system.load1()).Key("load5").Double(system.load5()).Key("load15").Double(system.load15());
  json.Key("memory_total_bytes").Uint(system.memory_total_bytes());
  json.Key("memory_available_bytes").Uint(system.memory_available_bytes());
  json.Key("swap_total_bytes").Uint(system.swap_total_bytes());
  json.Key("swap_free_bytes").Uint(system.swap_free_bytes());
  json.Key("filesystems").BeginArray();
  for (const v1::Filesystem& fs : system.filesystems()) {
    json.BeginObject();
    json.Key("mountpoint").String(fs.mountpoint()).Key("device").String(fs.device()).Key("fstype").String(fs.fstype());
    json.Key("size_bytes").Uint(fs.size_bytes()).Key("free_bytes").Uint(fs.free_bytes());
    json.Key("avail_bytes").Uint(fs.avail_bytes()).Key("files").Uint(fs.files()).Key("files_free").Uint(fs.files_free());
    json.EndObject();
  }
  json.EndArray().EndObject();
  json.Key("source_errors").BeginArray();
  for (const v1::SourceError& error : report.source_errors()) {
    json.BeginObject().Key("source").String(error.source()).Key("message").String(error.message()).EndObject();
  }
  json.EndArray();
  json.EndObject();
  return json.Take() + "\n";
}

}  // namespace vigie::agent
