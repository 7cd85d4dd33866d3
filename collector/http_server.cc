#include "collector/http_server.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <sys/resource.h>
#include <sys/socket.h>

#include <algorithm>
#include <charconv>
#include <chrono>
#include <condition_variable>
#include <cstring>
#include <optional>

#include <fmt/format.h>

#include "common/log.h"

namespace vigie::collector {
namespace {

// Per-request state between MHD's calls: the body as it arrives, then the
// deferred answer while the connection is suspended.
struct RequestState {
  std::string body;
  bool too_large = false;
  // An answer given from the headers: the body is read and dropped, not
  // kept, then this is sent. (Sent at once, it would have the connection
  // closed on a body still arriving, and the client might see a reset
  // instead of the answer.)
  std::optional<HttpResponse> early;
  size_t dropped_bytes = 0;
  std::shared_ptr<DeferredResponse> deferred;
  std::chrono::steady_clock::time_point started = std::chrono::steady_clock::now();
};

// The body moves to the heap and MHD frees it when the response is done,
// without a copy.
MHD_Response* BufferedResponse(std::string text) {
  auto* body = new std::string(std::move(text));
  MHD_Response* response = MHD_create_response_from_buffer_with_free_callback_cls(
      body->size(), body->data(), [](void* owned) { delete static_cast<std::string*>(owned); }, body);
  if (response == nullptr) delete body;
  return response;
}

std::string_view Header(MHD_Connection* connection, const char* name) {
  const char* value = MHD_lookup_connection_value(connection, MHD_HEADER_KIND, name);
  return value != nullptr ? std::string_view(value) : std::string_view();
}

ConnectionGuard::Connection* GuardedConnection(MHD_Connection* connection) {
  const MHD_ConnectionInfo* info = MHD_get_connection_info(connection, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
  return info != nullptr ? static_cast<ConnectionGuard::Connection*>(info->socket_context) : nullptr;
}

// Descriptors kept for all but the connections: the store and its WAL, the
// alerting's database, notifier and remote_write sockets, MHD's own epoll
// and wake-up descriptors, logs.
constexpr size_t kFilesBesideConnections = 128;

// `wanted`, or fewer so that the connections leave kFilesBesideConnections
// under the open-file limit; raises that limit's soft value towards its hard
// one first. Past the limit, accept() would fail and MHD stop accepting.
size_t ConnectionsWithinFileLimit(size_t wanted) {
  rlimit files{};
  if (getrlimit(RLIMIT_NOFILE, &files) != 0) return wanted;
  const rlim_t needed = wanted + kFilesBesideConnections;
  if (files.rlim_cur != RLIM_INFINITY && files.rlim_cur < needed) {
    rlimit raised = files;
    raised.rlim_cur = files.rlim_max == RLIM_INFINITY ? needed : std::min(needed, files.rlim_max);
    if (setrlimit(RLIMIT_NOFILE, &raised) == 0) files = raised;
  }
  if (files.rlim_cur == RLIM_INFINITY || files.rlim_cur >= needed) return wanted;
  const size_t fitting = files.rlim_cur > kFilesBesideConnections + 16 ? files.rlim_cur - kFilesBesideConnections : 16;
  LogWarning("max_connections lowered from {} to {}: the open-file limit is {} (raise LimitNOFILE=)", wanted,
             fitting, static_cast<uint64_t>(files.rlim_cur));
  return fitting;
}

}  // namespace

// A streamed body is read by MHD as the socket drains, 64 KiB at a time,
// in chunked transfer encoding; MHD drops the stream when it is done. When
// no byte is ready, the connection is suspended until there is one, so that
// a page being rendered holds no thread; a stopping server waits instead.
MHD_Response* HttpServer::StreamedResponse(MHD_Connection* connection, std::shared_ptr<BodyStream> stream) {
  struct Reader {
    std::shared_ptr<BodyStream> stream;
    MHD_Connection* connection;
    HttpServer* server;
  };
  auto* reader = new Reader{std::move(stream), connection, this};
  MHD_Response* response = MHD_create_response_from_callback(
      MHD_SIZE_UNKNOWN, 64 * 1024,
      [](void* cls, uint64_t, char* buffer, size_t max) -> ssize_t {
        Reader& reader = *static_cast<Reader*>(cls);
        const std::span<char> out(buffer, max);
        size_t n = reader.stream->TryRead(out);
        if (n == BodyStream::kNotReady) {
          if (reader.server->AdmitSuspension()) {
            // Suspended first, so that the wake-up cannot come before it.
            MHD_suspend_connection(reader.connection);
            reader.stream->WhenReady([connection = reader.connection, server = reader.server] {
              MHD_resume_connection(connection);
              server->ReleaseSuspension();
            });
            return 0;  // nothing now; MHD calls again once resumed
          }
          n = reader.stream->Read(out);
        }
        return n == 0 ? MHD_CONTENT_READER_END_OF_STREAM : static_cast<ssize_t>(n);
      },
      reader, [](void* cls) { delete static_cast<Reader*>(cls); });
  if (response == nullptr) delete reader;
  return response;
}

MHD_Result HttpServer::Send(MHD_Connection* connection, HttpResponse response) {
  MHD_Response* mhd_response = response.stream ? StreamedResponse(connection, std::move(response.stream))
                                               : BufferedResponse(std::move(response.body));
  if (mhd_response == nullptr) return MHD_NO;
  MHD_add_response_header(mhd_response, MHD_HTTP_HEADER_CONTENT_TYPE, response.content_type.c_str());
  for (const auto& [name, value] : response.headers) MHD_add_response_header(mhd_response, name.c_str(), value.c_str());
  const MHD_Result result = MHD_queue_response(connection, static_cast<unsigned>(response.status), mhd_response);
  MHD_destroy_response(mhd_response);
  return result;
}

HttpServer::HttpServer(HttpServerOptions options, HttpHandler handler)
    : options_(std::move(options)), handler_(std::move(handler)) {}

HttpServer::~HttpServer() {
  if (daemon_ == nullptr) return;
  {
    std::unique_lock lock(suspended_mutex_);
    stopping_ = true;
    all_resumed_.wait(lock, [&] { return suspended_ == 0; });
  }
  header_deadlines_ = {};  // joined: it cuts no socket of a stopped MHD
  MHD_stop_daemon(daemon_);
}

Result<void> HttpServer::Start() {
  addrinfo hints{};
  hints.ai_flags = AI_NUMERICHOST | AI_PASSIVE | AI_NUMERICSERV;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* found = nullptr;
  const std::string port_text = std::to_string(options_.port);
  if (const int rc = getaddrinfo(options_.host.c_str(), port_text.c_str(), &hints, &found); rc != 0) {
    return Fail(ErrorCode::kMalformed, fmt::format("listen address '{}': {}", options_.host, gai_strerror(rc)));
  }
  sockaddr_storage address{};
  std::memcpy(&address, found->ai_addr, found->ai_addrlen);
  const bool ipv6 = found->ai_family == AF_INET6;
  freeaddrinfo(found);

  guard_ = std::make_unique<ConnectionGuard>(ConnectionLimits{
      ConnectionsWithinFileLimit(options_.max_connections), options_.max_connections_per_address,
      options_.header_timeout});
  unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_ALLOW_SUSPEND_RESUME;
  if (ipv6) flags |= MHD_USE_IPv6;
  const bool tls = !options_.tls_cert_pem.empty();
  if (tls) flags |= MHD_USE_TLS;
  // With TLS off, the two key options are passed as MHD_OPTION_END pairs'
  // no-ops: MHD reads options until the first MHD_OPTION_END.
  // The per-address limit is the guard's, which counts its refusals.
  daemon_ = MHD_start_daemon(flags, options_.port, &HttpServer::OnAccept, this, &HttpServer::OnRequest, this,
                             MHD_OPTION_SOCK_ADDR, reinterpret_cast<sockaddr*>(&address),
                             MHD_OPTION_THREAD_POOL_SIZE, options_.threads,
                             MHD_OPTION_CONNECTION_TIMEOUT, options_.connection_timeout_seconds,
                             MHD_OPTION_NOTIFY_COMPLETED, &HttpServer::OnCompleted, this,
                             MHD_OPTION_LISTENING_ADDRESS_REUSE, 1U,
                             MHD_OPTION_CONNECTION_LIMIT, static_cast<unsigned>(guard_->max_connections()),
                             MHD_OPTION_NOTIFY_CONNECTION, &HttpServer::OnConnection, this,
                             tls ? MHD_OPTION_HTTPS_MEM_CERT : MHD_OPTION_END, options_.tls_cert_pem.c_str(),
                             MHD_OPTION_HTTPS_MEM_KEY, options_.tls_key_pem.c_str(), MHD_OPTION_END);
  if (daemon_ == nullptr) {
    return Fail(ErrorCode::kUnavailable,
                fmt::format("cannot listen on {}:{} (address in use, or not an address of this machine)",
                            options_.host, options_.port));
  }
  const MHD_DaemonInfo* info = MHD_get_daemon_info(daemon_, MHD_DAEMON_INFO_BIND_PORT);
  port_ = info != nullptr ? info->port : options_.port;
  header_deadlines_ = std::jthread([this](std::stop_token stop) {
    std::mutex mutex;
    std::condition_variable_any wake;
    std::unique_lock lock(mutex);
    while (!stop.stop_requested()) {
      const auto next = guard_->CutLate(ConnectionGuard::Clock::now());
      wake.wait_until(lock, stop, next, [] { return false; });
    }
  });
  return {};
}

MHD_Result HttpServer::OnAccept(void* self, const sockaddr* address, socklen_t) {
  return static_cast<HttpServer*>(self)->guard_->Admit(address) ? MHD_YES : MHD_NO;
}

void HttpServer::OnConnection(void* self, MHD_Connection* connection, void** socket_context,
                              MHD_ConnectionNotificationCode code) {
  ConnectionGuard& guard = *static_cast<HttpServer*>(self)->guard_;
  if (code == MHD_CONNECTION_NOTIFY_STARTED) {
    const MHD_ConnectionInfo* fd = MHD_get_connection_info(connection, MHD_CONNECTION_INFO_CONNECTION_FD);
    const MHD_ConnectionInfo* address = MHD_get_connection_info(connection, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    if (fd == nullptr) return;  // then never cut, but still closed by MHD's idle timeout
    *socket_context = guard.Opened(fd->connect_fd, address != nullptr ? address->client_addr : nullptr,
                                   ConnectionGuard::Clock::now());
  } else {
    guard.Closed(static_cast<ConnectionGuard::Connection*>(*socket_context));
    *socket_context = nullptr;
  }
}

MHD_Result HttpServer::OnRequest(void* self, MHD_Connection* connection, const char* url, const char* method,
                                 const char*, const char* upload_data, size_t* upload_data_size,
                                 void** request_state) {
  HttpServer& server = *static_cast<HttpServer*>(self);
  if (*request_state == nullptr) {
    // First call: headers only. Refuse an announced oversized body at once.
    server.guard_->HeadersReceived(GuardedConnection(connection));
    const std::string_view length = Header(connection, MHD_HTTP_HEADER_CONTENT_LENGTH);
    size_t announced = 0;
    std::from_chars(length.data(), length.data() + length.size(), announced);
    if (announced > server.options_.max_body_bytes) {
      return server.Send(connection, TextResponse(HttpStatus::kPayloadTooLarge,
                                           fmt::format("body over {} bytes", server.options_.max_body_bytes)));
    }
    auto* state = new RequestState();
    *request_state = state;
    if (server.options_.answer_early) {
      state->early = server.options_.answer_early(
          HttpRequest{method, url, Header(connection, MHD_HTTP_HEADER_AUTHORIZATION), {}});
    }
    return MHD_YES;
  }
  RequestState& state = *static_cast<RequestState*>(*request_state);
  // Called again after MHD_resume_connection: the deferred work is done.
  if (state.deferred) return server.Send(connection, state.deferred->Finish());
  if (*upload_data_size > 0) {
    if (std::chrono::steady_clock::now() - state.started >
        std::chrono::seconds(2 * server.options_.connection_timeout_seconds)) {
      ++server.guard_->counters().slow_bodies;
      return MHD_NO;  // closes the connection: a body this slow is an attack or a dead link
    }
    if (state.early) {
      state.dropped_bytes += *upload_data_size;
      state.too_large = state.dropped_bytes > server.options_.max_body_bytes;
    } else if (state.body.size() + *upload_data_size > server.options_.max_body_bytes) {
      state.too_large = true;
      state.body.clear();
    } else if (!state.too_large) {
      state.body.append(upload_data, *upload_data_size);
    }
    *upload_data_size = 0;
    return MHD_YES;
  }
  if (state.too_large) {
    return server.Send(connection, TextResponse(HttpStatus::kPayloadTooLarge,
                                         fmt::format("body over {} bytes", server.options_.max_body_bytes)));
  }
  if (state.early) return server.Send(connection, std::move(*state.early));
  HttpRequest request{method, url, Header(connection, MHD_HTTP_HEADER_AUTHORIZATION), state.body};
  MHD_get_connection_values(
      connection, MHD_GET_ARGUMENT_KIND,
      [](void* query, MHD_ValueKind, const char* key, const char* value) {
        static_cast<std::map<std::string, std::string>*>(query)->emplace(key, value != nullptr ? value : "");
        return MHD_YES;
      },
      &request.query);
  HttpResponse response = server.handler_(request);
  if (!response.deferred) return server.Send(connection, std::move(response));
  if (!server.AdmitSuspension()) {
    return server.Send(connection, TextResponse(HttpStatus::kServiceUnavailable, "the collector is stopping; retry"));
  }
  state.deferred = std::move(response.deferred);
  // Suspended before the work starts, so that ready() can never come first.
  MHD_suspend_connection(connection);
  state.deferred->Start([connection] { MHD_resume_connection(connection); });
  return MHD_YES;
}

bool HttpServer::AdmitSuspension() {
  std::lock_guard lock(suspended_mutex_);
  if (stopping_) return false;
  ++suspended_;
  return true;
}

void HttpServer::ReleaseSuspension() {
  std::lock_guard lock(suspended_mutex_);
  --suspended_;
  // Under the lock: the destructor may return as soon as it sees 0.
  all_resumed_.notify_all();
}

void HttpServer::OnCompleted(void* self, MHD_Connection* connection, void** request_state,
                             MHD_RequestTerminationCode) {
  // The connection's next request, if any, has its header deadline from now.
  static_cast<HttpServer*>(self)->guard_->AwaitHeaders(GuardedConnection(connection), ConnectionGuard::Clock::now());
  auto* state = static_cast<RequestState*>(*request_state);
  // A suspended connection is not processed, so a deferred request completes
  // only after its resume (answered, or its client gone).
  if (state != nullptr && state->deferred) static_cast<HttpServer*>(self)->ReleaseSuspension();
  delete state;
  *request_state = nullptr;
}

}  // namespace vigie::collector
