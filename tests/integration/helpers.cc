#include "tests/integration/helpers.h"

#include <fstream>
#include <sstream>

namespace vigie::testing {

std::map<std::string, std::string> ParseMetrics(const std::string& page) {
  std::map<std::string, std::string> samples;
  std::istringstream lines(page);
  std::string line;
  while (std::getline(lines, line)) {
    if (line.empty() || line[0] == '#') continue;
    const size_t space = line.rfind(' ');
    samples[line.substr(0, space)] = line.substr(space + 1);
  }
  return samples;
}

std::vector<std::vector<uint64_t>> Runs(const std::vector<collector::Store::StoredReport>& reports) {
  std::vector<std::vector<uint64_t>> runs;
  for (const auto& stored : reports) {
    if (runs.empty() || stored.seq != runs.back().back() + 1) runs.emplace_back();
    runs.back().push_back(stored.seq);
  }
  return runs;
}

int64_t RssKib(pid_t pid) {
  std::ifstream status("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.starts_with("VmRSS:")) return std::stoll(line.substr(6));
  }
  return 0;
}

}  // namespace vigie::testing
