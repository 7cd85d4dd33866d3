// The collector's HTTP front: libmicrohttpd with epoll and a small thread
// pool, a body limit, and timeouts against slow or stalled clients.
// Connections are bounded as a whole (below the process's open-file limit,
// which Start raises to its hard limit if need be) and per address, and a
// request's headers must arrive within a deadline (ConnectionGuard). A
// request can be answered from its headers alone (HttpServerOptions::
// answer_early), its body never held nor handled.
//
//   POST /v1/push   -> Ingest::HandlePush
//   GET  /metrics   -> RenderMetrics
//   GET  /healthz   -> "ok"
//
// Start() binds and serves from MHD's own threads; the destructor stops it.
// A deferred answer (HttpResponse::deferred) holds no thread: its connection
// is suspended (MHD_suspend_connection) until the work calls ready(), then
// resumed and answered. So is a streamed body (/metrics) while its next bytes
// are not ready. The destructor first waits until every deferred answer was
// sent or its client went away and every suspended stream was resumed (MHD
// must not be stopped with a suspended connection); from then it answers a
// new deferred request 503 without starting it, and a stream waits for its
// bytes on the thread.
#pragma once

#include <microhttpd.h>

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "collector/connection_guard.h"
#include "collector/http_types.h"
#include "common/result.h"

namespace vigie::collector {

struct HttpRequest {
  std::string_view method;
  std::string_view path;
  std::string_view authorization;
  std::string_view body;
  // The URL's query arguments, decoded.
  std::map<std::string, std::string> query = {};
};

using HttpHandler = std::function<HttpResponse(const HttpRequest&)>;
// Called with a request whose body has not been read (`body` empty): an
// answer, or nullopt to read the body and call the handler. The body of a
// request so answered is received and dropped (within max_body_bytes and
// the body deadline) and never given to the handler.
using EarlyAnswer = std::function<std::optional<HttpResponse>(const HttpRequest&)>;

struct HttpServerOptions {
  std::string host = "127.0.0.1";
  uint16_t port = 9470;  // 0: the kernel picks one; see HttpServer::port()
  size_t max_body_bytes = 1 << 20;
  unsigned threads = 2;
  // Idle time after which a connection is closed; a request that takes more
  // than twice this from its headers to its last body byte is dropped too
  // (a client trickling a byte at a time is not idle).
  unsigned connection_timeout_seconds = 30;
  // Connections from one address at once (a home's nodes share its address).
  unsigned max_connections_per_address = 64;
  // All connections at once; lowered to fit the open-file limit.
  unsigned max_connections = 2048;
  // From a connection's opening, or its previous answer, to the end of its
  // next request's headers.
  std::chrono::milliseconds header_timeout{10'000};
  EarlyAnswer answer_early = {};
  // PEM certificate chain and key: HTTPS (GnuTLS inside libmicrohttpd).
  // Both empty: plain HTTP.
  std::string tls_cert_pem;
  std::string tls_key_pem;
};

class HttpServer {
 public:
  HttpServer(HttpServerOptions options, HttpHandler handler);
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  Result<void> Start();
  // The bound port (the chosen one when options.port was 0).
  uint16_t port() const { return port_; }
  // Valid after Start(): the connections, their limit and refusals.
  const ConnectionGuard& connections() const { return *guard_; }

 private:
  static MHD_Result OnRequest(void* self, MHD_Connection* connection, const char* url, const char* method,
                              const char* version, const char* upload_data, size_t* upload_data_size,
                              void** request_state);
  static void OnCompleted(void* self, MHD_Connection* connection, void** request_state,
                          MHD_RequestTerminationCode code);
  static MHD_Result OnAccept(void* self, const sockaddr* address, socklen_t length);
  static void OnConnection(void* self, MHD_Connection* connection, void** socket_context,
                           MHD_ConnectionNotificationCode code);

  MHD_Result Send(MHD_Connection* connection, HttpResponse response);
  MHD_Response* StreamedResponse(MHD_Connection* connection, std::shared_ptr<BodyStream> stream);
  // Counts a suspension in, unless the server is stopping (false); a
  // deferred request is released when it completes, a stream when resumed.
  bool AdmitSuspension();
  void ReleaseSuspension();

  HttpServerOptions options_;
  HttpHandler handler_;
  std::unique_ptr<ConnectionGuard> guard_;
  MHD_Daemon* daemon_ = nullptr;
  uint16_t port_ = 0;
  std::mutex suspended_mutex_;
  std::condition_variable all_resumed_;
  size_t suspended_ = 0;  // admitted and not yet released
  bool stopping_ = false;
  // Cuts the connections past their header deadline; stopped before MHD.
  std::jthread header_deadlines_;
};

}  // namespace vigie::collector
