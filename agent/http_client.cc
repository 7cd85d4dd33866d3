#include "agent/http_client.h"

#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <optional>
#include <utility>

#include <fmt/format.h>

#include "agent/tls_session.h"

namespace vigie::agent {
namespace {

// A PushAck is a few bytes, an error text a few hundred: anything longer is
// not from a Vigie collector.
constexpr size_t kMaxBodyBytes = 64 * 1024;
constexpr size_t kMaxHeadBytes = 16 * 1024;

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
         });
}

std::string_view Trim(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
  return text;
}

// Whether a comma-separated header value (Connection, Transfer-Encoding)
// lists `token`, and whether it is the last one.
bool ListsToken(std::string_view value, std::string_view token, bool last_only) {
  bool found = false;
  while (true) {
    const size_t comma = value.find(',');
    found = EqualsIgnoreCase(Trim(value.substr(0, comma)), token) || (found && !last_only);
    if (comma == std::string_view::npos) return found;
    value.remove_prefix(comma + 1);
  }
}

// The head of a response: status line and the headers the client acts on.
struct ResponseHead {
  int status = 0;
  bool http10 = false;
  bool chunked = false;
  bool close = false;
  std::optional<size_t> content_length;
  std::string content_type;  // for what a person reads in a log
};

Result<ResponseHead> ParseHead(std::string_view head) {
  ResponseHead parsed;
  size_t end = head.find("\r\n");
  const std::string_view status_line = head.substr(0, end);
  // RFC 9112, section 4: HTTP-version SP 3DIGIT SP [reason-phrase]
  if (status_line.size() < 12 || !status_line.starts_with("HTTP/1.") || status_line[8] != ' ') {
    return Fail(ErrorCode::kMalformed, fmt::format("not an HTTP/1.x answer: '{}'", status_line.substr(0, 40)));
  }
  parsed.http10 = status_line[7] == '0';
  const auto [ptr, ec] = std::from_chars(status_line.data() + 9, status_line.data() + 12, parsed.status);
  if (ec != std::errc() || ptr != status_line.data() + 12 || parsed.status < 100 || parsed.status > 599) {
    return Fail(ErrorCode::kMalformed, fmt::format("bad status line '{}'", status_line.substr(0, 40)));
  }
  bool keep_alive = false;
  while (end != std::string_view::npos && end + 2 < head.size()) {
    const size_t start = end + 2;
    end = head.find("\r\n", start);
    const std::string_view line = head.substr(start, end - start);
    const size_t colon = line.find(':');
    if (colon == std::string_view::npos) continue;
    const std::string_view name = line.substr(0, colon);
    const std::string_view value = Trim(line.substr(colon + 1));
    if (EqualsIgnoreCase(name, "Content-Length")) {
      size_t length = 0;
      const auto [p, e] = std::from_chars(value.data(), value.data() + value.size(), length);
      if (e != std::errc() || p != value.data() + value.size()) {
        return Fail(ErrorCode::kMalformed, fmt::format("bad Content-Length '{}'", value));
      }
      parsed.content_length = length;
    } else if (EqualsIgnoreCase(name, "Content-Type")) {
      parsed.content_type = value.substr(0, 100);
    } else if (EqualsIgnoreCase(name, "Transfer-Encoding")) {
      parsed.chunked = ListsToken(value, "chunked", /*last_only=*/true);
    } else if (EqualsIgnoreCase(name, "Connection")) {
      parsed.close = parsed.close || ListsToken(value, "close", false);
      keep_alive = keep_alive || ListsToken(value, "keep-alive", false);
    }
  }
  if (parsed.http10 && !keep_alive) parsed.close = true;
  return parsed;
}

Error ErrnoError(std::string_view what) {
  const int err = errno;
  return Error{ErrorCodeFromErrno(err), fmt::format("{}: {}", what, std::strerror(err))};
}

}  // namespace

