#include "tests/fleet/netns.h"

#include <fcntl.h>
#include <sched.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>

#include <fmt/format.h>

#include "tests/testing/process.h"

extern char** environ;

namespace vigie::fleet {
namespace {

constexpr const char* kBridge = "br0";

}  // namespace

std::string NetnsLab::IpProgram() {
  for (const char* path : {"/usr/sbin/ip", "/usr/bin/ip", "/sbin/ip", "/bin/ip"}) {
    if (access(path, X_OK) == 0) return path;
  }
  return "";
}

NetnsLab::NetnsLab(std::string prefix, std::filesystem::path scratch)
    : prefix_(std::move(prefix)), scratch_(std::move(scratch)), ip_(IpProgram()) {}

NetnsLab::~NetnsLab() { Destroy(); }

::testing::AssertionResult NetnsLab::Ip(std::vector<std::string> args) const {
  args.insert(args.begin(), ip_);
  std::string command;
  for (const std::string& a : args) command += a + " ";
  const testing::CommandResult r = testing::RunCommand(args);
  if (r.exit_code != 0) return ::testing::AssertionFailure() << "failed (" << r.exit_code << "): " << command;
  return ::testing::AssertionSuccess();
}

::testing::AssertionResult NetnsLab::Create() {
  if (ip_.empty()) return ::testing::AssertionFailure() << "no ip program (iproute2)";
  // The reaper first, so that nothing created below can outlive the test.
  int fds[2];
  if (pipe2(fds, O_CLOEXEC) != 0) return ::testing::AssertionFailure() << "pipe2: " << strerror(errno);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, fds[0], STDIN_FILENO);
  posix_spawnattr_t attributes;
  posix_spawnattr_init(&attributes);
  posix_spawnattr_setflags(&attributes, POSIX_SPAWN_SETSID);  // out of reach of the terminal's Ctrl-C
  std::vector<std::string> argv{"/bin/sh", std::string(VIGIE_SOURCE_DIR) + "/tests/fleet/netns_reaper.sh", ip_,
                                prefix_, scratch_.string()};
  std::vector<char*> args;
  for (std::string& a : argv) args.push_back(a.data());
  args.push_back(nullptr);
  const int rc = posix_spawn(&reaper_, args[0], &actions, &attributes, args.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attributes);
  close(fds[0]);
  reaper_pipe_ = fds[1];
  if (rc != 0) {
    reaper_ = -1;
    return ::testing::AssertionFailure() << "cannot start the reaper: " << strerror(rc);
  }
  const std::string bridge_ns = Namespace("bridge");
  if (auto r = Ip({"netns", "add", bridge_ns}); !r) return r;
  hosts_.push_back("bridge");
  if (auto r = Ip({"-n", bridge_ns, "link", "add", kBridge, "type", "bridge"}); !r) return r;
  return Ip({"-n", bridge_ns, "link", "set", kBridge, "up"});
}

::testing::AssertionResult NetnsLab::AddHost(const std::string& host, const std::string& address) {
  const std::string ns = Namespace(host);
  const std::string bridge_ns = Namespace("bridge");
  const std::string port = fmt::format("p{}", bridge_port_.size());
  if (auto r = Ip({"netns", "add", ns}); !r) return r;
  hosts_.push_back(host);
  bridge_port_[host] = port;
  for (std::vector<std::string> args : std::vector<std::vector<std::string>>{
           {"-n", ns, "link", "set", "lo", "up"},
           // Both ends created straight in their namespaces: the machine's own never sees them.
           {"link", "add", "eth0", "netns", ns, "type", "veth", "peer", "name", port, "netns", bridge_ns},
           {"-n", bridge_ns, "link", "set", port, "master", kBridge},
           {"-n", bridge_ns, "link", "set", port, "up"},
           {"-n", ns, "addr", "add", address + "/24", "dev", "eth0"},
           {"-n", ns, "link", "set", "eth0", "up"}}) {
    if (auto r = Ip(args); !r) return r;
  }
  return ::testing::AssertionSuccess();
}

::testing::AssertionResult NetnsLab::SetLink(const std::string& host, Side side, bool up) {
  const std::string state = up ? "up" : "down";
  if (side == Side::kHost) return Ip({"-n", Namespace(host), "link", "set", "eth0", state});
  return Ip({"-n", Namespace("bridge"), "link", "set", bridge_port_.at(host), state});
}

std::vector<std::string> NetnsLab::Exec(const std::string& host) const {
  return {ip_, "netns", "exec", Namespace(host)};
}

void NetnsLab::Destroy() {
  // Namespaces whose processes are gone vanish with their name; the veth
  // pairs go with them.
  for (auto it = hosts_.rbegin(); it != hosts_.rend(); ++it) (void)Ip({"netns", "del", Namespace(*it)});
  hosts_.clear();
  if (reaper_pipe_ >= 0) close(reaper_pipe_);
  reaper_pipe_ = -1;
  if (reaper_ > 0) waitpid(reaper_, nullptr, 0);  // it finds nothing left, and is done before the caller goes on
  reaper_ = -1;
}

InNetns::InNetns(const std::string& name) {
  previous_ = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
  const int target = open(("/run/netns/" + name).c_str(), O_RDONLY | O_CLOEXEC);
  ok_ = previous_ >= 0 && target >= 0 && setns(target, CLONE_NEWNET) == 0;
  if (target >= 0) close(target);
}

InNetns::~InNetns() {
  if (previous_ < 0) return;
  if (ok_ && setns(previous_, CLONE_NEWNET) != 0) ADD_FAILURE() << "cannot return to the test's network namespace";
  close(previous_);
}

}  // namespace vigie::fleet
