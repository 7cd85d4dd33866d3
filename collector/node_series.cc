#include "collector/node_series.h"

#include <cstring>
#include <map>
#include <mutex>

#include "collector/exposition.h"
#include "collector/report_metrics.h"
#include "collector/seeded_hash.h"

namespace vigie::collector {
namespace {

class FamilyCatalog : public SeriesSink {
 public:
  void Family(std::string_view name, std::string_view type, std::string_view help) override {
    families.push_back({name, type, help});
  }
  void Sample(const LabelRefs&, double) override {}
  std::vector<FamilyInfo> families;
};

// A label index in LEB128: at most 5 bytes.
constexpr size_t kMaxIndexBytes = 5;

char* WriteIndex(char* out, uint32_t index) {
  while (index >= 0x80) {
    *out++ = static_cast<char>((index & 0x7f) | 0x80);
    index >>= 7;
  }
  *out++ = static_cast<char>(index);
  return out;
}

uint32_t ReadIndex(const char*& p) {
  uint32_t index = 0;
  for (int shift = 0;; shift += 7) {
    const auto byte = static_cast<unsigned char>(*p++);
    index |= static_cast<uint32_t>(byte & 0x7f) << shift;
    if (byte < 0x80) return index;
  }
}

// The series' buffers, by size rounded up to kBufferStep, kept for reuse by
// the next series of that size whichever thread builds it. Each push frees
// its node's previous series on its HTTP thread and builds the next one
// there: with malloc, blocks freed into one thread's arena while the next
// came from another's fragmented the heap (at 10 000 nodes, RSS 124-154 MiB
// after 8-10 s of pushes, 115-125 MiB with this pool, 107 MiB with a single
// arena). The lists hold at most the buffers of the series alive at once.
constexpr size_t kBufferStep = 256;

struct BufferPool {
  std::mutex mutex;
  std::map<size_t, std::vector<char*>> free;  // by size
};

// Never destroyed: a series may outlive static destruction.
BufferPool& Buffers() {
  static auto* pool = new BufferPool;
  return *pool;
}

size_t RoundedSize(size_t size) { return (size + kBufferStep - 1) / kBufferStep * kBufferStep; }

char* TakeBuffer(size_t size) {
  {
    BufferPool& pool = Buffers();
    std::lock_guard lock(pool.mutex);
    std::vector<char*>& list = pool.free[size];
    if (!list.empty()) {
      char* buffer = list.back();
      list.pop_back();
      return buffer;
    }
  }
  return new char[size];
}

void GiveBuffer(char* buffer, size_t size) {
  BufferPool& pool = Buffers();
  std::lock_guard lock(pool.mutex);
  pool.free[size].push_back(buffer);
}

}  // namespace

const std::vector<FamilyInfo>& ReportFamilies() {
  // AppendReportMetrics starts every family whatever the reports hold.
  static const std::vector<FamilyInfo> families = [] {
    FamilyCatalog catalog;
    AppendReportMetrics({}, catalog);
    return std::move(catalog.families);
  }();
  return families;
}

// Builds in buffers of its thread, kept from one report to the next, then
// copies them into the node's one allocation. Labels are interned in an
// open-addressing table of label indices (plus one; zero is free), kept at
// most half full.
class NodeSeries::Recorder : public SeriesSink {
 public:
  explicit Recorder(size_t max_bytes) : max_bytes_(max_bytes) {
    family_ends_.clear();
    label_ends_.clear();
    labels_.clear();
    samples_.clear();
    keys_.clear();
    key_text_.clear();
    slots_.assign(256, 0);
  }

  void Family(std::string_view, std::string_view, std::string_view) override {
    if (started_) family_ends_.push_back(static_cast<uint32_t>(samples_.size()));
    started_ = true;
  }

  // The sample is written whole on the stack, then appended once.
  void Sample(const LabelRefs& labels, double value) override {
    if (label_ends_.size() * sizeof(uint32_t) + labels_.size() + samples_.size() >= max_bytes_) {
      ++dropped_samples_;
      return;
    }
    char sample[1 + LabelRefs::kMax * kMaxIndexBytes + 1 + kMaxValueChars];
    char* w = sample;
    *w++ = static_cast<char>(labels.size());
    for (const LabelRef& label : labels) w = WriteIndex(w, Intern(label));
    // The text's length byte goes first; it is known once the text is written.
    const size_t length = WriteValue(std::span<char, kMaxValueChars>(w + 1, kMaxValueChars), value);
    *w = static_cast<char>(length);
    w += 1 + length;
    samples_.append(sample, static_cast<size_t>(w - sample));
  }

