#include "agent/sources/hwmon_source.h"

#include <sensors/error.h>
#include <sensors/sensors.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string_view>

#include <fmt/format.h>

#include "common/log.h"

namespace vigie::agent {
namespace {

// libsensors' state is process-wide (lib/init.c keeps it in globals).
bool g_libsensors_owned = false;

// Parse messages of the sensors_init in progress; libsensors reports them
// through a global callback (lib/error.h), one call per problem.
std::vector<std::string>* g_parse_messages = nullptr;

// The configuration file being parsed, when libsensors got it as a FILE*
// (it then passes no file name to the callback).
const std::string* g_config_path = nullptr;

void CollectParseError(const char* err, const char* filename, int lineno) {
  if (g_parse_messages == nullptr) return;
  const std::string file = filename != nullptr   ? std::string(filename)
                           : g_config_path != nullptr ? *g_config_path
                                                      : std::string("sensors configuration");
  g_parse_messages->push_back(fmt::format("{}:{}: {}", file, lineno, err));
}

struct SubfeatureRef {
  int number = -1;
  std::string name;  // "temp1_max", for error messages
  explicit operator bool() const { return number >= 0; }
};

struct FeaturePlan {
  std::string label;
  v1::Sensor::Kind kind = v1::Sensor::KIND_UNSPECIFIED;
  SubfeatureRef value;
  SubfeatureRef min, max, crit, lcrit;
  std::vector<SubfeatureRef> alarms;
};

struct ChipPlan {
  const sensors_chip_name* chip = nullptr;
  std::string name;  // "coretemp-isa-0000"
  std::string path;  // "/sys/class/hwmon/hwmon0"
  std::vector<FeaturePlan> features;
};

std::optional<v1::Sensor::Kind> KindOf(sensors_feature_type type) {
  switch (type) {
    case SENSORS_FEATURE_TEMP:
      return v1::Sensor::TEMPERATURE;
    case SENSORS_FEATURE_FAN:
      return v1::Sensor::FAN;
    case SENSORS_FEATURE_IN:
      return v1::Sensor::VOLTAGE;
    case SENSORS_FEATURE_CURR:
      return v1::Sensor::CURRENT;
    case SENSORS_FEATURE_POWER:
      return v1::Sensor::POWER;
    case SENSORS_FEATURE_ENERGY:
      return v1::Sensor::ENERGY;
    case SENSORS_FEATURE_INTRUSION:
      return v1::Sensor::INTRUSION;
    case SENSORS_FEATURE_HUMIDITY:
      return v1::Sensor::HUMIDITY;
    default:  // VID, beep_enable, unknown: not readings
      return std::nullopt;
  }
}

bool EndsWith(std::string_view text, std::string_view suffix) {
  return text.size() >= suffix.size() && text.substr(text.size() - suffix.size()) == suffix;
}

// The subfeatures of `feature` that the cycle reads. libsensors' subfeature
// types are listed in sensors/sensors.h; flag subfeatures have bit 0x80 set.
FeaturePlan PlanFeature(const sensors_chip_name* chip, const sensors_feature* feature,
                        v1::Sensor::Kind kind) {
  FeaturePlan plan;
  plan.kind = kind;
  char* label = sensors_get_label(chip, feature);
  plan.label = ReportName(label != nullptr ? label : feature->name);
  std::free(label);

  SubfeatureRef power_cap;
  int index = 0;
  while (const sensors_subfeature* sub = sensors_get_all_subfeatures(chip, feature, &index)) {
    if ((sub->flags & SENSORS_MODE_R) == 0) continue;
    const SubfeatureRef ref{sub->number, sub->name};
    switch (sub->type) {
      case SENSORS_SUBFEATURE_TEMP_INPUT:
      case SENSORS_SUBFEATURE_FAN_INPUT:
      case SENSORS_SUBFEATURE_IN_INPUT:
      case SENSORS_SUBFEATURE_CURR_INPUT:
      case SENSORS_SUBFEATURE_ENERGY_INPUT:
      case SENSORS_SUBFEATURE_HUMIDITY_INPUT:
      case SENSORS_SUBFEATURE_INTRUSION_ALARM:
      case SENSORS_SUBFEATURE_POWER_INPUT:
        plan.value = ref;
        break;
      case SENSORS_SUBFEATURE_POWER_AVERAGE:
        // `sensors` shows power_average when there is no power_input.
        if (!plan.value) plan.value = ref;
        break;
      case SENSORS_SUBFEATURE_TEMP_MIN:
      case SENSORS_SUBFEATURE_FAN_MIN:
      case SENSORS_SUBFEATURE_IN_MIN:
      case SENSORS_SUBFEATURE_CURR_MIN:
      case SENSORS_SUBFEATURE_POWER_MIN:
        plan.min = ref;
        break;
      case SENSORS_SUBFEATURE_TEMP_MAX:
      case SENSORS_SUBFEATURE_FAN_MAX:
      case SENSORS_SUBFEATURE_IN_MAX:
      case SENSORS_SUBFEATURE_CURR_MAX:
      case SENSORS_SUBFEATURE_POWER_MAX:
        plan.max = ref;
        break;
      case SENSORS_SUBFEATURE_POWER_CAP:
        power_cap = ref;
        break;
      case SENSORS_SUBFEATURE_TEMP_CRIT:
      case SENSORS_SUBFEATURE_IN_CRIT:
      case SENSORS_SUBFEATURE_CURR_CRIT:
      case SENSORS_SUBFEATURE_POWER_CRIT:
        plan.crit = ref;
        break;
      case SENSORS_SUBFEATURE_TEMP_LCRIT:
      case SENSORS_SUBFEATURE_IN_LCRIT:
      case SENSORS_SUBFEATURE_CURR_LCRIT:
      case SENSORS_SUBFEATURE_POWER_LCRIT:
        plan.lcrit = ref;
        break;
      default:
        // Every flag whose name says alarm or fault (temp1_crit_alarm,
        // fan2_alarm, fan1_fault, temp3_fault, ...); not beep, type, div,
        // pulses, offset, hysteresis, lowest, highest.
        if ((sub->type & 0x80) != 0 &&
            (EndsWith(sub->name, "_alarm") || EndsWith(sub->name, "_fault"))) {
          plan.alarms.push_back(ref);
        }
        break;
    }
  }
  if (!plan.max && power_cap) plan.max = power_cap;
  return plan;
}

ErrorCode ErrorCodeFromSensors(int err) {
  switch (err < 0 ? -err : err) {
    case SENSORS_ERR_KERNEL:
      return ErrorCode::kUnavailable;
    case SENSORS_ERR_NO_ENTRY:
      return ErrorCode::kNotFound;
    case SENSORS_ERR_PARSE:
    case SENSORS_ERR_CHIP_NAME:
    case SENSORS_ERR_BUS_NAME:
    case SENSORS_ERR_DIV_ZERO:
    case SENSORS_ERR_RECURSION:
      return ErrorCode::kMalformed;
    default:
      return ErrorCode::kIo;
  }
}

}  // namespace

std::optional<std::string> DrivetempBlockDevice(const FileTree& tree,
                                                const std::string& chip_sysfs_path) {
  const Result<std::string> chip = tree.ReadText(chip_sysfs_path + "/name");
  if (!chip || *chip != "drivetemp") return std::nullopt;
  const std::vector<std::string> disks = tree.List(chip_sysfs_path + "/device/block");
  if (disks.size() != 1) return std::nullopt;
  return disks.front();
}

struct HwmonSource::Plan {
  std::vector<ChipPlan> chips;
};

HwmonSource::HwmonSource(HwmonOptions options) : options_(std::move(options)) {
  if (g_libsensors_owned) {
    init_error_ = Error{ErrorCode::kUnavailable,
                        "another HwmonSource owns libsensors in this process (its state is global)"};
    return;
  }
  g_libsensors_owned = true;
  owns_libsensors_ = true;
  if (Result<void> ok = Init(); !ok) init_error_ = ok.error();
}

HwmonSource::~HwmonSource() {
  Release();
  if (owns_libsensors_) g_libsensors_owned = false;
}

void HwmonSource::Release() {
  plan_.reset();
  config_warnings_.clear();
  if (initialized_) sensors_cleanup();
  initialized_ = false;
}

Result<void> HwmonSource::Reload() {
  if (!owns_libsensors_) return tl::unexpected(*init_error_);
  Release();
  Result<void> ok = Init();
  if (ok) {
    init_error_.reset();
  } else {
    init_error_ = ok.error();
  }
  return ok;
}

Result<void> HwmonSource::Init() {
  std::unique_ptr<FILE, int (*)(FILE*)> config(nullptr, &std::fclose);
  if (!options_.config_path.empty()) {
    config.reset(std::fopen(options_.config_path.c_str(), "re"));
    if (config == nullptr) {
      const int err = errno;
      return Fail(ErrorCodeFromErrno(err),
                  fmt::format("{}: {}", options_.config_path, std::strerror(err)));
    }
  }
  std::vector<std::string> messages;
  g_parse_messages = &messages;
  g_config_path = options_.config_path.empty() ? nullptr : &options_.config_path;
  sensors_parse_error_wfn = CollectParseError;
  const int err = sensors_init(config.get());
  g_parse_messages = nullptr;
  g_config_path = nullptr;
  config.reset();
  if (err != 0) {
    std::string message = fmt::format("libsensors initialization failed: {}", sensors_strerror(err));
    for (const std::string& m : messages) message += "; " + m;
    return Fail(ErrorCodeFromSensors(err), std::move(message));
  }
  initialized_ = true;
  for (const std::string& m : messages) LogWarning("hwmon: {}", m);
  config_warnings_ = std::move(messages);

  auto plan = std::make_unique<Plan>();
  int chip_index = 0;
  while (const sensors_chip_name* chip = sensors_get_detected_chips(nullptr, &chip_index)) {
    ChipPlan chip_plan;
    chip_plan.chip = chip;
    char name[256];
    if (sensors_snprintf_chip_name(name, sizeof name, chip) < 0) {
      chip_plan.name = ReportName(chip->prefix != nullptr ? chip->prefix : "unknown");
    } else {
      chip_plan.name = ReportName(name);
    }
    chip_plan.path = chip->path != nullptr ? chip->path : "";
    int feature_index = 0;
    while (const sensors_feature* feature = sensors_get_features(chip, &feature_index)) {
      const std::optional<v1::Sensor::Kind> kind = KindOf(feature->type);
      if (!kind) continue;
      chip_plan.features.push_back(PlanFeature(chip, feature, *kind));
    }
    plan->chips.push_back(std::move(chip_plan));
  }
  plan_ = std::move(plan);
  return {};
}

std::vector<std::string> HwmonSource::ChipNames() const {
  std::vector<std::string> names;
  if (plan_ == nullptr) return names;
  for (const ChipPlan& chip : plan_->chips) names.push_back(chip.name);
  return names;
}

void HwmonSource::Collect(const CollectContext&, v1::Report& report) {
  if (plan_ == nullptr) {
    AddSourceError(report, name(),
                   init_error_.value_or(Error{ErrorCode::kUnavailable, "libsensors not initialized"}));
    return;
  }
  for (const ChipPlan& chip : plan_->chips) {
    if (options_.may_read && !options_.may_read(chip.path)) continue;
    std::vector<Error> errors;
    int values_read = 0;
    for (const FeaturePlan& feature : chip.features) {
      const auto read = [&](const SubfeatureRef& ref) -> std::optional<double> {
        double value = 0;
        const int err = sensors_get_value(chip.chip, ref.number, &value);
        if (err == 0) return value;
        errors.push_back(Error{ErrorCodeFromSensors(err),
                               fmt::format("{} {} ({}): {}", chip.name, feature.label, ref.name,
                                           sensors_strerror(err))});
        return std::nullopt;
      };
      if (!feature.value) continue;  // e.g. a temp with only temp1_max: nothing to report
      const std::optional<double> value = read(feature.value);
      if (!value) continue;
      ++values_read;
      v1::Sensor& sensor = *report.add_sensors();
      sensor.set_chip(chip.name);
      sensor.set_label(feature.label);
      sensor.set_kind(feature.kind);
      sensor.set_value(*value);
      if (feature.min) {
        if (const std::optional<double> v = read(feature.min)) sensor.set_min(*v);
      }
      if (feature.max) {
        if (const std::optional<double> v = read(feature.max)) sensor.set_max(*v);
      }
      if (feature.crit) {
        if (const std::optional<double> v = read(feature.crit)) sensor.set_crit(*v);
      }
      if (feature.lcrit) {
        if (const std::optional<double> v = read(feature.lcrit)) sensor.set_lcrit(*v);
      }
      bool alarm = feature.kind == v1::Sensor::INTRUSION && *value != 0;
      for (const SubfeatureRef& flag : feature.alarms) {
        if (alarm) break;  // one flag set is enough; spare the other reads
        const std::optional<double> v = read(flag);
        alarm = v.has_value() && *v != 0;
      }
      sensor.set_alarm(alarm);
    }
    if (values_read == 0 && errors.size() > 1) {
      // The whole chip failed (its device went away, its bus hangs): one
      // error for the chip rather than one per feature.
      AddSourceError(report, name(),
                     Error{errors.front().code,
                           fmt::format("{}: none of its {} features could be read; first: {}",
                                       chip.name, errors.size(), errors.front().message)});
      continue;
    }
    for (const Error& error : errors) AddSourceError(report, name(), error);
  }
}

void HwmonSource::OnReload() {
  if (Result<void> reloaded = Reload(); !reloaded) LogError("lm-sensors reload failed: {}", reloaded.error().message);
}

}  // namespace vigie::agent
