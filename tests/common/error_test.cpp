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
