#include "collector/wire_fields.h"

#include <google/protobuf/io/coded_stream.h>
#include <google/protobuf/wire_format_lite.h>

namespace vigie::collector {

static_assert(kLengthDelimited == google::protobuf::internal::WireFormatLite::WIRETYPE_LENGTH_DELIMITED);

std::optional<std::vector<WireField>> WireFields(std::string_view message) {
  using google::protobuf::internal::WireFormatLite;
  google::protobuf::io::CodedInputStream input(reinterpret_cast<const uint8_t*>(message.data()),
                                               static_cast<int>(message.size()));
  std::vector<WireField> fields;
  while (true) {
    const auto start = static_cast<size_t>(input.CurrentPosition());
    const uint32_t tag = input.ReadTag();
    if (tag == 0) break;
    WireField field{static_cast<uint32_t>(WireFormatLite::GetTagFieldNumber(tag)),
                    static_cast<uint32_t>(WireFormatLite::GetTagWireType(tag)), {}, {}};
    if (field.wire_type == kLengthDelimited) {
      uint32_t length = 0;
      if (!input.ReadVarint32(&length)) return std::nullopt;
      const auto offset = static_cast<size_t>(input.CurrentPosition());
      if (!input.Skip(static_cast<int>(length))) return std::nullopt;
      field.payload = message.substr(offset, length);
    } else if (!WireFormatLite::SkipField(&input, tag)) {
      return std::nullopt;
    }
    field.record = message.substr(start, static_cast<size_t>(input.CurrentPosition()) - start);
    fields.push_back(field);
  }
  if (!input.ConsumedEntireMessage() || static_cast<size_t>(input.CurrentPosition()) != message.size()) {
    return std::nullopt;
  }
  return fields;
}

}  // namespace vigie::collector
