// Blocking HTTP requests for tests, through libcurl.
#pragma once

#include <string>
#include <vector>

namespace vigie::testing {

struct HttpReply {
  long status = 0;  // 0: no answer (see error)
  std::string body;
  std::string error;
};

HttpReply HttpGet(const std::string& url);
HttpReply HttpPost(const std::string& url, const std::vector<std::string>& headers, const std::string& body);

}  // namespace vigie::testing
