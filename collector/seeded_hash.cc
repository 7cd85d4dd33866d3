#include "collector/seeded_hash.h"

#include <sys/random.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>

namespace vigie::collector {

const uint64_t* HashSecret() {
  static const auto* const secret = [] {
    auto* words = new uint64_t[3];
    auto* bytes = reinterpret_cast<unsigned char*>(words);
    size_t got = 0;
    while (got < 3 * sizeof(uint64_t)) {
      const ssize_t n = getrandom(bytes + got, 3 * sizeof(uint64_t) - got, 0);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) {
        std::perror("vigie: getrandom for the hash secret");
        std::abort();
      }
      got += static_cast<size_t>(n);
    }
    return words;
  }();
  return secret;
}

}  // namespace vigie::collector
