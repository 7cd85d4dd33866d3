// The [remote_write] table of collector.toml: optional, off when absent.
//
//   [remote_write]
//   url = "https://mimir.example.org/api/v1/push"   # required; http:// or https://
//   timeout = "30s"                    # one request, connection included
//   max_reports_per_request = 500      # a request carries at most this many reports...
//   max_samples_per_request = 10000    # ...and stops adding reports past this many samples
//   min_backoff = "1s"                 # retry delay after a 5xx, a 429, a 401/403/404 or no answer,
//   max_backoff = "1m"                 #   doubling up to this
//   poll_interval = "1s"               # how often it looks for newly stored reports
//   backfill = "0s"                    # when first enabled: also send reports received this long before
//   headers = ["X-Scope-OrgID: fleet"] # extra headers ("Name: value"), e.g. a Mimir tenant
//   bearer_token_file = "/etc/vigie/remote_write.token"   # or, not both:
//   [remote_write.basic_auth]
//   username = "vigie"
//   password_file = "/etc/vigie/remote_write.password"
//
// Secrets live in the files named; their trimmed contents are read here.
// Errors are ConfigErrors naming file, line and key (start-up only).
#pragma once

#include <chrono>
#include <cstddef>
#include <string>
#include <utility>
#include <vector>

#include "common/config.h"

namespace vigie::collector {

struct RemoteWriteConfig {
  bool enabled = false;  // true when collector.toml has a [remote_write] table
  std::string url;
  std::chrono::milliseconds timeout{30'000};
  size_t max_reports_per_request = 500;
  size_t max_samples_per_request = 10'000;
  std::chrono::milliseconds min_backoff{1'000};
  std::chrono::milliseconds max_backoff{60'000};
  std::chrono::milliseconds poll_interval{1'000};
  std::chrono::milliseconds backfill{0};
  std::vector<std::pair<std::string, std::string>> headers;
  std::string basic_auth_username;  // empty: no basic auth
  std::string basic_auth_password;
  std::string bearer_token;  // empty: none
};

// Reads root's "remote_write" table; {enabled = false} when there is none.
// Throws ConfigError. Marks the key as used on `root`.
RemoteWriteConfig LoadRemoteWriteConfig(const ConfigTable& root);

}  // namespace vigie::collector
