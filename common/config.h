// Reading TOML configuration files into typed values, with errors a person
// can act on: every problem is a ConfigError whose message is
// "FILE:LINE: KEY: REASON", e.g.
//   /etc/vigie/agent.toml:7: collector[0].url: expected a string, got an integer
//
// A ConfigTable remembers the keys it was asked for; RejectUnknownKeys() then
// names any other key (a typo must not silently fall back to a default).
// Used at start-up and on reload only: errors are exceptions.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <set>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include <toml++/toml.h>

namespace vigie {

class ConfigError : public std::runtime_error {
 public:
  ConfigError(const std::string& file, int64_t line, const std::string& key, const std::string& reason);
};

class ConfigTable;

// A parsed TOML file. Throws ConfigError for an unreadable file or bad syntax.
class ConfigDocument {
 public:
  static ConfigDocument Load(const std::filesystem::path& path);
  static ConfigDocument Parse(std::string_view text, std::string file_name);

  ConfigTable Root() const;
  const std::string& file() const { return *file_; }

 private:
  ConfigDocument(toml::table table, std::string file);
  std::shared_ptr<const toml::table> table_;
  std::shared_ptr<const std::string> file_;
};

class ConfigTable {
 public:
  // Required string: missing or empty is an error.
  std::string String(std::string_view key) const;
  std::string String(std::string_view key, std::string_view fallback) const;
  // Integer within [min, max].
  int64_t Integer(std::string_view key, int64_t fallback, int64_t min, int64_t max) const;
  bool Bool(std::string_view key, bool fallback) const;
  // A number (integer or float) within [min, max].
  double Number(std::string_view key, double fallback, double min, double max) const;
  // A duration: "500ms", "30s", "15m", "4h", "1d", combinations such as
  // "1h30m", or an integer number of seconds. Must lie within [min, max].
  std::chrono::milliseconds Duration(std::string_view key, std::chrono::milliseconds fallback,
                                     std::chrono::milliseconds min, std::chrono::milliseconds max) const;
  std::vector<std::string> Strings(std::string_view key) const;
  bool Has(std::string_view key) const;
  // A path; relative paths are taken relative to the config file's folder.
  std::filesystem::path Path(std::string_view key) const;
  std::filesystem::path Path(std::string_view key, const std::filesystem::path& fallback) const;
  // The trimmed contents of the file named by a path value (for secrets,
  // which never live in the config itself).
  std::string FileContents(std::string_view key) const;

  std::optional<ConfigTable> Table(std::string_view key) const;
  std::vector<ConfigTable> Tables(std::string_view key) const;

  // For semantic checks done by the caller: throws a ConfigError naming the key.
  [[noreturn]] void Reject(std::string_view key, const std::string& reason) const;
  // Throws a ConfigError for the first key that no accessor asked for.
  void RejectUnknownKeys() const;

  const std::string& file() const { return *file_; }

 private:
  friend class ConfigDocument;
  ConfigTable(const toml::table* table, std::shared_ptr<const toml::table> owner,
              std::shared_ptr<const std::string> file, std::string path);

  const toml::node* Find(std::string_view key) const;
  std::string KeyPath(std::string_view key) const;
  int64_t LineOf(std::string_view key) const;
  [[noreturn]] void WrongType(std::string_view key, std::string_view expected) const;

  const toml::table* table_;
  std::shared_ptr<const toml::table> owner_;
  std::shared_ptr<const std::string> file_;
  std::string path_;
  mutable std::set<std::string, std::less<>> used_;
};

// Parses "1h30m", "500ms", "45s", "7d" or a bare number of seconds.
std::optional<std::chrono::milliseconds> ParseDuration(std::string_view text);

}  // namespace vigie
