#include "collector/ingest.h"

#include <memory>
#include <optional>
#include <vector>

#include <fmt/format.h>
#include <google/protobuf/arena.h>

#include "collector/token.h"
#include "collector/wire_fields.h"
#include "common/log.h"
#include "common/report_limits.h"

namespace vigie::collector {
namespace {

// A report must say who, which boot and which one: the deduplication key.
std::string SchemaViolation(const v1::Batch& batch) {
  if (batch.reports_size() == 0) return "the batch holds no report";
  for (int i = 0; i < batch.reports_size(); ++i) {
    const v1::Report& report = batch.reports(i);
    if (report.node_id().empty()) return fmt::format("report {} has no node_id", i);
    // Node ids are short names (the config's rule); a longer or unprintable
    // one is refused here, before it can reach an answer or a log line.
    if (report.node_id().size() > 64) return fmt::format("report {} has a node_id over 64 bytes", i);
    for (const char c : report.node_id()) {
      if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) {
        return fmt::format("report {} has a node_id with control characters", i);
      }
    }
    if (report.boot_id().empty() || report.boot_id().size() > 64) {
      return fmt::format("report {} has no valid boot_id", i);
    }
    if (report.seq() == 0) return fmt::format("report {} has seq 0 (sequence numbers start at 1)", i);
    if (report.node_id() != batch.reports(0).node_id()) return "the reports of one batch must share one node_id";
  }
  return "";
}

// Each report of a serialized Batch, as the bytes that hold it (field 1,
// length-delimited), in order; nullopt when the bytes are not a well-formed
// message.
std::optional<std::vector<std::string_view>> ReportBytes(std::string_view body) {
  const std::optional<std::vector<WireField>> fields = WireFields(body);
  if (!fields) return std::nullopt;
  std::vector<std::string_view> reports;
  reports.reserve(fields->size());
  for (const WireField& field : *fields) {
    if (field.number == v1::Batch::kReportsFieldNumber && field.wire_type == kLengthDelimited) {
      reports.push_back(field.payload);
    }
  }
  return reports;
}

// A batch parsed into an arena of its own: its messages and strings (about
// 200 for a 60-reading report) are carved from one block and freed with it,
// instead of as many heap allocations made and freed one by one.
struct ArenaBatch {
  static google::protobuf::ArenaOptions Options() {
    google::protobuf::ArenaOptions options;
    options.start_block_size = 16 * 1024;  // a parsed 60-reading report takes about 8 KiB
    options.max_block_size = 64 * 1024;    // the backlog of an agent back online: many reports
    return options;
  }

  google::protobuf::Arena arena{Options()};
  v1::Batch* const batch = google::protobuf::Arena::CreateMessage<v1::Batch>(&arena);
};

// The newest report of a batch by the node's own sequence, not its clock:
// the highest seq of the boot the batch ends with (an agent sends its
// reports in order, so an older boot's ones come first).
int NewestReport(const v1::Batch& batch) {
  const std::string& boot = batch.reports(batch.reports_size() - 1).boot_id();
  int newest = batch.reports_size() - 1;
  for (int i = 0; i < batch.reports_size(); ++i) {
    if (batch.reports(i).boot_id() == boot && batch.reports(i).seq() > batch.reports(newest).seq()) newest = i;
  }
  return newest;
}

}  // namespace

// A valid push between its validation and its answer: owns the batch and
// its bytes that the group committer reads, and keeps the commit's result
// for Finish.
class Ingest::PendingPush final : public DeferredResponse {
 public:
  // `report_bytes`: slices of `body`, which need not outlive the call.
  PendingPush(Ingest& ingest, std::string node_id, std::unique_ptr<ArenaBatch> batch, std::string_view body,
              const std::vector<std::string_view>& report_bytes, int64_t now_ms)
      : ingest_(ingest), node_id_(std::move(node_id)), parsed_(std::move(batch)), body_(body), now_ms_(now_ms) {
    report_bytes_.reserve(report_bytes.size());
    for (const std::string_view report : report_bytes) {
      report_bytes_.push_back(std::string_view(body_).substr(static_cast<size_t>(report.data() - body.data()),
                                                             report.size()));
    }
  }

  void Start(std::function<void()> ready) override {
    // `this` lives until Finish, which comes only after ready(): nothing
    // here touches it after that call.
    ingest_.committer_.Submit(BatchWrite{&node_id_, parsed_->batch, report_bytes_, now_ms_},
                              [this, ready = std::move(ready)](Result<StoredBatch> stored) {
                                stored_ = std::move(stored);
                                ready();
                              });
  }

  HttpResponse Finish() override {
    return ingest_.Acknowledge(node_id_, *parsed_->batch, report_bytes_, now_ms_, stored_);
  }

 private:
  Ingest& ingest_;
  const std::string node_id_;
  const std::unique_ptr<ArenaBatch> parsed_;
  const std::string body_;
  std::vector<std::string_view> report_bytes_;  // slices of body_
  const int64_t now_ms_;
  Result<StoredBatch> stored_ = Fail(ErrorCode::kUnavailable, "not committed");
};

Ingest::Ingest(const CollectorConfig& config, GroupCommitter& committer, FleetState& state)
    : config_(config), committer_(committer), state_(state), rate_limiter_(config.max_pushes_per_minute) {
  for (const auto& [id, node] : config_.nodes) node_by_token_hash_.emplace(node.token_sha256, id);
}

