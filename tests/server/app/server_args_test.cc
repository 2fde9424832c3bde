// hallq-server's command line, parsed without a process: every flag's default, good and bad
// values with their exact messages and exit codes, and the simulated clock --start-time sets.
#include <gtest/gtest.h>

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "hallq/app/server_args.h"

namespace hallq::test {
namespace {

using app::ArgsExit;
using app::ServerArgs;

std::variant<ServerArgs, ArgsExit> parse(std::vector<std::string> flags) {
  std::vector<const char*> argv{"hallq-server"};
  for (const auto& f : flags) argv.push_back(f.c_str());
  return app::parse_server_args(int(argv.size()), argv.data());
}

std::string joined(const std::vector<std::string>& flags) {
  std::string s;
  for (const auto& f : flags) s += (s.empty() ? "" : " ") + f;
  return s;
}

TimeMs now_ms() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

// 2026-12-07 08:30 in a hall at UTC+8 is 00:30 UTC (date -u -d 2026-12-07T00:30Z +%s).
constexpr TimeMs k0830InUtcPlus8 = 1796603400000;
constexpr int kUtcPlus8 = 480;

// What --help prints and a usage error follows with.
const std::string kUsage = hallq::app::server_usage();

TEST(ServerArgs, NoFlagsGiveTheDefaultsHelpLists) {
  auto parsed = parse({});
  ASSERT_TRUE(std::holds_alternative<ServerArgs>(parsed));
  ServerArgs a = std::get<ServerArgs>(parsed);
  EXPECT_EQ(a.config_path, HALLQ_ASSETS_DIR "/halls/sample-county.json");
  EXPECT_EQ(a.options.web_root, HALLQ_ASSETS_DIR "/web");
  EXPECT_EQ(a.options.data_dir, "var");
  EXPECT_EQ(a.options.host, "127.0.0.1");
  EXPECT_EQ(a.options.port, 8080);
  EXPECT_EQ(a.options.threads, 2);
  EXPECT_FALSE(a.always_open);
  EXPECT_EQ(a.time_scale, 1);
  EXPECT_EQ(a.start_time, "");
  // No simulated day asked for: the server keeps its system clock.
  EXPECT_FALSE(app::apply_clock_flags(a, kUtcPlus8));
  EXPECT_FALSE(a.options.clock);
  EXPECT_EQ(a.options.clock_rate, 1);
}

TEST(ServerArgs, GoodFlagsSetTheirOptions) {
  struct Case {
    std::vector<std::string> flags;
    std::string host;
    int port;
    int threads;
    double time_scale;
  };
  const Case cases[] = {
      {{"--listen", "127.0.0.1:0"}, "127.0.0.1", 0, 2, 1},
      {{"--listen", "[::1]:8080"}, "::1", 8080, 2, 1},
      {{"--listen", "hall.local:65535"}, "hall.local", 65535, 2, 1},
      {{"--threads", "4"}, "127.0.0.1", 8080, 4, 1},
      // At least one thread, and atoi's leniency as before: "abc" is 0, so 1.
      {{"--threads", "0"}, "127.0.0.1", 8080, 1, 1},
      {{"--threads", "abc"}, "127.0.0.1", 8080, 1, 1},
      {{"--time-scale", "1"}, "127.0.0.1", 8080, 2, 1},
      {{"--time-scale", "10000"}, "127.0.0.1", 8080, 2, 10000},
      {{"--time-scale", "60", "--listen", "0.0.0.0:9000", "--threads", "3"}, "0.0.0.0", 9000, 3, 60},
  };
  for (const Case& k : cases) {
    auto parsed = parse(k.flags);
    ASSERT_TRUE(std::holds_alternative<ServerArgs>(parsed))
        << joined(k.flags) << ": " << std::get<ArgsExit>(parsed).err;
    const ServerArgs& a = std::get<ServerArgs>(parsed);
    EXPECT_EQ(a.options.host, k.host) << joined(k.flags);
    EXPECT_EQ(a.options.port, k.port) << joined(k.flags);
    EXPECT_EQ(a.options.threads, k.threads) << joined(k.flags);
    EXPECT_EQ(a.time_scale, k.time_scale) << joined(k.flags);
  }

  auto parsed = parse({"--config", "hall.json", "--data", "/tmp/d", "--web", "w", "--always-open",
                       "--start-time", "2026-12-07T08:30"});
  ASSERT_TRUE(std::holds_alternative<ServerArgs>(parsed));
  const ServerArgs& a = std::get<ServerArgs>(parsed);
  EXPECT_EQ(a.config_path, "hall.json");
  EXPECT_EQ(a.options.data_dir, "/tmp/d");
  EXPECT_EQ(a.options.web_root, "w");
  EXPECT_TRUE(a.always_open);
  EXPECT_EQ(a.start_time, "2026-12-07T08:30");  // checked later, against the hall's UTC offset
}

TEST(ServerArgs, BadFlagsEndTheRunWithTheirMessage) {
  struct Case {
    std::vector<std::string> flags;
    std::string err;
  };
  const Case cases[] = {
      {{"--listen", "8080"}, "hallq-server: --listen wants HOST:PORT, got \"8080\"\n"},
      {{"--listen", "host:"}, "hallq-server: --listen wants HOST:PORT, got \"host:\"\n"},
      {{"--listen", "host:70000"}, "hallq-server: --listen wants HOST:PORT, got \"host:70000\"\n"},
      {{"--listen", "host:80x"}, "hallq-server: --listen wants HOST:PORT, got \"host:80x\"\n"},
      {{"--listen", ":8080"}, "hallq-server: --listen wants HOST:PORT, got \":8080\"\n"},
      {{"--time-scale", "0.5"}, "hallq-server: --time-scale wants a number from 1 to 10000, got \"0.5\"\n"},
      {{"--time-scale", "10001"}, "hallq-server: --time-scale wants a number from 1 to 10000, got \"10001\"\n"},
      {{"--time-scale", "abc"}, "hallq-server: --time-scale wants a number from 1 to 10000, got \"abc\"\n"},
      {{"--time-scale", "2x"}, "hallq-server: --time-scale wants a number from 1 to 10000, got \"2x\"\n"},
      {{"--config"}, "hallq-server: --config needs a value\n"},
      {{"--data", "d", "--listen"}, "hallq-server: --listen needs a value\n"},
      {{"--start-time"}, "hallq-server: --start-time needs a value\n"},
      // The first flag that ends the run wins.
      {{"--listen", "8080", "--help"}, "hallq-server: --listen wants HOST:PORT, got \"8080\"\n"},
      {{"--bogus"}, "hallq-server: unknown option --bogus\n" + kUsage},
      {{"--threads", "2", "extra"}, "hallq-server: unknown option extra\n" + kUsage},
  };
  for (const Case& k : cases) {
    auto parsed = parse(k.flags);
    ASSERT_TRUE(std::holds_alternative<ArgsExit>(parsed)) << joined(k.flags);
    const ArgsExit& e = std::get<ArgsExit>(parsed);
    EXPECT_EQ(e.code, 2) << joined(k.flags);
    EXPECT_EQ(e.out, "") << joined(k.flags);
    EXPECT_EQ(e.err, k.err) << joined(k.flags);
  }
}

// The usage names every flag the parser takes, and the defaults it falls back to.
TEST(ServerArgs, UsageNamesEveryFlagAndTheDefaults) {
  for (const char* flag : {"--config FILE", "--data DIR", "--listen H:P", "--web DIR", "--threads N", "--always-open",
                           "--time-scale N", "--start-time T"})
    EXPECT_NE(kUsage.find(std::string("\n  ") + flag), std::string::npos) << flag;
  EXPECT_NE(kUsage.find("(default " HALLQ_ASSETS_DIR "/halls/sample-county.json)"), std::string::npos);
  EXPECT_NE(kUsage.find("(default " HALLQ_ASSETS_DIR "/web)"), std::string::npos);
  EXPECT_NE(kUsage.find("(default 127.0.0.1:8080; port 0 picks a free one)"), std::string::npos);
  EXPECT_TRUE(kUsage.starts_with("usage: hallq-server "));
}

TEST(ServerArgs, HelpPrintsUsageOnStdoutAndExitsZero) {
  for (const auto& flags : {std::vector<std::string>{"--help"}, {"-h"}, {"--help", "--bogus"},
                            {"--threads", "3", "-h"}}) {
    auto parsed = parse(flags);
    ASSERT_TRUE(std::holds_alternative<ArgsExit>(parsed)) << joined(flags);
    const ArgsExit& e = std::get<ArgsExit>(parsed);
    EXPECT_EQ(e.code, 0) << joined(flags);
    EXPECT_EQ(e.out, kUsage) << joined(flags);
    EXPECT_EQ(e.err, "") << joined(flags);
  }
}

TEST(ServerArgs, StartTimeIsLocalHallTime) {
  struct Case {
    std::string text;
    std::optional<TimeMs> utc_ms;
  };
  const Case cases[] = {
      {"2026-12-07T08:30", k0830InUtcPlus8},
      {"2026-12-07T00:00", k0830InUtcPlus8 - (8 * 60 + 30) * 60'000},
      {"2026-12-07T23:59", k0830InUtcPlus8 + (15 * 60 + 29) * 60'000},
      {"2026-13-01T08:00", std::nullopt},   // no 13th month
      {"2026-02-29T08:00", std::nullopt},   // not a leap year
      {"2026-12-07 08:30", std::nullopt},   // a space for the T
      {"2026-12-07T24:00", std::nullopt},
      {"2026-12-07T08:60", std::nullopt},
      {"2026-12-07T08:30Z", std::nullopt},  // local time has no zone
      {"2026-12-07", std::nullopt},
      {"", std::nullopt},
  };
  for (const Case& k : cases) EXPECT_EQ(app::parse_start_time(k.text, kUtcPlus8), k.utc_ms) << k.text;
  EXPECT_EQ(app::parse_start_time("2026-12-07T08:30", 0), k0830InUtcPlus8 + 8 * 3'600'000);
}

TEST(ServerArgs, StartTimeStartsTheHallClockThere) {
  auto parsed = parse({"--start-time", "2026-12-07T08:30"});
  ASSERT_TRUE(std::holds_alternative<ServerArgs>(parsed));
  ServerArgs a = std::get<ServerArgs>(parsed);
  EXPECT_FALSE(app::apply_clock_flags(a, kUtcPlus8));
  ASSERT_TRUE(a.options.clock);
  EXPECT_EQ(a.options.clock_rate, 1);
  TimeMs t = a.options.clock();
  EXPECT_GE(t, k0830InUtcPlus8);
  EXPECT_LT(t, k0830InUtcPlus8 + 1000);

  // Scaled: an hour of hall time passes in a minute of real time.
  parsed = parse({"--start-time", "2026-12-07T08:30", "--time-scale", "60"});
  ASSERT_TRUE(std::holds_alternative<ServerArgs>(parsed));
  a = std::get<ServerArgs>(parsed);
  EXPECT_FALSE(app::apply_clock_flags(a, kUtcPlus8));
  ASSERT_TRUE(a.options.clock);
  EXPECT_EQ(a.options.clock_rate, 60);
  t = a.options.clock();
  EXPECT_GE(t, k0830InUtcPlus8);
  EXPECT_LT(t, k0830InUtcPlus8 + 60'000);
}

TEST(ServerArgs, TimeScaleAloneStartsTheHallClockNow) {
  auto parsed = parse({"--time-scale", "10"});
  ASSERT_TRUE(std::holds_alternative<ServerArgs>(parsed));
  ServerArgs a = std::get<ServerArgs>(parsed);
  const TimeMs before = now_ms();
  EXPECT_FALSE(app::apply_clock_flags(a, kUtcPlus8));
  ASSERT_TRUE(a.options.clock);
  EXPECT_EQ(a.options.clock_rate, 10);
  TimeMs t = a.options.clock();
  EXPECT_GE(t, before);
  EXPECT_LT(t, before + 10'000);
}

TEST(ServerArgs, BadStartTimeEndsTheRunWithItsMessage) {
  for (const std::string text : {"2026-13-01T08:00", "2026-12-07 08:30", "2026-12-07T24:00"}) {
    auto parsed = parse({"--start-time", text});
    ASSERT_TRUE(std::holds_alternative<ServerArgs>(parsed)) << text;
    ServerArgs a = std::get<ServerArgs>(parsed);
    auto stop = app::apply_clock_flags(a, kUtcPlus8);
    ASSERT_TRUE(stop) << text;
    EXPECT_EQ(stop->code, 2);
    EXPECT_EQ(stop->out, "");
    EXPECT_EQ(stop->err,
              "hallq-server: --start-time wants YYYY-MM-DDTHH:MM (local hall time), got \"" + text + "\"\n");
    EXPECT_FALSE(a.options.clock) << text;
  }
}

}  // namespace
}  // namespace hallq::test
