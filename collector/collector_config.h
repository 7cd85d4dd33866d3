// /etc/vigie/collector.toml: where the collector listens, where it stores,
// and the fleet it accepts reports from.
//
//   listen = "127.0.0.1:9470"        # host:port; "[::]:9470" for IPv6; port 0 picks one
//   database = "/var/lib/vigie/collector.db"
//   offline_after = "5m"             # a node is down after this long without a report
//   [[node]]
//   id = "rennes-1"
//   site = "rennes"                  # the home that hosts it
//   token_sha256 = "9f86d0..."       # `vigiectl token new rennes-1` prints this line
//
// LoadCollectorConfig throws ConfigError ("FILE:LINE: KEY: REASON").
#pragma once

#include <chrono>
#include <cstddef>
#include <filesystem>
#include <map>
#include <string>

namespace vigie::collector {

struct NodeEntry {
  std::string id;
  std::string site;
  std::string token_sha256;  // lower-case hex
};

struct CollectorConfig {
  std::filesystem::path file;
  std::string listen_host = "127.0.0.1";
  uint16_t listen_port = 9470;
  std::filesystem::path database = "/var/lib/vigie/collector.db";
  std::chrono::milliseconds offline_after{300'000};
  size_t max_body_bytes = 1 << 20;
  std::map<std::string, NodeEntry> nodes;  // by id
};

CollectorConfig LoadCollectorConfig(const std::filesystem::path& path);

// Splits "host:port" or "[v6]:port". False when it is not of that form.
bool ParseListenAddress(std::string_view text, std::string* host, uint16_t* port);

}  // namespace vigie::collector
