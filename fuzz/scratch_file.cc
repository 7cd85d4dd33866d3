#include "fuzz/scratch_file.h"

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>
#include <system_error>

namespace vigie::fuzz {
namespace {

[[noreturn]] void HarnessFault(const std::string& what) {
  std::fprintf(stderr, "fuzz harness: %s\n", what.c_str());
  std::abort();
}

struct Scratch {
  Scratch() {
    const char* tmp = std::getenv("TMPDIR");
    std::string pattern = std::string(tmp != nullptr && *tmp != '\0' ? tmp : "/tmp") + "/vigie-fuzz-XXXXXX";
    if (mkdtemp(pattern.data()) == nullptr) HarnessFault("cannot create a scratch folder under " + pattern);
    path = pattern;
  }
  ~Scratch() {
    std::error_code ignored;  // best effort at exit; the folder is under TMPDIR
    std::filesystem::remove_all(path, ignored);
  }
  std::filesystem::path path;
};

}  // namespace

const std::filesystem::path& ScratchDirectory() {
  static const Scratch scratch;
  return scratch.path;
}

std::filesystem::path WriteScratchFile(std::string_view name, std::string_view bytes) {
  const std::filesystem::path path = ScratchDirectory() / name;
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  out.close();
  if (!out) HarnessFault("cannot write " + path.string());
  return path;
}

}  // namespace vigie::fuzz
