#include "agent/delivery.h"

#include <arpa/inet.h>
#include <microhttpd.h>
#include <netinet/in.h>

#include <functional>
#include <mutex>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "tests/testing/testing.h"

namespace vigie::agent {
namespace {

using namespace std::chrono_literals;

struct Reply {
  unsigned status = 200;
  std::string body;
  std::string content_type = "application/x-protobuf";
};

// A collector stand-in on 127.0.0.1: each POST's Authorization header and
// body go to `handler`, whose Reply is sent back. Served from
// libmicrohttpd's thread; the handler runs there, one request at a time.
class FakeCollector {
 public:
  using Handler = std::function<Reply(const std::string& authorization, const std::string& body)>;
  explicit FakeCollector(Handler handler) : handler_(std::move(handler)) {
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    daemon_ = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD, 0, nullptr, nullptr, &OnRequest, this,
                               MHD_OPTION_SOCK_ADDR, &address, MHD_OPTION_NOTIFY_COMPLETED, &OnCompleted, nullptr,
                               MHD_OPTION_END);
    EXPECT_NE(daemon_, nullptr);
    if (daemon_ != nullptr) port_ = MHD_get_daemon_info(daemon_, MHD_DAEMON_INFO_BIND_PORT)->port;
  }
  ~FakeCollector() {
    if (daemon_ != nullptr) MHD_stop_daemon(daemon_);
  }
  std::string Url() const { return "http://127.0.0.1:" + std::to_string(port_); }
  size_t requests() const {
    std::lock_guard lock(mutex_);
    return requests_;
  }

 private:
  static MHD_Result OnRequest(void* self_pointer, MHD_Connection* connection, const char*, const char*, const char*,
                              const char* upload, size_t* upload_size, void** state) {
    auto* self = static_cast<FakeCollector*>(self_pointer);
    if (*state == nullptr) {
      *state = new std::string;
      return MHD_YES;
    }
    auto* body = static_cast<std::string*>(*state);
    if (*upload_size != 0) {
      body->append(upload, *upload_size);
      *upload_size = 0;
      return MHD_YES;
    }
    const char* authorization = MHD_lookup_connection_value(connection, MHD_HEADER_KIND, "Authorization");
    Reply reply;
    {
      std::lock_guard lock(self->mutex_);
      ++self->requests_;
      reply = self->handler_(authorization != nullptr ? authorization : "", *body);
    }
    MHD_Response* response =
        MHD_create_response_from_buffer(reply.body.size(), reply.body.data(), MHD_RESPMEM_MUST_COPY);
    if (!reply.content_type.empty()) MHD_add_response_header(response, "Content-Type", reply.content_type.c_str());
    const MHD_Result queued = MHD_queue_response(connection, reply.status, response);
    MHD_destroy_response(response);
    return queued;
  }
  static void OnCompleted(void*, MHD_Connection*, void** state, MHD_RequestTerminationCode) {
    delete static_cast<std::string*>(*state);
  }

