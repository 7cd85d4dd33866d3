#include "agent/tls_session.h"

#include <arpa/inet.h>
#include <mbedtls/ctr_drbg.h>
#include <mbedtls/entropy.h>
#include <mbedtls/error.h>
#include <mbedtls/net_sockets.h>  // its error codes only
#include <mbedtls/ssl.h>
#include <mbedtls/x509_crt.h>
#include <poll.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstring>

#include <fmt/format.h>

namespace vigie::agent {
namespace {

// Debian's CA bundle (ca-certificates), the file GnuTLS's system trust
// reads on Debian.
constexpr char kSystemCaBundle[] = "/etc/ssl/certs/ca-certificates.crt";

std::string MbedTlsError(int code) {
  char text[160];
  mbedtls_strerror(code, text, sizeof text);
  return text;
}

// The socket callbacks: the socket is non-blocking; MSG_NOSIGNAL keeps a
// peer's reset from raising SIGPIPE (mbedTLS's own net_send uses write).
int SendToSocket(void* context, const unsigned char* data, size_t size) {
  const int fd = *static_cast<const int*>(context);
  const ssize_t n = send(fd, data, size, MSG_NOSIGNAL);
  if (n >= 0) return static_cast<int>(n);
  if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) return MBEDTLS_ERR_SSL_WANT_WRITE;
  return MBEDTLS_ERR_NET_SEND_FAILED;
}

// 0 at the end of the stream: mbedTLS then returns MBEDTLS_ERR_SSL_CONN_EOF.
int ReceiveFromSocket(void* context, unsigned char* buffer, size_t size) {
  const int fd = *static_cast<const int*>(context);
  const ssize_t n = recv(fd, buffer, size, 0);
  if (n >= 0) return static_cast<int>(n);
  if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) return MBEDTLS_ERR_SSL_WANT_READ;
  return MBEDTLS_ERR_NET_RECV_FAILED;
}

// The URL's host as an IP address, in network byte order (4 or 16 bytes);
// empty for a DNS name.
std::string IpAddressBytes(const std::string& host) {
  unsigned char address[16];
  if (inet_pton(AF_INET, host.c_str(), address) == 1) return std::string(reinterpret_cast<char*>(address), 4);
  if (inet_pton(AF_INET6, host.c_str(), address) == 1) return std::string(reinterpret_cast<char*>(address), 16);
  return {};
}

// iPAddress is GeneralName's [7] IMPLICIT OCTET STRING (RFC 5280, section
// 4.2.1.6): 4 bytes for IPv4, 16 for IPv6. mbedTLS keeps every SAN entry's
// raw value with its tag in subject_alt_names.
constexpr unsigned char kSanIpAddressTag = MBEDTLS_ASN1_CONTEXT_SPECIFIC | 7;

bool CertificateNamesIpAddress(const mbedtls_x509_crt& certificate, const std::string& address) {
  for (const mbedtls_x509_sequence* san = &certificate.subject_alt_names; san != nullptr; san = san->next) {
    if (san->buf.tag == kSanIpAddressTag && san->buf.len == address.size() &&
        std::memcmp(san->buf.p, address.data(), address.size()) == 0) {
      return true;
    }
  }
  return false;
}

// Verify callback for IP hosts: flags the server's certificate (depth 0)
// when no IP SAN names the address, as mbedTLS does for a DNS name.
int CheckIpAddress(void* address, mbedtls_x509_crt* certificate, int depth, uint32_t* flags) {
  if (depth == 0 && !CertificateNamesIpAddress(*certificate, *static_cast<const std::string*>(address))) {
    *flags |= MBEDTLS_X509_BADCERT_CN_MISMATCH;
  }
  return 0;
}

// Why a certificate was refused, from mbedtls_ssl_get_verify_result's flags.
std::string DescribeVerifyFlags(uint32_t flags, const std::string& host, const std::string& cas) {
  std::string reasons;
  const auto add = [&](uint32_t flag, std::string text) {
    if ((flags & flag) == 0) return;
    if (!reasons.empty()) reasons += "; ";
    reasons += text;
  };
  add(MBEDTLS_X509_BADCERT_NOT_TRUSTED, "not issued by a CA of " + cas);
  add(MBEDTLS_X509_BADCERT_CN_MISMATCH, "not issued for " + host);
  add(MBEDTLS_X509_BADCERT_EXPIRED, "expired");
  add(MBEDTLS_X509_BADCERT_FUTURE, "not valid yet");
  add(MBEDTLS_X509_BADCERT_REVOKED, "revoked");
  add(MBEDTLS_X509_BADCERT_BAD_MD | MBEDTLS_X509_BADCERT_BAD_PK | MBEDTLS_X509_BADCERT_BAD_KEY,
      "signed with an insecure algorithm or key");
  add(MBEDTLS_X509_BADCERT_KEY_USAGE | MBEDTLS_X509_BADCERT_EXT_KEY_USAGE, "not for a TLS server");
  if (reasons.empty()) reasons = fmt::format("refused (mbedTLS flags 0x{:x})", flags);
  return reasons;
}

}  // namespace

