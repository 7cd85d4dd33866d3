#include "collector/http_server.h"

#include <gtest/gtest.h>

#include <atomic>

#include <future>
#include <memory>
#include <thread>

#include "tests/testing/http_client.h"
#include "tests/testing/raw_connection.h"

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

class LimitsTest : public ::testing::Test {
 protected:
  void Start(HttpServerOptions options) {
    options.port = 0;
    server_ = std::make_unique<HttpServer>(options, [this](const HttpRequest& request) {
      bodies_read_ += !request.body.empty();
      return TextResponse(HttpStatus::kOk, "ok");
    });
    const Result<void> started = server_->Start();
    ASSERT_TRUE(started) << started.error().message;
  }
  std::string Url(std::string_view path) const { return "http://127.0.0.1:" + std::to_string(server_->port()) + std::string(path); }

  std::atomic<int> bodies_read_{0};
  std::unique_ptr<HttpServer> server_;
};

TEST_F(LimitsTest, AHeaderTrickledAByteASecondIsCutAtTheHeaderDeadline) {
  HttpServerOptions options;
  options.header_timeout = std::chrono::milliseconds(1000);
  options.connection_timeout_seconds = 30;
  Start(options);
  testing::RawConnection slow(server_->port());
  ASSERT_TRUE(slow.connected());
  const auto started = std::chrono::steady_clock::now();
  const std::string request = "GET /healthz HTTP/1.1\r\nHost: x\r\nX-Padding: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
  bool cut = false;
  for (size_t i = 0; i < request.size() && !cut; ++i) {
    cut = !slow.Send(request.substr(i, 1)) || slow.WaitForClose(std::chrono::milliseconds(200));
  }
  const auto held = std::chrono::steady_clock::now() - started;
  EXPECT_TRUE(cut);
  EXPECT_GE(held, std::chrono::milliseconds(900));
  EXPECT_LT(held, std::chrono::milliseconds(2500));
  EXPECT_EQ(server_->connections().counters().header_timeouts.load(), 1u);
  EXPECT_EQ(testing::HttpGet(Url("/healthz")).status, 200);
}

TEST_F(LimitsTest, AnAddressOverItsShareIsRefusedAndCountedWhileOthersAreServed) {
  HttpServerOptions options;
  options.max_connections_per_address = 3;
  Start(options);
  std::vector<std::unique_ptr<testing::RawConnection>> held;
  for (int i = 0; i < 3; ++i) held.push_back(std::make_unique<testing::RawConnection>(server_->port(), "127.0.0.2"));
  // Taken by the server first: connections opened at once on several server
  // threads may each pass the check (one over per thread at most).
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (server_->connections().open() < 3 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  testing::RawConnection refused(server_->port(), "127.0.0.2");
  EXPECT_TRUE(refused.WaitForClose(std::chrono::milliseconds(2000)));
  EXPECT_EQ(refused.ReadUntil("", std::chrono::milliseconds(0)), "");
  EXPECT_EQ(server_->connections().counters().refused_per_address.load(), 1u);
  EXPECT_EQ(testing::HttpGet(Url("/healthz")).status, 200);
}

TEST_F(LimitsTest, IdleConnectionsFillingTheLimitMakeRoomForANewClient) {
  HttpServerOptions options;
  options.max_connections = 64;
  options.max_connections_per_address = 64;
  options.header_timeout = std::chrono::milliseconds(60'000);
  Start(options);
  std::vector<std::unique_ptr<testing::RawConnection>> idle;
  for (int i = 0; i < 64; ++i) idle.push_back(std::make_unique<testing::RawConnection>(server_->port(), "127.0.0.3"));
  const auto asked = std::chrono::steady_clock::now();
  const testing::HttpReply reply = testing::HttpGet(Url("/healthz"));
  EXPECT_EQ(reply.status, 200) << reply.error;
  EXPECT_LT(std::chrono::steady_clock::now() - asked, std::chrono::milliseconds(1000));
  EXPECT_GE(server_->connections().counters().evicted.load(), 1u);
  EXPECT_LE(server_->connections().open(), 64u);
}

TEST_F(LimitsTest, AnEarlyAnswerIsSentWithoutTheBodyReachingTheHandler) {
  HttpServerOptions options;
  options.answer_early = [](const HttpRequest& request) -> std::optional<HttpResponse> {
    if (request.authorization != "Bearer good") return TextResponse(HttpStatus::kUnauthorized, "no");
    return std::nullopt;
  };
  Start(options);
  const std::string body(800 * 1024, 'x');
  // Every time: the answer is not lost to a connection reset while the body still arrives.
  for (int i = 0; i < 10; ++i) {
    const testing::HttpReply refused =
        testing::HttpPost(Url("/v1/push"), {"Authorization: Bearer bad", "Expect:"}, body);
    EXPECT_EQ(refused.status, 401) << refused.error;
  }
  EXPECT_EQ(bodies_read_.load(), 0);
  const testing::HttpReply read = testing::HttpPost(Url("/v1/push"), {"Authorization: Bearer good", "Expect:"}, body);
  EXPECT_EQ(read.status, 200) << read.error;
  EXPECT_EQ(bodies_read_.load(), 1);
}

}  // namespace
}  // namespace vigie::collector
