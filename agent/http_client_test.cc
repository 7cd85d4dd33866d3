#include "agent/http_client.h"

#include <arpa/inet.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "tests/testing/process.h"
#include "tests/testing/recording_server.h"
#include "tests/testing/testing.h"

namespace vigie::agent {
namespace {

using namespace std::chrono_literals;

// A server on 127.0.0.1 that reads each request (head and Content-Length
// body) and writes the next scripted answer byte for byte, for the framings
// libmicrohttpd never produces. Each answer: the bytes, then whether to close
// the connection. Counts the connections it accepted.
class ScriptedServer {
 public:
  struct Answer {
    std::string bytes;
    bool close = false;
  };
  explicit ScriptedServer(std::vector<Answer> answers) : answers_(std::move(answers)) {
    listener_ = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t size = sizeof address;
    EXPECT_EQ(bind(listener_, reinterpret_cast<sockaddr*>(&address), size), 0);
    EXPECT_EQ(listen(listener_, 4), 0);
    getsockname(listener_, reinterpret_cast<sockaddr*>(&address), &size);
    port_ = ntohs(address.sin_port);
    thread_ = std::thread([this] { Serve(); });
  }
  ~ScriptedServer() {
    shutdown(listener_, SHUT_RDWR);
    thread_.join();
    close(listener_);
  }
  std::string Url() const { return "http://127.0.0.1:" + std::to_string(port_); }
  int connections() const { return connections_; }
  std::vector<std::string> requests() const { return requests_; }

 private:
  void Serve() {
    size_t next = 0;
    while (true) {
      const int fd = accept4(listener_, nullptr, nullptr, SOCK_CLOEXEC);
      if (fd < 0) return;
      ++connections_;
      std::string in;
      while (next < answers_.size()) {
        size_t head_end;
        char buffer[4096];
        while ((head_end = in.find("\r\n\r\n")) == std::string::npos || !HasBody(in, head_end)) {
          const ssize_t n = recv(fd, buffer, sizeof buffer, 0);
          if (n <= 0) break;
          in.append(buffer, static_cast<size_t>(n));
        }
        if (head_end == std::string::npos || !HasBody(in, head_end)) break;
        const size_t total = head_end + 4 + BodySize(in, head_end);
        requests_.push_back(in.substr(0, total));
        in.erase(0, total);
        const Answer& answer = answers_[next++];
        EXPECT_EQ(send(fd, answer.bytes.data(), answer.bytes.size(), MSG_NOSIGNAL),
                  static_cast<ssize_t>(answer.bytes.size()));
        if (answer.close) break;
      }
      // Out of answers on an open connection: hold it until the client leaves.
      if (next == answers_.size() && (answers_.empty() || !answers_.back().close)) {
        char buffer[256];
        while (recv(fd, buffer, sizeof buffer, 0) > 0) {
        }
      }
      close(fd);
    }
  }
  static size_t BodySize(const std::string& in, size_t head_end) {
    const size_t at = in.find("Content-Length: ");
    return at < head_end ? std::stoul(in.substr(at + 16)) : 0;
  }
  static bool HasBody(const std::string& in, size_t head_end) {
    return in.size() >= head_end + 4 + BodySize(in, head_end);
  }

