#include "common/report_json.h"

namespace vigie {

std::string_view DiskKindLabel(v1::Disk::Kind kind) {
  switch (kind) {
    case v1::Disk::ATA_HDD:
      return "hdd";
    case v1::Disk::ATA_SSD:
      return "ssd";
    case v1::Disk::NVME:
      return "nvme";
    default:
      return "unknown";
  }
}

std::string_view DiskStatusLabel(v1::Disk::Status status) {
  switch (status) {
    case v1::Disk::READ:
      return "read";
    case v1::Disk::SKIPPED_ASLEEP:
      return "asleep";
    case v1::Disk::UNSUPPORTED:
      return "unsupported";
    case v1::Disk::ERROR:
      return "error";
    default:
      return "unknown";
  }
}

std::string_view DiskHealthLabel(v1::Disk::Health health) {
  switch (health) {
    case v1::Disk::PASSED:
      return "passed";
    case v1::Disk::FAILED:
      return "failed";
    default:
      return "unknown";
  }
}

void WriteSensorJson(const v1::Sensor& sensor, JsonWriter& json) {
  json.BeginObject();
  json.Key("chip").String(sensor.chip()).Key("label").String(sensor.label());
  json.Key("kind").String(v1::Sensor::Kind_Name(sensor.kind())).Key("value").Double(sensor.value());
  if (sensor.has_min()) json.Key("min").Double(sensor.min());
  if (sensor.has_max()) json.Key("max").Double(sensor.max());
  if (sensor.has_crit()) json.Key("crit").Double(sensor.crit());
  if (sensor.has_lcrit()) json.Key("lcrit").Double(sensor.lcrit());
  json.Key("alarm").Bool(sensor.alarm());
  json.EndObject();
}

void WriteDiskJson(const v1::Disk& disk, JsonWriter& json) {
  json.BeginObject();
  json.Key("device").String(disk.device());
  json.Key("kind").String(v1::Disk::Kind_Name(disk.kind()));
  json.Key("model").String(disk.model()).Key("serial").String(disk.serial()).Key("firmware").String(disk.firmware());
  json.Key("capacity_bytes").Uint(disk.capacity_bytes()).Key("rotation_rate_rpm").Uint(disk.rotation_rate_rpm());
  json.Key("power_state").String(v1::Disk::PowerState_Name(disk.power_state()));
  json.Key("status").String(v1::Disk::Status_Name(disk.status()));
  json.Key("last_read_unix_ms").Int(disk.last_read_unix_ms());
  json.Key("health").String(v1::Disk::Health_Name(disk.health()));
  json.Key("error").String(disk.error());
  if (disk.has_temperature_celsius()) json.Key("temperature_celsius").Double(disk.temperature_celsius());
  json.Key("ata_attributes").BeginArray();
  for (const v1::AtaAttribute& a : disk.ata_attributes()) {
    json.BeginObject();
    json.Key("id").Uint(a.id()).Key("name").String(a.name()).Key("prefailure").Bool(a.prefailure());
    json.Key("value").Uint(a.value()).Key("worst").Uint(a.worst()).Key("threshold").Uint(a.threshold());
    json.Key("raw").Uint(a.raw()).Key("raw_decoded").Int(a.raw_decoded()).Key("raw_text").String(a.raw_text());
    json.EndObject();
  }
  json.EndArray();
  if (disk.has_ata_error_count()) json.Key("ata_error_count").Uint(disk.ata_error_count());
  if (disk.has_last_self_test()) {
    const v1::SelfTest& t = disk.last_self_test();
    json.Key("last_self_test").BeginObject();
    json.Key("status").Uint(t.status()).Key("description").String(t.description());
    json.Key("lifetime_hours").Uint(t.lifetime_hours()).EndObject();
  }
  if (disk.has_nvme()) {
    const v1::NvmeHealth& n = disk.nvme();
    json.Key("nvme").BeginObject();
    json.Key("critical_warning").Uint(n.critical_warning());
    json.Key("composite_temperature_celsius").Double(n.composite_temperature_celsius());
    json.Key("available_spare_percent").Uint(n.available_spare_percent());
    json.Key("available_spare_threshold_percent").Uint(n.available_spare_threshold_percent());
    json.Key("percentage_used").Uint(n.percentage_used());
    json.Key("data_units_read").Uint(n.data_units_read()).Key("data_units_written").Uint(n.data_units_written());
    json.Key("power_cycles").Uint(n.power_cycles()).Key("power_on_hours").Uint(n.power_on_hours());
    json.Key("unsafe_shutdowns").Uint(n.unsafe_shutdowns()).Key("media_errors").Uint(n.media_errors());
    json.Key("error_log_entries").Uint(n.error_log_entries());
    json.Key("warning_temperature_minutes").Uint(n.warning_temperature_minutes());
    json.Key("critical_temperature_minutes").Uint(n.critical_temperature_minutes());
    json.Key("temperature_sensors").BeginArray();
    for (const v1::NvmeTemperatureSensor& s : n.temperature_sensors()) {
      json.BeginObject().Key("index").Uint(s.index()).Key("celsius").Double(s.celsius()).EndObject();
    }
    json.EndArray().EndObject();
  }
  json.EndObject();
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
  json.Key("sensors").BeginArray();
  for (const v1::Sensor& sensor : report.sensors()) WriteSensorJson(sensor, json);
  json.EndArray();
  json.Key("disks").BeginArray();
  for (const v1::Disk& disk : report.disks()) WriteDiskJson(disk, json);
  json.EndArray();
  json.Key("power").BeginObject();
  json.Key("rapl").BeginArray();
  for (const v1::RaplZone& zone : report.power().rapl()) {
    json.BeginObject().Key("name").String(zone.name()).Key("watts").Double(zone.watts()).EndObject();
  }
  json.EndArray();
  if (report.power().has_ac_online()) json.Key("ac_online").Bool(report.power().ac_online());
  json.Key("batteries").BeginArray();
  for (const v1::Battery& battery : report.power().batteries()) {
    json.BeginObject().Key("name").String(battery.name()).Key("status").String(battery.status());
    if (battery.has_capacity_percent()) json.Key("capacity_percent").Uint(battery.capacity_percent());
    json.EndObject();
  }
  json.EndArray().EndObject();
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
    json.BeginObject().Key("source").String(error.source());
    json.Key("code").String(v1::SourceError::Code_Name(error.code())).Key("message").String(error.message());
    json.EndObject();
  }
  json.EndArray();
  json.EndObject();
  return json.Take() + "\n";
}

}  // namespace vigie
