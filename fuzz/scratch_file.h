// Files for the targets whose entry point reads a path (the config loaders,
// the spool reader): the input is written to a file in a folder of this
// process, removed at exit.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <string_view>

namespace vigie::fuzz {

// The process's scratch folder (under $TMPDIR, else /tmp), created on first use.
const std::filesystem::path& ScratchDirectory();

// Writes `bytes` to ScratchDirectory()/name, replacing it; aborts on an I/O
// error (a harness fault, not a finding).
std::filesystem::path WriteScratchFile(std::string_view name, std::string_view bytes);

inline std::string_view AsText(const uint8_t* data, size_t size) {
  return {reinterpret_cast<const char*>(data), size};
}

}  // namespace vigie::fuzz
