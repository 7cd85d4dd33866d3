// A raw TCP client for tests, for what libcurl will not send.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

namespace vigie::testing {

// A TCP connection to 127.0.0.1 that the test writes byte by byte, for what
// libcurl will not do: announce a body and stall, or never finish headers.
// `source`: the loopback address it comes from (127.0.0.0/8 is all local),
// for tests that need many client addresses.
class RawConnection {
 public:
  explicit RawConnection(uint16_t port, const char* source = "127.0.0.1");
  ~RawConnection();
  RawConnection(const RawConnection&) = delete;
  RawConnection& operator=(const RawConnection&) = delete;

  bool connected() const { return connected_; }
  bool Send(std::string_view bytes);
  // Reads until `needle` has arrived, the peer closed, or `timeout` passed.
  std::string ReadUntil(std::string_view needle, std::chrono::milliseconds timeout);
  // Waits until the peer closes the connection (EOF or reset); true if it did
  // before `timeout`.
  bool WaitForClose(std::chrono::milliseconds timeout);

 private:
  // False when nothing arrived before the deadline (a passed deadline still
  // looks once).
  bool ReadSome(std::chrono::steady_clock::time_point deadline);

  int fd_;
  bool connected_ = false;
  bool closed_ = false;
  std::string received_;
};

}  // namespace vigie::testing
