#include "tests/testing/recording_server.h"

#include <arpa/inet.h>
#include <microhttpd.h>
#include <netinet/in.h>

#include <algorithm>
#include <cctype>
#include <memory>

#include <gtest/gtest.h>

namespace vigie::testing {
namespace {

MHD_Result CollectHeader(void* headers, MHD_ValueKind, const char* key, const char* value) {
  std::string name = key;
  std::transform(name.begin(), name.end(), name.begin(), [](unsigned char c) { return std::tolower(c); });
  (*static_cast<std::map<std::string, std::string>*>(headers))[name] = value != nullptr ? value : "";
  return MHD_YES;
}

}  // namespace

RecordingServer::RecordingServer() {
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = 0;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  daemon_ = MHD_start_daemon(
      MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL, 0, nullptr, nullptr,
      &RecordingServer::OnRequest, this, MHD_OPTION_SOCK_ADDR, reinterpret_cast<sockaddr*>(&address),
      MHD_OPTION_NOTIFY_COMPLETED, &RecordingServer::OnCompleted, this, MHD_OPTION_END);
  if (daemon_ == nullptr) {
    ADD_FAILURE() << "RecordingServer: cannot listen on 127.0.0.1";
    return;
  }
  port_ = MHD_get_daemon_info(daemon_, MHD_DAEMON_INFO_BIND_PORT)->port;
}

RecordingServer::~RecordingServer() {
  if (daemon_ != nullptr) MHD_stop_daemon(daemon_);
}

std::string RecordingServer::Url(const std::string& path) const {
  return "http://127.0.0.1:" + std::to_string(port_) + path;
}

void RecordingServer::Answer(std::vector<unsigned> statuses, std::string body) {
  std::lock_guard lock(mutex_);
  statuses_.assign(statuses.begin(), statuses.end());
  answer_body_ = std::move(body);
}

void RecordingServer::AnswerWith(std::function<unsigned(const RecordedRequest&)> decide, std::string body) {
  std::lock_guard lock(mutex_);
  statuses_.clear();
  decide_ = std::move(decide);
  answer_body_ = std::move(body);
}

std::vector<RecordedRequest> RecordingServer::requests() const {
  std::lock_guard lock(mutex_);
  return requests_;
}

bool RecordingServer::WaitForRequests(size_t count, std::chrono::milliseconds timeout) const {
  std::unique_lock lock(mutex_);
  return changed_.wait_for(lock, timeout, [&] { return requests_.size() >= count; });
}

MHD_Result RecordingServer::OnRequest(void* self_pointer, MHD_Connection* connection, const char* url, const char* method,
                               const char*, const char* upload_data, size_t* upload_data_size, void** state) {
  auto* self = static_cast<RecordingServer*>(self_pointer);
  if (*state == nullptr) {  // first call: headers only
    auto request = std::make_unique<RecordedRequest>();
    request->method = method;
    request->path = url;
    MHD_get_connection_values(connection, MHD_HEADER_KIND, &CollectHeader, &request->headers);
    *state = request.release();
    return MHD_YES;
  }
  auto* request = static_cast<RecordedRequest*>(*state);
  if (*upload_data_size > 0) {
    request->body.append(upload_data, *upload_data_size);
    *upload_data_size = 0;
    return MHD_YES;
  }
  std::string body;
  {
    std::lock_guard lock(self->mutex_);
    request->answered = 204;
    if (!self->statuses_.empty()) {
      request->answered = self->statuses_.front();
      self->statuses_.pop_front();
    } else if (self->decide_) {
      request->answered = self->decide_(*request);
    }
    body = request->answered == 204 ? "" : self->answer_body_;
    self->requests_.push_back(*request);
  }
  self->changed_.notify_all();
  MHD_Response* response = MHD_create_response_from_buffer(body.size(), body.data(), MHD_RESPMEM_MUST_COPY);
  const MHD_Result result = MHD_queue_response(connection, request->answered, response);
  MHD_destroy_response(response);
  return result;
}

void RecordingServer::OnCompleted(void*, MHD_Connection*, void** state, MHD_RequestTerminationCode) {
  delete static_cast<RecordedRequest*>(*state);
  *state = nullptr;
}

}  // namespace vigie::testing
