#include "collector/metrics_hardware.h"

#include "collector/seeded_hash.h"
#include "common/report_json.h"

#include <functional>
#include <optional>
#include <string_view>
#include <unordered_map>
#include <unordered_set>

#include <fmt/format.h>

namespace vigie::collector {
namespace {

struct SensorKindMetric {
  v1::Sensor::Kind kind;
  const char* name;  // vigie_sensor_<kind>_<unit>
  const char* limit_name;
  const char* help;
};

constexpr SensorKindMetric kSensorKinds[] = {
    {v1::Sensor::TEMPERATURE, "vigie_sensor_temperature_celsius", "vigie_sensor_temperature_limit_celsius",
     "Temperature read through lm-sensors."},
    {v1::Sensor::FAN, "vigie_sensor_fan_rpm", "vigie_sensor_fan_limit_rpm", "Fan speed read through lm-sensors."},
    {v1::Sensor::VOLTAGE, "vigie_sensor_voltage_volts", "vigie_sensor_voltage_limit_volts",
     "Voltage read through lm-sensors."},
    {v1::Sensor::CURRENT, "vigie_sensor_current_amperes", "vigie_sensor_current_limit_amperes",
     "Current read through lm-sensors."},
    {v1::Sensor::POWER, "vigie_sensor_power_watts", "vigie_sensor_power_limit_watts", "Power read through lm-sensors."},
    {v1::Sensor::ENERGY, "vigie_sensor_energy_joules", "vigie_sensor_energy_limit_joules",
     "Energy counter read through lm-sensors."},
    {v1::Sensor::INTRUSION, "vigie_sensor_intrusion", "vigie_sensor_intrusion_limit",
     "Chassis intrusion detector: 1 when tripped."},
    {v1::Sensor::HUMIDITY, "vigie_sensor_humidity_percent", "vigie_sensor_humidity_limit_percent",
     "Relative humidity read through lm-sensors."},
};

struct LabeledSensor {
  const v1::Sensor* sensor;
  std::string label;  // unique in its node for its chip and kind
};

// What makes a sensor's series unique: its chip, kind and label (a view of
// the sensor's, or of the label made for it).
struct SensorKey {
  std::string_view chip;
  v1::Sensor::Kind kind;
  std::string_view label;
  bool operator==(const SensorKey&) const = default;
};

struct SensorKeyHash {
  size_t operator()(const SensorKey& key) const {
    return SeededHash(key.label, SeededHash(key.chip, static_cast<uint64_t>(key.kind)));
  }
};

// The sensors of a report with their labels made unique per node: a
// duplicate (chip, label) would break the scrape, so later ones get the
// first free " #2", " #3"... Linear whatever the labels: the next number to
// try is kept per label, so a try fails only on a label taken before (by a
// sensor or a real label such as "x #2"), and each taken label fails at most
// one try, that of the one label it extends. The tables use a keyed hash:
// the labels come from the node.
std::vector<LabeledSensor> LabeledSensors(const v1::Report& report) {
  std::vector<LabeledSensor> out;
  // Never reallocated: the keys view the labels made in it.
  out.reserve(static_cast<size_t>(report.sensors_size()));
  std::unordered_set<SensorKey, SensorKeyHash> used(2 * static_cast<size_t>(report.sensors_size()));
  std::unordered_map<SensorKey, int, SensorKeyHash> next_number;
  for (const v1::Sensor& sensor : report.sensors()) {
    const SensorKey key{sensor.chip(), sensor.kind(), sensor.label()};
    if (used.insert(key).second) {
      out.push_back({&sensor, sensor.label()});
      continue;
    }
    int& number = next_number.try_emplace(key, 2).first->second;
    std::string label;
    do {
      label = fmt::format("{} #{}", sensor.label(), number++);
    } while (used.contains({sensor.chip(), sensor.kind(), label}));
    out.push_back({&sensor, std::move(label)});
    used.insert({sensor.chip(), sensor.kind(), out.back().label});
  }
  return out;
}

void AppendSensorMetrics(const std::vector<LabeledReport>& reports, SeriesSink& page) {
  std::vector<std::vector<LabeledSensor>> sensors;
  sensors.reserve(reports.size());
  for (const LabeledReport& node : reports) sensors.push_back(LabeledSensors(*node.report));
  // Calls `write(labels, sensor)` for each sensor of kind `kind`, or of any kind.
  const auto each = [&](std::optional<v1::Sensor::Kind> kind, const auto& write) {
    for (size_t i = 0; i < reports.size(); ++i) {
      const LabelRefs node_labels(reports[i].labels);
      for (const LabeledSensor& s : sensors[i]) {
        if (kind && s.sensor->kind() != *kind) continue;
        write(node_labels.With({{"chip", s.sensor->chip()}, {"sensor", s.label}}), *s.sensor);
      }
    }
  };
  for (const SensorKindMetric& metric : kSensorKinds) {
    page.Family(metric.name, "gauge", metric.help);
    each(metric.kind, [&](const LabelRefs& labels, const v1::Sensor& sensor) { page.Sample(labels, sensor.value()); });
    page.Family(metric.limit_name, "gauge", "The chip's own limit for the sensor, in the sensor's unit.");
    each(metric.kind, [&](const LabelRefs& labels, const v1::Sensor& sensor) {
      if (sensor.has_min()) page.Sample(labels.With({{"limit", "min"}}), sensor.min());
      if (sensor.has_max()) page.Sample(labels.With({{"limit", "max"}}), sensor.max());
      if (sensor.has_crit()) page.Sample(labels.With({{"limit", "crit"}}), sensor.crit());
      if (sensor.has_lcrit()) page.Sample(labels.With({{"limit", "lcrit"}}), sensor.lcrit());
    });
  }
  page.Family("vigie_sensor_alarm", "gauge", "1 when one of the chip's alarm or fault flags for the sensor is set.");
  each(std::nullopt,
       [&](const LabelRefs& labels, const v1::Sensor& sensor) { page.Sample(labels, sensor.alarm() ? 1 : 0); });
}

const v1::AtaAttribute* FindAttribute(const v1::Disk& disk, uint32_t id) {
  for (const v1::AtaAttribute& attribute : disk.ata_attributes()) {
    if (attribute.id() == id) return &attribute;
  }
  return nullptr;
}

// Power-on time: NVMe's hours, or ATA attribute 9 decoded as smartctl does
// (hours; some drives count minutes or half-minutes, which the agent's
// decoder already turned into hours).
std::optional<double> PowerOnSeconds(const v1::Disk& disk) {
  if (disk.kind() == v1::Disk::NVME && disk.has_nvme()) return static_cast<double>(disk.nvme().power_on_hours()) * 3600;
  if (const v1::AtaAttribute* attribute = FindAttribute(disk, 9)) {
    return static_cast<double>(attribute->raw_decoded()) * 3600;
  }
  return std::nullopt;
}

void AppendDiskMetrics(const std::vector<LabeledReport>& reports, SeriesSink& page) {
  struct LabeledDisk {
    LabelRefs labels;  // views into the node's labels and the disk
    const v1::Disk* disk;
  };
  std::vector<LabeledDisk> disks;
  for (const LabeledReport& node : reports) {
    for (const v1::Disk& disk : node.report->disks()) {
      disks.push_back(
          {LabelRefs(node.labels).With({{"disk", disk.device()}, {"model", disk.model()}, {"serial", disk.serial()}}), &disk});
    }
  }
  using Getter = std::function<std::optional<double>(const v1::Disk&)>;
  const auto family = [&](std::string_view name, std::string_view type, std::string_view help, const Getter& get) {
    page.Family(name, type, help);
    for (const LabeledDisk& d : disks) {
      if (const std::optional<double> value = get(*d.disk)) page.Sample(d.labels, *value);
    }
  };
  const auto read_only = [](const v1::Disk& disk) { return disk.status() == v1::Disk::READ; };

  page.Family("vigie_disk_info", "gauge", "Always 1: the disk's kind, firmware and this cycle's status as labels.");
  for (const LabeledDisk& d : disks) {
    page.Sample(d.labels.With({{"kind", DiskKindLabel(d.disk->kind())},
                                {"firmware", d.disk->firmware()},
                                {"status", DiskStatusLabel(d.disk->status())}}),
                1);
  }
  family("vigie_disk_asleep", "gauge", "1 when the disk was in standby or sleep and was left alone (not read).",
         [](const v1::Disk& disk) { return disk.status() == v1::Disk::SKIPPED_ASLEEP ? 1.0 : 0.0; });
  family("vigie_disk_smart_healthy", "gauge", "SMART overall health: 1 passed, 0 failed; absent when unknown.",
         [](const v1::Disk& disk) -> std::optional<double> {
           if (disk.health() == v1::Disk::PASSED) return 1.0;
           if (disk.health() == v1::Disk::FAILED) return 0.0;
           return std::nullopt;
         });
  family("vigie_disk_capacity_bytes", "gauge", "Disk capacity.", [](const v1::Disk& disk) -> std::optional<double> {
    if (disk.capacity_bytes() == 0) return std::nullopt;
    return static_cast<double>(disk.capacity_bytes());
  });
  family("vigie_disk_last_read_timestamp_seconds", "gauge", "When the disk's SMART data was last read in full.",
         [](const v1::Disk& disk) -> std::optional<double> {
           if (disk.last_read_unix_ms() == 0) return std::nullopt;
           return static_cast<double>(disk.last_read_unix_ms()) / 1000.0;
         });
  family("vigie_disk_temperature_celsius", "gauge", "Drive temperature as smartctl reports it.",
         [&](const v1::Disk& disk) -> std::optional<double> {
           if (!read_only(disk) || !disk.has_temperature_celsius()) return std::nullopt;
           return disk.temperature_celsius();
         });
  family("vigie_disk_power_on_seconds_total", "counter", "Power-on time from SMART.",
         [&](const v1::Disk& disk) -> std::optional<double> {
           if (!read_only(disk)) return std::nullopt;
           return PowerOnSeconds(disk);
         });
  family("vigie_disk_ata_errors_total", "counter", "ATA SMART error log count.",
         [&](const v1::Disk& disk) -> std::optional<double> {
           if (!read_only(disk) || !disk.has_ata_error_count()) return std::nullopt;
           return disk.ata_error_count();
         });

  // One sample per ATA attribute: normalized value, worst, threshold and the
  // raw value as smartctl decodes it.
  const auto attribute_family = [&](std::string_view name, std::string_view help,
                                    const std::function<double(const v1::AtaAttribute&)>& get) {
    page.Family(name, "gauge", help);
    for (const LabeledDisk& d : disks) {
      if (!read_only(*d.disk)) continue;
      for (const v1::AtaAttribute& attribute : d.disk->ata_attributes()) {
        page.Sample(d.labels.With({{"id", std::to_string(attribute.id())}, {"attribute", attribute.name()}}),
                    get(attribute));
      }
    }
  };
  attribute_family("vigie_disk_ata_attribute_value", "ATA SMART attribute, normalized value (higher is better).",
                   [](const v1::AtaAttribute& a) { return a.value(); });
  attribute_family("vigie_disk_ata_attribute_worst", "ATA SMART attribute, worst normalized value seen.",
                   [](const v1::AtaAttribute& a) { return a.worst(); });
  attribute_family("vigie_disk_ata_attribute_threshold", "ATA SMART attribute, failure threshold of the value.",
                   [](const v1::AtaAttribute& a) { return a.threshold(); });
  attribute_family("vigie_disk_ata_attribute_raw", "ATA SMART attribute, raw value as smartctl decodes it.",
                   [](const v1::AtaAttribute& a) { return static_cast<double>(a.raw_decoded()); });

  using NvmeGetter = std::function<double(const v1::NvmeHealth&)>;
  const auto nvme_family = [&](std::string_view name, std::string_view type, std::string_view help,
                               const NvmeGetter& get) {
    family(name, type, help, [&](const v1::Disk& disk) -> std::optional<double> {
      if (!read_only(disk) || disk.kind() != v1::Disk::NVME || !disk.has_nvme()) return std::nullopt;
      return get(disk.nvme());
    });
  };
  nvme_family("vigie_disk_nvme_critical_warning", "gauge", "NVMe critical warning bits (0 when none).",
              [](const v1::NvmeHealth& h) { return h.critical_warning(); });
  nvme_family("vigie_disk_nvme_available_spare_ratio", "gauge", "NVMe available spare, 0 to 1.",
              [](const v1::NvmeHealth& h) { return h.available_spare_percent() / 100.0; });
  nvme_family("vigie_disk_nvme_available_spare_threshold_ratio", "gauge", "NVMe available spare threshold, 0 to 1.",
              [](const v1::NvmeHealth& h) { return h.available_spare_threshold_percent() / 100.0; });
  nvme_family("vigie_disk_nvme_percentage_used_ratio", "gauge", "NVMe endurance used (1 = rated life reached).",
              [](const v1::NvmeHealth& h) { return h.percentage_used() / 100.0; });
  // Data units count 1000 sectors of 512 bytes (NVMe base specification, SMART / Health log).
  nvme_family("vigie_disk_read_bytes_total", "counter", "Bytes read over the disk's life (NVMe data units).",
              [](const v1::NvmeHealth& h) { return static_cast<double>(h.data_units_read()) * 512000.0; });
  nvme_family("vigie_disk_written_bytes_total", "counter", "Bytes written over the disk's life (NVMe data units).",
              [](const v1::NvmeHealth& h) { return static_cast<double>(h.data_units_written()) * 512000.0; });
  nvme_family("vigie_disk_nvme_power_cycles_total", "counter", "NVMe power cycles.",
              [](const v1::NvmeHealth& h) { return static_cast<double>(h.power_cycles()); });
  nvme_family("vigie_disk_nvme_unsafe_shutdowns_total", "counter", "NVMe unsafe shutdowns.",
              [](const v1::NvmeHealth& h) { return static_cast<double>(h.unsafe_shutdowns()); });
  nvme_family("vigie_disk_nvme_media_errors_total", "counter", "NVMe media and data integrity errors.",
              [](const v1::NvmeHealth& h) { return static_cast<double>(h.media_errors()); });
  nvme_family("vigie_disk_nvme_error_log_entries_total", "counter", "NVMe error information log entries.",
              [](const v1::NvmeHealth& h) { return static_cast<double>(h.error_log_entries()); });
}

void AppendPowerMetrics(const std::vector<LabeledReport>& reports, SeriesSink& page) {
  page.Family("vigie_power_rapl_watts", "gauge", "CPU and DRAM power from RAPL, averaged over the period.");
  for (const LabeledReport& node : reports) {
    for (const v1::RaplZone& zone : node.report->power().rapl()) {
      page.Sample(LabelRefs(node.labels).With({{"zone", zone.name()}}), zone.watts());
    }
  }
  page.Family("vigie_power_ac_online", "gauge", "1 when the machine runs on mains power; absent when it cannot tell.");
  for (const LabeledReport& node : reports) {
    if (node.report->power().has_ac_online()) page.Sample(node.labels, node.report->power().ac_online() ? 1 : 0);
  }
  page.Family("vigie_power_battery_capacity_ratio", "gauge", "Battery charge, 0 to 1.");
  for (const LabeledReport& node : reports) {
    for (const v1::Battery& battery : node.report->power().batteries()) {
      if (battery.has_capacity_percent()) {
        page.Sample(LabelRefs(node.labels).With({{"battery", battery.name()}}), battery.capacity_percent() / 100.0);
      }
    }
  }
}

}  // namespace

void AppendHardwareMetrics(const std::vector<LabeledReport>& reports, SeriesSink& page) {
  AppendSensorMetrics(reports, page);
  AppendDiskMetrics(reports, page);
  AppendPowerMetrics(reports, page);
}

}  // namespace vigie::collector
