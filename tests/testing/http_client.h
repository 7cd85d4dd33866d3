// Blocking HTTP requests for tests, through libcurl.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace vigie::testing {

struct HttpReply {
  long status = 0;  // 0: no answer (see error)
  std::string body;
  std::string error;
};

// `ca_file`: a PEM file of CAs to trust for https (empty: the system's).
HttpReply HttpGet(const std::string& url, const std::string& ca_file = "");
HttpReply HttpPost(const std::string& url, const std::vector<std::string>& headers, const std::string& body);

// A TCP port on 127.0.0.1 that was free a moment ago, for a peer program
// that cannot be told to pick its own (bind to port 0 and report it).
uint16_t FreeLoopbackPort();

}  // namespace vigie::testing