Result<HttpUrl> ParseHttpUrl(std::string_view url) {
  HttpUrl parsed;
  std::string_view rest;
  if (url.starts_with("http://")) {
    rest = url.substr(7);
    parsed.port = 80;
  } else if (url.starts_with("https://")) {
    rest = url.substr(8);
    parsed.tls = true;
    parsed.port = 443;
  } else {
    return Fail(ErrorCode::kMalformed, fmt::format("'{}': the URL must start with http:// or https://", url));
  }
  const size_t slash = rest.find('/');
  std::string_view authority = rest.substr(0, slash);
  std::string_view path = slash == std::string_view::npos ? std::string_view() : rest.substr(slash);
  if (authority.find('@') != std::string_view::npos || path.find_first_of("?#") != std::string_view::npos) {
    return Fail(ErrorCode::kMalformed, fmt::format("'{}': user names, queries and fragments are not supported", url));
  }
  std::string_view port;
  if (authority.starts_with("[")) {
    const size_t close = authority.find(']');
    if (close == std::string_view::npos) return Fail(ErrorCode::kMalformed, fmt::format("'{}': unclosed '['", url));
    parsed.host = authority.substr(1, close - 1);
    if (close + 1 < authority.size()) {
      if (authority[close + 1] != ':') return Fail(ErrorCode::kMalformed, fmt::format("'{}': bad host", url));
      port = authority.substr(close + 2);
    }
  } else {
    const size_t colon = authority.find(':');
    parsed.host = authority.substr(0, colon);
    if (colon != std::string_view::npos) port = authority.substr(colon + 1);
  }
  if (parsed.host.empty()) return Fail(ErrorCode::kMalformed, fmt::format("'{}': no host", url));
  if (!port.empty() || authority.ends_with(":")) {
    unsigned value = 0;
    const auto [ptr, ec] = std::from_chars(port.data(), port.data() + port.size(), value);
    if (port.empty() || ec != std::errc() || ptr != port.data() + port.size() || value == 0 || value > 65535) {
      return Fail(ErrorCode::kMalformed, fmt::format("'{}': bad port '{}'", url, port));
    }
    parsed.port = static_cast<uint16_t>(value);
  }
  while (path.ends_with("/")) path.remove_suffix(1);
  parsed.path = path;
  return parsed;
}

Result<HttpClient> HttpClient::Create(HttpClientOptions options) {
  Result<HttpUrl> url = ParseHttpUrl(options.base_url);
  if (!url) return tl::unexpected(url.error());
  HttpClient client;
  if (url->tls) {
    Result<std::shared_ptr<TlsCredentials>> credentials = TlsCredentials::Load(options.ca_file);
    if (!credentials) return tl::unexpected(credentials.error());
    client.credentials_ = std::move(*credentials);
  }
  client.options_ = std::move(options);
  client.url_ = std::move(*url);
  return client;
}

HttpClient::HttpClient(HttpClient&& other) noexcept { *this = std::move(other); }

HttpClient& HttpClient::operator=(HttpClient&& other) noexcept {
  if (this != &other) {
    Close();
    options_ = std::move(other.options_);
    url_ = std::move(other.url_);
    credentials_ = std::move(other.credentials_);
    tls_ = std::move(other.tls_);
    fd_ = std::exchange(other.fd_, -1);
    peer_closed_ = other.peer_closed_;
    in_ = std::move(other.in_);
  }
  return *this;
}

HttpClient::~HttpClient() { Close(); }

void HttpClient::Close() {
  tls_.reset();  // before the socket: it may still say close_notify
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
  peer_closed_ = false;
  in_.clear();
}

std::string HttpClient::Where() const {
  return url_.host.find(':') == std::string::npos ? fmt::format("{}:{}", url_.host, url_.port)
                                                   : fmt::format("[{}]:{}", url_.host, url_.port);
}

bool HttpClient::IdleConnectionUsable() {
  // Between requests the server has nothing to say: anything readable is its
  // close (or a close_notify), so the connection is done.
  pollfd pfd{fd_, POLLIN, 0};
  return poll(&pfd, 1, 0) == 0;
}