  std::vector<Answer> answers_;
  int listener_ = -1;
  uint16_t port_ = 0;
  std::thread thread_;
  std::atomic<int> connections_{0};
  std::vector<std::string> requests_;
};

HttpClient MakeClient(const std::string& url, std::chrono::milliseconds timeout = 5s,
                      const std::filesystem::path& ca_file = {}) {
  Result<HttpClient> client = HttpClient::Create(
      HttpClientOptions{.base_url = url, .ca_file = ca_file, .timeout = timeout, .headers = {"Authorization: Bearer t0k"}});
  EXPECT_TRUE(client) << client.error().message;
  return std::move(*client);
}

TEST(ParseHttpUrl, SplitsSchemeHostPortAndPrefix) {
  const Result<HttpUrl> url = ParseHttpUrl("https://collector.example.org:9470/vigie/");
  ASSERT_TRUE(url) << url.error().message;
  EXPECT_TRUE(url->tls);
  EXPECT_EQ(url->host, "collector.example.org");
  EXPECT_EQ(url->port, 9470);
  EXPECT_EQ(url->path, "/vigie");
}

TEST(ParseHttpUrl, TakesDefaultPortsAndBracketedIpv6) {
  const Result<HttpUrl> url = ParseHttpUrl("http://[::1]");
  ASSERT_TRUE(url) << url.error().message;
  EXPECT_FALSE(url->tls);
  EXPECT_EQ(url->host, "::1");
  EXPECT_EQ(url->port, 80);
  EXPECT_EQ(url->path, "");
}

TEST(ParseHttpUrl, RefusesOtherSchemesBadPortsAndUserInfo) {
  EXPECT_FALSE(ParseHttpUrl("ftp://host"));
  EXPECT_FALSE(ParseHttpUrl("http://host:0"));
  EXPECT_FALSE(ParseHttpUrl("http://host:70000"));
  EXPECT_FALSE(ParseHttpUrl("http://host:"));
  EXPECT_FALSE(ParseHttpUrl("http://user@host"));
  EXPECT_FALSE(ParseHttpUrl("http://:80"));
}

TEST(HttpClient, PostsTheBodyWithItsHeadersToTheUrlsPrefix) {
  testing::RecordingServer server;
  server.Answer({200}, "ack");
  HttpClient client = MakeClient(server.Url("/prefix"));
  const std::string body("\x00\x01binary\xff", 9);
  const Result<HttpResponse> response = client.Post("/v1/push", "application/x-protobuf", body);
  ASSERT_TRUE(response) << response.error().message;
  EXPECT_EQ(response->status, 200);
  EXPECT_EQ(response->body, "ack");
  const std::vector<testing::RecordedRequest> requests = server.requests();
  ASSERT_EQ(requests.size(), 1u);
  EXPECT_EQ(requests[0].method, "POST");
  EXPECT_EQ(requests[0].path, "/prefix/v1/push");
  EXPECT_EQ(requests[0].headers.at("content-type"), "application/x-protobuf");
  EXPECT_EQ(requests[0].headers.at("authorization"), "Bearer t0k");
  EXPECT_EQ(requests[0].headers.at("content-length"), "9");
  EXPECT_EQ(requests[0].body, body);
}

TEST(HttpClient, SendsSuccessivePostsOverOneConnection) {
  ScriptedServer server({{"HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\na"},
                         {"HTTP/1.1 500 Oops\r\nContent-Length: 4\r\n\r\nfull"},
                         {"HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nc"}});
  HttpClient client = MakeClient(server.Url());
  std::vector<int> statuses;
  std::string bodies;
  for (int i = 0; i < 3; ++i) {
    const Result<HttpResponse> response = client.Post("/v1/push", "text/plain", "x");
    ASSERT_TRUE(response) << response.error().message;
    statuses.push_back(response->status);
    bodies += response->body;
  }
  EXPECT_EQ(statuses, (std::vector<int>{200, 500, 200}));
  EXPECT_EQ(bodies, "afullc");
  EXPECT_EQ(server.connections(), 1);
}

TEST(HttpClient, ReturnsTheContentTypeOfTheAnswer) {
  ScriptedServer server({{"HTTP/1.1 200 OK\r\ncontent-type:  text/html; charset=utf-8 \r\nContent-Length: 2\r\n\r\nhi"},
                         {"HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nb"}});
  HttpClient client = MakeClient(server.Url());
  const Result<HttpResponse> first = client.Post("/", "text/plain", "x");
  ASSERT_TRUE(first) << first.error().message;
  EXPECT_EQ(first->content_type, "text/html; charset=utf-8");
  const Result<HttpResponse> second = client.Post("/", "text/plain", "x");
  ASSERT_TRUE(second) << second.error().message;
  EXPECT_EQ(second->content_type, "");
}

TEST(HttpClient, ReadsAChunkedAnswerWithTrailers) {
  ScriptedServer server({{"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
                          "4;ext=1\r\nWiki\r\n6\r\npedia \r\nE\r\nin \r\n\r\nchunks.\r\n0\r\nTrailer: x\r\n\r\n"},
                         {"HTTP/1.1 204 No Content\r\n\r\n"}});
  HttpClient client = MakeClient(server.Url());
  const Result<HttpResponse> first = client.Post("/", "text/plain", "x");
  ASSERT_TRUE(first) << first.error().message;
  EXPECT_EQ(first->body, "Wikipedia in \r\n\r\nchunks.");
  // The connection is in step after the trailers: the next answer reads on it.
  const Result<HttpResponse> second = client.Post("/", "text/plain", "x");
  ASSERT_TRUE(second) << second.error().message;
  EXPECT_EQ(second->status, 204);
  EXPECT_EQ(server.connections(), 1);
}

TEST(HttpClient, SkipsInterimAnswersAndReadsABodyFramedByTheClose) {
  ScriptedServer server({{"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.0 503 Busy\r\n\r\ncome back later", true}});
  HttpClient client = MakeClient(server.Url());
  const Result<HttpResponse> response = client.Post("/", "text/plain", "x");
  ASSERT_TRUE(response) << response.error().message;
  EXPECT_EQ(response->status, 503);
  EXPECT_EQ(response->body, "come back later");
}

TEST(HttpClient, ReconnectsWhenTheServerClosedTheIdleConnection) {
  ScriptedServer server({{"HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\na", /*close=*/true},
                         {"HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nb"}});
  HttpClient client = MakeClient(server.Url());
  ASSERT_TRUE(client.Post("/", "text/plain", "x"));
  const Result<HttpResponse> second = client.Post("/", "text/plain", "x");
  ASSERT_TRUE(second) << second.error().message;
  EXPECT_EQ(second->body, "b");
  EXPECT_EQ(server.connections(), 2);
}

TEST(HttpClient, ReturnsARedirectWithoutFollowingIt) {
  ScriptedServer server({{"HTTP/1.1 301 Moved\r\nLocation: http://elsewhere/\r\nContent-Length: 0\r\n\r\n"}});
  HttpClient client = MakeClient(server.Url());
  const Result<HttpResponse> response = client.Post("/", "text/plain", "x");
  ASSERT_TRUE(response) << response.error().message;
  EXPECT_EQ(response->status, 301);
  EXPECT_EQ(server.requests().size(), 1u);
}

TEST(HttpClient, RefusesAnAnswerBodyOver64KiB) {
  ScriptedServer server({{"HTTP/1.1 200 OK\r\nContent-Length: 70000\r\n\r\n" + std::string(70000, 'a')}});
  HttpClient client = MakeClient(server.Url());
  const Result<HttpResponse> response = client.Post("/", "text/plain", "x");
  ASSERT_FALSE(response);
  EXPECT_NE(response.error().message.find("over 64 KiB"), std::string::npos) << response.error().message;
}

TEST(HttpClient, NamesTheAddressOfARefusedConnection) {
  uint16_t port;
  {
    ScriptedServer closed({});
    port = static_cast<uint16_t>(std::stoi(closed.Url().substr(17)));
  }
  HttpClient client = MakeClient("http://127.0.0.1:" + std::to_string(port));
  const Result<HttpResponse> response = client.Post("/", "text/plain", "x");
  ASSERT_FALSE(response);
  EXPECT_EQ(response.error().message, "connect to 127.0.0.1:" + std::to_string(port) + ": Connection refused");
}

TEST(HttpClient, TimesOutWhenTheServerNeverAnswers) {
  ScriptedServer silent({{"HTTP/1.1 200 OK\r\n", /*close=*/false}});  // the head never ends
  HttpClient client = MakeClient(silent.Url(), 300ms);
  const auto start = std::chrono::steady_clock::now();
  const Result<HttpResponse> response = client.Post("/", "text/plain", "x");
  const auto took = std::chrono::steady_clock::now() - start;
  ASSERT_FALSE(response);
  EXPECT_NE(response.error().message.find("receive: timed out"), std::string::npos) << response.error().message;
  EXPECT_GE(took, 300ms);
  EXPECT_LT(took, 3s);
}

// An HTTPS server on 127.0.0.1 (libmicrohttpd, its own GnuTLS) answering 200 "ok".
class TlsServer {
 public:
  TlsServer(const std::string& key_pem, const std::string& cert_pem) : key_(key_pem), cert_(cert_pem) {
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    daemon_ = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_TLS, 0, nullptr, nullptr, &OnRequest, nullptr,
                               MHD_OPTION_SOCK_ADDR, &address, MHD_OPTION_HTTPS_MEM_KEY, key_.c_str(),
                               MHD_OPTION_HTTPS_MEM_CERT, cert_.c_str(), MHD_OPTION_END);
    EXPECT_NE(daemon_, nullptr);
    if (daemon_ != nullptr) port_ = MHD_get_daemon_info(daemon_, MHD_DAEMON_INFO_BIND_PORT)->port;
  }
  ~TlsServer() {
    if (daemon_ != nullptr) MHD_stop_daemon(daemon_);
  }
  uint16_t port() const { return port_; }

