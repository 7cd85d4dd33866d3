// Test-only: the fixtures of tests/fixtures/smart/<drive>/ (pages rebuilt
// from a real smartctl output by make_fixtures.py, and expected.tsv, the
// values that output printed).
#pragma once

#include <cstddef>
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace vigie::agent::smart::testing {

using Bytes = std::vector<std::byte>;

// tests/fixtures/smart/<drive>/<file> as bytes; empty (and no failure) if
// the file does not exist.
Bytes ReadSmartFixture(std::string_view drive, std::string_view file);

// The drive folders under tests/fixtures/smart/, sorted.
std::vector<std::string> SmartFixtureDrives();

// expected.tsv: every line split on tabs, grouped by its first field (the
// key), in file order; '#' lines skipped.
class Expectations {
 public:
  explicit Expectations(std::string_view drive);
  // All lines with this key (each without the key).
  const std::vector<std::vector<std::string>>& All(std::string_view key) const;
  // The first field of the first line with this key; "" if none.
  std::string One(std::string_view key) const;
  bool Has(std::string_view key) const { return !All(key).empty(); }

 private:
  std::map<std::string, std::vector<std::vector<std::string>>, std::less<>> lines_;
};

}  // namespace vigie::agent::smart::testing