Result<void> HttpClient::Connect(Clock::time_point deadline) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_ADDRCONFIG;
  addrinfo* found = nullptr;
  const int gai = getaddrinfo(url_.host.c_str(), std::to_string(url_.port).c_str(), &hints, &found);
  if (gai != 0) {
    return Fail(ErrorCode::kUnavailable,
                fmt::format("resolve {}: {}", url_.host, gai == EAI_SYSTEM ? std::strerror(errno) : gai_strerror(gai)));
  }
  std::unique_ptr<addrinfo, decltype(&freeaddrinfo)> addresses(found, &freeaddrinfo);
  Error last{ErrorCode::kUnavailable, fmt::format("connect to {}: no address", Where())};
  for (const addrinfo* address = found; address != nullptr; address = address->ai_next) {
    const int fd = socket(address->ai_family, address->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, address->ai_protocol);
    if (fd < 0) {
      last = ErrnoError("socket");
      continue;
    }
    const int on = 1;
    setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &on, sizeof on);
    // The head and the body go out as two writes; without this the body's
    // last segment would wait for the head's delayed ACK.
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof on);
    Result<void> connected;
    if (connect(fd, address->ai_addr, address->ai_addrlen) != 0) {
      if (errno != EINPROGRESS) {
        connected = tl::unexpected(ErrnoError(fmt::format("connect to {}", Where())));
      } else if (connected = WaitForFd(fd, POLLOUT, deadline, fmt::format("connect to {}", Where())); connected) {
        int error = 0;
        socklen_t size = sizeof error;
        getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &size);
        if (error != 0) {
          errno = error;
          connected = tl::unexpected(ErrnoError(fmt::format("connect to {}", Where())));
        }
      }
    }
    if (!connected) {
      ::close(fd);
      last = connected.error();
      if (Clock::now() >= deadline) break;
      continue;
    }
    fd_ = fd;
    if (url_.tls) {
      Result<std::unique_ptr<TlsSession>> tls = TlsSession::Handshake(credentials_, fd_, url_.host, deadline);
      if (!tls) {
        Close();
        return Fail(tls.error().code, fmt::format("{}: {}", Where(), tls.error().message));
      }
      tls_ = std::move(*tls);
    }
    return {};
  }
  return tl::unexpected(last);
}

Result<void> HttpClient::SendAll(std::string_view data, Clock::time_point deadline) {
  if (tls_) return tls_->SendAll(data, deadline);
  size_t sent = 0;
  while (sent < data.size()) {
    const ssize_t n = send(fd_, data.data() + sent, data.size() - sent, MSG_NOSIGNAL);
    if (n >= 0) {
      sent += static_cast<size_t>(n);
    } else if (errno == EAGAIN || errno == EWOULDBLOCK) {
      if (Result<void> ready = WaitForFd(fd_, POLLOUT, deadline, "send"); !ready) return ready;
    } else if (errno != EINTR) {
      return tl::unexpected(ErrnoError("send"));
    }
  }
  return {};
}

Result<void> HttpClient::ReceiveMore(Clock::time_point deadline) {
  if (peer_closed_) return Fail(ErrorCode::kIo, "the server closed the connection");
  char buffer[16 * 1024];
  size_t received = 0;
  if (tls_) {
    Result<size_t> n = tls_->Receive(buffer, sizeof buffer, deadline);
    if (!n) return tl::unexpected(n.error());
    received = *n;
  } else {
    while (true) {
      const ssize_t n = recv(fd_, buffer, sizeof buffer, 0);
      if (n >= 0) {
        received = static_cast<size_t>(n);
        break;
      }
      if (errno == EAGAIN || errno == EWOULDBLOCK) {
        if (Result<void> ready = WaitForFd(fd_, POLLIN, deadline, "receive"); !ready) return ready;
      } else if (errno != EINTR) {
        return tl::unexpected(ErrnoError("receive"));
      }
    }
  }
  if (received == 0) {
    peer_closed_ = true;
    return Fail(ErrorCode::kIo, "the server closed the connection");
  }
  in_.append(buffer, received);
  return {};
}

