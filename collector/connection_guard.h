// Keeps the collector reachable under connection abuse, beside
// libmicrohttpd, which has no header deadline and counts none of its
// refusals. The HTTP server tells it of every connection (MHD's accept
// policy and connection notifications) and of each request's headers; it
//   - refuses a connection from an address that holds max_per_address
//     already (a home's nodes share one address);
//   - cuts a connection whose request headers have not all arrived within
//     header_timeout of its opening or of its previous answer (a header
//     trickled a byte a second, an idle keep-alive connection);
//   - past 7/8 of max_connections, makes room for each new connection by
//     cutting the one that has waited longest for its headers, so that
//     idle connections from many addresses cannot lock everyone out
//     (/healthz, the agents) until their deadline.
// Cutting is shutdown(2) of the socket: MHD sees the end of the stream and
// closes the connection on its own thread. A connection's socket is closed
// by MHD only after Closed() returned, so it is never cut once reused.
// Each refusal and cut is counted. Thread-safe; every call is O(1) but
// CutLate, which is linear in the connections it cuts.
#pragma once

#include <sys/socket.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <list>
#include <mutex>
#include <string>
#include <unordered_map>

namespace vigie::collector {

struct ConnectionLimits {
  size_t max_connections = 2048;
  size_t max_per_address = 64;
  std::chrono::milliseconds header_timeout{10'000};
};

struct ConnectionCounters {
  std::atomic<uint64_t> refused_per_address{0};
  std::atomic<uint64_t> header_timeouts{0};
  std::atomic<uint64_t> evicted{0};
  // Requests whose body came slower than the server allows (HttpServer).
  std::atomic<uint64_t> slow_bodies{0};
};

class ConnectionGuard {
 public:
  using Clock = std::chrono::steady_clock;
  struct Connection;

  explicit ConnectionGuard(ConnectionLimits limits);
  ~ConnectionGuard();  // frees the connections never Closed
  ConnectionGuard(const ConnectionGuard&) = delete;
  ConnectionGuard& operator=(const ConnectionGuard&) = delete;

  // Before a connection is taken: false (counted) when its address holds
  // max_per_address already. Connections being opened at once on several
  // server threads may each pass: at most one over per thread.
  bool Admit(const sockaddr* address);
  // A connection taken, awaiting its first request's headers. `fd` is its
  // socket. The handle is valid until Closed().
  Connection* Opened(int fd, const sockaddr* address, Clock::time_point now);
  void HeadersReceived(Connection* connection);
  // Answered: the next request's headers are due within header_timeout.
  void AwaitHeaders(Connection* connection, Clock::time_point now);
  void Closed(Connection* connection);
  // Cuts the connections whose header deadline is past; returns when the
  // next deadline falls (now + header_timeout when none is pending).
  Clock::time_point CutLate(Clock::time_point now);

  size_t open() const;
  size_t max_connections() const { return limits_.max_connections; }
  ConnectionCounters& counters() { return counters_; }
  const ConnectionCounters& counters() const { return counters_; }

 private:
  // Under mutex_: shuts `connection` down and forgets its deadline.
  void Cut(Connection& connection);

  const ConnectionLimits limits_;
  const size_t evict_above_;
  ConnectionCounters counters_;
  mutable std::mutex mutex_;
  // Every connection between Opened and Closed (what they point to).
  std::list<Connection> open_;
  // Connections awaiting headers, oldest deadline first (a deadline is
  // always now + header_timeout, so appending keeps the order).
  std::list<Connection*> awaiting_;
  // Open connections by address (the address's bytes).
  std::unordered_map<std::string, size_t> per_address_;
};

}  // namespace vigie::collector
