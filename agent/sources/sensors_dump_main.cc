// vigie-sensors-dump: what the hwmon, rapl and power_supply sources read on
// this machine, for a person; and with --repeat, what a cycle of each costs.
//
//   vigie-sensors-dump [--config FILE] [--root DIR] [--rapl-ms MS] [--repeat N]
//
// --config FILE  a sensors3.conf instead of the system's
// --root DIR     where /sys is for rapl and power_supply (default "/")
// --rapl-ms MS   time between the two RAPL readings (default 1000)
// --repeat N     then run N cycles of each source and print the mean wall
//                time of one Collect, in microseconds
//
// Exit status 0, or 2 on a bad argument. Read errors are printed, not fatal.
#include <time.h>

#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <thread>

#include <fmt/format.h>

#include "agent/sources/hwmon_source.h"
#include "agent/sources/power_supply_source.h"
#include "agent/sources/rapl_source.h"
#include "agent/sources/sensor_text.h"

namespace vigie::agent {
namespace {

int64_t MonotonicNs() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}

CollectContext Now() {
  CollectContext context;
  context.monotonic_ns = MonotonicNs();
  return context;
}

void PrintErrors(const v1::Report& report) {
  for (const v1::SourceError& e : report.source_errors()) {
    fmt::print("error: {}: {}\n", e.source(), e.message());
  }
}

double MicrosecondsPerCycle(Source& source, int cycles) {
  v1::Report report;
  const int64_t start = MonotonicNs();
  for (int i = 0; i < cycles; ++i) {
    report.Clear();
    source.Collect(Now(), report);
  }
  return static_cast<double>(MonotonicNs() - start) / 1e3 / cycles;
}

int Main(int argc, char** argv) {
  HwmonOptions options;
  std::string root = "/";
  int rapl_ms = 1000;
  int repeat = 0;
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    const bool known = arg == "--config" || arg == "--root" || arg == "--rapl-ms" || arg == "--repeat";
    if (known && i + 1 >= argc) {
      fmt::print(stderr, "{}: {} needs a value\n", argv[0], arg);
      return 2;
    }
    if (arg == "--config") {
      options.config_path = argv[++i];
    } else if (arg == "--root") {
      root = argv[++i];
    } else if (arg == "--rapl-ms") {
      rapl_ms = std::atoi(argv[++i]);
    } else if (arg == "--repeat") {
      repeat = std::atoi(argv[++i]);
    } else {
      fmt::print(stderr, "usage: {} [--config FILE] [--root DIR] [--rapl-ms MS] [--repeat N]\n",
                 argv[0]);
      return 2;
    }
  }

  HwmonSource hwmon(options);
  v1::Report report;
  hwmon.Collect(Now(), report);
  fmt::print("{}", FormatSensors(report.sensors()));
  PrintErrors(report);

  const FileTree tree(root);
  RaplSource rapl(tree);
  report.Clear();
  rapl.Collect(Now(), report);
  std::this_thread::sleep_for(std::chrono::milliseconds(rapl_ms));
  rapl.Collect(Now(), report);
  for (const v1::RaplZone& zone : report.power().rapl()) {
    fmt::print("rapl {}: {:.2f} W\n", zone.name(), zone.watts());
  }
  PrintErrors(report);

  PowerSupplySource power_supply(tree);
  report.Clear();
  power_supply.Collect(Now(), report);
  if (report.power().has_ac_online()) {
    fmt::print("AC: {}\n", report.power().ac_online() ? "online" : "offline");
  } else {
    fmt::print("AC: not reported\n");
  }
  for (const v1::Battery& b : report.power().batteries()) {
    fmt::print("{}: {}% {}\n", b.name(),
               b.has_capacity_percent() ? std::to_string(b.capacity_percent()) : "?", b.status());
  }
  PrintErrors(report);

  if (repeat > 0) {
    fmt::print("cost per cycle, mean of {} cycles:\n", repeat);
    fmt::print("  hwmon:        {:8.1f} us\n", MicrosecondsPerCycle(hwmon, repeat));
    fmt::print("  rapl:         {:8.1f} us\n", MicrosecondsPerCycle(rapl, repeat));
    fmt::print("  power_supply: {:8.1f} us\n", MicrosecondsPerCycle(power_supply, repeat));
  }
  return 0;
}

}  // namespace
}  // namespace vigie::agent

int main(int argc, char** argv) { return vigie::agent::Main(argc, argv); }