Result<HttpResponse> HttpClient::ReadResponse(Clock::time_point deadline, bool& answered) {
  const auto too_long = [] { return Fail(ErrorCode::kMalformed, "the answer's body is over 64 KiB"); };
  ResponseHead head;
  do {  // 1xx answers are interim (RFC 9110, section 15.2): the final one follows
    size_t head_end;
    while ((head_end = in_.find("\r\n\r\n")) == std::string::npos) {
      if (in_.size() > kMaxHeadBytes) return Fail(ErrorCode::kMalformed, "the answer's head is over 16 KiB");
      if (Result<void> more = ReceiveMore(deadline); !more) return tl::unexpected(more.error());
      answered = true;
    }
    Result<ResponseHead> parsed = ParseHead(std::string_view(in_).substr(0, head_end + 2));
    if (!parsed) return tl::unexpected(parsed.error());
    head = *parsed;
    in_.erase(0, head_end + 4);
  } while (head.status < 200);

  HttpResponse response;
  response.status = head.status;
  response.content_type = std::move(head.content_type);
  if (head.status == 204 || head.status == 304) {
    // No body, whatever the headers say (RFC 9112, section 6.3).
  } else if (head.chunked) {
    // RFC 9112, section 7.1: chunk-size [ext] CRLF data CRLF ... 0 CRLF trailers CRLF
    while (true) {
      size_t line_end;
      while ((line_end = in_.find("\r\n")) == std::string::npos) {
        if (in_.size() > kMaxHeadBytes) return Fail(ErrorCode::kMalformed, "bad chunk header");
        if (Result<void> more = ReceiveMore(deadline); !more) return tl::unexpected(more.error());
      }
      size_t size = 0;
      const auto [ptr, ec] = std::from_chars(in_.data(), in_.data() + line_end, size, 16);
      if (ec != std::errc() || ptr == in_.data()) return Fail(ErrorCode::kMalformed, "bad chunk size");
      if (size > kMaxBodyBytes - response.body.size()) return too_long();
      if (size == 0) {
        // The trailer section ends with an empty line.
        size_t trailers_end;
        while ((trailers_end = in_.find("\r\n\r\n", line_end)) == std::string::npos) {
          if (in_.size() > line_end + kMaxHeadBytes) return Fail(ErrorCode::kMalformed, "trailers over 16 KiB");
          if (Result<void> more = ReceiveMore(deadline); !more) return tl::unexpected(more.error());
        }
        in_.erase(0, trailers_end + 4);
        break;
      }
      while (in_.size() < line_end + 2 + size + 2) {
        if (Result<void> more = ReceiveMore(deadline); !more) return tl::unexpected(more.error());
      }
      if (in_.compare(line_end + 2 + size, 2, "\r\n") != 0) return Fail(ErrorCode::kMalformed, "bad chunk end");
      response.body.append(in_, line_end + 2, size);
      in_.erase(0, line_end + 2 + size + 2);
    }
  } else if (head.content_length) {
    if (*head.content_length > kMaxBodyBytes) return too_long();
    while (in_.size() < *head.content_length) {
      if (Result<void> more = ReceiveMore(deadline); !more) return tl::unexpected(more.error());
    }
    response.body = in_.substr(0, *head.content_length);
    in_.erase(0, *head.content_length);
  } else {
    // Framed by the end of the connection (RFC 9112, section 6.3, item 8).
    while (!peer_closed_) {
      if (in_.size() > kMaxBodyBytes) return too_long();
      if (Result<void> more = ReceiveMore(deadline); !more && !peer_closed_) return tl::unexpected(more.error());
    }
    if (in_.size() > kMaxBodyBytes) return too_long();
    response.body = std::move(in_);
    head.close = true;
  }
  if (head.close || !in_.empty()) Close();  // bytes after the answer: the stream is out of step
  return response;
}

Result<HttpResponse> HttpClient::Attempt(const std::string& request, std::string_view body,
                                         Clock::time_point deadline, bool& answered) {
  if (Result<void> sent = SendAll(request, deadline); !sent) return tl::unexpected(sent.error());
  if (Result<void> sent = SendAll(body, deadline); !sent) return tl::unexpected(sent.error());
  return ReadResponse(deadline, answered);
}

Result<HttpResponse> HttpClient::Post(std::string_view path, std::string_view content_type, std::string_view body) {
  const Clock::time_point deadline = Clock::now() + options_.timeout;
  const bool default_port = url_.port == (url_.tls ? 443 : 80);
  const std::string host = url_.host.find(':') == std::string::npos ? url_.host : "[" + url_.host + "]";
  std::string request = fmt::format("POST {}{} HTTP/1.1\r\nHost: {}{}\r\nContent-Type: {}\r\nContent-Length: {}\r\n",
                                    url_.path, path, host, default_port ? "" : fmt::format(":{}", url_.port),
                                    content_type, body.size());
  for (const std::string& header : options_.headers) request += header + "\r\n";
  request += "\r\n";

  for (int attempt = 0;; ++attempt) {
    if (fd_ >= 0 && !IdleConnectionUsable()) Close();
    const bool reused = fd_ >= 0;
    if (fd_ < 0) {
      if (Result<void> connected = Connect(deadline); !connected) return tl::unexpected(connected.error());
    }
    bool answered = false;
    Result<HttpResponse> response = Attempt(request, body, deadline, answered);
    if (response) return response;
    Close();
    // A kept-alive connection the server dropped just as we reused it: once
    // more on a new one, unless the server had started answering.
    if (!reused || answered || attempt > 0 || Clock::now() >= deadline) {
      return Fail(response.error().code, fmt::format("{}: {}", Where(), response.error().message));
    }
  }
}

}  // namespace vigie::agent
