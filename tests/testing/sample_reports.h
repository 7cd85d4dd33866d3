// Hand-built reports for tests of what the collector does with each kind of
// reading, where no recorded host carries it yet: a CPU temperature with
// limits, a dead fan with its alarm, a duplicated sensor label, a read HDD
// with attributes 5 and 9, an NVMe disk with a critical warning and 0% spare,
// a disk asleep, RAPL and AC power.
#pragma once

#include "vigie.pb.h"

namespace vigie::testing {

v1::Report SampleHardwareReport();

}  // namespace vigie::testing
