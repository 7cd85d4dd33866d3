// The agent's spool file reader (agent/spool_file.h) on a damaged or forged
// file: it must keep a valid prefix, and that prefix, written again, must
// read back whole and unchanged. Input: the file's bytes.
#include <cstdio>
#include <cstdlib>

#include "agent/spool_file.h"
#include "fuzz/scratch_file.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace vigie::agent;
  const std::filesystem::path path = vigie::fuzz::WriteScratchFile("spool", vigie::fuzz::AsText(data, size));
  const SpoolFileRead read = ReadSpoolFile(path);
  // A damaged file is set aside, so that the next write starts clean.
  if (read.warning.empty() != std::filesystem::exists(path)) std::abort();
  std::filesystem::remove(path.string() + ".damaged");

  const std::filesystem::path again = vigie::fuzz::ScratchDirectory() / "spool.again";
  if (const vigie::Result<void> written = WriteSpoolFile(again, read.contents); !written) {
    std::fprintf(stderr, "fuzz harness: %s\n", written.error().message.c_str());
    std::abort();
  }
  const SpoolFileRead reread = ReadSpoolFile(again);
  if (!reread.warning.empty() || reread.contents.reports != read.contents.reports ||
      reread.contents.collectors.size() != read.contents.collectors.size()) {
    std::abort();
  }
  for (size_t i = 0; i < read.contents.collectors.size(); ++i) {
    if (reread.contents.collectors[i].url != read.contents.collectors[i].url ||
        reread.contents.collectors[i].acknowledged != read.contents.collectors[i].acknowledged) {
      std::abort();
    }
  }
  std::filesystem::remove(again);
  return 0;
}
