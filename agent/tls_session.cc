#include "agent/tls_session.h"

#include <arpa/inet.h>
#include <dlfcn.h>
#include <gnutls/gnutls.h>
#include <poll.h>

#include <cerrno>
#include <cstring>

#include <fmt/format.h>

namespace vigie::agent {
namespace {

// The GnuTLS calls the agent makes, resolved from libgnutls.so.30 (the ABI
// of GnuTLS 3.x) at first use. Types come from the GnuTLS headers, so a
// mismatch is a compile error, not a crash.
#define VIGIE_GNUTLS_FUNCTIONS(X)                \
  X(gnutls_certificate_allocate_credentials)     \
  X(gnutls_certificate_free_credentials)         \
  X(gnutls_certificate_set_x509_trust_file)      \
  X(gnutls_certificate_set_x509_system_trust)    \
  X(gnutls_init)                                 \
  X(gnutls_deinit)                               \
  X(gnutls_set_default_priority)                 \
  X(gnutls_credentials_set)                      \
  X(gnutls_server_name_set)                      \
  X(gnutls_session_set_verify_cert)              \
  X(gnutls_session_get_verify_cert_status)       \
  X(gnutls_transport_set_int2)                   \
  X(gnutls_handshake)                            \
  X(gnutls_record_send)                          \
  X(gnutls_record_recv)                          \
  X(gnutls_record_get_direction)                 \
  X(gnutls_bye)                                  \
  X(gnutls_error_is_fatal)                       \
  X(gnutls_strerror)

struct GnuTls {
#define VIGIE_GNUTLS_MEMBER(name) decltype(&::name) name = nullptr;
  VIGIE_GNUTLS_FUNCTIONS(VIGIE_GNUTLS_MEMBER)
#undef VIGIE_GNUTLS_MEMBER
};

// Loaded once and kept for the life of the process: the library cannot be
// unloaded while credentials or sessions live, and reloading would cost
// the mapping again.
const Result<GnuTls>& LoadGnuTls() {
  static const Result<GnuTls> loaded = []() -> Result<GnuTls> {
    void* handle = dlopen("libgnutls.so.30", RTLD_NOW | RTLD_LOCAL);
    if (handle == nullptr) return Fail(ErrorCode::kUnavailable, fmt::format("cannot load GnuTLS: {}", dlerror()));
    GnuTls gnutls;
#define VIGIE_GNUTLS_RESOLVE(name)                                                                   \
  gnutls.name = reinterpret_cast<decltype(&::name)>(dlsym(handle, #name));                           \
  if (gnutls.name == nullptr) {                                                                      \
    return Fail(ErrorCode::kUnavailable, "cannot load GnuTLS: libgnutls.so.30 lacks " #name);        \
  }
    VIGIE_GNUTLS_FUNCTIONS(VIGIE_GNUTLS_RESOLVE)
#undef VIGIE_GNUTLS_RESOLVE
    return gnutls;
  }();
  return loaded;
}

// Loaded by then: every session comes from credentials that loaded it.
const GnuTls& Api() { return *LoadGnuTls(); }

gnutls_session_t AsSession(void* session) { return static_cast<gnutls_session_t>(session); }

bool IsIpAddress(const std::string& host) {
  unsigned char address[16];
  return inet_pton(AF_INET, host.c_str(), address) == 1 || inet_pton(AF_INET6, host.c_str(), address) == 1;
}

// Why a certificate was refused, from gnutls_certificate_status_t.
std::string DescribeVerifyStatus(unsigned status, const std::string& host, const std::string& cas) {
  std::string reasons;
  const auto add = [&](unsigned flag, std::string text) {
    if ((status & flag) == 0) return;
    if (!reasons.empty()) reasons += "; ";
    reasons += text;
  };
  add(GNUTLS_CERT_SIGNER_NOT_FOUND, "not issued by a CA of " + cas);
  add(GNUTLS_CERT_UNEXPECTED_OWNER, "not issued for " + host);
  add(GNUTLS_CERT_EXPIRED, "expired");
  add(GNUTLS_CERT_NOT_ACTIVATED, "not valid yet");
  add(GNUTLS_CERT_REVOKED, "revoked");
  add(GNUTLS_CERT_INSECURE_ALGORITHM, "signed with an insecure algorithm");
  add(GNUTLS_CERT_SIGNATURE_FAILURE, "its signature does not verify");
  if (reasons.empty()) reasons = fmt::format("refused (GnuTLS status 0x{:x})", status);
  return reasons;
}

}  // namespace

Result<void> WaitForFd(int fd, short events, Deadline deadline, std::string_view what) {
  while (true) {
    const auto left = std::chrono::ceil<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return Fail(ErrorCode::kUnavailable, fmt::format("{}: timed out", what));
    pollfd pfd{fd, events, 0};
    const int ready = poll(&pfd, 1, static_cast<int>(left.count()));
    if (ready > 0) return {};
    if (ready < 0 && errno != EINTR) {
      return Fail(ErrorCodeFromErrno(errno), fmt::format("{}: poll: {}", what, std::strerror(errno)));
    }
  }
}

Result<std::shared_ptr<TlsCredentials>> TlsCredentials::Load(const std::filesystem::path& ca_file) {
  const Result<GnuTls>& gnutls = LoadGnuTls();
  if (!gnutls) return tl::unexpected(gnutls.error());
  std::shared_ptr<TlsCredentials> credentials(new TlsCredentials());
  gnutls_certificate_credentials_t handle = nullptr;
  if (gnutls->gnutls_certificate_allocate_credentials(&handle) < 0) {
    return Fail(ErrorCode::kUnavailable, "GnuTLS cannot allocate credentials");
  }
  credentials->credentials_ = handle;
  const int loaded = ca_file.empty()
                         ? gnutls->gnutls_certificate_set_x509_system_trust(handle)
                         : gnutls->gnutls_certificate_set_x509_trust_file(handle, ca_file.c_str(), GNUTLS_X509_FMT_PEM);
  credentials->ca_description_ = ca_file.empty() ? "the system's CA store" : ca_file.string();
  if (loaded < 0) {
    return Fail(ErrorCode::kMalformed, fmt::format("cannot read the CAs of {}: {}", credentials->ca_description_,
                                                   gnutls->gnutls_strerror(loaded)));
  }
  if (loaded == 0) {
    return Fail(ErrorCode::kMalformed, fmt::format("{} holds no CA certificate", credentials->ca_description_));
  }
  return credentials;
}

TlsCredentials::~TlsCredentials() {
  if (credentials_ != nullptr) {
    Api().gnutls_certificate_free_credentials(static_cast<gnutls_certificate_credentials_t>(credentials_));
  }
}

Result<std::unique_ptr<TlsSession>> TlsSession::Handshake(std::shared_ptr<const TlsCredentials> credentials, int fd,
                                                          const std::string& host, Deadline deadline) {
  const GnuTls& gnutls = Api();
  std::unique_ptr<TlsSession> tls(new TlsSession());
  tls->fd_ = fd;
  tls->credentials_ = std::move(credentials);
  gnutls_session_t session = nullptr;
  int rc = gnutls.gnutls_init(&session, GNUTLS_CLIENT | GNUTLS_NONBLOCK | GNUTLS_NO_SIGNAL);
  if (rc < 0) return Fail(ErrorCode::kUnavailable, fmt::format("TLS: {}", gnutls.gnutls_strerror(rc)));
  tls->session_ = session;
  rc = gnutls.gnutls_set_default_priority(session);
  if (rc >= 0) {
    rc = gnutls.gnutls_credentials_set(session, GNUTLS_CRD_CERTIFICATE, tls->credentials_->credentials_);
  }
  // RFC 6066, section 3: SNI carries DNS names only, never an IP literal.
  if (rc >= 0 && !IsIpAddress(host)) {
    rc = gnutls.gnutls_server_name_set(session, GNUTLS_NAME_DNS, host.data(), host.size());
  }
  if (rc < 0) return Fail(ErrorCode::kUnavailable, fmt::format("TLS: {}", gnutls.gnutls_strerror(rc)));
  gnutls.gnutls_session_set_verify_cert(session, host.c_str(), 0);
  gnutls.gnutls_transport_set_int2(session, fd, fd);
  while ((rc = gnutls.gnutls_handshake(session)) < 0) {
    if (rc == GNUTLS_E_CERTIFICATE_VERIFICATION_ERROR) {
      return Fail(ErrorCode::kPermissionDenied,
                  fmt::format("TLS: the server's certificate is {}",
                              DescribeVerifyStatus(gnutls.gnutls_session_get_verify_cert_status(session), host,
                                                   tls->credentials_->ca_description_)));
    }
    if (gnutls.gnutls_error_is_fatal(rc)) {
      return Fail(ErrorCode::kUnavailable, fmt::format("TLS handshake: {}", gnutls.gnutls_strerror(rc)));
    }
    const short events = gnutls.gnutls_record_get_direction(session) == 1 ? POLLOUT : POLLIN;
    if (Result<void> ready = WaitForFd(fd, events, deadline, "TLS handshake"); !ready) {
      return tl::unexpected(ready.error());
    }
  }
  return tls;
}

TlsSession::~TlsSession() {
  if (session_ == nullptr) return;
  Api().gnutls_bye(AsSession(session_), GNUTLS_SHUT_WR);  // non-blocking: at most one try
  Api().gnutls_deinit(AsSession(session_));
}

Result<void> TlsSession::SendAll(std::string_view data, Deadline deadline) {
  const GnuTls& gnutls = Api();
  size_t sent = 0;
  while (sent < data.size()) {
    const ssize_t n = gnutls.gnutls_record_send(AsSession(session_), data.data() + sent, data.size() - sent);
    if (n >= 0) {
      sent += static_cast<size_t>(n);
      continue;
    }
    if (n != GNUTLS_E_AGAIN && n != GNUTLS_E_INTERRUPTED) {
      return Fail(ErrorCode::kIo, fmt::format("TLS send: {}", gnutls.gnutls_strerror(static_cast<int>(n))));
    }
    if (Result<void> ready = WaitForFd(fd_, POLLOUT, deadline, "send"); !ready) return ready;
  }
  return {};
}

Result<size_t> TlsSession::Receive(char* buffer, size_t size, Deadline deadline) {
  const GnuTls& gnutls = Api();
  while (true) {
    const ssize_t n = gnutls.gnutls_record_recv(AsSession(session_), buffer, size);
    if (n >= 0) return static_cast<size_t>(n);
    // A server that closes without close_notify ends the stream all the same.
    // Only an answer framed by the end of the connection could be cut
    // unnoticed this way: a cut PushAck does not parse, and the push is retried.
    if (n == GNUTLS_E_PREMATURE_TERMINATION) return 0;
    if (n != GNUTLS_E_AGAIN && n != GNUTLS_E_INTERRUPTED) {
      return Fail(ErrorCode::kIo, fmt::format("TLS receive: {}", gnutls.gnutls_strerror(static_cast<int>(n))));
    }
    if (Result<void> ready = WaitForFd(fd_, POLLIN, deadline, "receive"); !ready) {
      return tl::unexpected(ready.error());
    }
  }
}

}  // namespace vigie::agent
