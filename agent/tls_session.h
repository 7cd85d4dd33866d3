// TLS for the agent's HTTP client (agent/http_client.h), through GnuTLS.
//
// GnuTLS and its dependencies (nettle, hogweed, gmp, p11-kit, tasn1, idn2,
// unistring) add ~2.9 MB of peak RSS and ~450 kB of RssAnon to the agent
// (BENCHMARKS.md, agent footprint), so libgnutls.so.30 is opened with
// dlopen when the first https:// client is created, never for an agent
// that only talks http://.
//
// The session runs over a non-blocking socket that the caller connected and
// keeps owning; every call waits (poll) at most until its deadline.
// Certificates are verified against the credentials' CAs and the host name
// (DNS name, or IP address against the certificate's IP SANs); SNI is sent
// for DNS names. Not thread-safe.
#pragma once

#include <chrono>
#include <cstddef>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>

#include "common/result.h"

namespace vigie::agent {

using Deadline = std::chrono::steady_clock::time_point;

// Waits until `fd` is ready for `events` (POLLIN/POLLOUT); a kUnavailable
// error naming `what` at the deadline.
Result<void> WaitForFd(int fd, short events, Deadline deadline, std::string_view what);

// The CAs to trust: a PEM file, or the system's store when `ca_file` is empty.
class TlsCredentials {
 public:
  static Result<std::shared_ptr<TlsCredentials>> Load(const std::filesystem::path& ca_file);
  ~TlsCredentials();
  TlsCredentials(const TlsCredentials&) = delete;
  TlsCredentials& operator=(const TlsCredentials&) = delete;

 private:
  friend class TlsSession;
  TlsCredentials() = default;
  void* credentials_ = nullptr;  // gnutls_certificate_credentials_t
  std::string ca_description_;   // for messages: the file, or "the system's CA store"
};

class TlsSession {
 public:
  // Handshakes over the connected socket `fd` and verifies the server's
  // certificate for `host`.
  static Result<std::unique_ptr<TlsSession>> Handshake(std::shared_ptr<const TlsCredentials> credentials, int fd,
                                                       const std::string& host, Deadline deadline);
  ~TlsSession();  // sends close_notify if the socket takes it at once
  TlsSession(const TlsSession&) = delete;
  TlsSession& operator=(const TlsSession&) = delete;

  Result<void> SendAll(std::string_view data, Deadline deadline);
  // Reads what is available (at least one byte) into `buffer`; 0 when the
  // server ended the stream.
  Result<size_t> Receive(char* buffer, size_t size, Deadline deadline);

 private:
  TlsSession() = default;
  void* session_ = nullptr;  // gnutls_session_t
  int fd_ = -1;
  std::shared_ptr<const TlsCredentials> credentials_;
};

}  // namespace vigie::agent
