// A private network for one test run, made of Linux network namespaces: a
// bridge namespace and, joined to its bridge by one veth pair each, a
// namespace per host (the collector's, every node's), all on 10.77.0.0/24.
// The machine's own namespace is never touched: no address, link or route of
// it changes, and nothing in the lab can reach it.
//
// Every name starts with the lab's prefix (the test's pid), so that two runs
// never collide. The destructor removes the namespaces; should the test
// process die before (a crash, SIGKILL, a ctest timeout, Ctrl-C), a reaper
// process it started (netns_reaper.sh, in its own session) sees its pipe
// close and kills what runs in the lab's namespaces, removes them and the
// scratch folder.
//
// Needs root and iproute2 (`ip`). Not thread-safe; one lab per test.
#pragma once

#include <sys/types.h>

#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace vigie::fleet {

class NetnsLab {
 public:
  // `scratch`: a folder the reaper removes if the test dies.
  NetnsLab(std::string prefix, std::filesystem::path scratch);
  ~NetnsLab();
  NetnsLab(const NetnsLab&) = delete;
  NetnsLab& operator=(const NetnsLab&) = delete;

  // The bridge namespace and the reaper; call once, first.
  ::testing::AssertionResult Create();
  // Namespace "<prefix>-<host>" with eth0 at `address`/24, its peer
  // "p<index>" on the bridge, both up.
  ::testing::AssertionResult AddHost(const std::string& host, const std::string& address);

  // Where a cut is made. kHost: the host's own eth0 goes down, as when the
  // machine loses power; a connect() there fails at once (ENETUNREACH).
  // kBridge: the host's port on the bridge goes down, as when a home's
  // internet box loses its uplink; the host's packets go unanswered and its
  // connections time out.
  enum class Side { kHost, kBridge };
  ::testing::AssertionResult SetLink(const std::string& host, Side side, bool up);

  // The namespace's name, e.g. "vf1234-rennes-1".
  std::string Namespace(const std::string& host) const { return prefix_ + "-" + host; }
  // The start of an argv that runs a program inside `host`'s namespace (and a
  // mount namespace of its own): {"/usr/sbin/ip", "netns", "exec", NS}.
  std::vector<std::string> Exec(const std::string& host) const;

  // Path of the `ip` program, or empty when iproute2 is missing.
  static std::string IpProgram();

 private:
  ::testing::AssertionResult Ip(std::vector<std::string> args) const;
  void Destroy();

  const std::string prefix_;
  const std::filesystem::path scratch_;
  const std::string ip_;
  std::vector<std::string> hosts_;
  std::map<std::string, std::string> bridge_port_;  // host -> its veth peer on the bridge
  pid_t reaper_ = -1;
  int reaper_pipe_ = -1;  // the write end; the reaper acts when it closes
};

// Moves the calling thread into a network namespace until destruction (for
// the test's own HTTP requests to peers that listen inside the lab).
class InNetns {
 public:
  explicit InNetns(const std::string& name);
  ~InNetns();
  InNetns(const InNetns&) = delete;
  InNetns& operator=(const InNetns&) = delete;
  bool ok() const { return ok_; }

 private:
  int previous_ = -1;
  bool ok_ = false;
};

}  // namespace vigie::fleet
