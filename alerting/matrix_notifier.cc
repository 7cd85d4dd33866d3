#include "alerting/matrix_notifier.h"

#include <algorithm>
#include <charconv>

#include <fmt/format.h>

#include "alerting/http_call.h"
#include "common/json_writer.h"
#include "common/printable.h"

namespace vigie::alerting {

MatrixNotifier::MatrixNotifier(MatrixConfig config, int64_t timeout_ms)
    : config_(std::move(config)), timeout_ms_(timeout_ms) {}

Delivery ClassifyMatrixAnswer(long status, const std::string& body, const std::string& retry_after_header) {
  Delivery d;
  if (status >= 200 && status < 300) {
    d.status = Delivery::Status::kDelivered;
    return d;
  }
  const std::string errcode = PrintableUtf8(JsonString(body, "errcode").value_or(""), 64);
  d.error = fmt::format("HTTP {} {}", status, errcode);
  if (status == 429) {
    d.status = Delivery::Status::kRetry;
    // Retry-After in seconds (RFC 9110 section 10.2.3; Matrix spec v1.10 sends it
    // with 429); retry_after_ms in the body for older servers. Either is
    // capped: a peer cannot park the outbox for longer than kMaxRetryAfterMs.
    int64_t seconds = 0;
    const auto [end, ec] =
        std::from_chars(retry_after_header.data(), retry_after_header.data() + retry_after_header.size(), seconds);
    if (ec == std::errc::result_out_of_range || (ec == std::errc() && seconds > kMaxRetryAfterMs / 1000)) {
      d.retry_after_ms = kMaxRetryAfterMs;
    } else if (ec == std::errc() && seconds > 0) {
      d.retry_after_ms = seconds * 1000;
    } else if (auto ms = JsonInteger(body, "retry_after_ms"); ms && *ms > 0) {
      d.retry_after_ms = std::min(*ms, kMaxRetryAfterMs);
    } else {
      d.retry_after_ms = 5'000;
    }
    return d;
  }
  // 408 Request Timeout (RFC 9110 section 15.5.9): the server gave up
  // waiting for the request; the same request may be sent again.
  d.status = status >= 500 || status == 408 ? Delivery::Status::kRetry : Delivery::Status::kPermanent;
  return d;
}

Delivery MatrixNotifier::CreateDirectRoom(const std::string& user) {
  JsonWriter json;
  json.BeginObject()
      .Key("is_direct").Bool(true)
      .Key("preset").String("trusted_private_chat")
      .Key("name").String("Vigie")
      .Key("invite").BeginArray().String(user).EndArray()
      .EndObject();
  auto answer = HttpCall("POST", config_.homeserver_url + "/_matrix/client/v3/createRoom",
                         {"Authorization: Bearer " + config_.access_token, "Content-Type: application/json"},
                         json.str(), timeout_ms_);
  if (!answer) return Delivery{Delivery::Status::kRetry, 0, answer.error().message, ""};
  Delivery d = ClassifyMatrixAnswer(answer->status, answer->body, answer->headers["retry-after"]);
  if (d.status != Delivery::Status::kDelivered) {
    d.error = "createRoom: " + d.error;
    return d;
  }
  std::optional<std::string> room = JsonString(answer->body, "room_id");
  if (!room || room->empty()) return Delivery{Delivery::Status::kRetry, 0, "createRoom: no room_id", ""};
  d.dm_room = *room;
  return d;
}

Delivery MatrixNotifier::Deliver(const OutboxEntry& entry) {
  std::string room = entry.target;
  std::string created;
  if (room.starts_with("@")) {
    Delivery d = CreateDirectRoom(room);
    if (d.status != Delivery::Status::kDelivered) return d;
    room = created = d.dm_room;
  }
  JsonWriter json;
  json.BeginObject()
      .Key("msgtype").String("m.notice")
      .Key("body").String(entry.text)
      .Key("format").String("org.matrix.custom.html")
      .Key("formatted_body").String(entry.html)
      .EndObject();
  const std::string url = fmt::format("{}/_matrix/client/v3/rooms/{}/send/m.room.message/{}", config_.homeserver_url,
                                      UrlEncode(room), UrlEncode(entry.TxnId()));
  auto answer = HttpCall("PUT", url, {"Authorization: Bearer " + config_.access_token, "Content-Type: application/json"},
                         json.str(), timeout_ms_);
  Delivery d = answer ? ClassifyMatrixAnswer(answer->status, answer->body, answer->headers["retry-after"])
                      : Delivery{Delivery::Status::kRetry, 0, answer.error().message, ""};
  d.dm_room = created;
  return d;
}

}  // namespace vigie::alerting
