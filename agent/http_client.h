// The agent's HTTP/1.1 client: POSTs bodies to one origin (http:// or
// https://) over one kept-alive connection. It replaces libcurl in the agent,
// whose ~30 shared libraries cost the agent ~7.5 MB of RSS
// (BENCHMARKS.md, agent footprint).
//
// What it does, and only that: POST with Content-Length; a response framed
// by Content-Length, chunked transfer coding or the end of the connection;
// 1xx answers skipped; no redirects followed (a 3xx is returned as is); one
// deadline per request covering connect, TLS handshake, send and the whole
// response (the name lookup, getaddrinfo, is bounded by the resolver's own
// timeouts, resolv.conf(5)); a response body over 64 KiB is an error. A
// kept-alive connection that the server closed while idle is noticed before
// the request, and a request that fails on a reused connection before any
// byte of the answer arrived is sent once more on a new connection (safe for
// the agent: the collector deduplicates reports).
//
// https:// goes through mbedTLS (agent/tls_session.h). The server's
// certificate must chain to `ca_file` (or, when empty, to the system's trust
// store) and name the URL's host (DNS name or IP address). Host names are
// looked up with getaddrinfo: the vigie-agent executable keeps it to
// /etc/hosts and DNS (agent/main.cc says why).
//
// Errors are Result errors with a message for a person ("connect to
// 127.0.0.1:9: Connection refused"). Blocking; not thread-safe.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"

namespace vigie::agent {

class TlsSession;
class TlsCredentials;

// The parts of an http:// or https:// URL the client needs.
struct HttpUrl {
  bool tls = false;
  std::string host;  // without the brackets of an IPv6 literal
  uint16_t port = 0;
  std::string path;  // "" or "/prefix", never ending with '/'
};
// Accepts scheme://host[:port][/path]; no user info, query or fragment.
Result<HttpUrl> ParseHttpUrl(std::string_view url);

struct HttpResponse {
  int status = 0;
  std::string content_type;  // as the server wrote it, at most 100 bytes; "" when absent
  std::string body;
};

struct HttpClientOptions {
  std::string base_url;              // scheme://host[:port][/prefix]
  std::filesystem::path ca_file;     // https: PEM CAs to trust; empty: the system's
  std::chrono::milliseconds timeout{10'000};  // per request, everything included
  std::vector<std::string> headers;  // "Name: value", sent with every request
};

class HttpClient {
 public:
  // Fails on a bad URL, or for https on a CA file without a readable CA
  // certificate. Does not connect yet.
  static Result<HttpClient> Create(HttpClientOptions options);

  HttpClient(HttpClient&&) noexcept;
  HttpClient& operator=(HttpClient&&) noexcept;
  ~HttpClient();

  // POSTs `body` to base_url + `path` ("/v1/push") and reads the answer.
  Result<HttpResponse> Post(std::string_view path, std::string_view content_type, std::string_view body);

  const HttpUrl& url() const { return url_; }

 private:
  HttpClient() = default;
  using Clock = std::chrono::steady_clock;
  // One attempt; `answered` is set once any byte of the answer arrived.
  Result<HttpResponse> Attempt(const std::string& request, std::string_view body, Clock::time_point deadline,
                               bool& answered);
  Result<void> Connect(Clock::time_point deadline);
  Result<void> SendAll(std::string_view data, Clock::time_point deadline);
  // Appends at least one byte to in_; fails at the deadline or the end of the stream.
  Result<void> ReceiveMore(Clock::time_point deadline);
  Result<HttpResponse> ReadResponse(Clock::time_point deadline, bool& answered);
  bool IdleConnectionUsable();
  void Close();
  std::string Where() const;

  HttpClientOptions options_;
  HttpUrl url_;
  std::shared_ptr<TlsCredentials> credentials_;
  int fd_ = -1;
  std::unique_ptr<TlsSession> tls_;
  bool peer_closed_ = false;  // the server ended the stream (EOF seen)
  std::string in_;  // received bytes not consumed yet
};

}  // namespace vigie::agent
