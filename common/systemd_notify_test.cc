#include "common/systemd_notify.h"

#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <string>

#include <gtest/gtest.h>

#include "tests/testing/testing.h"

namespace vigie {
namespace {

// A datagram socket bound where $NOTIFY_SOCKET points, as systemd's.
class FakeSystemd {
 public:
  explicit FakeSystemd(const std::string& name) {
    fd_ = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    std::memcpy(address.sun_path, name.data(), name.size());
    if (name[0] == '@') address.sun_path[0] = '\0';
    const socklen_t size =
        static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + name.size() + (name[0] == '/' ? 1 : 0));
    EXPECT_EQ(bind(fd_, reinterpret_cast<sockaddr*>(&address), size), 0);
    setenv("NOTIFY_SOCKET", name.c_str(), 1);
  }
  ~FakeSystemd() {
    unsetenv("NOTIFY_SOCKET");
    close(fd_);
  }
  std::string Receive() {
    char buffer[256];
    const ssize_t n = recv(fd_, buffer, sizeof buffer, MSG_DONTWAIT);
    return n < 0 ? "" : std::string(buffer, static_cast<size_t>(n));
  }

 private:
  int fd_ = -1;
};

TEST(SystemdNotify, SendsTheStateToThePathInNotifySocket) {
  testing::TempDir dir;
  FakeSystemd systemd((dir.path() / "notify").string());
  EXPECT_TRUE(SystemdNotify("READY=1"));
  EXPECT_EQ(systemd.Receive(), "READY=1");
}

TEST(SystemdNotify, SendsToAnAbstractSocket) {
  FakeSystemd systemd("@vigie-notify-test-" + std::to_string(getpid()));
  EXPECT_TRUE(SystemdNotify("STOPPING=1"));
  EXPECT_EQ(systemd.Receive(), "STOPPING=1");
}

TEST(SystemdNotify, DoesNothingOutsideSystemd) {
  unsetenv("NOTIFY_SOCKET");
  EXPECT_FALSE(SystemdNotify("READY=1"));
}

TEST(SystemdWatchdogUsec, ReadsTheIntervalMeantForThisProcess) {
  setenv("WATCHDOG_USEC", "30000000", 1);
  unsetenv("WATCHDOG_PID");
  EXPECT_EQ(SystemdWatchdogUsec(), 30'000'000u);
  setenv("WATCHDOG_PID", std::to_string(getpid()).c_str(), 1);
  EXPECT_EQ(SystemdWatchdogUsec(), 30'000'000u);
  setenv("WATCHDOG_PID", std::to_string(getpid() + 1).c_str(), 1);
  EXPECT_EQ(SystemdWatchdogUsec(), 0u);
  unsetenv("WATCHDOG_PID");
  setenv("WATCHDOG_USEC", "soon", 1);
  EXPECT_EQ(SystemdWatchdogUsec(), 0u);
  unsetenv("WATCHDOG_USEC");
  EXPECT_EQ(SystemdWatchdogUsec(), 0u);
}

}  // namespace
}  // namespace vigie
