// What the fleet's people actually received, read back from the peers the
// collector sends to: the Matrix test homeserver's rooms and the SMTP
// server's stored mails. Each message is stamped with the time the test
// first saw it, and printed at once as a line of the timeline, so that a
// person can read the story as it happens (and again on failure).
//
// Not thread-safe; the test's thread polls it.
#pragma once

#include <chrono>
#include <filesystem>
#include <map>
#include <set>
#include <string>
#include <vector>

namespace vigie::fleet {

struct Received {
  double at_s = 0;        // seconds since the inbox was made
  std::string channel;    // "matrix" or "email"
  std::string recipient;  // the member's or admin's name
  std::string text;       // Matrix: the body; e-mail: "Subject: ...\n" then the body
};

class Inbox {
 public:
  // `matrix_url`: the homeserver as seen from `netns` (the collector's
  // namespace); `matrix` maps a room id, or the Matrix user invited to a
  // direct room, to a name; `addresses` an e-mail address to a name.
  Inbox(std::string netns, std::string matrix_url, std::map<std::string, std::string> matrix,
        std::filesystem::path mail_dir, std::map<std::string, std::string> addresses);

  // Fetches what arrived since the last call, prints it, adds it.
  void Poll();
  // A line of narration in the timeline ("rennes loses power").
  void Note(const std::string& what);

  double now_s() const;
  const std::vector<Received>& all() const { return all_; }
  // The messages received at or after `since_s` by `recipient` on `channel` ("" for both).
  std::vector<Received> To(const std::string& recipient, double since_s, const std::string& channel = "") const;
  // The messages received at or after `since_s` by anyone but `recipients`.
  std::vector<Received> NotTo(const std::set<std::string>& recipients, double since_s) const;
  // Every message and note, in order, one per line.
  std::string Timeline() const;

 private:
  void Add(Received message);
  void PollMatrix();
  void PollMail();

  const std::string netns_;
  const std::string matrix_url_;
  const std::map<std::string, std::string> matrix_;
  const std::filesystem::path mail_dir_;
  const std::map<std::string, std::string> addresses_;
  const std::chrono::steady_clock::time_point start_ = std::chrono::steady_clock::now();
  std::map<std::string, size_t> seen_events_;  // room -> events already read
  std::set<std::string> seen_mails_;
  std::vector<Received> all_;
  std::vector<std::string> lines_;
};

// One line for a person: "  12.3s  matrix  Alice     WARNING: every machine ...".
std::string FormatReceived(const Received& message);

}  // namespace vigie::fleet
