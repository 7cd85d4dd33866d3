#include "collector/remote_writer.h"

#include <curl/curl.h>

#include <algorithm>
#include <mutex>

#include <fmt/format.h>

#include "collector/remote_write_request.h"
#include "collector/report_metrics.h"
#include "common/log.h"

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

std::string OneLine(std::string text) {
  std::replace(text.begin(), text.end(), '\n', ' ');
  while (!text.empty() && (text.back() == ' ' || text.back() == '\r')) text.pop_back();
  return text;
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
  // The specification: "MUST NOT retry ... 4xx responses other than 429".
  if (http_status >= 400 && http_status < 500 && http_status != 429) return RemoteWriteVerdict::kRefused;
  // 5xx and 429 per the specification; 1xx and 3xx (a redirecting URL) are a
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

void RemoteWriter::Run() {
  std::chrono::milliseconds backoff = config_.min_backoff;
  bool failing = false;  // log a failure once, and the recovery once
  const auto note_failure = [&](const std::string& what) {
    UpdateStats([&](RemoteWriteStats& s) {
      ++s.attempts_failed;
      s.last_error = what;
    });
    if (!failing) {
      LogWarning("remote_write: {}: {}; retrying, backing off from {} ms up to {} ms", config_.url, what,
                 config_.min_backoff.count(), config_.max_backoff.count());
    } else {
      LogDebug("remote_write: {}: {}; retrying in {} ms", config_.url, what, backoff.count());
    }
    failing = true;
  };

  while (!stopping()) {
    Result<std::vector<PendingReport>> pending = log_->Next(config_.max_reports_per_request);
    if (!pending) {
      note_failure(pending.error().message);
      if (!Sleep(backoff, /*until_notified=*/false)) return;
      backoff = std::min(backoff * 2, config_.max_backoff);
      continue;
    }
    // Whole reports, until the sample bound is reached (at least one report).
    WriteRequestBuilder builder;
    size_t used = 0;
    size_t reports = 0;
    for (const PendingReport& entry : *pending) {
      if (used > 0 && builder.samples() >= config_.max_samples_per_request) break;
      if (entry.stored) {
        builder.Add(NodeLabels(collector_, entry.node_id), entry.report);
        ++reports;
      }
      ++used;
    }
    if (used == 0) {
      if (!Sleep(config_.poll_interval, /*until_notified=*/true)) return;
      continue;
    }
    const PendingReport& last = (*pending)[used - 1];
    if (builder.empty()) {  // reports pruned from the history before they could be sent, or with no reading
      if (Result<void> moved = log_->Advance(last, NowMs()); !moved) note_failure(moved.error().message);
      continue;
    }
    const EncodedWriteRequest request = builder.Finish();

    bool settled = false;
    while (!settled) {
      if (stopping()) return;
      Result<HttpAnswer> answer = curl_->Post(request.body);
      const RemoteWriteVerdict verdict =
          answer ? VerdictForStatus(answer->status) : RemoteWriteVerdict::kRetry;
      if (verdict == RemoteWriteVerdict::kRetry) {
        if (stopping()) return;
        note_failure(answer ? fmt::format("HTTP {} {}", answer->status, answer->body) : answer.error().message);
        if (!Sleep(backoff, /*until_notified=*/false)) return;
        backoff = std::min(backoff * 2, config_.max_backoff);
        continue;
      }
      if (verdict == RemoteWriteVerdict::kRefused) {
        // The specification: the sender logs the receiver's message as is, and does not retry.
        const std::string what = fmt::format("HTTP {} {}", answer->status, answer->body);
        LogWarning("remote_write: {} refused {} report(s) ({} samples, log ids {}..{}): {}; dropped them", config_.url,
                   reports, request.samples, (*pending)[0].log_id, last.log_id, what);
        UpdateStats([&](RemoteWriteStats& s) {
          ++s.requests_refused;
          s.last_error = what;
        });
      } else {
        if (failing) LogInfo("remote_write: {} accepts again", config_.url);
        failing = false;
        backoff = config_.min_backoff;
        UpdateStats([&](RemoteWriteStats& s) {
          ++s.requests_delivered;
          s.reports_sent += reports;
          s.samples_sent += request.samples;
          s.bytes_sent += request.body.size();
          s.raw_bytes_sent += request.raw_bytes;
        });
      }
      // Until this commits, a restart sends the same request again.
      while (true) {
        Result<void> moved = log_->Advance(last, NowMs());
        if (moved) break;
        note_failure(moved.error().message);
        if (!Sleep(backoff, /*until_notified=*/false)) return;
        backoff = std::min(backoff * 2, config_.max_backoff);
      }
      settled = true;
    }
  }
}

}  // namespace vigie::collector
