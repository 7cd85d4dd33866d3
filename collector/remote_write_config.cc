#include "collector/remote_write_config.h"

#include <algorithm>
#include <array>
#include <cctype>

#include <fmt/format.h>

namespace vigie::collector {
namespace {

std::string Lower(std::string_view text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return std::tolower(c); });
  return out;
}

// Headers the sender sets itself: the specification's required ones (a user
// "MUST NOT" be able to override them), the ones libcurl computes, and
// Authorization, which has its own keys.
constexpr std::array<std::string_view, 9> kReservedHeaders = {
    "content-encoding", "content-type", "content-length", "user-agent", "x-prometheus-remote-write-version",
    "authorization",    "host",         "connection",     "transfer-encoding"};

bool IsTokenChar(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
}

}  // namespace

RemoteWriteConfig LoadRemoteWriteConfig(const ConfigTable& root) {
  using std::chrono::milliseconds;
  RemoteWriteConfig config;
  const std::optional<ConfigTable> table = root.Table("remote_write");
  if (!table) return config;
  config.enabled = true;
  config.url = table->String("url");
  if (!config.url.starts_with("http://") && !config.url.starts_with("https://")) {
    table->Reject("url", fmt::format("'{}' is not an http:// or https:// URL", config.url));
  }
  config.timeout = table->Duration("timeout", config.timeout, milliseconds(100), milliseconds(600'000));
  config.max_reports_per_request = static_cast<size_t>(
      table->Integer("max_reports_per_request", static_cast<int64_t>(config.max_reports_per_request), 1, 100'000));
  config.max_samples_per_request = static_cast<size_t>(
      table->Integer("max_samples_per_request", static_cast<int64_t>(config.max_samples_per_request), 1, 10'000'000));
  config.min_backoff = table->Duration("min_backoff", config.min_backoff, milliseconds(1), milliseconds(3'600'000));
  config.max_backoff = table->Duration("max_backoff", config.max_backoff, milliseconds(1), milliseconds(86'400'000));
  if (config.max_backoff < config.min_backoff) table->Reject("max_backoff", "is shorter than min_backoff");
  config.poll_interval = table->Duration("poll_interval", config.poll_interval, milliseconds(10), milliseconds(3'600'000));
  config.backfill = table->Duration("backfill", config.backfill, milliseconds(0), milliseconds(365 * 86'400'000LL));

  for (const std::string& header : table->Strings("headers")) {
    const size_t colon = header.find(':');
    const std::string name = header.substr(0, colon);
    if (colon == std::string::npos || name.empty() || !std::all_of(name.begin(), name.end(), IsTokenChar)) {
      table->Reject("headers", fmt::format("'{}' is not \"Name: value\"", header));
    }
    if (std::find(kReservedHeaders.begin(), kReservedHeaders.end(), Lower(name)) != kReservedHeaders.end()) {
      table->Reject("headers", fmt::format("{} is set by the collector itself and cannot be configured", name));
    }
    std::string value = header.substr(colon + 1);
    value.erase(0, value.find_first_not_of(" \t"));
    value.erase(value.find_last_not_of(" \t") + 1);
    if (value.find_first_of("\r\n") != std::string::npos) table->Reject("headers", "a header value cannot span lines");
    config.headers.emplace_back(name, std::move(value));
  }

  if (const std::optional<ConfigTable> auth = table->Table("basic_auth")) {
    config.basic_auth_username = auth->String("username");
    config.basic_auth_password = auth->FileContents("password_file");
    auth->RejectUnknownKeys();
  }
  if (table->Has("bearer_token_file")) {
    if (!config.basic_auth_username.empty()) {
      table->Reject("bearer_token_file", "give either basic_auth or bearer_token_file, not both");
    }
    config.bearer_token = table->FileContents("bearer_token_file");
  }
  table->RejectUnknownKeys();
  return config;
}

}  // namespace vigie::collector
