// A child process for integration tests: started with its stderr on a pipe,
// so the test can wait for a line (an event) instead of sleeping; killed and
// reaped on destruction.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <optional>
#include <string_view>
#include <string>
#include <vector>

namespace vigie::testing {

class ChildProcess {
 public:
  // Starts argv[0] (a path) with the given arguments.
  explicit ChildProcess(std::vector<std::string> argv);
  ~ChildProcess();
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;

  bool running() const { return pid_ > 0; }
  pid_t pid() const { return pid_; }

  // Reads stderr until a line contains `needle` or `timeout` passes; returns
  // the part of that line after the needle. (No std::regex: gcc 12 warns
  // inside it under the sanitizers.)
  std::optional<std::string> WaitForLine(std::string_view needle, std::chrono::milliseconds timeout);

  // Sends `signal` and waits for the exit; returns the exit status as
  // waitpid(2) reports it, or -1.
  int Stop(int signal);

  // Everything read from stderr so far (for failure messages).
  std::string stderr_text();

 private:
  void Drain(std::chrono::milliseconds timeout);

  pid_t pid_ = -1;
  int stderr_fd_ = -1;
  std::string stderr_;
  size_t scanned_ = 0;
};

struct CommandResult {
  int exit_code = -1;  // -1 when it did not exit normally
  std::string out;     // its standard output
};

// Runs argv[0] (a path) to completion; stderr is left to the test's stderr.
CommandResult RunCommand(std::vector<std::string> argv);

}  // namespace vigie::testing
