#include "collector/http_server.h"

#include <gtest/gtest.h>

#include <future>
#include <memory>
#include <thread>

#include "tests/testing/http_client.h"

namespace vigie::collector {
namespace {

// A deferred answer that the test completes by hand.
class Gate final : public DeferredResponse {
 public:
  void Start(std::function<void()> ready) override { started_.set_value(std::move(ready)); }
  HttpResponse Finish() override { return TextResponse(HttpStatus::kOk, "done"); }
  // Waits until the server started it; the answer goes out once ready() is called.
  std::function<void()> WaitStarted() { return started_future_.get(); }

 private:
  std::promise<std::function<void()>> started_;
  std::future<std::function<void()>> started_future_ = started_.get_future();
};

// One HTTP thread: POST /wait is deferred on `gate`, anything else answered at once.
class DeferredTest : public ::testing::Test {
 protected:
  void SetUp() override {
    HttpServerOptions options;
    options.port = 0;
    options.threads = 1;
    server_ = std::make_unique<HttpServer>(options, [this](const HttpRequest& request) {
      if (request.path != "/wait") return TextResponse(HttpStatus::kOk, "now");
      HttpResponse response;
      response.deferred = gate_;
      return response;
    });
    const Result<void> started = server_->Start();
    ASSERT_TRUE(started) << started.error().message;
    url_ = "http://127.0.0.1:" + std::to_string(server_->port());
  }

  std::future<testing::HttpReply> PostWait() {
    return std::async(std::launch::async, [url = url_ + "/wait"] { return testing::HttpPost(url, {}, "x"); });
  }

  std::shared_ptr<Gate> gate_ = std::make_shared<Gate>();
  std::unique_ptr<HttpServer> server_;
  std::string url_;
};

TEST_F(DeferredTest, AWaitingRequestHoldsNoThread) {
  std::future<testing::HttpReply> waiting = PostWait();
  const std::function<void()> ready = gate_->WaitStarted();

  const testing::HttpReply other = testing::HttpGet(url_ + "/now");
  EXPECT_EQ(other.status, 200) << other.error;
  EXPECT_EQ(other.body, "now\n");

  ready();
  const testing::HttpReply answered = waiting.get();
  EXPECT_EQ(answered.status, 200) << answered.error;
  EXPECT_EQ(answered.body, "done\n");
}

TEST_F(DeferredTest, StoppingAnswersAWaitingRequestFirst) {
  std::future<testing::HttpReply> waiting = PostWait();
  const std::function<void()> ready = gate_->WaitStarted();

  std::thread stopper([this] { server_.reset(); });
  ready();
  stopper.join();
  const testing::HttpReply answered = waiting.get();
  EXPECT_EQ(answered.status, 200) << answered.error;
  EXPECT_EQ(answered.body, "done\n");
}

}  // namespace
}  // namespace vigie::collector
