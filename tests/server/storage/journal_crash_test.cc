// Power-cut stand-in at the storage level: a child process commits as fast as it can and
// acknowledges each seq on a pipe only after commit() returned; the parent SIGKILLs it at a
// random moment and checks that everything acknowledged is on file, whole and without gaps.
// SIGKILL loses the process, not the OS page cache, so this checks transactionality and WAL
// recovery; surviving a real power cut additionally rests on synchronous=FULL (tested as set).
#include <gtest/gtest.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "hallq/storage/journal.h"
#include "journal_fixtures.h"

namespace hallq::testing {
namespace {

using storage::Journal;

const std::string kDay = "2026-11-27";

// The child: continues from whatever the file holds, like a restarted server would.
// Returns its exit code; never returns into gtest.
int commit_until_killed(const std::string& path, int ack_fd) {
  auto j = Journal::open(path);
  if (!j) {
    std::fprintf(stderr, "child: %s\n", j.error().message.c_str());
    return 2;
  }
  auto st = (*j)->load_state();
  if (!st) {
    std::fprintf(stderr, "child: %s\n", st.error().message.c_str());
    return 3;
  }
  std::uint64_t seq = st->last_seq;
  int number = static_cast<int>(st->tickets.size());
  // Ready: what the child found on file. The parent's kill timer starts here.
  if (write(ack_fd, &seq, sizeof seq) != sizeof seq) return 5;
  for (;;) {
    std::vector<storage::Batch> batches;
    const std::uint64_t first = seq + 1;
    if (first == 1) {
      batches.push_back(batch(day_rolled_over(1, kDay, kMorning)));
    } else {
      // Group commits of 1 to 4 batches, so a kill can also land inside a bigger transaction.
      for (std::uint64_t i = 0; i <= first % 4; ++i) {
        batches.push_back(issue_batch(first + i, ++number, kDay, kMorning + first + i));
      }
    }
    seq += batches.size();
    if (Status s = (*j)->commit(batches); !s) {
      std::fprintf(stderr, "child: commit up to %llu: %s\n",
                   static_cast<unsigned long long>(seq), s.error().message.c_str());
      return 4;
    }
    for (std::uint64_t acked = first; acked <= seq; ++acked) {
      if (write(ack_fd, &acked, sizeof acked) != sizeof acked) return 5;
    }
  }
}

// Reads whole 8-byte acks from `fd` into `acks` until `deadline` (no deadline: until EOF).
// False once the child's end is closed.
bool read_acks(int fd, std::vector<std::uint64_t>& acks, std::string& partial,
               const std::chrono::steady_clock::time_point* deadline) {
  char buf[4096];
  for (;;) {
    int timeout_ms = -1;
    if (deadline) {
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          *deadline - std::chrono::steady_clock::now());
      if (left.count() <= 0) return true;
      timeout_ms = static_cast<int>(left.count());
    }
    pollfd p{fd, POLLIN, 0};
    int r = poll(&p, 1, timeout_ms);
    if (r == 0) return true;
    if (r < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    ssize_t n = read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;  // EOF: the child is gone
    partial.append(buf, static_cast<std::size_t>(n));
    std::size_t whole = partial.size() / 8 * 8;
    for (std::size_t i = 0; i < whole; i += 8) {
      std::uint64_t seq;
      std::memcpy(&seq, partial.data() + i, 8);
      acks.push_back(seq);
    }
    partial.erase(0, whole);
  }
}

// The child's first message: the last_seq it found on opening the file.
std::optional<std::uint64_t> read_ready(int fd, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  char buf[8];
  std::size_t got = 0;
  while (got < sizeof buf) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    pollfd p{fd, POLLIN, 0};
    int r = poll(&p, 1, static_cast<int>(std::max<std::int64_t>(left.count(), 0)));
    if (r == 0) return std::nullopt;
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) return std::nullopt;
    ssize_t n = read(fd, buf + got, sizeof buf - got);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return std::nullopt;
    got += static_cast<std::size_t>(n);
  }
  std::uint64_t seq;
  std::memcpy(&seq, buf, sizeof seq);
  return seq;
}

