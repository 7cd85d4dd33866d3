// The alerting part of collector.toml alone (alerting/alerting_config.h):
// sites, members, admins, thresholds and their overrides, the notifiers.
// Input: the file. The root's unknown keys are the caller's to refuse, as
// LoadCollectorConfig does.
#include "alerting/alerting_config.h"
#include "fuzz/config_fuzz_main.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  vigie::fuzz::LoadConfigOrRefuse(data, size, [](const std::filesystem::path& path) {
    const vigie::ConfigDocument document = vigie::ConfigDocument::Load(path);
    const vigie::ConfigTable root = document.Root();
    vigie::alerting::LoadAlertingConfig(root);
    root.RejectUnknownKeys();
  });
  return 0;
}
