// The server's ticket ids: a visitor's phone follows its ticket by id (/t/{id}), so ids must be
// unguessable as well as unique; and ids issued one after another sort together, for the
// journal's index. The random bits come from a pool refilled every 64 ids.
#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <set>
#include <string>
#include <vector>

#include "hallq/net/server.h"

namespace hallq::net {
namespace {

TEST(TicketIds, UniqueWellFormedTimeOrderedAndEvenlyRandom) {
  auto ids = random_ticket_ids();
  ASSERT_NE(ids, nullptr);
  constexpr std::string_view kAlphabet = "234567abcdefghijklmnopqrstuvwxyz";
  constexpr std::size_t kCount = 10'000;  // 156 refills of the pool
  std::vector<std::string> made;
  made.reserve(kCount);
  for (std::size_t i = 0; i < kCount; ++i) made.push_back(ids->next());

  std::set<std::string> random_parts;
  std::array<std::size_t, 32> seen{};
  for (std::size_t i = 0; i < made.size(); ++i) {
    const std::string& id = made[i];
    ASSERT_EQ(id.size(), 26u) << id;
    for (char c : id) ASSERT_NE(kAlphabet.find(c), std::string_view::npos) << id;
    if (i > 0) {
      EXPECT_LE(made[i - 1].substr(0, 8), id.substr(0, 8)) << "time part went back at " << i;
    }
    random_parts.insert(id.substr(8));
    for (char c : id.substr(8)) ++seen[kAlphabet.find(c)];
  }
  // 90 random bits: a repeat means the pool was read twice or not refilled.
  EXPECT_EQ(random_parts.size(), kCount);
  // Every character of the random part is equally likely: 180,000 of them, 5,625 expected each.
  const auto [least, most] = std::minmax_element(seen.begin(), seen.end());
  EXPECT_GT(*least, 5'000u);
  EXPECT_LT(*most, 6'250u);
}

}  // namespace
}  // namespace hallq::net
