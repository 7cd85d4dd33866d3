#include "common/config.h"

#include <cctype>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <limits>

#include <fmt/format.h>

#include "common/file_tree.h"

namespace vigie {
namespace {

// A collector.toml for 10 000 nodes is ~1.2 MiB; the bound only keeps a
// wrong path (a device, a huge log) from being read into memory whole.
constexpr size_t kMaxConfigBytes = 64 << 20;

// The line of the first byte outside the ASCII range that stands outside a
// string or a comment, or 0 when there is none. TOML allows such bytes only
// there; toml++ 3.3.0 (Debian 12) reaches __builtin_unreachable on one after
// a bare key (undefined behaviour: marzer/tomlplusplus#295), and a French
// admin writes "seuil_température" without a thought. So the file is
// refused before toml++ sees it, with the line. Linear; quotes and escapes
// followed as TOML 1.0 defines its four kinds of strings.
int64_t LineOfNonAsciiOutsideStrings(std::string_view text) {
  int64_t line = 1;
  size_t i = 0;
  const auto at = [&](std::string_view token) { return text.substr(i, token.size()) == token; };
  // Skips to just after `close`, counting lines; in a basic string a
  // backslash escapes the byte after it. False at a backslash followed (after
  // whitespace, if any) by a byte outside ASCII: never a valid escape, and
  // toml++ 3.3.0 checks it with the same unreachable function.
  const auto skip_to = [&](std::string_view close, bool escapes, bool single_line) {
    while (i < text.size()) {
      if (escapes && text[i] == '\\') {
        // A line-ending backslash: toml++ skips the whitespace and newlines
        // after it with that function too.
        size_t next = i + 1;
        while (next < text.size() && (text[next] == ' ' || text[next] == '\t' || text[next] == '\r' ||
                                      text[next] == '\n')) {
          line += text[next] == '\n';
          ++next;
        }
        if (next < text.size() && static_cast<unsigned char>(text[next]) >= 0x80) return false;
        i = next == i + 1 ? i + 2 : next;
        continue;
      }
      if (at(close)) {
        i += close.size();
        return true;
      }
      if (text[i] == '\n') {
        if (single_line) return true;  // a syntax error that toml++ reports
        ++line;
      }
      ++i;
    }
    return true;
  };
  while (i < text.size()) {
    const unsigned char c = static_cast<unsigned char>(text[i]);
    if (c >= 0x80) return line;
    if (c == '\n') {
      ++line;
      ++i;
    } else if (c == '#') {
      while (i < text.size() && text[i] != '\n') ++i;
    } else if (at("\"\"\"")) {
      i += 3;
      if (!skip_to("\"\"\"", /*escapes=*/true, /*single_line=*/false)) return line;
    } else if (at("'''")) {
      i += 3;
      skip_to("'''", /*escapes=*/false, /*single_line=*/false);
    } else if (c == '"') {
      ++i;
      if (!skip_to("\"", /*escapes=*/true, /*single_line=*/true)) return line;
    } else if (c == '\'') {
      ++i;
      skip_to("'", /*escapes=*/false, /*single_line=*/true);
    } else {
      ++i;
    }
  }
  return 0;
}

std::string_view TypeName(const toml::node& node) {
  switch (node.type()) {
    case toml::node_type::string:
      return "a string";
    case toml::node_type::integer:
      return "an integer";
    case toml::node_type::floating_point:
      return "a float";
    case toml::node_type::boolean:
      return "a boolean";
    case toml::node_type::table:
      return "a table";
    case toml::node_type::array:
      return "an array";
    case toml::node_type::date:
    case toml::node_type::time:
    case toml::node_type::date_time:
      return "a date or time";
    case toml::node_type::none:
      break;
  }
  return "nothing";
}

std::string Trim(std::string text) {
  const auto is_space = [](unsigned char c) { return std::isspace(c) != 0; };
  while (!text.empty() && is_space(static_cast<unsigned char>(text.back()))) text.pop_back();
  size_t start = 0;
  while (start < text.size() && is_space(static_cast<unsigned char>(text[start]))) ++start;
  return text.substr(start);
}

}  // namespace

ConfigError::ConfigError(const std::string& file, int64_t line, const std::string& key, const std::string& reason)
    : std::runtime_error(line <= 0      ? fmt::format("{}: {}", file, reason)
                         : key.empty() ? fmt::format("{}:{}: {}", file, line, reason)
                                       : fmt::format("{}:{}: {}: {}", file, line, key, reason)) {}

ConfigDocument::ConfigDocument(toml::table table, std::string file)
    : table_(std::make_shared<const toml::table>(std::move(table))),
      file_(std::make_shared<const std::string>(std::move(file))) {}

ConfigDocument ConfigDocument::Load(const std::filesystem::path& path) {
  const Result<std::string> text = ReadFile(path, kMaxConfigBytes);
  if (!text) {
    // ReadFile's message starts with the path, which the error names already.
    std::string_view reason = text.error().message;
    if (reason.starts_with(path.string() + ": ")) reason.remove_prefix(path.string().size() + 2);
    throw ConfigError(path.string(), 0, "", fmt::format("cannot read the file: {}", reason));
  }
  return Parse(*text, path.string());
}

ConfigDocument ConfigDocument::Parse(std::string_view text, std::string file_name) {
  if (const int64_t line = LineOfNonAsciiOutsideStrings(text); line != 0) {
    throw ConfigError(file_name, line, "",
                      "a character outside ASCII stands outside a quoted string or a comment, or after a "
                      "backslash (a key with accents must be quoted: \"température\" = ...)");
  }
  try {
    return ConfigDocument(toml::parse(text, file_name), file_name);
  } catch (const toml::parse_error& error) {
    throw ConfigError(file_name, error.source().begin.line, "", std::string(error.description()));
  }
}

ConfigTable ConfigDocument::Root() const { return ConfigTable(table_.get(), table_, file_, ""); }

ConfigTable::ConfigTable(const toml::table* table, std::shared_ptr<const toml::table> owner,
                         std::shared_ptr<const std::string> file, std::string path)
    : table_(table), owner_(std::move(owner)), file_(std::move(file)), path_(std::move(path)) {}

const toml::node* ConfigTable::Find(std::string_view key) const {
  used_.emplace(key);
  return table_->get(key);
}

std::string ConfigTable::KeyPath(std::string_view key) const {
  return path_.empty() ? std::string(key) : fmt::format("{}.{}", path_, key);
}

int64_t ConfigTable::LineOf(std::string_view key) const {
  const toml::node* node = table_->get(key);
  const int64_t line = node != nullptr ? node->source().begin.line : table_->source().begin.line;
  return line > 0 ? line : 1;
}

void ConfigTable::Reject(std::string_view key, const std::string& reason) const {
  throw ConfigError(*file_, LineOf(key), KeyPath(key), reason);
}

void ConfigTable::WrongType(std::string_view key, std::string_view expected) const {
  Reject(key, fmt::format("expected {}, got {}", expected, TypeName(*table_->get(key))));
}

bool ConfigTable::Has(std::string_view key) const {
  used_.emplace(key);
  return table_->contains(key);
}

std::string ConfigTable::String(std::string_view key) const {
  const toml::node* node = Find(key);
  if (node == nullptr) Reject(key, "missing (required)");
  if (!node->is_string()) WrongType(key, "a string");
  std::string value = node->as_string()->get();
  if (value.empty()) Reject(key, "must not be empty");
  return value;
}

std::string ConfigTable::String(std::string_view key, std::string_view fallback) const {
  const toml::node* node = Find(key);
  if (node == nullptr) return std::string(fallback);
  if (!node->is_string()) WrongType(key, "a string");
  return node->as_string()->get();
}

int64_t ConfigTable::Integer(std::string_view key, int64_t fallback, int64_t min, int64_t max) const {
  const toml::node* node = Find(key);
  if (node == nullptr) return fallback;
  if (!node->is_integer()) WrongType(key, "an integer");
  const int64_t value = node->as_integer()->get();
  if (value < min || value > max) Reject(key, fmt::format("{} is out of range [{}, {}]", value, min, max));
  return value;
}

double ConfigTable::Number(std::string_view key, double fallback, double min, double max) const {
  const toml::node* node = Find(key);
  if (node == nullptr) return fallback;
  double value = 0;
  if (node->is_integer()) {
    value = static_cast<double>(node->as_integer()->get());
  } else if (node->is_floating_point()) {
    value = node->as_floating_point()->get();
  } else {
    WrongType(key, "a number");
  }
  if (!(value >= min && value <= max)) Reject(key, fmt::format("{} is out of range [{}, {}]", value, min, max));
  return value;
}

bool ConfigTable::Bool(std::string_view key, bool fallback) const {
  const toml::node* node = Find(key);
  if (node == nullptr) return fallback;
  if (!node->is_boolean()) WrongType(key, "a boolean (true or false)");
  return node->as_boolean()->get();
}

std::chrono::milliseconds ConfigTable::Duration(std::string_view key, std::chrono::milliseconds fallback,
                                                std::chrono::milliseconds min,
                                                std::chrono::milliseconds max) const {
  const toml::node* node = Find(key);
  if (node == nullptr) return fallback;
  std::optional<std::chrono::milliseconds> value;
  if (node->is_integer()) {
    const int64_t seconds = node->as_integer()->get();
    if (seconds >= 0 && seconds < std::numeric_limits<int64_t>::max() / 1000) {
      value = std::chrono::seconds(seconds);
    }
  } else if (node->is_string()) {
    value = ParseDuration(node->as_string()->get());
    if (!value) Reject(key, fmt::format("'{}' is not a duration such as \"30s\", \"15m\" or \"1h30m\"",
                                        node->as_string()->get()));
  } else {
    WrongType(key, "a duration (\"30s\", \"15m\", \"4h\") or a number of seconds");
  }
  if (!value || *value < min || *value > max) {
    Reject(key, fmt::format("must lie between {} ms and {} ms", min.count(), max.count()));
  }
  return *value;
}

std::vector<std::string> ConfigTable::Strings(std::string_view key) const {
  std::vector<std::string> values;
  const toml::node* node = Find(key);
  if (node == nullptr) return values;
  if (!node->is_array()) WrongType(key, "an array of strings");
  for (const toml::node& element : *node->as_array()) {
    if (!element.is_string()) {
      throw ConfigError(*file_, element.source().begin.line, KeyPath(key),
                        fmt::format("expected an array of strings, found {}", TypeName(element)));
    }
    values.push_back(element.as_string()->get());
  }
  return values;
}

std::filesystem::path ConfigTable::Path(std::string_view key) const {
  std::filesystem::path path = String(key);
  if (path.is_relative()) path = std::filesystem::path(*file_).parent_path() / path;
  return path;
}

std::filesystem::path ConfigTable::Path(std::string_view key, const std::filesystem::path& fallback) const {
  if (!Has(key)) return fallback;
  return Path(key);
}

std::string ConfigTable::FileContents(std::string_view key) const {
  const std::filesystem::path path = Path(key);
  const Result<std::string> text = ReadFile(path, kMaxConfigBytes);
  if (!text) Reject(key, fmt::format("cannot read {}", text.error().message));
  std::string contents = Trim(*text);
  if (contents.empty()) Reject(key, fmt::format("{} is empty", path.string()));
  return contents;
}

std::optional<ConfigTable> ConfigTable::Table(std::string_view key) const {
  const toml::node* node = Find(key);
  if (node == nullptr) return std::nullopt;
  if (!node->is_table()) WrongType(key, "a table");
  return ConfigTable(node->as_table(), owner_, file_, KeyPath(key));
}

std::vector<ConfigTable> ConfigTable::Tables(std::string_view key) const {
  std::vector<ConfigTable> tables;
  const toml::node* node = Find(key);
  if (node == nullptr) return tables;
  if (!node->is_array_of_tables()) WrongType(key, fmt::format("an array of tables ([[{}]])", KeyPath(key)));
  const toml::array& array = *node->as_array();
  for (size_t i = 0; i < array.size(); ++i) {
    tables.push_back(
        ConfigTable(array.get(i)->as_table(), owner_, file_, fmt::format("{}[{}]", KeyPath(key), i)));
  }
  return tables;
}

void ConfigTable::RejectUnknownKeys() const {
  for (const auto& [key, node] : *table_) {
    if (used_.find(key.str()) == used_.end()) {
      const int64_t line = key.source().begin.line > 0 ? key.source().begin.line : LineOf(key.str());
      throw ConfigError(*file_, line, KeyPath(key.str()), "unknown key");
    }
  }
}

std::optional<std::chrono::milliseconds> ParseDuration(std::string_view text) {
  if (text.empty()) return std::nullopt;
  int64_t total_ms = 0;
  size_t i = 0;
  while (i < text.size()) {
    const size_t number_start = i;
    int64_t number = 0;
    const auto [end, ec] = std::from_chars(text.data() + i, text.data() + text.size(), number);
    if (ec != std::errc() || number < 0) return std::nullopt;
    i = static_cast<size_t>(end - text.data());
    size_t unit_end = i;
    while (unit_end < text.size() && std::isalpha(static_cast<unsigned char>(text[unit_end]))) ++unit_end;
    const std::string_view unit = text.substr(i, unit_end - i);
    int64_t scale = 0;
    if (unit == "ms") scale = 1;
    else if (unit == "s" || unit.empty()) scale = 1000;
    else if (unit == "m") scale = 60'000;
    else if (unit == "h") scale = 3'600'000;
    else if (unit == "d") scale = 86'400'000;
    else return std::nullopt;
    // A bare number means seconds, but only as the whole text: "1h30" is ambiguous.
    if (unit.empty() && (number_start != 0 || unit_end != text.size())) return std::nullopt;
    if (number > (std::numeric_limits<int64_t>::max() - total_ms) / scale) return std::nullopt;
    total_ms += number * scale;
    i = unit_end;
  }
  return std::chrono::milliseconds(total_ms);
}

}  // namespace vigie
