// Sensors for a person, laid out as lm-sensors' `sensors` prints them
// (prog/sensors/chips.c of lm-sensors 3.6), e.g.
//
//   coretemp-isa-0000
//   Package id 0:  +45.0°C  (high = +80.0°C, crit = +100.0°C)
//
//   nct6775-isa-0290
//   Vcore:         1.03 V  (min =  +0.00 V, max =  +1.74 V)
//   fan2:           0 RPM  (min =  300 RPM)  ALARM
//
// Same number formats, limit names and two-limits-per-line layout. What a
// v1::Sensor does not carry is not printed: the "Adapter:" line, hysteresis,
// lowest/highest, the temperature sensor type, which alarm flag is set
// (`sensors` may print "ALARM (CRIT)", this prints "ALARM"), and FAULT (a
// faulty sensor shows its value and ALARM). Pure functions, thread-safe.
#pragma once

#include <string>

#include <google/protobuf/repeated_field.h>

#include "vigie.pb.h"

namespace vigie::agent {

// `sensors`' label column for a chip: the longest label (at least 11) plus 2.
constexpr int kSensorsMinLabelWidth = 11 + 2;

// One feature, without the trailing newline; limits beyond the first two
// continue on indented lines. `label_width` as computed by `sensors`: the
// longest label of the chip (at least 11) plus 2.
std::string FormatSensor(const v1::Sensor& sensor, int label_width = kSensorsMinLabelWidth);

// Every sensor, grouped by chip in order of first appearance: the chip name,
// its features, and an empty line after each chip.
std::string FormatSensors(const google::protobuf::RepeatedPtrField<v1::Sensor>& sensors);

}  // namespace vigie::agent
