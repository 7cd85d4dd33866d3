// /etc/vigie/collector.toml -> CollectorConfig, its [remote_write] and
// alerting parts included (collector/collector_config.h). Input: the file.
#include "collector/collector_config.h"
#include "fuzz/config_fuzz_main.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  vigie::fuzz::LoadConfigOrRefuse(data, size, [](const std::filesystem::path& path) {
    vigie::collector::LoadCollectorConfig(path);
  });
  return 0;
}
