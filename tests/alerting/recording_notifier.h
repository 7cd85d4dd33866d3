// A Notifier for engine tests: records every entry it is handed and
// answers from a script, then "delivered".
#pragma once

#include <deque>
#include <string>
#include <vector>

#include "alerting/notifier.h"

namespace vigie::testing {

class RecordingNotifier : public alerting::Notifier {
 public:
  alerting::Delivery Deliver(const alerting::OutboxEntry& entry) override {
    attempts.push_back(entry);
    using alerting::Delivery;
    Delivery d{Delivery::Status::kDelivered, 0, "", ""};
    if (down) {
      d = Delivery{Delivery::Status::kRetry, 0, "down", ""};
    } else if (!script.empty()) {
      d = script.front();
      script.pop_front();
    }
    if (d.status == Delivery::Status::kDelivered) delivered.push_back(entry);
    return d;
  }
  // Delivered entries whose target is `target`.
  std::vector<alerting::OutboxEntry> To(const std::string& target) const {
    std::vector<alerting::OutboxEntry> out;
    for (const alerting::OutboxEntry& e : delivered) {
      if (e.target == target) out.push_back(e);
    }
    return out;
  }

  std::deque<alerting::Delivery> script;
  bool down = false;  // every attempt fails, to be retried
  std::string Dump() const {
    std::string out;
    for (const alerting::OutboxEntry& e : delivered) out += e.target + ": " + e.text + "\n---\n";
    return out;
  }
  std::vector<alerting::OutboxEntry> attempts;
  std::vector<alerting::OutboxEntry> delivered;
};

}  // namespace vigie::testing
