#include "collector/remote_writer.h"

#include <curl/curl.h>

#include <algorithm>
#include <mutex>

#include <fmt/format.h>

#include "collector/remote_write_request.h"
#include "collector/remote_write_split.h"
#include "collector/report_metrics.h"
#include "common/log.h"
#include "common/printable.h"

namespace vigie::collector {
namespace {

int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

struct CurlDeleter {
  void operator()(CURL* curl) const { curl_easy_cleanup(curl); }
};
struct SlistDeleter {
  void operator()(curl_slist* list) const { curl_slist_free_all(list); }
};

struct HttpAnswer {
  unsigned status = 0;
  std::string body;  // the first KiB, for the log
};

constexpr size_t kKeptBodyBytes = 1024;

size_t KeepBody(char* data, size_t size, size_t count, void* user) {
  auto* body = static_cast<std::string*>(user);
  const size_t bytes = size * count;
  body->append(data, std::min(bytes, kKeptBodyBytes - std::min(kKeptBodyBytes, body->size())));
  return bytes;
}

int AbortWhenStopping(void* stopping, curl_off_t, curl_off_t, curl_off_t, curl_off_t) {
  return static_cast<std::atomic<bool>*>(stopping)->load() ? 1 : 0;
}

// A receiver's answer, made one printable line for the log.
std::string OneLine(std::string_view text) {
  while (!text.empty() && (text.back() == ' ' || text.back() == '\n' || text.back() == '\r')) text.remove_suffix(1);
  return PrintableUtf8(text);  // an inner newline becomes U+FFFD: never a log line of its own
}

}  // namespace

// One keep-alive connection to the receiver, reused request after request.
struct RemoteWriter::Curl {
  std::unique_ptr<CURL, CurlDeleter> handle;
  std::unique_ptr<curl_slist, SlistDeleter> headers;
  std::string answer_body;

  Result<HttpAnswer> Post(const std::string& body) {
    CURL* c = handle.get();
    answer_body.clear();
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, body.data());
    curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(body.size()));
    const CURLcode rc = curl_easy_perform(c);
    if (rc != CURLE_OK) return Fail(ErrorCode::kUnavailable, curl_easy_strerror(rc));
    long status = 0;
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
    return HttpAnswer{static_cast<unsigned>(status), OneLine(answer_body)};
  }
};

RemoteWriteVerdict VerdictForStatus(unsigned http_status) {
  if (http_status >= 200 && http_status < 300) return RemoteWriteVerdict::kDelivered;
  switch (http_status) {
    // Credentials or URL wrong: no part of the request would fare better,
    // and dropping it would lose the reports over a typo. Kept until fixed.
    case 401:  // Unauthorized
    case 403:  // Forbidden
    case 404:  // Not Found
    case 405:  // Method Not Allowed
    case 407:  // Proxy Authentication Required
    case 408:  // Request Timeout: the connection's fate, not the samples'
    case 429:  // Too Many Requests: retried, per the specification
      return RemoteWriteVerdict::kRetry;
    default:
      break;
  }
  // The specification: "MUST NOT retry ... 4xx responses": the request is
  // split instead, never sent again whole.
  if (http_status >= 400 && http_status < 500) return RemoteWriteVerdict::kRefused;
  // 5xx per the specification; 1xx and 3xx (a redirecting URL) are a
  // configuration to fix, not data to drop.
  return RemoteWriteVerdict::kRetry;
}

RemoteWriter::RemoteWriter(const CollectorConfig& collector, RemoteWriteConfig config)
    : collector_(collector), config_(std::move(config)) {}

RemoteWriter::~RemoteWriter() { Stop(); }

