#include "tests/fleet/inbox.h"

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <sstream>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "tests/fleet/netns.h"
#include "tests/testing/http_client.h"

namespace vigie::fleet {
namespace {

// The "body" of every event of a /_test/rooms/{room}/events answer, in order.
std::vector<std::string> EventBodies(const std::string& answer) {
  std::vector<std::string> bodies;
  const nlohmann::json json = nlohmann::json::parse(answer, nullptr, /*allow_exceptions=*/false);
  if (!json.is_object() || !json.contains("events")) return bodies;
  for (const nlohmann::json& event : json["events"]) bodies.push_back(event["content"].value("body", ""));
  return bodies;
}

std::string ReadFile(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

// "Subject: ...\n" and the body of a stored mail (RFC 5322, 8bit, CRLF).
std::string MailText(const std::string& mail, std::string* to) {
  const size_t end = mail.find("\r\n\r\n");
  std::istringstream lines(mail.substr(0, end));
  std::string line;
  std::string subject;
  while (std::getline(lines, line)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.starts_with("Subject: ")) subject = line.substr(9);
    if (line.starts_with("To: ")) *to = line.substr(4);
  }
  std::string body = end == std::string::npos ? "" : mail.substr(end + 4);
  body.erase(std::remove(body.begin(), body.end(), '\r'), body.end());
  return "Subject: " + subject + "\n" + body;
}

}  // namespace

Inbox::Inbox(std::string netns, std::string matrix_url, std::map<std::string, std::string> matrix,
             std::filesystem::path mail_dir, std::map<std::string, std::string> addresses)
    : netns_(std::move(netns)),
      matrix_url_(std::move(matrix_url)),
      matrix_(std::move(matrix)),
      mail_dir_(std::move(mail_dir)),
      addresses_(std::move(addresses)) {}

double Inbox::now_s() const {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
}

void Inbox::Add(Received message) {
  lines_.push_back(FormatReceived(message));
  std::printf("%s\n", lines_.back().c_str());
  std::fflush(stdout);
  all_.push_back(std::move(message));
}

void Inbox::Note(const std::string& what) {
  lines_.push_back(fmt::format("{:7.1f}s  --- {}", now_s(), what));
  std::printf("%s\n", lines_.back().c_str());
  std::fflush(stdout);
}

void Inbox::Poll() {
  PollMatrix();
  PollMail();
}

void Inbox::PollMatrix() {
  InNetns in(netns_);
  if (!in.ok()) return;
  // Every room, with whom it was made for: a room named in `matrix_`, or a
  // direct room the collector created for a member's Matrix user.
  const testing::HttpReply listing = testing::HttpGet(matrix_url_ + "/_test/rooms");
  const nlohmann::json rooms = nlohmann::json::parse(listing.body, nullptr, /*allow_exceptions=*/false);
  if (listing.status != 200 || !rooms.is_object() || !rooms.contains("rooms")) return;
  for (const nlohmann::json& room : rooms["rooms"]) {
    const std::string id = room.value("room_id", "");
    auto name = matrix_.find(id);
    if (name == matrix_.end() && room.contains("invite") && room["invite"].size() == 1) {
      name = matrix_.find(room["invite"][0].get<std::string>());
    }
    if (name == matrix_.end()) continue;
    const testing::HttpReply reply = testing::HttpGet(matrix_url_ + "/_test/rooms/" + id + "/events");
    if (reply.status != 200) continue;
    const std::vector<std::string> bodies = EventBodies(reply.body);
    for (size_t i = seen_events_[id]; i < bodies.size(); ++i) Add(Received{now_s(), "matrix", name->second, bodies[i]});
    seen_events_[id] = std::max(seen_events_[id], bodies.size());
  }
}

void Inbox::PollMail() {
  std::error_code error;
  std::vector<std::filesystem::path> mails;
  for (const auto& entry : std::filesystem::directory_iterator(mail_dir_, error)) {
    if (entry.path().extension() == ".eml" && !seen_mails_.contains(entry.path().filename())) mails.push_back(entry.path());
  }
  // The server numbers them 1.eml, 2.eml... in the order they came.
  std::sort(mails.begin(), mails.end(), [](const auto& a, const auto& b) {
    return std::stoi(a.stem().string()) < std::stoi(b.stem().string());
  });
  for (const std::filesystem::path& path : mails) {
    seen_mails_.insert(path.filename());
    std::string to;
    std::string text = MailText(ReadFile(path), &to);
    const auto name = addresses_.find(to);
    Add(Received{now_s(), "email", name == addresses_.end() ? to : name->second, std::move(text)});
  }
}

std::vector<Received> Inbox::To(const std::string& recipient, double since_s, const std::string& channel) const {
  std::vector<Received> out;
  for (const Received& r : all_) {
    if (r.recipient == recipient && r.at_s >= since_s && (channel.empty() || r.channel == channel)) out.push_back(r);
  }
  return out;
}

std::vector<Received> Inbox::NotTo(const std::set<std::string>& recipients, double since_s) const {
  std::vector<Received> out;
  for (const Received& r : all_) {
    if (!recipients.contains(r.recipient) && r.at_s >= since_s) out.push_back(r);
  }
  return out;
}

std::string Inbox::Timeline() const {
  std::string out;
  for (const std::string& line : lines_) out += line + "\n";
  return out;
}

std::string FormatReceived(const Received& message) {
  // The text on one line: its lines joined with " | ", the links left out.
  std::string text;
  std::istringstream lines(message.text);
  std::string line;
  while (std::getline(lines, line)) {
    if (line.empty() || line.starts_with("Dashboard: ") || line.starts_with("What to check: ")) continue;
    text += (text.empty() ? "" : " | ") + line;
  }
  return fmt::format("{:7.1f}s  {:<6}  {:<6}  {}", message.at_s, message.channel, message.recipient, text);
}

}  // namespace vigie::fleet
