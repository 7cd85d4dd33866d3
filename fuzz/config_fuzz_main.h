// The config targets: the input is a TOML file handed to a loader, which
// may refuse it only with a ConfigError ("FILE:LINE: KEY: REASON"). Any
// other exception escapes and is a finding: main() catches only
// ConfigError, so it would end the daemon with std::terminate and no line
// naming the key.
#pragma once

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string_view>

#include "common/config.h"
#include "fuzz/scratch_file.h"

namespace vigie::fuzz {

// Writes the input to a config file in the scratch folder and calls
// `load(path)`; a ConfigError must name that file. The seeds name the
// secret files (token_file, password_file...) "token", which exists beside it.
template <class Load>
void LoadConfigOrRefuse(const uint8_t* data, size_t size, const Load& load) {
  static const std::filesystem::path token = WriteScratchFile("token", "fuzz-secret\n");
  const std::filesystem::path path = WriteScratchFile("fuzz.toml", AsText(data, size));
  try {
    load(path);
  } catch (const ConfigError& error) {
    if (std::string_view(error.what()).find(path.string()) == std::string_view::npos) {
      std::fprintf(stderr, "a ConfigError that does not name the file: %s\n", error.what());
      std::abort();
    }
  }
}

}  // namespace vigie::fuzz
