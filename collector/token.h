// Node tokens: the collector keeps only their SHA-256, so a leaked
// collector.toml lets nobody push as a node.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace vigie::collector {

// A new random token: 32 bytes from the system's CSPRNG, as 64 hex digits.
std::string NewToken();

// Lower-case hex SHA-256 of `text`.
std::string Sha256Hex(std::string_view text);

// Equality whose running time depends only on the lengths, not on where the
// inputs differ.
bool ConstantTimeEquals(std::string_view a, std::string_view b);

// The credentials of "Authorization: Bearer <token>": the scheme in any
// case (RFC 7235 section 2.1), then one or more spaces. nullopt for another
// scheme or no token.
std::optional<std::string_view> BearerToken(std::string_view authorization);

// True for 64 lower-case hex digits.
bool IsSha256Hex(std::string_view text);

}  // namespace vigie::collector