  void Finish(NodeSeries& series) {
    series.dropped_samples_ = dropped_samples_;
    family_ends_.push_back(static_cast<uint32_t>(samples_.size()));
    const size_t size =
        (family_ends_.size() + label_ends_.size()) * sizeof(uint32_t) + labels_.size() + samples_.size();
    series.size_ = RoundedSize(size);
    series.data_ = TakeBuffer(series.size_);
    char* w = series.data_;
    const auto put = [&](const void* bytes, size_t length) {
      // An empty vector's data() may be null, which memcpy must not get.
      if (length == 0) return;
      std::memcpy(w, bytes, length);
      w += length;
    };
    put(family_ends_.data(), family_ends_.size() * sizeof(uint32_t));
    series.label_ends_at_ = static_cast<uint32_t>(w - series.data_);
    put(label_ends_.data(), label_ends_.size() * sizeof(uint32_t));
    series.labels_at_ = static_cast<uint32_t>(w - series.data_);
    put(labels_.data(), labels_.size());
    series.samples_at_ = static_cast<uint32_t>(w - series.data_);
    put(samples_.data(), samples_.size());
  }

 private:
  // A label as looked up: its name then its value, unescaped, in key_text_
  // from `at`.
  struct Key {
    uint64_t hash;
    uint32_t at;
    uint32_t name_size;
    uint32_t value_size;
  };

  bool Matches(const Key& key, uint64_t hash, std::string_view name, std::string_view value) const {
    // Sizes checked first, and no empty view's data() (maybe null) given to memcmp.
    const char* const text = key_text_.data() + key.at;
    return key.hash == hash && key.name_size == name.size() && key.value_size == value.size() &&
           (name.empty() || std::memcmp(text, name.data(), name.size()) == 0) &&
           (value.empty() || std::memcmp(text + name.size(), value.data(), value.size()) == 0);
  }

  // Of every byte of the value, keyed per process (seeded_hash.h): the
  // labels come from the node, which could otherwise send thousands that
  // share a slot and make each insert walk them all. The name is one of the
  // code's literals: its length and first letter keep two names' equal
  // values apart.
  static uint64_t Hash(std::string_view name, std::string_view value) {
    const uint64_t name_key = name.empty() ? 0 : (name.size() << 8 | static_cast<unsigned char>(name[0]));
    return SeededHash(value, name_key);
  }

  // The slot of the label (name, value) whose hash is `hash`, or the free
  // slot where it goes.
  size_t Slot(uint64_t hash, std::string_view name, std::string_view value) const {
    const size_t mask = slots_.size() - 1;
    size_t slot = hash & mask;
    while (slots_[slot] != 0 && !Matches(keys_[slots_[slot] - 1], hash, name, value)) slot = (slot + 1) & mask;
    return slot;
  }

  // Escaped only when first met: most samples reuse their node's labels.
  uint32_t Intern(const LabelRef& label) {
    const uint64_t hash = Hash(label.name, label.value);
    const size_t slot = Slot(hash, label.name, label.value);
    if (slots_[slot] != 0) return slots_[slot] - 1;
    labels_ += ',';
    labels_ += label.name;
    labels_ += "=\"";
    AppendEscaped(labels_, label.value);
    labels_ += '"';
    label_ends_.push_back(static_cast<uint32_t>(labels_.size()));
    keys_.push_back({hash, static_cast<uint32_t>(key_text_.size()), static_cast<uint32_t>(label.name.size()),
                     static_cast<uint32_t>(label.value.size())});
    key_text_ += label.name;
    key_text_ += label.value;
    const auto count = static_cast<uint32_t>(label_ends_.size());
    slots_[slot] = count;
    if (2 * count > slots_.size()) Grow();
    return count - 1;
  }