 private:
  static MHD_Result OnRequest(void*, MHD_Connection* connection, const char*, const char*, const char*,
                              const char*, size_t* upload_size, void** state) {
    if (*state == nullptr) {
      *state = connection;
      return MHD_YES;
    }
    if (*upload_size != 0) {
      *upload_size = 0;
      return MHD_YES;
    }
    MHD_Response* response = MHD_create_response_from_buffer(2, const_cast<char*>("ok"), MHD_RESPMEM_PERSISTENT);
    const MHD_Result queued = MHD_queue_response(connection, 200, response);
    MHD_destroy_response(response);
    return queued;
  }
  std::string key_, cert_;
  MHD_Daemon* daemon_ = nullptr;
  uint16_t port_ = 0;
};

std::string ReadFile(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

// A throwaway certificate made by openssl for `san` ("IP:127.0.0.1").
struct Certificate {
  std::filesystem::path cert_file;
  std::string key_pem, cert_pem;
};
Certificate MakeCertificate(const testing::TempDir& dir, const std::string& name, const std::string& san) {
  const std::filesystem::path key = dir.path() / (name + ".key"), cert = dir.path() / (name + ".crt");
  const testing::CommandResult made = testing::RunCommand({"/usr/bin/openssl", "req", "-x509", "-newkey", "rsa:2048",
                                                           "-nodes", "-days", "2", "-subj", "/CN=" + name, "-addext",
                                                           "subjectAltName=" + san, "-keyout", key.string(), "-out",
                                                           cert.string()});
  EXPECT_EQ(made.exit_code, 0);
  return {cert, ReadFile(key), ReadFile(cert)};
}

TEST(HttpClientTls, PostsOverHttpsToACertificateOfTheCaFile) {
  if (!std::filesystem::exists("/usr/bin/openssl")) GTEST_SKIP() << "openssl is not installed";
  testing::TempDir dir;
  const Certificate certificate = MakeCertificate(dir, "collector", "IP:127.0.0.1");
  TlsServer server(certificate.key_pem, certificate.cert_pem);
  HttpClient client = MakeClient("https://127.0.0.1:" + std::to_string(server.port()), 5s, certificate.cert_file);
  for (int i = 0; i < 2; ++i) {
    const Result<HttpResponse> response = client.Post("/v1/push", "text/plain", "x");
    ASSERT_TRUE(response) << response.error().message;
    EXPECT_EQ(response->status, 200);
    EXPECT_EQ(response->body, "ok");
  }
}

TEST(HttpClientTls, RefusesACertificateFromAnotherCa) {
  if (!std::filesystem::exists("/usr/bin/openssl")) GTEST_SKIP() << "openssl is not installed";
  testing::TempDir dir;
  const Certificate served = MakeCertificate(dir, "collector", "IP:127.0.0.1");
  const Certificate other = MakeCertificate(dir, "other", "IP:127.0.0.1");
  TlsServer server(served.key_pem, served.cert_pem);
  HttpClient client = MakeClient("https://127.0.0.1:" + std::to_string(server.port()), 5s, other.cert_file);
  const Result<HttpResponse> response = client.Post("/v1/push", "text/plain", "x");
  ASSERT_FALSE(response);
  EXPECT_NE(response.error().message.find("not issued by a CA of " + other.cert_file.string()), std::string::npos)
      << response.error().message;
}

// One POST over https to `host`, served a throwaway certificate with
// subject CN `name` and `san`, that certificate being the client's CA file.
Result<HttpResponse> PostToCertifiedServer(const std::string& host, const std::string& name, const std::string& san) {
  testing::TempDir dir;
  const Certificate certificate = MakeCertificate(dir, name, san);
  TlsServer server(certificate.key_pem, certificate.cert_pem);
  HttpClient client =
      MakeClient("https://" + host + ":" + std::to_string(server.port()), 5s, certificate.cert_file);
  return client.Post("/v1/push", "text/plain", "x");
}

TEST(HttpClientTls, RefusesACertificateForAnotherHost) {
  if (!std::filesystem::exists("/usr/bin/openssl")) GTEST_SKIP() << "openssl is not installed";
  const Result<HttpResponse> response = PostToCertifiedServer("127.0.0.1", "collector", "DNS:collector.example.org");
  ASSERT_FALSE(response);
  EXPECT_NE(response.error().message.find("not issued for 127.0.0.1"), std::string::npos) << response.error().message;
}

TEST(HttpClientTls, PostsToAHostNameFromEtcHostsThatTheCertificateNames) {
  if (!std::filesystem::exists("/usr/bin/openssl")) GTEST_SKIP() << "openssl is not installed";
  const Result<HttpResponse> response = PostToCertifiedServer("localhost", "collector", "DNS:localhost");
  ASSERT_TRUE(response) << response.error().message;
  EXPECT_EQ(response->status, 200);
}

// The address spelt as the subject's CN and as a DNS name does not count:
// only an iPAddress SAN names an IP host.
TEST(HttpClientTls, RefusesACertificateForAnotherIpAddress) {
  if (!std::filesystem::exists("/usr/bin/openssl")) GTEST_SKIP() << "openssl is not installed";
  const Result<HttpResponse> response = PostToCertifiedServer("127.0.0.1", "127.0.0.1", "IP:127.0.0.2,DNS:127.0.0.1");
  ASSERT_FALSE(response);
  EXPECT_NE(response.error().message.find("not issued for 127.0.0.1"), std::string::npos) << response.error().message;
}

TEST(HttpClientTls, FailsToCreateWithAnUnreadableCaFile) {
  const Result<HttpClient> client = HttpClient::Create(
      HttpClientOptions{.base_url = "https://127.0.0.1:1", .ca_file = "/nonexistent/ca.pem", .timeout = 1s, .headers = {}});
  ASSERT_FALSE(client);
  EXPECT_NE(client.error().message.find("/nonexistent/ca.pem"), std::string::npos) << client.error().message;
}

}  // namespace
}  // namespace vigie::agent