struct TlsCredentials::State {
  State() {
    mbedtls_x509_crt_init(&cas);
    mbedtls_entropy_init(&entropy);
    mbedtls_ctr_drbg_init(&random);
    mbedtls_ssl_config_init(&config);
  }
  ~State() {
    mbedtls_ssl_config_free(&config);
    mbedtls_ctr_drbg_free(&random);
    mbedtls_entropy_free(&entropy);
    mbedtls_x509_crt_free(&cas);
  }
  mbedtls_x509_crt cas;
  mbedtls_entropy_context entropy;  // getrandom(2)
  mbedtls_ctr_drbg_context random;
  mbedtls_ssl_config config;
};

struct TlsSession::State {
  State() { mbedtls_ssl_init(&ssl); }
  ~State() { mbedtls_ssl_free(&ssl); }
  mbedtls_ssl_context ssl;
  int fd = -1;            // the callbacks' context
  std::string ip_address;  // the host's address bytes, for CheckIpAddress; empty for a DNS name
};

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

TlsCredentials::TlsCredentials() : state_(std::make_unique<State>()) {}
TlsCredentials::~TlsCredentials() = default;

Result<std::shared_ptr<TlsCredentials>> TlsCredentials::Load(const std::filesystem::path& ca_file) {
  std::shared_ptr<TlsCredentials> credentials(new TlsCredentials());
  State& state = *credentials->state_;
  credentials->ca_description_ = ca_file.empty() ? "the system's CA store" : ca_file.string();
  const std::string path = ca_file.empty() ? kSystemCaBundle : ca_file.string();
  // A positive result counts the certificates that did not parse; the
  // others are kept, as GnuTLS did.
  const int failed = mbedtls_x509_crt_parse_file(&state.cas, path.c_str());
  if (failed < 0) {
    return Fail(ErrorCode::kMalformed,
                fmt::format("cannot read the CAs of {}: {}", credentials->ca_description_, MbedTlsError(failed)));
  }
  if (state.cas.version == 0) {  // the chain's first certificate was never filled in
    return Fail(ErrorCode::kMalformed, fmt::format("{} holds no CA certificate", credentials->ca_description_));
  }
  if (int rc = mbedtls_ctr_drbg_seed(&state.random, mbedtls_entropy_func, &state.entropy, nullptr, 0); rc != 0) {
    return Fail(ErrorCode::kUnavailable, fmt::format("TLS: cannot seed the random generator: {}", MbedTlsError(rc)));
  }
  if (int rc = mbedtls_ssl_config_defaults(&state.config, MBEDTLS_SSL_IS_CLIENT, MBEDTLS_SSL_TRANSPORT_STREAM,
                                           MBEDTLS_SSL_PRESET_DEFAULT);
      rc != 0) {
    return Fail(ErrorCode::kUnavailable, fmt::format("TLS: {}", MbedTlsError(rc)));
  }
  // TLS 1.0 and 1.1 are deprecated (RFC 8996); the collector speaks 1.2 and 1.3.
  mbedtls_ssl_conf_min_version(&state.config, MBEDTLS_SSL_MAJOR_VERSION_3, MBEDTLS_SSL_MINOR_VERSION_3);
  mbedtls_ssl_conf_authmode(&state.config, MBEDTLS_SSL_VERIFY_REQUIRED);
  mbedtls_ssl_conf_ca_chain(&state.config, &state.cas, nullptr);
  mbedtls_ssl_conf_rng(&state.config, mbedtls_ctr_drbg_random, &state.random);
  return credentials;
}

TlsSession::TlsSession() : state_(std::make_unique<State>()) {}

