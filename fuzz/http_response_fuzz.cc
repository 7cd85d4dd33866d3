// The agent's HTTP/1.1 client (agent/http_client.h) reading a hostile
// answer: status line, headers, 1xx answers, Content-Length, chunked and
// close-delimited bodies. Its parser is private to http_client.cc and reads
// from a socket, so the target serves each input from a loopback server
// thread: the client POSTs, the server reads the request, writes the input
// as the whole answer and ends the stream. A success must carry a final
// status (200-599) and a body within the 64 KiB the header promises; since
// the server always ends the stream, the client must never wait for its
// deadline.
// Input: the server's answer, bytes as they go on the wire.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <string>
#include <thread>

#include "agent/http_client.h"
#include "fuzz/scratch_file.h"

namespace {

[[noreturn]] void HarnessFault(const char* what) {
  std::perror(what);
  std::abort();
}

// Serves `answer` to each connection, one at a time, forever.
class LoopbackServer {
 public:
  LoopbackServer() {
    listener_ = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (listener_ < 0) HarnessFault("socket");
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t length = sizeof address;
    if (bind(listener_, reinterpret_cast<sockaddr*>(&address), length) != 0 || listen(listener_, 8) != 0 ||
        getsockname(listener_, reinterpret_cast<sockaddr*>(&address), &length) != 0) {
      HarnessFault("bind");
    }
    port_ = ntohs(address.sin_port);
    std::thread([this] { Serve(); }).detach();
  }

  uint16_t port() const { return port_; }
  void SetAnswer(std::string_view answer) {
    const std::lock_guard lock(mutex_);
    answer_ = answer;
  }

 private:
  void Serve() {
    while (true) {
      const int connection = accept4(listener_, nullptr, nullptr, SOCK_CLOEXEC);
      if (connection < 0) continue;
      std::string answer;
      {
        const std::lock_guard lock(mutex_);
        answer = answer_;
      }
      // The request: a head, then the one-byte body the client sends.
      std::string request;
      char buffer[4096];
      while (request.find("\r\n\r\n") == std::string::npos ||
             request.size() < request.find("\r\n\r\n") + 4 + 1) {
        const ssize_t n = recv(connection, buffer, sizeof buffer, 0);
        if (n <= 0) break;
        request.append(buffer, static_cast<size_t>(n));
      }
      // The client may stop reading early (an answer it refuses): a failed send is expected.
      for (size_t sent = 0; sent < answer.size();) {
        const ssize_t n = send(connection, answer.data() + sent, answer.size() - sent, MSG_NOSIGNAL);
        if (n <= 0) break;
        sent += static_cast<size_t>(n);
      }
      shutdown(connection, SHUT_WR);
      // Closed after the client, so that TIME_WAIT stays on its side (reused on loopback).
      while (recv(connection, buffer, sizeof buffer, 0) > 0) {
      }
      close(connection);
    }
  }

  int listener_ = -1;
  uint16_t port_ = 0;
  std::mutex mutex_;
  std::string answer_;
};

constexpr std::chrono::seconds kTimeout{5};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static LoopbackServer* const server = new LoopbackServer();  // lives as long as the process
  server->SetAnswer(vigie::fuzz::AsText(data, size));
  vigie::agent::HttpClientOptions options;
  options.base_url = "http://127.0.0.1:" + std::to_string(server->port());
  options.timeout = kTimeout;
  vigie::Result<vigie::agent::HttpClient> client = vigie::agent::HttpClient::Create(std::move(options));
  if (!client) HarnessFault("HttpClient::Create");
  const auto start = std::chrono::steady_clock::now();
  const vigie::Result<vigie::agent::HttpResponse> response =
      client->Post("/v1/push", "application/x-protobuf", "x");
  const bool waited_for_deadline = std::chrono::steady_clock::now() - start >= kTimeout;
  if (response && (response->status < 200 || response->status > 599 || response->body.size() > 64 * 1024)) {
    std::fprintf(stderr, "accepted an answer with status %d and a body of %zu bytes\n", response->status,
                 response->body.size());
    std::abort();
  }
  if (waited_for_deadline) {
    std::fprintf(stderr, "the client waited for its deadline: %s\n",
                 response ? "it then accepted the answer" : response.error().message.c_str());
    std::abort();
  }
  return 0;
}