TEST(JournalCrashTest, AcknowledgedCommitsSurviveSigkill) {
  TempDir dir;
  const std::string path = dir.file("hall.db");
  std::mt19937 rng(20261127);
  std::uniform_int_distribution<int> run_ms(5, 60);
  std::vector<std::uint64_t> acked;  // over all rounds
  int rounds_with_acks = 0;
  std::uint64_t on_file = 0;  // last_seq found by the previous round's check

  // About 20 rounds; more if too few of them got as far as a commit (a loaded machine).
  const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(15);
  int round = 0;
  for (; round < 20 || (rounds_with_acks < 15 && round < 60 &&
                        std::chrono::steady_clock::now() < give_up);
       ++round) {
    SCOPED_TRACE("round " + std::to_string(round));
    int fds[2];
    ASSERT_EQ(pipe(fds), 0);
    pid_t pid = fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
      close(fds[0]);
      _exit(commit_until_killed(path, fds[1]));
    }
    close(fds[1]);
    std::vector<std::uint64_t> acks;
    std::string partial;
    std::optional<std::uint64_t> ready = read_ready(fds[0], std::chrono::seconds(10));
    if (!ready) {
      kill(pid, SIGKILL);
      waitpid(pid, nullptr, 0);
      close(fds[0]);
      FAIL() << "the child did not open the journal, see its message on stderr";
    }
    EXPECT_EQ(*ready, on_file) << "the child found another last_seq than the parent";
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(run_ms(rng));
    read_acks(fds[0], acks, partial, &deadline);
    kill(pid, SIGKILL);
    read_acks(fds[0], acks, partial, nullptr);  // what was acknowledged before the kill
    close(fds[0]);
    int status = 0;
    ASSERT_EQ(waitpid(pid, &status, 0), pid);
    ASSERT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL)
        << "the child stopped by itself (exit " << WEXITSTATUS(status) << "), see stderr";
    EXPECT_TRUE(partial.empty());

    // The child continued from what was on file, and acknowledged one seq after another.
    for (std::size_t i = 0; i < acks.size(); ++i) {
      ASSERT_EQ(acks[i], (i == 0 ? on_file : acks[i - 1]) + 1);
    }
    if (!acks.empty()) ++rounds_with_acks;
    acked.insert(acked.end(), acks.begin(), acks.end());

    // Reopen as the restarted server would, and check the file.
    auto j = Journal::open(path);
    ASSERT_TRUE(j.ok()) << j.error().message;
    auto st = (*j)->load_state();
    ASSERT_TRUE(st.ok()) << st.error().message;
    if (!acked.empty()) {
      ASSERT_GE(st->last_seq, acked.back());
    }
    on_file = st->last_seq;

    std::set<std::string> ids, numbers, keys;
    for (const Ticket& t : st->tickets) {
      ids.insert(t.id);
      numbers.insert(t.number);
    }
    for (const auto& r : st->requests) keys.insert(r.key);
    for (std::uint64_t seq : acked) {
      if (seq == 1) continue;  // the rollover
      ASSERT_TRUE(ids.count("T" + std::to_string(seq))) << "acknowledged seq " << seq << " lost";
      ASSERT_TRUE(keys.count("kiosk-1\x1fr" + std::to_string(seq))) << "request of seq " << seq;
    }
    // Whole batches only: every stored seq after the rollover has its ticket and request.
    const std::size_t issued = st->last_seq > 0 ? st->last_seq - 1 : 0;
    EXPECT_EQ(st->tickets.size(), issued);
    EXPECT_EQ(st->requests.size(), issued);
    EXPECT_EQ(ids.size(), st->tickets.size());
    EXPECT_EQ(numbers.size(), st->tickets.size()) << "a number was given twice";

    RawDb raw(path);
    EXPECT_EQ(raw.one("SELECT count(*), coalesce(min(seq), 0), coalesce(max(seq), 0) FROM events"),
              std::to_string(st->last_seq) + "|" + (st->last_seq ? "1" : "0") + "|" +
                  std::to_string(st->last_seq))
        << "seq has gaps";
    auto report = (*j)->integrity_check();
    ASSERT_TRUE(report.ok()) << report.error().message;
    EXPECT_EQ(*report, "ok");
  }
  // A run where the child never got to commit proves nothing.
  EXPECT_GE(rounds_with_acks, 10);
  std::printf("crash test: %zu acknowledged commits over %d kills, %d rounds with acks\n",
              acked.size(), round, rounds_with_acks);
}

}  // namespace
}  // namespace hallq::testing
