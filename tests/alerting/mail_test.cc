// The engine and MailNotifier against a real SMTP server (Debian's
// python3-aiosmtpd, tests/alerting/smtp_sink.py) with STARTTLS and AUTH
// required: the test parses the mail it received. Injected clock, no sleeps.
#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <sstream>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "alerting/engine.h"
#include "alerting/mail_notifier.h"
#include "common/config.h"
#include "tests/alerting/peers.h"
#include "tests/testing/process.h"
#include "tests/testing/testing.h"

namespace vigie::alerting {
namespace {

using namespace std::chrono_literals;
using ::testing::HasSubstr;
using ::testing::MatchesRegex;

constexpr int64_t kT0 = 1'764'000'000'000;

struct Mail {
  std::map<std::string, std::string> headers;
  std::string body;
};

// RFC 5322: header lines up to the first empty line, then the body. No folding is expected.
Mail ParseMail(const std::string& text) {
  Mail mail;
  const size_t end = text.find("\r\n\r\n");
  std::istringstream lines(text.substr(0, end));
  std::string line;
  while (std::getline(lines, line)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    const size_t colon = line.find(": ");
    if (colon != std::string::npos) mail.headers[line.substr(0, colon)] = line.substr(colon + 2);
  }
  mail.body = end == std::string::npos ? "" : text.substr(end + 4);
  return mail;
}

std::string ReadFile(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

class MailTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(testing::NeedPackages({"python3", "python3-aiosmtpd", "openssl"}));
    const std::string cert = (dir_.path() / "cert.pem").string();
    const std::string key = (dir_.path() / "key.pem").string();
    // A self-signed certificate for 127.0.0.1, which the notifier trusts through ca_file.
    ASSERT_EQ(testing::RunCommand({"/bin/sh", "-c",
                                   "/usr/bin/openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=127.0.0.1 "
                                   "-addext subjectAltName=IP:127.0.0.1 -keyout '" + key + "' -out '" + cert +
                                       "' 2>/dev/null"})
                  .exit_code,
              0);
    std::filesystem::create_directories(dir_.path() / "mail");
    server_ = std::make_unique<testing::ChildProcess>(std::vector<std::string>{
        "/usr/bin/python3", std::string(VIGIE_SOURCE_DIR) + "/tests/alerting/smtp_sink.py", "--out",
        (dir_.path() / "mail").string(), "--cert", cert, "--key", key, "--user", "vigie", "--password", "pw"});
    const std::optional<std::string> port = server_->WaitForLine("listening on 127.0.0.1:", 20s);
    ASSERT_TRUE(port) << server_->stderr_text();
    dir_.Write("smtp.password", "pw\n");
    const std::string toml = R"(
[[site]]
name = "rennes"
members = [{ name = "Alice", email = "alice@example.org" }]
[alerting]
offline_after = "4m"
[smtp]
url = "smtp://127.0.0.1:)" + *port + R"("
from = "Vigie <vigie@example.org>"
username = "vigie"
password_file = "smtp.password"
ca_file = "cert.pem"
)";
    config_ = LoadAlertingConfig(ConfigDocument::Parse(toml, (dir_.path() / "collector.toml").string()).Root());
    ASSERT_TRUE(config_.smtp);
    notifier_ = std::make_unique<MailNotifier>(*config_.smtp, 10'000);
  }

  std::unique_ptr<Engine> OpenEngine() {
    auto engine = Engine::Open(config_, dir_.path() / "collector.db", Notifiers{nullptr, notifier_.get(), nullptr});
    EXPECT_TRUE(engine) << engine.error().message;
    return engine ? std::move(*engine) : nullptr;
  }

  std::filesystem::path MailPath(int n) { return dir_.path() / "mail" / (std::to_string(n) + ".eml"); }

