#include "collector/connection_guard.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <vector>

namespace vigie::collector {
namespace {

using Clock = ConnectionGuard::Clock;
using std::chrono::seconds;

sockaddr_in Address(const char* ip) {
  sockaddr_in address{};
  address.sin_family = AF_INET;
  inet_pton(AF_INET, ip, &address.sin_addr);
  return address;
}

const sockaddr* AsSockaddr(const sockaddr_in& address) { return reinterpret_cast<const sockaddr*>(&address); }

// A connected socket pair standing for a client's connection: the guard
// holds `server`; `Cut()` tells whether the client saw its end.
struct Socket {
  Socket() {
    int fds[2];
    EXPECT_EQ(socketpair(AF_UNIX, SOCK_STREAM, 0, fds), 0);
    server = fds[0];
    client = fds[1];
    fcntl(client, F_SETFL, O_NONBLOCK);
  }
  ~Socket() {
    close(server);
    close(client);
  }
  bool Cut() const {
    char byte;
    return read(client, &byte, 1) == 0;
  }
  int server;
  int client;
};

ConnectionLimits Limits(size_t max_connections, size_t max_per_address) {
  return ConnectionLimits{max_connections, max_per_address, std::chrono::milliseconds(10'000)};
}

TEST(ConnectionGuard, RefusesAnAddressOverItsShareAndCountsIt) {
  ConnectionGuard guard(Limits(100, 2));
  const sockaddr_in home = Address("192.0.2.1");
  const sockaddr_in other = Address("192.0.2.2");
  Socket a, b, c;
  const Clock::time_point now = Clock::now();
  ASSERT_TRUE(guard.Admit(AsSockaddr(home)));
  ConnectionGuard::Connection* first = guard.Opened(a.server, AsSockaddr(home), now);
  ASSERT_TRUE(guard.Admit(AsSockaddr(home)));
  guard.Opened(b.server, AsSockaddr(home), now);
  EXPECT_FALSE(guard.Admit(AsSockaddr(home)));
  EXPECT_TRUE(guard.Admit(AsSockaddr(other)));
  EXPECT_EQ(guard.counters().refused_per_address.load(), 1u);
  guard.Closed(first);
  EXPECT_TRUE(guard.Admit(AsSockaddr(home)));
  EXPECT_EQ(guard.open(), 1u);
}

TEST(ConnectionGuard, CutsAConnectionWhoseHeadersAreLateAndOnlyIt) {
  ConnectionGuard guard(Limits(100, 10));
  const sockaddr_in home = Address("192.0.2.1");
  Socket slow, prompt, later;
  const Clock::time_point start = Clock::now();
  guard.Opened(slow.server, AsSockaddr(home), start);
  guard.HeadersReceived(guard.Opened(prompt.server, AsSockaddr(home), start));
  guard.Opened(later.server, AsSockaddr(home), start + seconds(5));
  // Not yet: the next deadline is the first connection's.
  EXPECT_EQ(guard.CutLate(start + seconds(9)), start + seconds(10));
  EXPECT_FALSE(slow.Cut());
  EXPECT_EQ(guard.CutLate(start + seconds(10)), start + seconds(15));
  EXPECT_TRUE(slow.Cut());
  EXPECT_FALSE(prompt.Cut());
  EXPECT_FALSE(later.Cut());
  EXPECT_EQ(guard.counters().header_timeouts.load(), 1u);
}

TEST(ConnectionGuard, AnAnsweredConnectionHasANewDeadlineForItsNextRequest) {
  ConnectionGuard guard(Limits(100, 10));
  const sockaddr_in home = Address("192.0.2.1");
  Socket kept;
  const Clock::time_point start = Clock::now();
  ConnectionGuard::Connection* connection = guard.Opened(kept.server, AsSockaddr(home), start);
  guard.HeadersReceived(connection);
  guard.AwaitHeaders(connection, start + seconds(8));
  guard.CutLate(start + seconds(17));
  EXPECT_FALSE(kept.Cut());
  guard.CutLate(start + seconds(18));
  EXPECT_TRUE(kept.Cut());
}

TEST(ConnectionGuard, NearTheLimitANewConnectionCutsTheOneWaitingLongestForItsHeaders) {
  ConnectionGuard guard(Limits(16, 100));  // room is made past 14
  const sockaddr_in home = Address("192.0.2.1");
  std::vector<Socket> idle(14);
  const Clock::time_point start = Clock::now();
  for (size_t i = 0; i < idle.size(); ++i) guard.Opened(idle[i].server, AsSockaddr(home), start + seconds(i));
  EXPECT_EQ(guard.counters().evicted.load(), 0u);
  Socket fresh;
  guard.Opened(fresh.server, AsSockaddr(home), start + seconds(20));
  EXPECT_TRUE(idle[0].Cut());
  for (size_t i = 1; i < idle.size(); ++i) EXPECT_FALSE(idle[i].Cut()) << i;
  EXPECT_FALSE(fresh.Cut());
  EXPECT_EQ(guard.counters().evicted.load(), 1u);
}

}  // namespace
}  // namespace vigie::collector
