#include "common/systemd_notify.h"

#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <charconv>
#include <cstdlib>
#include <cstddef>
#include <cstring>
#include <string>

namespace vigie {
namespace {

bool ParseUnsigned(const char* text, uint64_t& value) {
  if (text == nullptr || *text == '\0') return false;
  const char* end = text + std::strlen(text);
  const auto [ptr, ec] = std::from_chars(text, end, value);
  return ec == std::errc() && ptr == end;
}

}  // namespace

bool SystemdNotify(std::string_view state) {
  const char* path = std::getenv("NOTIFY_SOCKET");
  if (path == nullptr || (path[0] != '/' && path[0] != '@')) return false;
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  const size_t length = std::strlen(path);
  if (length >= sizeof address.sun_path) return false;
  std::memcpy(address.sun_path, path, length);
  // "@name" is the abstract namespace: a leading NUL, no terminator (unix(7)).
  if (path[0] == '@') address.sun_path[0] = '\0';
  const socklen_t size = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + length + (path[0] == '/' ? 1 : 0));
  const int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return false;
  const ssize_t sent =
      sendto(fd, state.data(), state.size(), MSG_NOSIGNAL, reinterpret_cast<const sockaddr*>(&address), size);
  close(fd);
  return sent == static_cast<ssize_t>(state.size());
}

uint64_t SystemdWatchdogUsec() {
  uint64_t usec = 0;
  if (!ParseUnsigned(std::getenv("WATCHDOG_USEC"), usec)) return 0;
  const char* pid_text = std::getenv("WATCHDOG_PID");
  uint64_t pid = 0;
  if (pid_text != nullptr && (!ParseUnsigned(pid_text, pid) || pid != static_cast<uint64_t>(getpid()))) return 0;
  return usec;
}

}  // namespace vigie
