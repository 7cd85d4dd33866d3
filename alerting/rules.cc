#include "alerting/rules.h"

#include <time.h>

#include <algorithm>
#include <climits>
#include <cmath>
#include <optional>

#include <fmt/format.h>

#include "common/printable.h"

namespace vigie::alerting {
namespace {

constexpr int64_t kMinute = 60'000;
constexpr int64_t kHour = 60 * kMinute;
constexpr int64_t kDay = 24 * kHour;

// ATA attributes whose decoded raw value is a count of bad events, with the
// words a member reads. 199 is handled apart: only its rise matters (a cable).
struct CountedAttribute {
  uint32_t id;
  const char* what;
};
constexpr CountedAttribute kDegradingAttributes[] = {
    {5, "reallocated sectors"},
    {187, "uncorrectable errors reported"},
    {188, "command timeouts"},
    {197, "sectors waiting to be reallocated"},
    {198, "uncorrectable sectors"},
};
constexpr uint32_t kCrcAttribute = 199;
// No drive counts 4 billion bad sectors or media errors: a larger raw value is
// a vendor's packed field or a firmware bug (SK hynix BC501 reports ~4.5e24
// media errors), never a count.
constexpr int64_t kPlausibleCountLimit = int64_t{1} << 32;
// No machine stays up a century: a larger uptime is garbage, not a boot time.
constexpr double kPlausibleUptimeSeconds = 100 * 366 * 86'400.0;
// A clock off at boot (a flat RTC battery) is usually set right by NTP within minutes.
constexpr int64_t kClockWrongForMs = 15 * kMinute;
// An agent keeps no report this long (its spool is bounded well below).
constexpr int64_t kOldestTrustedReportMs = 366 * kDay;
// Names listed in a folded finding's summary, each cut to this many bytes.
constexpr size_t kFoldedNamesListed = 10;
constexpr size_t kFoldedNameBytes = 64;

using IsActive = std::function<bool(const AlertKey&)>;

int64_t SaturatingSub(int64_t a, int64_t b) {
  int64_t difference = 0;
  if (__builtin_sub_overflow(a, b, &difference)) return b < 0 ? INT64_MAX : INT64_MIN;
  return difference;
}

bool WithinSkew(int64_t skew_ms, const Thresholds& t) {
  return skew_ms <= t.max_clock_skew.count() && skew_ms >= -t.max_clock_skew.count();
}

// The node's clock minus the collector's as far as this report tells:
// measured by the collector; else its date against its arrival, unless it
// is older than the skew allows (it may come from a backlog).
std::optional<int64_t> ClockSkewMs(const RuleInput& in) {
  if (in.clock_skew_ms) return in.clock_skew_ms;
  const int64_t ahead_ms = SaturatingSub(in.report.timestamp_unix_ms(), in.received_ms);
  if (ahead_ms >= -in.thresholds.max_clock_skew.count()) return ahead_ms;
  return std::nullopt;
}

// A backlog makes old reports, not reports from the future or from before
// the agent could have kept them.
bool TimestampTrusted(const RuleInput& in) {
  if (in.clock_skew_ms && !WithinSkew(*in.clock_skew_ms, in.thresholds)) return false;
  const int64_t age_ms = SaturatingSub(in.received_ms, in.report.timestamp_unix_ms());
  return age_ms >= -in.thresholds.max_clock_skew.count() && age_ms <= kOldestTrustedReportMs;
}

// smartctl prints packed raw fields as several numbers, e.g. Seagate's 188
// "2 2 2" (three 16-bit counters, drivedb raw16): not one count.
bool IsPacked(const std::string& raw_text) {
  bool digits = false;
  bool space = false;
  for (char c : raw_text) {
    if (c == ' ') {
      space = digits;
    } else if (c >= '0' && c <= '9') {
      digits = true;
    } else {
      return false;  // "15 (0 2)", "36 (Min/Max 21/52)": a count with details
    }
  }
  return space;
}

bool PlausibleCount(const v1::AtaAttribute& a) {
  return a.raw_decoded() >= 0 && a.raw_decoded() < kPlausibleCountLimit && !IsPacked(a.raw_text());
}

std::string DiskName(const v1::Disk& disk) {
  return disk.model().empty() ? disk.device() : fmt::format("{} ({})", disk.device(), disk.model());
}

// Serial numbers survive a renumbering of /dev/sdX; the device name is the fallback.
std::string DiskId(const v1::Disk& disk) { return disk.serial().empty() ? disk.device() : disk.serial(); }

// Updates the counter for `key` with `value` seen at `now_ms`, noting in `out` whether it must be saved.
const Counter& Observe(Counters& counters, const std::string& key, int64_t value, int64_t now_ms, Evaluation& out) {
  auto [it, inserted] = counters.try_emplace(key);
  Counter& c = it->second;
  if (inserted) {
    c.first_value = c.value = value;
    c.first_ms = c.value_ms = c.seen_ms = now_ms;
    out.counters_changed.push_back(key);
    out.counters_created = true;
    return c;
  }
  const Counter was = c;
  if (value > c.value) {
    c.rise_from = c.value;
    c.rise_from_ms = c.value_ms;
    c.last_rise_ms = now_ms;
  }
  // A smaller value (a drive swapped under the same serial, a reset) becomes the new baseline.
  if (value < c.value) {
    c.first_value = value;
    c.first_ms = now_ms;
    c.last_rise_ms = 0;
  }
  if (value != c.value) {
    c.value = value;
    c.value_ms = now_ms;
  }
  if (c != was || SaturatingSub(now_ms, c.seen_ms) >= kCounterSeenStepMs) c.seen_ms = now_ms;
  if (c != was) out.counters_changed.push_back(key);
  return c;
}

std::string RiseText(const Counter& c, int64_t now_ms) {
  if (c.last_rise_ms == 0) return "";
  // At short periods the rise can come within a second of the earlier value,
  // which "the last 0 seconds" would misstate.
  const int64_t window_ms = std::max<int64_t>(now_ms - c.rise_from_ms, 1000);
  return fmt::format(" (+{} in the last {})", c.value - c.rise_from, FormatDuration(window_ms));
}

void EvaluateDisk(const RuleInput& in, const v1::Disk& disk, Counters& counters, Evaluation& out) {
  const std::string subject = disk.device();
  const std::string id = DiskId(disk);
  const int64_t now = in.received_ms;
  const Thresholds& t = in.thresholds;
  const auto key = [&](const char* rule, const std::string& sub) { return AlertKey{rule, in.site, in.node, sub}; };
  const bool nvme = disk.kind() == v1::Disk::NVME;

  if (disk.status() != v1::Disk::READ) return;  // asleep or unreadable: keep what we know
  out.evaluated.emplace(kRuleSmartFailing, subject);
  out.evaluated.emplace(kRuleDiskDegrading, subject);
  out.evaluated.emplace(kRuleDiskDegrading, subject + " cable");
  out.evaluated.emplace(kRuleDiskDegrading, subject + " wear");

  // SMART failing: overall health (ATA), critical warning (NVMe), a prefailure attribute at its threshold.
  std::vector<std::string> failing;
  if (!nvme && disk.health() == v1::Disk::FAILED) failing.push_back("its self-assessment says FAILED");
  if (nvme) {
    const uint32_t bits = disk.nvme().critical_warning() & t.nvme_critical_warning_mask;
    // NVMe Base 2.0, figure 207, Critical Warning bits 0..5.
    static constexpr const char* kBits[] = {"spare space below threshold", "temperature out of range",
                                            "reliability degraded", "read-only mode",
                                            "volatile memory backup failed", "persistent memory read-only"};
    for (int bit = 0; bit < 8; ++bit) {
      if ((bits & (1u << bit)) == 0) continue;
      failing.push_back(bit < 6 ? kBits[bit] : fmt::format("critical warning bit {}", bit));
    }
  }
  for (const v1::AtaAttribute& a : disk.ata_attributes()) {
    // A threshold of 0 means "never fails" (ATA/ATAPI SMART, attribute thresholds).
    if (a.prefailure() && a.threshold() > 0 && a.value() <= a.threshold()) {
      failing.push_back(fmt::format("{} is at {} (failure threshold {})", a.name(), a.value(), a.threshold()));
    }
  }
  if (!failing.empty()) {
    Finding f;
    f.key = key(kRuleSmartFailing, subject);
    f.severity = Severity::kCritical;
    f.summary = fmt::format("disk {} is failing: {}", DiskName(disk), fmt::join(failing, "; "));
    f.advice = "Copy anything precious off this machine now; tell an admin so that the disk gets replaced.";
    out.findings.push_back(std::move(f));
  }

  // Disk degrading: counts above zero, each rise reported with its delta.
  std::vector<std::string> counts;
  std::string fingerprint;
  for (const v1::AtaAttribute& a : disk.ata_attributes()) {
    if (!PlausibleCount(a)) continue;
    for (const CountedAttribute& c : kDegradingAttributes) {
      if (a.id() != c.id) continue;
      const Counter& counter = Observe(counters, fmt::format("{}/{}", id, a.id()), a.raw_decoded(), now, out);
      if (a.raw_decoded() <= 0) continue;
      counts.push_back(fmt::format("{} {}{}", a.raw_decoded(), c.what, RiseText(counter, now)));
      fingerprint += fmt::format("{}={};", a.id(), a.raw_decoded());
    }
    if (a.id() == kCrcAttribute) {
      const Counter& counter = Observe(counters, fmt::format("{}/{}", id, a.id()), a.raw_decoded(), now, out);
      if (counter.last_rise_ms != 0 && now - counter.last_rise_ms < t.rising_quiet_after.count()) {
        Finding f;
        f.key = key(kRuleDiskDegrading, subject + " cable");
        f.summary = fmt::format("disk {}: {} transfer (CRC) errors{}", DiskName(disk), a.raw_decoded(),
                                RiseText(counter, now));
        f.advice = "Usually a loose or worn SATA cable: power the machine off, reseat or replace the data cable.";
        f.fingerprint = std::to_string(a.raw_decoded());
        out.findings.push_back(std::move(f));
      }
    }
  }
  if (nvme) {
    const v1::NvmeHealth& h = disk.nvme();
    if (h.media_errors() > 0 && h.media_errors() < static_cast<uint64_t>(kPlausibleCountLimit)) {
      const Counter& media = Observe(counters, id + "/media_errors", static_cast<int64_t>(h.media_errors()), now, out);
      counts.push_back(fmt::format("{} media errors{}", h.media_errors(), RiseText(media, now)));
      fingerprint += fmt::format("media={};", h.media_errors());
    }
    // Spare only counts against a real threshold: QEMU reports 0 % with a 0 % threshold.
    if (h.available_spare_threshold_percent() > 0 && h.available_spare_percent() < h.available_spare_threshold_percent()) {
      counts.push_back(fmt::format("spare space at {}% (threshold {}%)", h.available_spare_percent(),
                                   h.available_spare_threshold_percent()));
      fingerprint += fmt::format("spare={};", h.available_spare_percent());
    }
    if (h.percentage_used() >= t.nvme_percentage_used_warning) {
      Finding f;
      f.key = key(kRuleDiskDegrading, subject + " wear");
      f.summary = fmt::format("disk {} is {}% worn out", DiskName(disk), h.percentage_used());
      f.advice = "Nothing to do at home; an admin should plan its replacement.";
      out.findings.push_back(std::move(f));
    }
  }
  if (!counts.empty()) {
    Finding f;
    f.key = key(kRuleDiskDegrading, subject);
    f.summary = fmt::format("disk {} is wearing out: {}", DiskName(disk), fmt::join(counts, ", "));
    f.advice = "Nothing to do at home yet; an admin should check its backups and plan a replacement.";
    f.fingerprint = fingerprint;
    out.findings.push_back(std::move(f));
  }
}

// A temperature over `limit` (or, when already raised, not yet `hysteresis` under it).
bool Over(double value, double limit, double hysteresis, bool active) {
  return active ? value > limit - hysteresis : value >= limit;
}

void EvaluateTemperatures(const RuleInput& in, const std::function<bool(const AlertKey&)>& is_active,
                          Evaluation& out) {
  const Thresholds& t = in.thresholds;
  const double h = t.temperature_hysteresis_celsius;
  if (in.report.sensors_size() > 0) out.evaluated.emplace(kRuleTemperature, "");
  for (const v1::Sensor& s : in.report.sensors()) {
    if (s.kind() != v1::Sensor::TEMPERATURE) continue;
    const std::string subject = fmt::format("{} {}", s.chip(), s.label());
    const AlertKey key{kRuleTemperature, in.site, in.node, subject};
    const bool active = is_active(key);
    // Chips report 0 or negative limits when they have none.
    const auto limit = [](const std::optional<double>& v) { return v && *v > 0 ? v : std::nullopt; };
    const std::optional<double> crit = s.has_crit() ? limit(s.crit()) : std::nullopt;
    std::optional<double> max = s.has_max() ? limit(s.max()) : std::nullopt;
    if (t.temperature_max_celsius && (!max || *t.temperature_max_celsius < *max)) max = t.temperature_max_celsius;
    Finding f;
    f.key = key;
    f.pending_ms = t.temperature_for.count();
    f.advice = "Check that its fans turn and its air vents are free of dust and not blocked; keep it out of the sun.";
    if (crit && Over(s.value(), *crit, h, active)) {
      f.severity = Severity::kCritical;
      f.summary = fmt::format("{} is at {:.0f} °C, at its critical limit ({:.0f} °C)", s.label(), s.value(), *crit);
    } else if (max && Over(s.value(), *max, h, active)) {
      f.summary = fmt::format("{} is at {:.0f} °C, over its limit ({:.0f} °C)", s.label(), s.value(), *max);
    } else {
      continue;
    }
    out.findings.push_back(std::move(f));
  }
  for (const v1::Disk& disk : in.report.disks()) {
    if (!disk.has_temperature_celsius() || disk.kind() != v1::Disk::ATA_HDD) continue;
    const AlertKey key{kRuleTemperature, in.site, in.node, disk.device() + " temperature"};
    out.evaluated.emplace(kRuleTemperature, key.subject);
    if (!Over(disk.temperature_celsius(), t.hdd_max_celsius, h, is_active(key))) continue;
    Finding f;
    f.key = key;
    f.pending_ms = t.temperature_for.count();
    f.summary = fmt::format("hard disk {} is at {:.0f} °C (limit {:.0f} °C)", DiskName(disk),
                            disk.temperature_celsius(), t.hdd_max_celsius);
    f.advice = "Check that the case fans turn and the machine has air around it.";
    out.findings.push_back(std::move(f));
  }
}

void EvaluateFilesystems(const RuleInput& in, const std::function<bool(const AlertKey&)>& is_active,
                         Evaluation& out) {
  const Thresholds& t = in.thresholds;
  if (in.report.system().filesystems_size() > 0) out.evaluated.emplace(kRuleFilesystemFull, "");
  for (const v1::Filesystem& fs : in.report.system().filesystems()) {
    // df's Use%: used / (used + available to users).
    const uint64_t used = fs.size_bytes() - std::min(fs.free_bytes(), fs.size_bytes());
    const uint64_t denominator = used + fs.avail_bytes();
    if (fs.size_bytes() == 0 || denominator == 0) continue;
    const double percent = 100.0 * static_cast<double>(used) / static_cast<double>(denominator);
    const AlertKey key{kRuleFilesystemFull, in.site, in.node, fs.mountpoint()};
    const bool active = is_active(key);
    Finding f;
    f.key = key;
    f.advice = "An admin needs to free space or grow it; nothing to do at home.";
    if (Over(percent, t.filesystem_critical_percent, 1.0, active)) {
      f.severity = Severity::kCritical;
    } else if (!Over(percent, t.filesystem_warning_percent, 1.0, active)) {
      continue;
    }
    f.summary = fmt::format("filesystem {} is {:.0f}% full ({:.1f} GB left)", fs.mountpoint(), percent,
                            static_cast<double>(fs.avail_bytes()) / 1e9);
    out.findings.push_back(std::move(f));
  }
}

void EvaluateSources(const RuleInput& in, Evaluation& out) {
  out.evaluated.emplace(kRuleSourceUnreadable, "");
  std::set<std::string> seen;
  const auto add = [&](const std::string& source, const std::string& why) {
    if (!seen.insert(source).second) return;
    Finding f;
    f.key = AlertKey{kRuleSourceUnreadable, in.site, in.node, source};
    f.pending_ms = in.thresholds.source_unreadable_after.count();
    f.summary = fmt::format("{} could not be read for {}: {}", source,
                            FormatDuration(in.thresholds.source_unreadable_after.count()), why);
    f.advice = "Nothing to do at home; an admin should look at the agent's log on this machine.";
    out.findings.push_back(std::move(f));
  };
  for (const v1::SourceError& e : in.report.source_errors()) add(e.source(), e.message());
  for (const v1::Disk& d : in.report.disks()) {
    if (d.status() == v1::Disk::ERROR) add("disk " + d.device(), d.error());
  }
}

// When the node booted, by its own clock when that is trusted, else by the
// collector's; nullopt for an uptime that is not a plausible number of seconds.
std::optional<int64_t> BootedAtMs(const RuleInput& in) {
  const double uptime_seconds = in.report.uptime_seconds();
  if (!std::isfinite(uptime_seconds) || uptime_seconds < 0 || uptime_seconds > kPlausibleUptimeSeconds) {
    return std::nullopt;
  }
  const int64_t now_ms = TimestampTrusted(in) ? in.report.timestamp_unix_ms() : in.received_ms;
  return SaturatingSub(now_ms, static_cast<int64_t>(uptime_seconds * 1000.0));
}

void EvaluateClock(const RuleInput& in, Evaluation& out) {
  const std::optional<int64_t> measured = ClockSkewMs(in);
  if (!measured) return;  // a backlog report neither raises nor clears it
  out.evaluated.emplace(kRuleClockWrong, "");
  if (WithinSkew(*measured, in.thresholds)) return;
  const int64_t skew = *measured;
  const int64_t magnitude = skew == INT64_MIN ? INT64_MAX : (skew < 0 ? -skew : skew);
  Finding f;
  f.key = AlertKey{kRuleClockWrong, in.site, in.node, ""};
  f.pending_ms = kClockWrongForMs;
  f.summary = fmt::format("the clock of {} is {} {} (more than the {} allowed)", in.node, FormatDuration(magnitude),
                          skew > 0 ? "ahead" : "behind", FormatDuration(in.thresholds.max_clock_skew.count()));
  f.advice = "Nothing to do at home; an admin should check the machine's time synchronisation (NTP) and its "
             "clock battery.";
  out.findings.push_back(std::move(f));
}

// At most max_alerts_per_rule findings per rule: those already raised first,
// then the critical ones, then by subject; the rest become one finding.
void CapFindings(const RuleInput& in, const IsActive& is_active, Evaluation& out) {
  const size_t cap = std::max<uint32_t>(in.thresholds.max_alerts_per_rule, 1);
  // Every rule this report evaluated may have had a folded alert, which resolves with no folding.
  std::set<std::string> rules;
  for (const auto& [rule, subject] : out.evaluated) rules.insert(rule);
  for (const std::string& rule : rules) out.evaluated.emplace(rule, kMoreSubject);

  std::map<std::string, std::vector<size_t>> by_rule;
  for (size_t i = 0; i < out.findings.size(); ++i) by_rule[out.findings[i].key.rule].push_back(i);
  std::vector<bool> folded(out.findings.size(), false);
  std::vector<Finding> summaries;
  for (auto& [rule, indices] : by_rule) {
    if (indices.size() <= cap) continue;
    std::vector<std::pair<bool, size_t>> ranked;  // (active, index)
    ranked.reserve(indices.size());
    for (size_t i : indices) ranked.emplace_back(is_active(out.findings[i].key), i);
    std::sort(ranked.begin(), ranked.end(), [&](const auto& a, const auto& b) {
      const Finding& x = out.findings[a.second];
      const Finding& y = out.findings[b.second];
      if (a.first != b.first) return a.first;
      if (x.severity != y.severity) return x.severity > y.severity;
      return x.key.subject < y.key.subject;
    });
    Finding more;
    more.key = AlertKey{rule, in.site, in.node, kMoreSubject};
    more.one_shot = true;
    more.pending_ms = INT64_MAX;
    std::vector<std::string> names;
    for (size_t r = cap; r < ranked.size(); ++r) {
      const Finding& f = out.findings[ranked[r].second];
      folded[ranked[r].second] = true;
      more.severity = std::max(more.severity, f.severity);
      more.pending_ms = std::min(more.pending_ms, f.pending_ms);
      more.one_shot = more.one_shot && f.one_shot;
      if (names.size() < kFoldedNamesListed) names.push_back(PrintableUtf8(f.key.subject, kFoldedNameBytes));
    }
    const size_t count = ranked.size() - cap;
    more.summary = fmt::format("and {} more {} on {}: {}{}", count, FoldedWhat(rule), in.node, fmt::join(names, ", "),
                               count > names.size() ? ", …" : "");
    more.advice = out.findings[ranked[cap].second].advice;
    summaries.push_back(std::move(more));
  }
  if (summaries.empty()) return;
  std::vector<Finding> kept;
  kept.reserve(out.findings.size());
  for (size_t i = 0; i < out.findings.size(); ++i) {
    if (!folded[i]) kept.push_back(std::move(out.findings[i]));
  }
  for (Finding& f : summaries) kept.push_back(std::move(f));
  out.findings = std::move(kept);
}

void EvaluateReboot(const RuleInput& in, Evaluation& out) {
  for (const v1::Event& e : in.report.events()) {
    if (e.kind() != v1::Event::AGENT_STARTED || e.previous_shutdown_clean()) continue;
    // No previous boot id: a first start, not a reboot. The same boot id: the agent
    // alone restarted (a crash), the machine did not.
    if (e.previous_boot_id().empty() || e.previous_boot_id() == in.report.boot_id()) continue;
    Finding f;
    f.key = AlertKey{kRuleUnexpectedReboot, in.site, in.node, ""};
    f.one_shot = true;
    f.pending_ms = in.thresholds.group_window.count();
    const std::optional<int64_t> booted_ms = BootedAtMs(in);
    f.summary = booted_ms ? fmt::format("{} restarted without shutting down (up again at {}): power loss?", in.node,
                                        FormatTime(*booted_ms, in.received_ms))
                          : fmt::format("{} restarted without shutting down: power loss?", in.node);
    f.advice = "If the power went off, check that the machine came back by itself; if it restarts often, "
               "its power supply or a loose plug may be the cause.";
    out.findings.push_back(std::move(f));
  }
}

}  // namespace

Evaluation EvaluateReport(const RuleInput& input, Counters& counters,
                          const std::function<bool(const AlertKey&)>& is_active) {
  Evaluation out;
  for (const v1::Disk& disk : input.report.disks()) EvaluateDisk(input, disk, counters, out);
  EvaluateTemperatures(input, is_active, out);
  EvaluateFilesystems(input, is_active, out);
  EvaluateSources(input, out);
  EvaluateReboot(input, out);
  EvaluateClock(input, out);
  CapFindings(input, is_active, out);
  return out;
}

std::string_view FoldedWhat(std::string_view rule) {
  if (rule == kRuleFilesystemFull) return "filesystems nearly full";
  if (rule == kRuleTemperature) return "temperatures over their limit";
  if (rule == kRuleSmartFailing) return "disks failing";
  if (rule == kRuleDiskDegrading) return "disk problems";
  if (rule == kRuleSourceUnreadable) return "unreadable sources";
  return "findings";
}

std::vector<std::string> ExpireCounters(Counters& counters, int64_t now_ms) {
  std::vector<std::string> dropped;
  for (auto it = counters.begin(); it != counters.end();) {
    if (it->second.seen_ms == 0) it->second.seen_ms = now_ms;
    if (SaturatingSub(now_ms, it->second.seen_ms) >= kCounterExpiryMs) {
      dropped.push_back(it->first);
      it = counters.erase(it);
    } else {
      ++it;
    }
  }
  if (counters.size() <= kMaxCountersPerNode) return dropped;
  std::vector<std::pair<int64_t, const std::string*>> by_age;  // (seen_ms, key)
  by_age.reserve(counters.size());
  for (const auto& [key, counter] : counters) by_age.emplace_back(counter.seen_ms, &key);
  const size_t excess = counters.size() - kMaxCountersPerNode;
  std::nth_element(by_age.begin(), by_age.begin() + static_cast<std::ptrdiff_t>(excess), by_age.end(),
                   [](const auto& a, const auto& b) { return a.first < b.first || (a.first == b.first && *a.second < *b.second); });
  std::vector<std::string> oldest;
  for (size_t i = 0; i < excess; ++i) oldest.push_back(*by_age[i].second);
  for (std::string& key : oldest) {
    counters.erase(key);
    dropped.push_back(std::move(key));
  }
  return dropped;
}

std::string FormatTime(int64_t unix_ms, int64_t now_ms) {
  const time_t t = static_cast<time_t>(unix_ms / 1000);
  const time_t n = static_cast<time_t>(now_ms / 1000);
  struct tm local {}, now_local {};
  localtime_r(&t, &local);
  localtime_r(&n, &now_local);
  char buffer[64];
  const bool today = local.tm_year == now_local.tm_year && local.tm_yday == now_local.tm_yday;
  strftime(buffer, sizeof buffer, today ? "%H:%M" : "%a %d %b %H:%M", &local);
  return buffer;
}

std::string FormatDuration(int64_t ms) {
  const auto plural = [](int64_t n, const char* unit) { return fmt::format("{} {}{}", n, unit, n == 1 ? "" : "s"); };
  if (ms < 2 * kMinute) return plural(std::max<int64_t>(ms / 1000, 0), "second");
  if (ms < 2 * kHour) return plural(ms / kMinute, "minute");
  if (ms < 2 * kDay) return plural(ms / kHour, "hour");
  return plural(ms / kDay, "day");
}

}  // namespace vigie::alerting