  // The labels are distinct: each goes to the first free slot from its hash's.
  void Grow() {
    slots_.assign(slots_.size() * 2, 0);
    for (uint32_t i = 0; i < keys_.size(); ++i) {
      size_t slot = keys_[i].hash & (slots_.size() - 1);
      while (slots_[slot] != 0) slot = (slot + 1) & (slots_.size() - 1);
      slots_[slot] = i + 1;
    }
  }

  // The thread's buffers, kept from one report to the next so that a build
  // allocates only its series. Reached once per build: every access to a
  // thread_local object checks that it is constructed.
  struct Scratch {
    std::vector<uint32_t> family_ends;
    std::vector<uint32_t> label_ends;
    std::string labels;
    std::string samples;
    std::vector<Key> keys;
    std::string key_text;
    std::vector<uint32_t> slots;
  };
  static Scratch& ThreadScratch() {
    thread_local Scratch scratch;
    return scratch;
  }

  Scratch& scratch_ = ThreadScratch();
  std::vector<uint32_t>& family_ends_ = scratch_.family_ends;
  std::vector<uint32_t>& label_ends_ = scratch_.label_ends;
  std::string& labels_ = scratch_.labels;
  std::string& samples_ = scratch_.samples;
  std::vector<Key>& keys_ = scratch_.keys;
  std::string& key_text_ = scratch_.key_text;
  std::vector<uint32_t>& slots_ = scratch_.slots;
  bool started_ = false;
  const size_t max_bytes_;
  size_t dropped_samples_ = 0;
};

NodeSeries::NodeSeries(const v1::Report& report, size_t max_bytes) {
  Recorder recorder(max_bytes);
  AppendReportMetrics({{{}, &report}}, recorder);
  recorder.Finish(*this);
}

NodeSeries::~NodeSeries() { GiveBuffer(data_, size_); }

uint32_t NodeSeries::End(uint32_t at, uint32_t index) const {
  uint32_t end = 0;
  std::memcpy(&end, data_ + at + index * sizeof(uint32_t), sizeof end);
  return end;
}

// A 10 000-node scrape writes 1.5 million lines, so each takes few appends:
// its start (name, node labels) is copied from the node's first line of the
// family, and labels interned one after another (a disk's, a sensor's) are
// adjacent in the labels and copied as one run.
void NodeSeries::AppendLines(size_t family, std::string_view name, std::string_view node_labels,
                             std::string& out) const {
  const char* const labels = data_ + labels_at_;
  const char* const samples = data_ + samples_at_;
  const auto f = static_cast<uint32_t>(family);
  const char* p = samples + (f == 0 ? 0 : End(0, f - 1));
  const char* const end = samples + End(0, f);
  if (p == end) return;
  const size_t start_at = out.size();
  out += name;
  out += '{';
  out += node_labels;
  const size_t start_size = out.size() - start_at;
  const auto label_begin = [&](uint32_t label) { return label == 0 ? 0 : End(label_ends_at_, label - 1); };
  for (bool first = true; p < end; first = false) {
    if (!first) out.append(out, start_at, start_size);
    const auto count = static_cast<unsigned char>(*p++);
    for (size_t i = 0; i < count;) {
      const uint32_t run_first = ReadIndex(p);
      uint32_t run_last = run_first;
      for (++i; i < count; ++i) {
        const char* next = p;
        if (ReadIndex(next) != run_last + 1) break;
        p = next;
        ++run_last;
      }
      const uint32_t begin = label_begin(run_first);
      out.append(labels + begin, End(label_ends_at_, run_last) - begin);
    }
    const auto length = static_cast<unsigned char>(*p++);
    char tail[2 + 255 + 1];
    tail[0] = '}';
    tail[1] = ' ';
    std::memcpy(tail + 2, p, length);
    tail[2 + length] = '\n';
    out.append(tail, 2 + length + 1);
    p += length;
  }
}

void NodeSeries::Prefetch(size_t family) const {
  const auto f = static_cast<uint32_t>(family);
  __builtin_prefetch(data_ + samples_at_ + (f == 0 ? 0 : End(0, f - 1)));
  __builtin_prefetch(data_ + label_ends_at_);
  __builtin_prefetch(data_ + labels_at_);
}

size_t NodeSeries::HeapBytes() const { return size_; }

}  // namespace vigie::collector
