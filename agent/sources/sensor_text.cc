#include "agent/sources/sensor_text.h"

#include <algorithm>
#include <cmath>
#include <string_view>
#include <utility>
#include <vector>

#include <fmt/format.h>

namespace vigie::agent {
namespace {

struct Limit {
  std::string_view name;
  double value;
  std::string unit;  // only for power, whose limits are scaled one by one
};

// print_label(): "label:" then spaces up to the label column.
void AppendLabel(std::string& out, const std::string& label, int width) {
  out += label;
  out += ':';
  const int pad = width - static_cast<int>(label.size()) - 1;
  out.append(static_cast<size_t>(std::max(pad, 1)), ' ');
}

// scale_value(): the SI prefix that keeps the value in [1, 1000).
std::pair<double, std::string_view> Scale(double value) {
  static constexpr std::pair<double, std::string_view> kScales[] = {
      {1e-6, "n"}, {1e-3, "u"}, {1, "m"}, {1e3, ""}, {1e6, "k"}, {1e9, "M"}, {0, "G"}};
  const double magnitude = std::fabs(value);
  if (magnitude == 0) return {value, ""};
  double divisor = 1e-9;
  size_t i = 0;
  while (kScales[i].first != 0 && magnitude > kScales[i].first) {
    divisor = kScales[i].first;
    ++i;
  }
  return {value / divisor, kScales[i].second};
}

// print_limits() and print_alarms() without hysteresis: two limits per
// line, continuation lines indented by the label column plus 10.
void AppendLimits(std::string& out, const std::vector<Limit>& limits, bool alarm, int width,
                  const auto& format_limit) {
  bool alarm_printed = false;
  for (size_t i = 0; i < limits.size(); ++i) {
    if ((i & 1) == 0) {
      if (i != 0) {
        out += '\n';
        out.append(static_cast<size_t>(width + 10), ' ');
      }
      out += '(';
    } else {
      out += ", ";
    }
    out += format_limit(limits[i]);
    if ((i & 1) != 0 || i == limits.size() - 1) {
      out += ')';
      if (alarm && !alarm_printed) {
        out += fmt::format("{:>{}}", "ALARM", ((i & 1) != 0 ? 0 : 16) + 7);
        alarm_printed = true;
      }
    }
  }
  if (alarm && !alarm_printed) out += fmt::format("{:>{}}", "ALARM", 32 + 7);
}

void AddLimit(std::vector<Limit>& limits, std::string_view name, bool has, double value) {
  if (has) limits.push_back(Limit{name, value, ""});
}

}  // namespace

std::string FormatSensor(const v1::Sensor& s, int label_width) {
  std::string out;
  AppendLabel(out, s.label(), label_width);
  std::vector<Limit> limits;
  switch (s.kind()) {
    case v1::Sensor::TEMPERATURE: {
      out += fmt::format("{:+6.1f}°C  ", s.value());
      AddLimit(limits, "low", s.has_min(), s.min());
      AddLimit(limits, "high", s.has_max(), s.max());
      AddLimit(limits, "crit low", s.has_lcrit(), s.lcrit());
      AddLimit(limits, "crit", s.has_crit(), s.crit());
      AppendLimits(out, limits, s.alarm(), label_width, [](const Limit& l) {
        return fmt::format("{:<4} = {:+5.1f}°C", l.name, l.value);
      });
      break;
    }
    case v1::Sensor::VOLTAGE:
    case v1::Sensor::CURRENT: {
      const std::string_view unit = s.kind() == v1::Sensor::VOLTAGE ? "V" : "A";
      const auto [value, prefix] = Scale(s.value());
      out += fmt::format("{:6.2f} {}{}{:{}}", value, prefix, unit, "", 2 - static_cast<int>(prefix.size()));
      AddLimit(limits, "crit min", s.has_lcrit(), s.lcrit());
      AddLimit(limits, "min", s.has_min(), s.min());
      AddLimit(limits, "max", s.has_max(), s.max());
      AddLimit(limits, "crit max", s.has_crit(), s.crit());
      AppendLimits(out, limits, s.alarm(), label_width, [unit](const Limit& l) {
        return fmt::format("{} = {:+6.2f} {}", l.name, l.value, unit);
      });
      break;
    }
    case v1::Sensor::FAN: {
      out += fmt::format("{:4.0f} RPM", s.value());
      if (s.has_min() || s.has_max()) {
        out += "  (";
        if (s.has_min()) out += fmt::format("min = {:4.0f} RPM", s.min());
        if (s.has_max()) out += fmt::format("{}max = {:4.0f} RPM", s.has_min() ? ", " : "", s.max());
        out += ')';
      }
      if (s.alarm()) out += "  ALARM";
      break;
    }
    case v1::Sensor::POWER: {
      const auto [value, prefix] = Scale(s.value());
      out += fmt::format("{:6.2f} {}W{:{}}", value, prefix, "", 2 - static_cast<int>(prefix.size()));
      AddLimit(limits, "max", s.has_max(), s.max());
      AddLimit(limits, "min", s.has_min(), s.min());
      AddLimit(limits, "lcrit", s.has_lcrit(), s.lcrit());
      AddLimit(limits, "crit", s.has_crit(), s.crit());
      AppendLimits(out, limits, s.alarm(), label_width, [](const Limit& l) {
        const auto [v, p] = Scale(l.value);
        return fmt::format("{} = {:6.2f} {}W", l.name, v, p);
      });
      break;
    }
    case v1::Sensor::ENERGY: {
      const auto [value, prefix] = Scale(s.value());
      out += fmt::format("{:6.2f} {}J", value, prefix);
      break;
    }
    case v1::Sensor::HUMIDITY:
      out += fmt::format("{:6.1f} %RH", s.value());
      break;
    case v1::Sensor::INTRUSION:
      out += s.value() != 0 || s.alarm() ? "ALARM" : "OK";
      break;
    default:
      out += fmt::format("{}", s.value());
      break;
  }
  // `sensors` leaves the two spaces after a temperature when nothing follows.
  return out;
}

std::string FormatSensors(const google::protobuf::RepeatedPtrField<v1::Sensor>& sensors) {
  std::vector<std::string> chips;
  for (const v1::Sensor& s : sensors) {
    if (std::find(chips.begin(), chips.end(), s.chip()) == chips.end()) chips.push_back(s.chip());
  }
  std::string out;
  for (const std::string& chip : chips) {
    size_t longest = 11;
    for (const v1::Sensor& s : sensors) {
      if (s.chip() == chip) longest = std::max(longest, s.label().size());
    }
    const int width = static_cast<int>(longest) + 2;
    out += chip;
    out += '\n';
    for (const v1::Sensor& s : sensors) {
      if (s.chip() != chip) continue;
      out += FormatSensor(s, width);
      out += '\n';
    }
    out += '\n';
  }
  return out;
}

}  // namespace vigie::agent