Result<std::unique_ptr<TlsSession>> TlsSession::Handshake(std::shared_ptr<const TlsCredentials> credentials, int fd,
                                                          const std::string& host, Deadline deadline) {
  std::unique_ptr<TlsSession> tls(new TlsSession());
  tls->credentials_ = std::move(credentials);
  State& state = *tls->state_;
  state.fd = fd;
  mbedtls_ssl_context* ssl = &state.ssl;
  int rc = mbedtls_ssl_setup(ssl, &tls->credentials_->state_->config);
  if (rc != 0) return Fail(ErrorCode::kUnavailable, fmt::format("TLS: {}", MbedTlsError(rc)));
  state.ip_address = IpAddressBytes(host);
  if (state.ip_address.empty()) {
    // The name the certificate must carry, and the SNI (RFC 6066, section
    // 3: DNS names only, never an IP literal).
    rc = mbedtls_ssl_set_hostname(ssl, host.c_str());
    if (rc != 0) return Fail(ErrorCode::kUnavailable, fmt::format("TLS: {}", MbedTlsError(rc)));
  } else {
    mbedtls_ssl_set_verify(ssl, &CheckIpAddress, &state.ip_address);
  }
  mbedtls_ssl_set_bio(ssl, &state.fd, &SendToSocket, &ReceiveFromSocket, nullptr);
  while ((rc = mbedtls_ssl_handshake(ssl)) != 0) {
    if (rc == MBEDTLS_ERR_X509_CERT_VERIFY_FAILED) {
      return Fail(ErrorCode::kPermissionDenied,
                  fmt::format("TLS: the server's certificate is {}",
                              DescribeVerifyFlags(mbedtls_ssl_get_verify_result(ssl), host,
                                                  tls->credentials_->ca_description_)));
    }
    if (rc != MBEDTLS_ERR_SSL_WANT_READ && rc != MBEDTLS_ERR_SSL_WANT_WRITE) {
      return Fail(ErrorCode::kUnavailable, fmt::format("TLS handshake: {}", MbedTlsError(rc)));
    }
    const short events = rc == MBEDTLS_ERR_SSL_WANT_WRITE ? POLLOUT : POLLIN;
    if (Result<void> ready = WaitForFd(fd, events, deadline, "TLS handshake"); !ready) {
      return tl::unexpected(ready.error());
    }
  }
  return tls;
}

TlsSession::~TlsSession() {
  mbedtls_ssl_close_notify(&state_->ssl);  // non-blocking: at most one try
}

Result<void> TlsSession::SendAll(std::string_view data, Deadline deadline) {
  size_t sent = 0;
  while (sent < data.size()) {
    const int n = mbedtls_ssl_write(&state_->ssl, reinterpret_cast<const unsigned char*>(data.data()) + sent,
                                    data.size() - sent);
    if (n >= 0) {
      sent += static_cast<size_t>(n);
      continue;
    }
    if (n != MBEDTLS_ERR_SSL_WANT_READ && n != MBEDTLS_ERR_SSL_WANT_WRITE) {
      return Fail(ErrorCode::kIo, fmt::format("TLS send: {}", MbedTlsError(n)));
    }
    const short events = n == MBEDTLS_ERR_SSL_WANT_READ ? POLLIN : POLLOUT;
    if (Result<void> ready = WaitForFd(state_->fd, events, deadline, "send"); !ready) return ready;
  }
  return {};
}

Result<size_t> TlsSession::Receive(char* buffer, size_t size, Deadline deadline) {
  while (true) {
    const int n = mbedtls_ssl_read(&state_->ssl, reinterpret_cast<unsigned char*>(buffer), size);
    if (n >= 0) return static_cast<size_t>(n);
    // A server that closes without close_notify ends the stream all the same.
    // Only an answer framed by the end of the connection could be cut
    // unnoticed this way: a cut PushAck does not parse, and the push is retried.
    if (n == MBEDTLS_ERR_SSL_PEER_CLOSE_NOTIFY || n == MBEDTLS_ERR_SSL_CONN_EOF) return 0;
    if (n != MBEDTLS_ERR_SSL_WANT_READ && n != MBEDTLS_ERR_SSL_WANT_WRITE) {
      return Fail(ErrorCode::kIo, fmt::format("TLS receive: {}", MbedTlsError(n)));
    }
    const short events = n == MBEDTLS_ERR_SSL_WANT_WRITE ? POLLOUT : POLLIN;
    if (Result<void> ready = WaitForFd(state_->fd, events, deadline, "receive"); !ready) {
      return tl::unexpected(ready.error());
    }
  }
}

}  // namespace vigie::agent
