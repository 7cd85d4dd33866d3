#include "collector/connection_guard.h"

#include <netinet/in.h>

#include <iterator>

namespace vigie::collector {

struct ConnectionGuard::Connection {
  int fd;
  std::string address;
  Clock::time_point deadline;
  // In awaiting_ when not end().
  std::list<Connection*>::iterator waiting;
  // Where open_ holds it.
  std::list<Connection>::iterator self;
};

namespace {

// The address's bytes, without the port: IPv4 and IPv6 apart.
std::string AddressKey(const sockaddr* address) {
  if (address == nullptr) return {};
  if (address->sa_family == AF_INET) {
    const auto& in = reinterpret_cast<const sockaddr_in*>(address)->sin_addr;
    return std::string(reinterpret_cast<const char*>(&in), sizeof in);
  }
  if (address->sa_family == AF_INET6) {
    const auto& in6 = reinterpret_cast<const sockaddr_in6*>(address)->sin6_addr;
    return std::string(reinterpret_cast<const char*>(&in6), sizeof in6);
  }
  return {};
}

}  // namespace

ConnectionGuard::ConnectionGuard(ConnectionLimits limits)
    : limits_(limits), evict_above_(limits.max_connections - limits.max_connections / 8) {}

ConnectionGuard::~ConnectionGuard() = default;

bool ConnectionGuard::Admit(const sockaddr* address) {
  const std::string key = AddressKey(address);
  std::lock_guard lock(mutex_);
  const auto found = per_address_.find(key);
  if (found == per_address_.end() || found->second < limits_.max_per_address) return true;
  ++counters_.refused_per_address;
  return false;
}

ConnectionGuard::Connection* ConnectionGuard::Opened(int fd, const sockaddr* address, Clock::time_point now) {
  std::string key = AddressKey(address);
  std::lock_guard lock(mutex_);
  open_.push_back(Connection{fd, std::move(key), now + limits_.header_timeout, awaiting_.end(), {}});
  Connection* connection = &open_.back();
  connection->self = std::prev(open_.end());
  ++per_address_[connection->address];
  // Counted before the cut, which its client may see at once.
  if (open_.size() > evict_above_ && !awaiting_.empty()) {
    ++counters_.evicted;
    Cut(*awaiting_.front());
  }
  connection->waiting = awaiting_.insert(awaiting_.end(), connection);
  return connection;
}

void ConnectionGuard::HeadersReceived(Connection* connection) {
  if (connection == nullptr) return;
  std::lock_guard lock(mutex_);
  if (connection->waiting != awaiting_.end()) {
    awaiting_.erase(connection->waiting);
    connection->waiting = awaiting_.end();
  }
}

void ConnectionGuard::AwaitHeaders(Connection* connection, Clock::time_point now) {
  if (connection == nullptr) return;
  std::lock_guard lock(mutex_);
  if (connection->waiting != awaiting_.end()) awaiting_.erase(connection->waiting);
  connection->deadline = now + limits_.header_timeout;
  connection->waiting = awaiting_.insert(awaiting_.end(), connection);
}

void ConnectionGuard::Closed(Connection* connection) {
  if (connection == nullptr) return;
  std::lock_guard lock(mutex_);
  if (connection->waiting != awaiting_.end()) awaiting_.erase(connection->waiting);
  const auto found = per_address_.find(connection->address);
  if (found != per_address_.end() && --found->second == 0) per_address_.erase(found);
  open_.erase(connection->self);
}

ConnectionGuard::Clock::time_point ConnectionGuard::CutLate(Clock::time_point now) {
  std::lock_guard lock(mutex_);
  while (!awaiting_.empty() && awaiting_.front()->deadline <= now) {
    ++counters_.header_timeouts;
    Cut(*awaiting_.front());
  }
  return awaiting_.empty() ? now + limits_.header_timeout : awaiting_.front()->deadline;
}

size_t ConnectionGuard::open() const {
  std::lock_guard lock(mutex_);
  return open_.size();
}

void ConnectionGuard::Cut(Connection& connection) {
  // Not close(): the descriptor stays MHD's until it closes it, after Closed().
  shutdown(connection.fd, SHUT_RDWR);
  awaiting_.erase(connection.waiting);
  connection.waiting = awaiting_.end();
}

}  // namespace vigie::collector
