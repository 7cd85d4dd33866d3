// An HTTP server for tests of HTTP clients: it records every request
// (method, path, headers, body) and answers with the statuses a test
// scripts, then 204. Serves 127.0.0.1 on a port the kernel picks, from
// libmicrohttpd's own thread; stops on destruction. Thread-safe.
#pragma once

#include <microhttpd.h>

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <vector>

namespace vigie::testing {

struct RecordedRequest {
  std::string method;
  std::string path;
  std::map<std::string, std::string> headers;  // names in lower case
  std::string body;
  unsigned answered = 0;  // the status it was given
};

class RecordingServer {
 public:
  RecordingServer();  // fails the test (ADD_FAILURE) when it cannot listen
  ~RecordingServer();
  RecordingServer(const RecordingServer&) = delete;
  RecordingServer& operator=(const RecordingServer&) = delete;

  // "http://127.0.0.1:<port><path>"
  std::string Url(const std::string& path) const;
  // The next requests get these statuses, in order; later ones get 204.
  void Answer(std::vector<unsigned> statuses, std::string body = "");
  // Each later request gets the status `decide` returns for it (called on
  // the server's thread, one request at a time), with `body` for non-2xx.
  void AnswerWith(std::function<unsigned(const RecordedRequest&)> decide, std::string body = "");
  std::vector<RecordedRequest> requests() const;
  // Waits until at least `count` requests were answered.
  bool WaitForRequests(size_t count, std::chrono::milliseconds timeout) const;

 private:
  static MHD_Result OnRequest(void* self, MHD_Connection* connection, const char* url, const char* method,
                              const char* version, const char* upload_data, size_t* upload_data_size, void** state);
  static void OnCompleted(void* self, MHD_Connection* connection, void** state, MHD_RequestTerminationCode code);

  MHD_Daemon* daemon_ = nullptr;
  uint16_t port_ = 0;
  mutable std::mutex mutex_;
  mutable std::condition_variable changed_;
  std::deque<unsigned> statuses_;
  std::function<unsigned(const RecordedRequest&)> decide_;
  std::string answer_body_;
  std::vector<RecordedRequest> requests_;
};

}  // namespace vigie::testing
