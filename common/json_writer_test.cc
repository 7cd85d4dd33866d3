#include "common/json_writer.h"

#include <cmath>

#include <gtest/gtest.h>

namespace vigie {
namespace {

TEST(JsonWriter, NestsWithCommasInTheRightPlaces) {
  JsonWriter json;
  json.BeginObject().Key("node").String("rennes-2").Key("disks").BeginArray();
  json.BeginObject().Key("id").Uint(5).EndObject();
  json.BeginObject().Key("raw").Int(-3).Key("ok").Bool(false).EndObject();
  json.EndArray().Key("load").Double(0.25).Key("none").Null().EndObject();
  EXPECT_EQ(json.str(),
            R"({"node":"rennes-2","disks":[{"id":5},{"raw":-3,"ok":false}],"load":0.25,"none":null})");
}

TEST(JsonWriter, EscapesQuotesBackslashesAndControlCharacters) {
  EXPECT_EQ(JsonQuote("a\"b\\c\nd\x01"), R"("a\"b\\c\nd\u0001")");
  EXPECT_EQ(JsonQuote("serial \xff\xfe"), "\"serial \uFFFD\uFFFD\"");  // JSON is UTF-8: every answer parses
}

TEST(JsonWriter, NonFiniteNumbersBecomeNull) {
  JsonWriter json;
  json.BeginArray().Double(std::nan("")).Double(INFINITY).Double(1e21).EndArray();
  EXPECT_EQ(json.str(), "[null,null,1e+21]");
}

}  // namespace
}  // namespace vigie
