#include "tests/testing/http_client.h"

#include <arpa/inet.h>
#include <curl/curl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <memory>

namespace vigie::testing {
namespace {

size_t Append(char* data, size_t size, size_t count, void* user) {
  static_cast<std::string*>(user)->append(data, size * count);
  return size * count;
}

HttpReply Perform(const std::string& url, const std::vector<std::string>& headers, const std::string* body,
                  const std::string& ca_file = "") {
  HttpReply reply;
  std::unique_ptr<CURL, decltype(&curl_easy_cleanup)> curl(curl_easy_init(), &curl_easy_cleanup);
  curl_slist* list = nullptr;
  for (const std::string& header : headers) list = curl_slist_append(list, header.c_str());
  std::unique_ptr<curl_slist, decltype(&curl_slist_free_all)> owned(list, &curl_slist_free_all);
  curl_easy_setopt(curl.get(), CURLOPT_URL, url.c_str());
  curl_easy_setopt(curl.get(), CURLOPT_HTTPHEADER, list);
  curl_easy_setopt(curl.get(), CURLOPT_TIMEOUT_MS, 10'000L);
  curl_easy_setopt(curl.get(), CURLOPT_NOSIGNAL, 1L);
  if (!ca_file.empty()) curl_easy_setopt(curl.get(), CURLOPT_CAINFO, ca_file.c_str());
  curl_easy_setopt(curl.get(), CURLOPT_WRITEFUNCTION, &Append);
  curl_easy_setopt(curl.get(), CURLOPT_WRITEDATA, &reply.body);
  if (body != nullptr) {
    curl_easy_setopt(curl.get(), CURLOPT_POSTFIELDS, body->data());
    curl_easy_setopt(curl.get(), CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(body->size()));
    // A body over 1 MiB goes with "Expect: 100-continue": curl waits this long
    // for the server's verdict before sending it anyway. By default a second,
    // which a loaded machine may exceed; the body sent after a 413 then
    // races the server's close, and curl sees a reset instead of the 413.
    curl_easy_setopt(curl.get(), CURLOPT_EXPECT_100_TIMEOUT_MS, 10'000L);
  }
  const CURLcode code = curl_easy_perform(curl.get());
  if (code != CURLE_OK) {
    reply.error = curl_easy_strerror(code);
    return reply;
  }
  curl_easy_getinfo(curl.get(), CURLINFO_RESPONSE_CODE, &reply.status);
  return reply;
}

}  // namespace

HttpReply HttpGet(const std::string& url, const std::string& ca_file) { return Perform(url, {}, nullptr, ca_file); }

HttpReply HttpPost(const std::string& url, const std::vector<std::string>& headers, const std::string& body) {
  return Perform(url, headers, &body);
}

uint16_t FreeLoopbackPort() {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t length = sizeof address;
  uint16_t port = 0;
  if (bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0 &&
      getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) == 0) {
    port = ntohs(address.sin_port);
  }
  close(fd);
  return port;
}

}  // namespace vigie::testing
