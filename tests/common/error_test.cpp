#include <gtest/gtest.h>

#include "tokenmath/common/error.hpp"

using namespace tokenmath;

TEST(InputError, MessageNamesFileFieldAndValue) {
  InputError e("models/x.json", "/num_key_value_heads", "-8", "must be a positive integer");
  EXPECT_STREQ(e.what(), "models/x.json: /num_key_value_heads: value '-8': must be a positive integer");
  EXPECT_EQ(e.field(), "/num_key_value_heads");
}

TEST(InputError, EmptyPartsAreLeftOut) {
  EXPECT_EQ(format_input_error("f.yaml", "", "", "file not found"), "f.yaml: file not found");
}

TEST(DidYouMean, SuggestsClosestCandidates) {
  const std::vector<std::string> names = {"llama-3.1-70b", "llama-3.1-8b", "qwen3-32b"};
  EXPECT_EQ(closest_names("llama-3.1-7b", names).front(), "llama-3.1-70b");
  EXPECT_EQ(did_you_mean("zzzzzzzzzzzzzz", names), "");
  EXPECT_NE(did_you_mean("qwen3-23b", names).find("qwen3-32b"), std::string::npos);
}

TEST(EditDistance, IsCaseInsensitive) {
  EXPECT_EQ(edit_distance("ABC", "abc"), 0u);
  EXPECT_EQ(edit_distance("kitten", "sitting"), 3u);
}

TEST(InputError, MessageIsOneBoundedLine) {
  // A bad value may hold newlines or megabytes (a fuzzed CSV cell, a YAML parser message): the message stays one
  // line, control characters escaped, the value cut at ~80 bytes without splitting a UTF-8 sequence.
  const std::string value = "438.3\nnext,row\t" + std::string(200, 'x') + "\xc3\xa9";
  const tokenmath::InputError e("k.csv", "line 2/gb_s", value, "not a number\r\n(expected MB/s)");
  const std::string what = e.what();
  EXPECT_EQ(what.find('\n'), std::string::npos) << what;
  EXPECT_EQ(what.find('\r'), std::string::npos) << what;
  EXPECT_NE(what.find("value '438.3\\nnext,row\\txxx"), std::string::npos) << what;
  EXPECT_NE(what.find("...': not a number\\r\\n(expected MB/s)"), std::string::npos) << what;
  EXPECT_LT(what.size(), 200u);
  EXPECT_EQ(e.value(), value);  // the structured part keeps the whole value
  const tokenmath::InputError cut("f", "", std::string(79, 'a') + "\xc3\xa9" + "b", "p");
  EXPECT_NE(std::string(cut.what()).find(std::string(79, 'a') + "...'"), std::string::npos) << cut.what();
}