const std::string* Ingest::NodeOfToken(std::string_view authorization) {
  const std::optional<std::string_view> token = BearerToken(authorization);
  if (!token) return nullptr;
  const auto owner = node_by_token_hash_.find(Sha256Hex(*token));
  return owner != node_by_token_hash_.end() ? &owner->second : nullptr;
}

std::optional<HttpResponse> Ingest::RefuseUnknownToken(std::string_view authorization) {
  if (NodeOfToken(authorization) != nullptr) return std::nullopt;
  ++counters_.pushes_unauthorized;
  return TextResponse(HttpStatus::kUnauthorized, BearerToken(authorization)
                                                     ? "unknown token"
                                                     : "missing 'Authorization: Bearer <node token>'");
}

HttpResponse Ingest::HandlePush(std::string_view authorization, std::string_view body, int64_t now_ms) {
  counters_.bytes_received += body.size();
  // Before the body is parsed: an unknown token costs a hash, not a parse.
  const std::string* owner = NodeOfToken(authorization);
  if (owner == nullptr) return *RefuseUnknownToken(authorization);
  const std::string& owner_id = *owner;

  auto parsed = std::make_unique<ArenaBatch>();
  v1::Batch& batch = *parsed->batch;
  if (!batch.ParseFromArray(body.data(), static_cast<int>(body.size()))) {
    ++counters_.pushes_bad_request;
    // Protobuf refuses a string field that is not UTF-8 as it refuses garbage.
    return TextResponse(HttpStatus::kBadRequest,
                        "the body is not a vigie.v1.Batch protobuf, or one of its strings is not UTF-8");
  }
  // Parsed, so well-formed: the check only keeps the store's bytes and the
  // parsed reports from ever disagreeing.
  const std::optional<std::vector<std::string_view>> report_bytes = ReportBytes(body);
  if (!report_bytes || report_bytes->size() != static_cast<size_t>(batch.reports_size())) {
    ++counters_.pushes_bad_request;
    return TextResponse(HttpStatus::kBadRequest, "the body is not a vigie.v1.Batch protobuf");
  }
  if (const std::string violation = SchemaViolation(batch); !violation.empty()) {
    ++counters_.pushes_bad_request;
    return TextResponse(HttpStatus::kBadRequest, violation);
  }

  const std::string& claimed = batch.reports(0).node_id();
  if (claimed != owner_id) {
    ++counters_.pushes_forbidden;
    LogWarning("node {}'s token was used to push reports of node '{}': refused", owner_id, claimed);
    return TextResponse(HttpStatus::kForbidden,
                        fmt::format("this token belongs to node {}; it cannot push for '{}'", owner_id, claimed));
  }

  int retry_after_seconds = 0;
  if (!rate_limiter_.Allow(claimed, now_ms, &retry_after_seconds)) {
    ++counters_.pushes_rate_limited;
    HttpResponse response = TextResponse(
        HttpStatus::kTooManyRequests,
        fmt::format("more than {} pushes a minute from {}; retry later", config_.max_pushes_per_minute, claimed));
    response.headers.emplace_back("Retry-After", std::to_string(retry_after_seconds));
    return response;
  }

  // After the token and the rate limit: only a node's own reports are
  // judged, and its log lines are as few as its pushes may be.
  for (int i = 0; i < batch.reports_size(); ++i) {
    std::string violation =
        ReportLimitViolation(batch.reports(i), config_.report_limits, (*report_bytes)[static_cast<size_t>(i)].size());
    if (violation.empty()) continue;
    ++counters_.pushes_bad_request;
    ++counters_.pushes_over_limits;
    violation = fmt::format("report {} (seq {}): {}", i, batch.reports(i).seq(), violation);
    LogWarning("push of node {} refused: {}", claimed, violation);
    return TextResponse(HttpStatus::kBadRequest, std::move(violation));
  }

  HttpResponse deferred;
  deferred.deferred = std::make_shared<PendingPush>(*this, claimed, std::move(parsed), body, *report_bytes, now_ms);
  return deferred;
}

HttpResponse Ingest::Acknowledge(const std::string& node_id, v1::Batch& batch,
                                 const std::vector<std::string_view>& report_bytes, int64_t now_ms,
                                 const Result<StoredBatch>& stored) {
  if (!stored) {
    ++counters_.pushes_store_error;
    LogError("cannot store a batch of node {}: {}", node_id, stored.error().message);
    return TextResponse(stored.error().code == ErrorCode::kUnavailable ? HttpStatus::kServiceUnavailable
                                                                       : HttpStatus::kInternalServerError,
                        "the collector cannot store reports now; keep them and retry");
  }
  ++counters_.pushes_stored;
  counters_.reports_stored += stored->stored;
  counters_.reports_duplicate += stored->duplicates;

  // The batch is not needed after this: the fleet's state keeps the newest
  // report's bytes as received, and may merge its node's kept disks into it.
  if (stored->stored > 0) {
    const int candidate = NewestReport(batch);
    state_.Update(node_id, now_ms, batch.mutable_reports(candidate), report_bytes[static_cast<size_t>(candidate)],
                  stored->facts);
  } else {
    state_.Update(node_id, now_ms, nullptr, {}, stored->facts);
  }

  v1::PushAck ack;
  ack.set_stored(stored->stored);
  ack.set_duplicates(stored->duplicates);
  ack.set_received_unix_ms(now_ms);
  return HttpResponse{HttpStatus::kOk, "application/x-protobuf", ack.SerializeAsString(), {}};
}

}  // namespace vigie::collector