  Handler handler_;
  MHD_Daemon* daemon_ = nullptr;
  uint16_t port_ = 0;
  mutable std::mutex mutex_;
  size_t requests_ = 0;
};

// What a collector acknowledges for `body` when it stores every report.
Reply AckAll(const std::string& body) {
  v1::Batch batch;
  EXPECT_TRUE(batch.ParseFromString(body));
  v1::PushAck ack;
  ack.set_stored(static_cast<uint32_t>(batch.reports_size()));
  return Reply{200, ack.SerializeAsString()};
}

std::vector<uint64_t> SeqsOf(const std::string& body) {
  v1::Batch batch;
  EXPECT_TRUE(batch.ParseFromString(body));
  std::vector<uint64_t> seqs;
  for (const v1::Report& report : batch.reports()) seqs.push_back(report.seq());
  return seqs;
}

// A spool for one collector holding reports seq 1..count of node rennes-1.
ReportSpool SpoolOf(const std::string& url, int count) {
  ReportSpool spool({url}, 100);
  for (int seq = 1; seq <= count; ++seq) {
    v1::Report report;
    report.set_node_id("rennes-1");
    report.set_boot_id("6ef63991-7ee5-4c0b-81a3-e6c91f946998");
    report.set_seq(static_cast<uint64_t>(seq));
    spool.Append(report.SerializeAsString(), 0);
  }
  return spool;
}

CollectorLink LinkTo(const std::string& url, const std::filesystem::path& token_file = {},
                     const std::string& token = "t0k") {
  return CollectorLink(
      CollectorTarget{.url = url, .token = token, .token_file = token_file, .ca_file = {}, .timeout = 5s},
      Backoff(1000ms, 60'000ms, 1), 100);
}

// Delivers with stderr captured; returns the log.
std::string DeliverLogged(CollectorLink& link, ReportSpool& spool, size_t* dropped, bool ignore_backoff = true) {
  ::testing::internal::CaptureStderr();
  *dropped = link.Deliver(spool, 0, 1, ignore_backoff);
  return ::testing::internal::GetCapturedStderr();
}

TEST(CollectorLink, DeliversTheSpoolAndEmptiesIt) {
  std::vector<uint64_t> stored;
  FakeCollector collector([&](const std::string&, const std::string& body) {
    for (uint64_t seq : SeqsOf(body)) stored.push_back(seq);
    return AckAll(body);
  });
  ReportSpool spool = SpoolOf(collector.Url(), 5);
  CollectorLink link = LinkTo(collector.Url());
  EXPECT_EQ(link.Deliver(spool, 0, 1, false), 0u);
  EXPECT_EQ(spool.pending(0), 0u);
  EXPECT_EQ(stored, (std::vector<uint64_t>{1, 2, 3, 4, 5}));
  EXPECT_EQ(collector.requests(), 1u);
  EXPECT_EQ(link.next_attempt_ns(), 0);
}

// A captive portal or a proxy answering 200 with nothing: it stored nothing.
TEST(CollectorLink, KeepsEveryReportAfterAnEmpty200) {
  FakeCollector collector([](const std::string&, const std::string&) { return Reply{200, "", ""}; });
  ReportSpool spool = SpoolOf(collector.Url(), 5);
  CollectorLink link = LinkTo(collector.Url());
  size_t dropped = 0;
  const std::string log = DeliverLogged(link, spool, &dropped);
  EXPECT_EQ(dropped, 0u);
  EXPECT_EQ(spool.pending(0), 5u);
  EXPECT_GT(link.next_attempt_ns(), 1);  // held back by the backoff
  EXPECT_NE(log.find("HTTP 200 acknowledging 0 report(s) (0 stored, 0 duplicate) of the 5 sent (no body)"),
            std::string::npos)
      << log;
  EXPECT_NE(log.find("keeping 5 report(s) and retrying with backoff"), std::string::npos) << log;
  EXPECT_TRUE(log.starts_with("<3>") || log.starts_with("error: ")) << log;
}

TEST(CollectorLink, KeepsEveryReportAfterAnHtmlPageWith200AndSaysWhatCame) {
  FakeCollector collector([](const std::string&, const std::string&) {
    return Reply{200, "<html><body>Welcome to the hotel Wi-Fi\n<a href=/login>log in</a></body></html>",
                 "text/html; charset=utf-8"};
  });
  ReportSpool spool = SpoolOf(collector.Url(), 5);
  CollectorLink link = LinkTo(collector.Url());
  size_t dropped = 0;
  const std::string log = DeliverLogged(link, spool, &dropped);
  EXPECT_EQ(spool.pending(0), 5u);
  EXPECT_NE(log.find("HTTP 200 that is not a PushAck (78 byte(s) of text/html; charset=utf-8: '<html><body>Welcome to "
                     "the hotel Wi-Fi\uFFFD<a href=/login>"),
            std::string::npos)
      << log;
}

TEST(CollectorLink, KeepsEveryReportAfterAnAckForFewerThanWereSent) {
  FakeCollector collector([](const std::string&, const std::string&) {
    v1::PushAck ack;
    ack.set_stored(2);
    ack.set_duplicates(1);
    return Reply{200, ack.SerializeAsString()};
  });
  ReportSpool spool = SpoolOf(collector.Url(), 5);
  CollectorLink link = LinkTo(collector.Url());
  size_t dropped = 0;
  const std::string log = DeliverLogged(link, spool, &dropped);
  EXPECT_EQ(spool.pending(0), 5u);
  EXPECT_NE(log.find("HTTP 200 acknowledging 3 report(s) (2 stored, 1 duplicate) of the 5 sent"), std::string::npos)
      << log;
}

// The collector refuses one report of five (here: its seq 3): the batch is
// split, the four others are stored, only that one is dropped and counted.
TEST(CollectorLink, DropsOnlyTheReportTheCollectorRefusesAlone) {
  std::vector<uint64_t> stored;
  FakeCollector collector([&](const std::string&, const std::string& body) {
    const std::vector<uint64_t> seqs = SeqsOf(body);
    if (std::find(seqs.begin(), seqs.end(), 3u) != seqs.end()) {
      return Reply{400, "disks[0].model is not printable UTF-8", "text/plain"};
    }
    stored.insert(stored.end(), seqs.begin(), seqs.end());
    return AckAll(body);
  });
  ReportSpool spool = SpoolOf(collector.Url(), 5);
  CollectorLink link = LinkTo(collector.Url());
  size_t dropped = 0;
  const std::string log = DeliverLogged(link, spool, &dropped);
  EXPECT_EQ(dropped, 1u);
  EXPECT_EQ(spool.pending(0), 0u);
  EXPECT_EQ(stored, (std::vector<uint64_t>{1, 2, 4, 5}));
  // 1-5 refused; 1-2 stored; 3-4 refused; 3 refused alone; 4-5 stored.
  EXPECT_EQ(collector.requests(), 5u);
  EXPECT_NE(log.find("refused report seq 3 alone, dropping it: HTTP 400: 37 byte(s) of text/plain: "
                     "'disks[0].model is not printable UTF-8'"),
            std::string::npos)
      << log;
  EXPECT_EQ(log.find("seq 1 "), std::string::npos) << log;
  EXPECT_EQ(link.next_attempt_ns(), 0);  // a verdict, not a failure: no backoff
}

TEST(CollectorLink, DropsEachReportOfAnEntirelyRefusedBacklogInFewRequests) {
  FakeCollector collector([&](const std::string&, const std::string&) {
    return Reply{413, "too large", "text/plain"};
  });
  ReportSpool spool = SpoolOf(collector.Url(), 64);
  CollectorLink link = LinkTo(collector.Url());
  size_t dropped = 0;
  DeliverLogged(link, spool, &dropped);
  EXPECT_EQ(dropped, 64u);
  EXPECT_EQ(spool.pending(0), 0u);
  // 64, 32, ... 1 for the first, then 2 and 1 for each of the others but
  // the last, sent alone.
  EXPECT_EQ(collector.requests(), 7u + 62 * 2 + 1);
}

// A token mix-up: reports are kept (the spool bounds them) until the token
// file is fixed, and then delivered without a restart.
TEST(CollectorLink, KeepsTheReportsWhileTheTokenIsRefusedAndDeliversThemOnceTheFileIsFixed) {
  testing::TempDir dir;
  const std::filesystem::path token_file = dir.Write("agent.token", "wrong\n");
  std::vector<std::string> authorizations;
  FakeCollector collector([&](const std::string& authorization, const std::string& body) {
    authorizations.push_back(authorization);
    if (authorization != "Bearer right") return Reply{401, "unknown token", "text/plain"};
    return AckAll(body);
  });
  ReportSpool spool = SpoolOf(collector.Url(), 5);
  CollectorLink link = LinkTo(collector.Url(), token_file, "wrong");
  size_t dropped = 0;
  std::string log = DeliverLogged(link, spool, &dropped);
  EXPECT_EQ(dropped, 0u);
  EXPECT_EQ(spool.pending(0), 5u);
  EXPECT_GT(link.next_attempt_ns(), 1);
  EXPECT_NE(log.find(collector.Url() + ": HTTP 401: 13 byte(s) of text/plain: 'unknown token'; the collector refuses "
                                       "this node's token: fix " +
                     token_file.string() + " (read again before each retry, no restart needed)"),
            std::string::npos)
      << log;
  EXPECT_TRUE(log.starts_with("<3>") || log.starts_with("error: ")) << log;

  log = DeliverLogged(link, spool, &dropped);  // still wrong: not logged again
  EXPECT_EQ(log, "");
  EXPECT_EQ(spool.pending(0), 5u);

  dir.Write("agent.token", "right\n");
  log = DeliverLogged(link, spool, &dropped);
  EXPECT_EQ(spool.pending(0), 0u);
  EXPECT_EQ(authorizations, (std::vector<std::string>{"Bearer wrong", "Bearer wrong", "Bearer right"}));
  EXPECT_NE(log.find("read a new token from " + token_file.string()), std::string::npos) << log;
  EXPECT_NE(log.find("reachable again, delivered 5 waiting report(s)"), std::string::npos) << log;
  EXPECT_EQ(link.next_attempt_ns(), 0);
}

TEST(CollectorLink, WaitsForTheBackoffUnlessToldNotTo) {
  FakeCollector collector([](const std::string&, const std::string&) { return Reply{503, "busy", "text/plain"}; });
  ReportSpool spool = SpoolOf(collector.Url(), 2);
  CollectorLink link = LinkTo(collector.Url());
  size_t dropped = 0;
  const std::string log = DeliverLogged(link, spool, &dropped, /*ignore_backoff=*/false);
  EXPECT_NE(log.find("push failed, keeping reports and retrying with backoff: HTTP 503: 4 byte(s) of text/plain: "
                     "'busy' (2 report(s) waiting)"),
            std::string::npos)
      << log;
  EXPECT_TRUE(log.starts_with("<4>") || log.starts_with("warning: ")) << log;
  EXPECT_EQ(link.Deliver(spool, 0, link.next_attempt_ns() - 1, false), 0u);
  EXPECT_EQ(collector.requests(), 1u);
  EXPECT_EQ(spool.pending(0), 2u);
}

// Which answers drop reports (a verdict on them) and which keep them.
TEST(Pusher, OnlyAVerdictOnTheReportsRefusesThem) {
  struct Case {
    unsigned status;
    PushResult::Outcome outcome;
  };
  const Case cases[] = {
      {400, PushResult::Outcome::kRefused}, {413, PushResult::Outcome::kRefused},
      {422, PushResult::Outcome::kRefused}, {408, PushResult::Outcome::kRetry},
      {429, PushResult::Outcome::kRetry},   {500, PushResult::Outcome::kRetry},
      {503, PushResult::Outcome::kRetry},   {401, PushResult::Outcome::kBlocked},
      {403, PushResult::Outcome::kBlocked}, {404, PushResult::Outcome::kBlocked},
      {405, PushResult::Outcome::kBlocked}, {301, PushResult::Outcome::kBlocked},
      {204, PushResult::Outcome::kBlocked},
  };
  for (const Case& c : cases) {
    FakeCollector collector([&](const std::string&, const std::string&) { return Reply{c.status, "", ""}; });
    Pusher pusher(
        CollectorTarget{.url = collector.Url(), .token = "t0k", .token_file = {}, .ca_file = {}, .timeout = 5s});
    size_t count = 0;
    const PushResult result = pusher.Push(SpoolOf(collector.Url(), 1).NextBatch(0, 1, &count), count);
    EXPECT_EQ(result.http_status, static_cast<int>(c.status));
    EXPECT_EQ(result.outcome, c.outcome) << c.status << ": " << result.reason;
  }
}

}  // namespace
}  // namespace vigie::agent
