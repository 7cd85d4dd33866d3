// TLS for the agent's HTTP client (agent/http_client.h), through mbedTLS
// (2.28, Debian's libmbedtls-dev), linked statically.
//
// mbedTLS rather than GnuTLS: the agent is a static executable (resident
// memory, BENCHMARKS.md, agent footprint), which cannot load a shared
// GnuTLS without a second libc; GnuTLS and its eight dependencies cost
// ~2.9 MB of peak RSS, the mbedTLS code the client uses a few hundred kB.
//
// The session runs over a non-blocking socket that the caller connected and
// keeps owning; every call waits (poll) at most until its deadline. TLS 1.2
// at least. Certificates are verified against the credentials' CAs and the
// host: a DNS name against the certificate's DNS names (mbedTLS), an IP
// address against its IP address SANs (RFC 5280, section 4.2.1.6; checked
// here, mbedTLS 2.28 compares names only). SNI is sent for DNS names.
// Not thread-safe.
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

// The CAs to trust, a PEM file, or the system's store when `ca_file` is
// empty (Debian's bundle, /etc/ssl/certs/ca-certificates.crt: ~150 CAs,
// some 300 kB of heap once parsed), with the random generator and the TLS
// configuration that the sessions share.
class TlsCredentials {
 public:
  static Result<std::shared_ptr<TlsCredentials>> Load(const std::filesystem::path& ca_file);
  ~TlsCredentials();
  TlsCredentials(const TlsCredentials&) = delete;
  TlsCredentials& operator=(const TlsCredentials&) = delete;

 private:
  friend class TlsSession;
  struct State;
  TlsCredentials();
  std::unique_ptr<State> state_;
  std::string ca_description_;  // for messages: the file, or "the system's CA store"
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
  struct State;
  TlsSession();
  // Declared first, so destroyed last: the session uses its configuration.
  std::shared_ptr<const TlsCredentials> credentials_;
  std::unique_ptr<State> state_;
};

}  // namespace vigie::agent
