#include "collector/wire_fields.h"

#include <gtest/gtest.h>

#include "vigie.pb.h"

namespace vigie::collector {
namespace {

TEST(WireFields, GivesEachFieldsRecordAndPayloadInOrder) {
  v1::Report report;
  report.set_seq(300);                   // field 3, varint: 18 ac 02
  report.add_disks()->set_model("ST");   // field 11: 5a 04, then model (field 3): 1a 02 53 54
  report.add_disks()->set_model("WD");
  const std::string bytes = report.SerializeAsString();
  const std::optional<std::vector<WireField>> fields = WireFields(bytes);
  ASSERT_TRUE(fields);
  ASSERT_EQ(fields->size(), 3u);
  EXPECT_EQ((*fields)[0].number, 3u);
  EXPECT_NE((*fields)[0].wire_type, kLengthDelimited);
  EXPECT_EQ((*fields)[0].record, std::string_view("\x18\xac\x02", 3));
  EXPECT_EQ((*fields)[0].payload, "");
  EXPECT_EQ((*fields)[1].number, 11u);
  EXPECT_EQ((*fields)[1].wire_type, kLengthDelimited);
  EXPECT_EQ((*fields)[1].record, std::string_view("\x5a\x04\x1a\x02ST", 6));
  EXPECT_EQ((*fields)[1].payload, std::string_view("\x1a\x02ST", 4));
  EXPECT_EQ((*fields)[2].payload, std::string_view("\x1a\x02WD", 4));
}

TEST(WireFields, RefusesAFieldCutShort) {
  EXPECT_FALSE(WireFields(std::string_view("\x5a\x04\x1a\x02S", 5)));
  EXPECT_FALSE(WireFields(std::string_view("\x18\xac", 2)));
}

TEST(WireFields, AnEmptyMessageHasNoField) {
  const std::optional<std::vector<WireField>> fields = WireFields("");
  ASSERT_TRUE(fields);
  EXPECT_TRUE(fields->empty());
}

}  // namespace
}  // namespace vigie::collector
