#include "agent/smart/fixture_expectations.h"

#include <filesystem>
#include <fstream>
#include <sstream>

#include <gtest/gtest.h>

#include "tests/testing/testing.h"

namespace vigie::agent::smart::testing {

Bytes ReadSmartFixture(std::string_view drive, std::string_view file) {
  const std::filesystem::path path = vigie::testing::FixturePath("smart") / drive / file;
  std::ifstream in(path, std::ios::binary);
  if (!in) return {};
  std::stringstream text;
  text << in.rdbuf();
  const std::string bytes = text.str();
  Bytes out(bytes.size());
  for (size_t i = 0; i < bytes.size(); ++i) out[i] = static_cast<std::byte>(bytes[i]);
  return out;
}

std::vector<std::string> SmartFixtureDrives() {
  std::vector<std::string> drives;
  for (const auto& entry : std::filesystem::directory_iterator(vigie::testing::FixturePath("smart"))) {
    if (entry.is_directory() && std::filesystem::exists(entry.path() / "expected.tsv")) {
      drives.push_back(entry.path().filename().string());
    }
  }
  std::sort(drives.begin(), drives.end());
  return drives;
}

Expectations::Expectations(std::string_view drive) {
  const std::filesystem::path path = vigie::testing::FixturePath("smart") / drive / "expected.tsv";
  std::ifstream in(path);
  if (!in) ADD_FAILURE() << "cannot read " << path;
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    std::vector<std::string> fields;
    size_t start = 0;
    while (true) {
      const size_t tab = line.find('\t', start);
      fields.push_back(line.substr(start, tab == std::string::npos ? std::string::npos : tab - start));
      if (tab == std::string::npos) break;
      start = tab + 1;
    }
    const std::string key = fields.front();
    fields.erase(fields.begin());
    lines_[key].push_back(std::move(fields));
  }
}

const std::vector<std::vector<std::string>>& Expectations::All(std::string_view key) const {
  static const std::vector<std::vector<std::string>> kNone;
  const auto it = lines_.find(key);
  return it == lines_.end() ? kNone : it->second;
}

std::string Expectations::One(std::string_view key) const {
  const auto& all = All(key);
  return all.empty() || all.front().empty() ? std::string() : all.front().front();
}

}  // namespace vigie::agent::smart::testing
