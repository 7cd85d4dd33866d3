// /etc/vigie/agent.toml -> AgentConfig (agent/agent_config.h). Input: the file.
#include "agent/agent_config.h"
#include "fuzz/config_fuzz_main.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  vigie::fuzz::LoadConfigOrRefuse(data, size, [](const std::filesystem::path& path) {
    vigie::agent::LoadAgentConfig(path);
  });
  return 0;
}
