// Splitting a URL query string, as the slots, day-report and summary endpoints use it.
#include "hallq/query_string.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace hallq {
namespace {

std::vector<std::string> shown(std::string_view query) {
  std::vector<std::string> out;
  for (const QueryParam& p : query_params(query))
    out.push_back(std::string(p.item) + "|" + std::string(p.key) + "|" + std::string(p.value));
  return out;
}

TEST(QueryString, SplitsInOrderAndSkipsEmptyItems) {
  using V = std::vector<std::string>;
  EXPECT_EQ(shown(""), V{});
  EXPECT_EQ(shown("service=B&date=2026-11-30"), (V{"service=B|service|B", "date=2026-11-30|date|2026-11-30"}));
  EXPECT_EQ(shown("&a=1&&b=2&"), (V{"a=1|a|1", "b=2|b|2"}));
  EXPECT_EQ(shown("flag&x="), (V{"flag|flag|", "x=|x|"}));
  EXPECT_EQ(shown("q=a=b%26c"), (V{"q=a=b%26c|q|a=b%26c"}));  // first '=' splits; no decoding
}

}  // namespace
}  // namespace hallq
