// Hardware monitoring chips through libsensors (lm-sensors 3.x): every chip
// and feature that `sensors` shows, with the same chip names, the same labels
// (sensors3.conf `label` lines) and the same values (its `compute` lines),
// plus the chip's own limits and alarm flags.
//
// Kinds read: temperatures, fans, voltages ("in"), currents, power, energy,
// humidity and intrusion; VID and beep_enable are not readings and are left
// out. Values are in the units of v1::Sensor::Kind (°C, RPM, V, A, W, J, %).
// Per feature: min, max, crit and lcrit where the chip has them (power: max
// is power_max, else power_cap; fans have min and max only); `alarm` is true
// when any of the feature's *_alarm or *_fault subfeatures reads non-zero
// (a fan fault too). An intrusion feature's value is its alarm flag (0 or 1).
//
// libsensors keeps its state in globals: only one HwmonSource may live in a
// process at a time (a second one reports an error from Collect), and it is
// not thread-safe. sensors_init scans sysfs and parses the configuration,
// which costs milliseconds: it runs once at construction and again only on
// Reload() (the agent calls it on SIGHUP, e.g. after sensors3.conf changed
// or a driver was loaded). Chip names, labels and the subfeatures to read
// are cached then; a cycle costs one small sysfs read per value, limit and
// alarm flag.
//
// Errors never stop the cycle: a feature whose value cannot be read is left
// out and becomes a SourceError naming the chip and the feature; a limit or
// alarm flag that cannot be read is left unset (alarm: false) and becomes a
// SourceError too; the remaining features and chips are still read. A chip
// none of whose features could be read is one SourceError for the chip. If
// libsensors could not be initialized (a configuration file that cannot be
// opened, one libsensors rejects), each Collect reports that one error until
// a Reload succeeds. A bad line that libsensors' parser skips is only a
// warning (config_warnings()), as it is for `sensors`.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "agent/sources/source.h"
#include "common/file_tree.h"

namespace vigie::agent {

// Whether a chip may be read this cycle, given its hwmon directory as
// libsensors found it (e.g. "/sys/class/hwmon/hwmon2"; its `device` link
// leads to the device, for drivetemp the SCSI device whose block/ folder
// names the disk). Reading a drivetemp chip sends ATA commands that spin a
// sleeping disk up: the disk source supplies a predicate that says no for
// the drivetemp chip of a disk in standby. Called for every chip, every
// cycle, so it must be cheap. A chip refused is skipped silently: no
// readings, no error.
using MayReadChip = std::function<bool(const std::string& chip_sysfs_path)>;

// The block device ("sda") whose drivetemp chip lives at `chip_sysfs_path`
// (as given to MayReadChip), read through `tree`: the chip's `name` is
// "drivetemp" and its `device` link leads to the SCSI device, whose block/
// folder names the disk (Documentation/hwmon/drivetemp.rst). nullopt for any
// other chip or when the files cannot be read. Costs one small read and one
// directory listing, and sends nothing to the disk: cache it per path.
std::optional<std::string> DrivetempBlockDevice(const FileTree& tree,
                                                const std::string& chip_sysfs_path);

struct HwmonOptions {
  // A sensors3.conf to use instead of the system's (/etc/sensors3.conf and
  // /etc/sensors.d/*). Empty: the system's.
  std::string config_path;
  // Empty: every chip is read.
  MayReadChip may_read;
};

class HwmonSource : public Source {
 public:
  // Initializes libsensors. Never throws: an initialization error is
  // returned by init_error() and reported by Collect.
  explicit HwmonSource(HwmonOptions options = {});
  ~HwmonSource() override;
  HwmonSource(const HwmonSource&) = delete;
  HwmonSource& operator=(const HwmonSource&) = delete;

  std::string_view name() const override { return "hwmon"; }

  // Appends one v1::Sensor per feature of every chip, in libsensors' order.
  void Collect(const CollectContext& context, v1::Report& report) override;

  // Drops libsensors' state and initializes it again: re-reads the
  // configuration and rescans the chips. On failure the source reads
  // nothing until the next successful Reload.
  Result<void> Reload();
  void OnReload() override;

  // Why libsensors is not initialized, if it is not.
  const std::optional<Error>& init_error() const { return init_error_; }

  // Problems libsensors' parser recovered from at the last
  // (re)initialization ("/etc/sensors3.conf:12: syntax error"): the rest of
  // the configuration applies, as with `sensors`. Also logged as warnings.
  const std::vector<std::string>& config_warnings() const { return config_warnings_; }

  // Chips found at the last (re)initialization, as `sensors` names them.
  std::vector<std::string> ChipNames() const;

 private:
  struct Plan;  // What to read each cycle, built at (re)initialization.

  Result<void> Init();
  void Release();

  HwmonOptions options_;
  bool owns_libsensors_ = false;
  bool initialized_ = false;
  std::optional<Error> init_error_;
  std::vector<std::string> config_warnings_;
  std::unique_ptr<Plan> plan_;
};

}  // namespace vigie::agent
