// The top-level fields of a serialized protobuf message as they stand in its
// bytes, for code that keeps or forwards parts of a message without parsing
// and serializing it again (the protobuf encoding guide, "Message
// Structure").
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

namespace vigie::collector {

// The wire type of strings, bytes and messages ("LEN" in the guide).
inline constexpr uint32_t kLengthDelimited = 2;

struct WireField {
  uint32_t number = 0;
  uint32_t wire_type = 0;    // kLengthDelimited, or another of the guide's types
  std::string_view record;   // the whole field: tag, then length and payload or the value
  std::string_view payload;  // a length-delimited field's payload; empty for the other types
};

// The fields of `message` in order, as views into it; nullopt when the bytes
// are not a well-formed message. One pass, no copy.
std::optional<std::vector<WireField>> WireFields(std::string_view message);

}  // namespace vigie::collector
