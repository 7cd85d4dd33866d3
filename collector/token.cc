#include "collector/token.h"

#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>

#include <array>
#include <cctype>
#include <cstdlib>

#include "common/log.h"

namespace vigie::collector {
namespace {

std::string Hex(const unsigned char* bytes, size_t size) {
  static const char kDigits[] = "0123456789abcdef";
  std::string out(size * 2, '0');
  for (size_t i = 0; i < size; ++i) {
    out[2 * i] = kDigits[bytes[i] >> 4];
    out[2 * i + 1] = kDigits[bytes[i] & 0x0F];
  }
  return out;
}

}  // namespace

std::string NewToken() {
  std::array<unsigned char, 32> bytes{};
  if (gnutls_rnd(GNUTLS_RND_KEY, bytes.data(), bytes.size()) != 0) {
    // Without a working CSPRNG no safe token can exist.
    LogError("gnutls_rnd failed: cannot make a token");
    std::abort();
  }
  return Hex(bytes.data(), bytes.size());
}

std::string Sha256Hex(std::string_view text) {
  std::array<unsigned char, 32> digest{};
  gnutls_hash_fast(GNUTLS_DIG_SHA256, text.data(), text.size(), digest.data());
  return Hex(digest.data(), digest.size());
}

bool ConstantTimeEquals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  unsigned char difference = 0;
  for (size_t i = 0; i < a.size(); ++i) difference |= static_cast<unsigned char>(a[i] ^ b[i]);
  return difference == 0;
}

std::optional<std::string_view> BearerToken(std::string_view authorization) {
  constexpr std::string_view kScheme = "bearer";
  if (authorization.size() <= kScheme.size()) return std::nullopt;
  for (size_t i = 0; i < kScheme.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(authorization[i])) != kScheme[i]) return std::nullopt;
  }
  const size_t token_start = authorization.find_first_not_of(' ', kScheme.size());
  if (token_start == kScheme.size() || token_start == std::string_view::npos) return std::nullopt;
  return authorization.substr(token_start);
}

bool IsSha256Hex(std::string_view text) {
  if (text.size() != 64) return false;
  for (char c : text) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

}  // namespace vigie::collector
