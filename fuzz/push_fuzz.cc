// The collector's push path on one request body: Ingest::HandlePush (token,
// protobuf parse, the WireFields cross-check, the schema check) and, for a
// push it accepts, what follows its commit: the report limits
// (common/report_limits.h), the fleet state's update with each report, and
// the /metrics page, which must stay a valid exposition (exposition_check.h),
// and be printable UTF-8 when the reports are within the limits (issue 14:
// a report over them is to be refused with a 400, so only the syntax of its
// page is checked).
// The store is never written: a push is answered before its commit starts.
// Input: the body as an agent POSTs it, a serialized vigie.v1.Batch whose
// reports name node "fuzz-node" (token "fuzz-token").
#include <cstdio>
#include <cstdlib>
#include <memory>

#include <google/protobuf/stubs/logging.h>

#include "collector/fleet_state.h"
#include "collector/group_committer.h"
#include "collector/ingest.h"
#include "collector/metrics_page.h"
#include "collector/token.h"
#include "collector/wire_fields.h"
#include "common/report_limits.h"
#include "fuzz/exposition_check.h"
#include "fuzz/scratch_file.h"

namespace {

using namespace vigie::collector;

struct Collector {
  Collector() {
    config.nodes["fuzz-node"] = NodeEntry{"fuzz-node", "fuzz-site", Sha256Hex("fuzz-token")};
    // The rate limiter is not under test: it would refuse most inputs.
    config.max_pushes_per_minute = 1e12;
  }
  CollectorConfig config;
  std::unique_ptr<Store> store = Store::Open(vigie::fuzz::ScratchDirectory() / "collector.db").value();
  GroupCommitter committer{*store};
  FleetState unused_state;  // HandlePush does not touch it; Update below uses a fresh one
  Ingest ingest{config, committer, unused_state};
};

}  // namespace

// libprotobuf writes a line to stderr for each string that is not UTF-8: the
// parse fails all the same, and the lines would slow the campaign down.
extern "C" int LLVMFuzzerInitialize(int*, char***) {
  google::protobuf::SetLogHandler(nullptr);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static Collector* const collector = new Collector();  // lives as long as the process
  static int64_t now_ms = 1'700'000'000'000;
  now_ms += 1000;
  const std::string_view body = vigie::fuzz::AsText(data, size);
  const HttpResponse answer = collector->ingest.HandlePush("Bearer fuzz-token", body, now_ms);
  if (answer.deferred == nullptr) {
    if (answer.status == HttpStatus::kOk) std::abort();  // an answer without its commit
    return 0;
  }

  vigie::v1::Batch batch;
  if (!batch.ParseFromArray(body.data(), static_cast<int>(body.size()))) std::abort();  // accepted, yet unparseable
  const std::optional<std::vector<WireField>> fields = WireFields(body);
  if (!fields) std::abort();
  std::vector<std::string_view> report_bytes;
  for (const WireField& field : *fields) {
    if (field.number == vigie::v1::Batch::kReportsFieldNumber && field.wire_type == kLengthDelimited) {
      report_bytes.push_back(field.payload);
    }
  }
  if (report_bytes.size() != static_cast<size_t>(batch.reports_size())) std::abort();

  const vigie::ReportLimits limits;
  bool within_limits = true;
  FleetState state;
  for (int i = 0; i < batch.reports_size(); ++i) {
    within_limits = within_limits && vigie::ReportLimitViolation(batch.reports(i), limits).empty();
    state.Update("fuzz-node", now_ms, batch.mutable_reports(i), report_bytes[static_cast<size_t>(i)], NodeFacts{});
  }
  const std::string page = RenderMetrics(collector->config, state.MetricsSnapshot(), collector->ingest.counters(),
                                         GroupCommitter::Stats{}, now_ms);
  if (const std::string fault = vigie::fuzz::ExpositionFault(page, within_limits); !fault.empty()) {
    std::fprintf(stderr, "/metrics is not a valid exposition: %s\n", fault.c_str());
    std::abort();
  }
  return 0;
}
