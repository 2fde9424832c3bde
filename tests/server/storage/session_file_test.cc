// The session file against real SQLite files: what is stored comes back after a reopen, expired
// sessions go, and the token itself is never in the file.
#include "hallq/storage/session_file.h"

#include <gtest/gtest.h>

#include <fstream>
#include <iterator>

#include "journal_fixtures.h"

namespace hallq::testing {
namespace {

using storage::SessionFile;
using storage::StoredSession;

std::unique_ptr<SessionFile> must_open(const std::string& path) {
  auto f = SessionFile::open(path);
  if (!f) throw std::runtime_error("open failed: " + f.error().message);
  return std::move(f).value();
}

TEST(SessionFileTest, SessionsComeBackAfterAReopenAndExpiredOnesGo) {
  TempDir dir;
  const std::string path = dir.file("sessions.sqlite");
  const StoredSession zhang{"aa11", "zhang", "clerk", "fp-zhang", 5'000};
  const StoredSession admin{"bb22", "admin", "admin", "fp-admin", 9'000};
  const StoredSession gone{"cc33", "li", "clerk", "fp-li", 2'000};
  {
    auto f = must_open(path);
    ASSERT_TRUE(f->put(zhang).ok());
    ASSERT_TRUE(f->put(admin).ok());
    ASSERT_TRUE(f->put(gone).ok());
    ASSERT_TRUE(f->erase("bb22").ok());  // logged out
  }
  auto f = must_open(path);
  auto live = f->load(3'000);
  ASSERT_TRUE(live.ok()) << live.error().message;
  EXPECT_EQ(*live, std::vector<StoredSession>{zhang});
  // The expired one was deleted, not only skipped.
  EXPECT_EQ(RawDb(path).one("SELECT count(*) FROM sessions"), "1");
}

TEST(SessionFileTest, AFileThatIsNotSQLiteIsRefusedByName) {
  TempDir dir;
  const std::string path = dir.file("sessions.sqlite");
  std::ofstream(path) << std::string(8192, 'x');
  auto f = SessionFile::open(path);
  ASSERT_FALSE(f.ok());
  EXPECT_NE(f.error().message.find(path), std::string::npos) << f.error().message;
}

}  // namespace
}  // namespace hallq::testing