Result<void> RemoteWriter::Start() {
  static std::once_flag curl_initialized;
  std::call_once(curl_initialized, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });

  Result<std::unique_ptr<RemoteWriteLog>> log =
      RemoteWriteLog::Open(collector_.database, config_.url, NowMs(), config_.backfill);
  if (!log) return tl::unexpected(log.error());
  log_ = std::move(*log);

  curl_ = std::make_unique<Curl>();
  curl_->handle.reset(curl_easy_init());
  if (!curl_->handle) return Fail(ErrorCode::kIo, "remote_write: curl_easy_init failed");
  // The four headers the specification requires; Expect: off, since a
  // receiver answers at once and the 100-continue round trip is wasted.
  std::vector<std::string> lines = {"Content-Encoding: snappy", "Content-Type: application/x-protobuf",
                                    "X-Prometheus-Remote-Write-Version: 0.1.0", "Expect:"};
  if (!config_.bearer_token.empty()) lines.push_back("Authorization: Bearer " + config_.bearer_token);
  for (const auto& [name, value] : config_.headers) lines.push_back(name + ": " + value);
  for (const std::string& line : lines) {
    curl_slist* list = curl_slist_append(curl_->headers.get(), line.c_str());
    if (list == nullptr) return Fail(ErrorCode::kIo, "remote_write: out of memory for headers");
    curl_->headers.release();
    curl_->headers.reset(list);
  }
  CURL* c = curl_->handle.get();
  curl_easy_setopt(c, CURLOPT_URL, config_.url.c_str());
  curl_easy_setopt(c, CURLOPT_HTTPHEADER, curl_->headers.get());
  curl_easy_setopt(c, CURLOPT_USERAGENT, "vigie-collector/" VIGIE_VERSION);
  curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, static_cast<long>(config_.timeout.count()));
  curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(std::min<int64_t>(config_.timeout.count(), 10'000)));
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, KeepBody);
  curl_easy_setopt(c, CURLOPT_WRITEDATA, &curl_->answer_body);
  curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
  curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, AbortWhenStopping);
  curl_easy_setopt(c, CURLOPT_XFERINFODATA, &stopping_);
  if (!config_.basic_auth_username.empty()) {
    curl_easy_setopt(c, CURLOPT_HTTPAUTH, static_cast<long>(CURLAUTH_BASIC));
    curl_easy_setopt(c, CURLOPT_USERNAME, config_.basic_auth_username.c_str());
    curl_easy_setopt(c, CURLOPT_PASSWORD, config_.basic_auth_password.c_str());
  }

  Result<int64_t> backlog = log_->Backlog();
  LogInfo("remote_write: sending to {} ({} report(s) queued)", config_.url, backlog ? *backlog : -1);
  stopping_ = false;
  thread_ = std::thread([this] { Run(); });
  return {};
}