  testing::TempDir dir_;
  std::unique_ptr<testing::ChildProcess> server_;
  AlertingConfig config_;
  std::unique_ptr<MailNotifier> notifier_;
};

TEST_F(MailTest, OfflineNodeMailsFiringThenResolvedThreadedUnderItAcrossARestart) {
  int64_t now = kT0;
  {
    std::unique_ptr<Engine> engine = OpenEngine();
    ASSERT_TRUE(engine);
    engine->OnReport("rennes-2", "rennes", testing::BasicReport("rennes-2", now, 1), now);
    // Silent: offline after 4 min, plus the 2 min group window for its site.
    for (int i = 0; i < 20; ++i) engine->Tick(now += 30'000);
  }
  ASSERT_TRUE(std::filesystem::exists(MailPath(1))) << server_->stderr_text();
  EXPECT_FALSE(std::filesystem::exists(MailPath(2)));
  const Mail firing = ParseMail(ReadFile(MailPath(1)));
  EXPECT_EQ(firing.headers.at("Subject"), "[vigie] FIRING rennes-2 offline");
  EXPECT_EQ(firing.headers.at("From"), "Vigie <vigie@example.org>");
  EXPECT_EQ(firing.headers.at("To"), "alice@example.org");
  EXPECT_EQ(firing.headers.at("Content-Type"), "text/plain; charset=utf-8");
  EXPECT_EQ(firing.headers.at("Date"), "Mon, 24 Nov 2025 16:06:00 +0000");
  EXPECT_THAT(firing.headers.at("Message-ID"), MatchesRegex("<alert-[0-9]+-1764000000000@example.org>"));
  EXPECT_EQ(firing.headers.count("References"), 0u);
  EXPECT_THAT(firing.body, HasSubstr("rennes-2 has sent nothing since"));
  EXPECT_THAT(firing.body, HasSubstr("Where: rennes-2 (home rennes)"));
  EXPECT_THAT(firing.body, HasSubstr("What to check: Check that it is switched on"));
  const std::string meta = ReadFile(dir_.path() / "mail" / "1.json");
  EXPECT_THAT(meta, HasSubstr("\"tls\": true"));
  EXPECT_THAT(meta, HasSubstr("\"rcpt_tos\": [\"alice@example.org\"]"));
  EXPECT_THAT(meta, HasSubstr("\"mail_from\": \"vigie@example.org\""));

  // A restart of the collector neither forgets the alert nor sends it again...
  std::unique_ptr<Engine> engine = OpenEngine();
  ASSERT_TRUE(engine);
  for (int i = 0; i < 10; ++i) engine->Tick(now += 30'000);
  EXPECT_FALSE(std::filesystem::exists(MailPath(2)));
  // ...and its resolution threads under the firing mail.
  engine->OnReport("rennes-2", "rennes", testing::BasicReport("rennes-2", now, 2), now);
  engine->Tick(now += 5'000);
  ASSERT_TRUE(std::filesystem::exists(MailPath(2))) << server_->stderr_text();
  const Mail resolved = ParseMail(ReadFile(MailPath(2)));
  EXPECT_EQ(resolved.headers.at("Subject"), "[vigie] RESOLVED rennes-2 offline");
  EXPECT_EQ(resolved.headers.at("References"), firing.headers.at("Message-ID"));
  EXPECT_EQ(resolved.headers.at("In-Reply-To"), firing.headers.at("Message-ID"));
  EXPECT_NE(resolved.headers.at("Message-ID"), firing.headers.at("Message-ID"));
  EXPECT_THAT(resolved.body, HasSubstr("RESOLVED rennes-2 offline: fine again"));
}

int CountMails(const std::filesystem::path& dir) {
  int count = 0;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) count += entry.path().extension() == ".eml";
  return count;
}

TEST_F(MailTest, TwoHundredFullFilesystemsMakeOneFiringAndOneResolvedMail) {
  int64_t now = kT0;
  std::unique_ptr<Engine> engine = OpenEngine();
  ASSERT_TRUE(engine);
  v1::Report full = testing::BasicReport("rennes-1", now, 1);
  testing::AddFilesystems(full, 200, 0.99);
  engine->OnReport("rennes-1", "rennes", full, now);
  engine->Tick(now += 5'000);
  ASSERT_TRUE(std::filesystem::exists(MailPath(1))) << server_->stderr_text();
  now += 10'000;
  engine->OnReport("rennes-1", "rennes", testing::BasicReport("rennes-1", now, 2), now);
  engine->Tick(now += 5'000);
  ASSERT_TRUE(std::filesystem::exists(MailPath(2))) << server_->stderr_text();
  // Every message the sink accepted is on disk before the engine's call returns.
  EXPECT_EQ(CountMails(dir_.path() / "mail"), 2);
  const Mail firing = ParseMail(ReadFile(MailPath(1)));
  EXPECT_EQ(firing.headers.at("Subject"), "[vigie] 6 FIRING: rennes-1 filesystem /srv/0 nearly full and 5 more");
  EXPECT_THAT(firing.body, HasSubstr("and 195 more filesystems nearly full on rennes-1: /srv/"));
  const Mail resolved = ParseMail(ReadFile(MailPath(2)));
  EXPECT_EQ(resolved.headers.at("Subject"), "[vigie] 6 RESOLVED: rennes-1 filesystem /srv/0 nearly full and 5 more");
  EXPECT_THAT(resolved.body, HasSubstr("RESOLVED rennes-1: more filesystems nearly full"));
}

TEST_F(MailTest, AForgedBccLineInANodeStringReachesNobody) {
  int64_t now = kT0;
  std::unique_ptr<Engine> engine = OpenEngine();
  ASSERT_TRUE(engine);
  v1::Report r = testing::BasicReport("rennes-1", now, 1);
  r.mutable_system()->mutable_filesystems(0)->set_mountpoint("/x\r\nBcc: evil@example.org\r\n\r\nforged body");
  testing::FillFilesystem(r, 0.95);
  engine->OnReport("rennes-1", "rennes", r, now);
  engine->Tick(now += 5'000);
  ASSERT_TRUE(std::filesystem::exists(MailPath(1))) << server_->stderr_text();
  const std::string meta = ReadFile(dir_.path() / "mail" / "1.json");
  EXPECT_THAT(meta, HasSubstr("\"rcpt_tos\": [\"alice@example.org\"]"));
  const std::string text = ReadFile(MailPath(1));
  EXPECT_THAT(text, ::testing::Not(HasSubstr("\r\nBcc:")));
  EXPECT_THAT(text, ::testing::Not(HasSubstr("\r\nforged body")));
  EXPECT_EQ(ParseMail(text).headers.count("Bcc"), 0u);
}

TEST_F(MailTest, WrongPasswordIsAPermanentFailure) {
  SmtpConfig bad = *config_.smtp;
  bad.password = "nope";
  MailNotifier notifier(bad, 10'000);
  OutboxEntry entry;
  entry.target = "alice@example.org";
  entry.subject = "x";
  entry.message_id = "<x@example.org>";
  entry.text = "x";
  const Delivery d = notifier.Deliver(entry);
  EXPECT_EQ(d.status, Delivery::Status::kPermanent) << d.error;
}

}  // namespace
}  // namespace vigie::alerting