void RemoteWriter::Stop() {
  {
    std::lock_guard lock(wake_mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void RemoteWriter::Notify() {
  {
    std::lock_guard lock(wake_mutex_);
    notified_ = true;
  }
  wake_.notify_all();
}

bool RemoteWriter::Sleep(std::chrono::milliseconds duration, bool until_notified) {
  std::unique_lock lock(wake_mutex_);
  wake_.wait_for(lock, duration, [&] { return stopping_.load() || (until_notified && notified_); });
  if (until_notified) notified_ = false;
  return !stopping_.load();
}

RemoteWriteStats RemoteWriter::stats() const {
  std::lock_guard lock(stats_mutex_);
  return stats_;
}

bool RemoteWriter::WaitForStats(const std::function<bool(const RemoteWriteStats&)>& done,
                                std::chrono::milliseconds timeout) const {
  std::unique_lock lock(stats_mutex_);
  return stats_changed_.wait_for(lock, timeout, [&] { return done(stats_); });
}

void RemoteWriter::UpdateStats(const std::function<void(RemoteWriteStats&)>& change) {
  {
    std::lock_guard lock(stats_mutex_);
    change(stats_);
  }
  stats_changed_.notify_all();
}

bool RemoteWriter::BackOff(const std::string& what) {
  UpdateStats([&](RemoteWriteStats& s) {
    ++s.attempts_failed;
    s.last_error = what;
  });
  if (!failing_) {
    LogWarning("remote_write: {}: {}; retrying, backing off from {} ms up to {} ms", config_.url, what,
               config_.min_backoff.count(), config_.max_backoff.count());
  } else {
    LogDebug("remote_write: {}: {}; retrying in {} ms", config_.url, what, backoff_.count());
  }
  failing_ = true;
  if (!Sleep(backoff_, /*until_notified=*/false)) return false;
  backoff_ = std::min(backoff_ * 2, config_.max_backoff);
  return true;
}

bool RemoteWriter::Deliver(prometheus::WriteRequest request, size_t reports, const std::string& what) {
  const size_t samples = SampleCount(request);
  size_t parts_sent = 0;
  size_t refused = 0;
  std::string refusal;   // the receiver's answer to the first sample refused alone
  std::string examples;  // the first refused samples, named
  constexpr size_t kNamedRefusals = 3;
  // Depth first, the first part on top: a series' samples go out in time order.
  std::vector<prometheus::WriteRequest> parts;
  parts.push_back(std::move(request));
  while (!parts.empty()) {
    prometheus::WriteRequest part = std::move(parts.back());
    parts.pop_back();
    const EncodedWriteRequest encoded = EncodeWriteRequest(part);
    Result<HttpAnswer> answer;
    while (true) {
      if (stopping()) return false;
      answer = curl_->Post(encoded.body);
      if (answer && VerdictForStatus(answer->status) != RemoteWriteVerdict::kRetry) break;
      if (stopping()) return false;
      if (!BackOff(answer ? fmt::format("HTTP {} {}", answer->status, answer->body) : answer.error().message)) {
        return false;
      }
    }
    ++parts_sent;
    if (failing_) LogInfo("remote_write: {} answers again", config_.url);
    failing_ = false;
    backoff_ = config_.min_backoff;
    const bool delivered = VerdictForStatus(answer->status) == RemoteWriteVerdict::kDelivered;
    const bool alone = encoded.samples <= 1;
    const bool settled = (delivered || alone) && parts.empty();  // the request's last part
    UpdateStats([&](RemoteWriteStats& s) {
      if (settled) s.reports_sent += reports;
      if (delivered) {
        ++s.requests_delivered;
        s.samples_sent += encoded.samples;
        s.bytes_sent += encoded.body.size();
        s.raw_bytes_sent += encoded.raw_bytes;
      } else {
        ++s.requests_refused;
        if (alone) s.samples_refused += encoded.samples;
        s.last_error = fmt::format("HTTP {} {}", answer->status, answer->body);
      }
    });
    if (delivered) continue;
    if (alone) {
      refused += encoded.samples;
      if (refusal.empty()) refusal = fmt::format("HTTP {} {}", answer->status, answer->body);
      if (refused <= kNamedRefusals && encoded.samples == 1) {
        const prometheus::TimeSeries& series = part.timeseries(0);
        std::string labels;
        for (const prometheus::Label& label : series.labels()) {
          labels += fmt::format("{}{}=\"{}\"", labels.empty() ? "" : ",", label.name(), PrintableUtf8(label.value()));
        }
        examples += fmt::format("{{{}}} @{}; ", labels, series.samples(0).timestamp());
      }
      continue;
    }
    std::vector<prometheus::WriteRequest> split;
    if (parts_sent == 1) split = SplitByNode(part);  // the whole request: per node first
    if (split.size() <= 1) {
      auto [first, second] = Bisect(part);
      split.clear();
      split.push_back(std::move(first));
      split.push_back(std::move(second));
    }
    for (auto it = split.rbegin(); it != split.rend(); ++it) parts.push_back(std::move(*it));
  }
  if (refused > 0) {
    // The specification: the sender logs the receiver's message as is.
    LogWarning("remote_write: {} refused {} of {} sample(s) of {}, {} request(s) to find them; dropped them: {}{}",
               config_.url, refused, samples, what, parts_sent, examples, refusal);
  }
  return true;
}

void RemoteWriter::Run() {
  backoff_ = config_.min_backoff;
  while (!stopping()) {
    Result<std::vector<PendingReport>> pending = log_->Next(config_.max_reports_per_request);
    if (!pending) {
      if (!BackOff(pending.error().message)) return;
      continue;
    }
    const bool resending = log_->resending();
    // Whole reports, until the sample bound is reached (at least one report);
    // a resend takes its whole range, to be the same request.
    WriteRequestBuilder builder;
    size_t used = 0;
    size_t reports = 0;
    for (const PendingReport& entry : *pending) {
      if (!resending && used > 0 && builder.samples() >= config_.max_samples_per_request) break;
      if (entry.stored) {
        builder.Add(NodeLabels(collector_, entry.node_id), entry.report);
        ++reports;
      }
      ++used;
    }
    if (Result<int64_t> backlog = log_->Backlog(); backlog) {
      UpdateStats([&](RemoteWriteStats& s) { s.pending_reports = *backlog; });
    }
    if (used == 0) {
      if (!Sleep(config_.poll_interval, /*until_notified=*/true)) return;
      continue;
    }
    const PendingReport& last = (*pending)[used - 1];
    if (!builder.empty()) {
      BuiltWriteRequest built = builder.Build();
      if (built.conflicting_samples > 0) {
        LogWarning("remote_write: {} sample(s) of log ids {}..{} dropped: a series had two values at one timestamp "
                   "(reports of a node stamped alike); the first was kept",
                   built.conflicting_samples, (*pending)[0].log_id, last.log_id);
        UpdateStats([&](RemoteWriteStats& s) { s.samples_conflicting += built.conflicting_samples; });
      }
      if (resending) {
        LogInfo("remote_write: sending again the request in flight before the restart (log ids {}..{})",
                (*pending)[0].log_id, last.log_id);
      } else {
        // Until this commits nothing is sent; once it has, a restart sends this range again, as it is.
        while (true) {
          Result<void> begun = log_->BeginRequest(last.log_id);
          if (begun) break;
          if (!BackOff(begun.error().message)) return;
        }
      }
      const std::string what =
          fmt::format("{} report(s), log ids {}..{}", reports, (*pending)[0].log_id, last.log_id);
      if (!Deliver(std::move(built.request), reports, what)) return;
    }
    // Reports pruned from the history before they could be sent, or with no
    // reading, are passed over the same way.
    while (true) {
      Result<void> moved = log_->Advance(last, NowMs());
      if (moved) break;
      if (!BackOff(moved.error().message)) return;
    }
  }
}

}  // namespace vigie::collector
