// Command parsing at the protocol boundary: every command from a good body, the first bad field
// named for bad ones, and command_to_json as the exact inverse.
#include "hallq/commands.h"

#include <algorithm>
#include <optional>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

namespace hallq {
namespace {

using nlohmann::json;
using namespace nlohmann::literals;

std::string repeat(std::string_view s, int n) {
  std::string out;
  for (int i = 0; i < n; ++i) out += s;
  return out;
}

struct GoodCase {
  std::string name;
  json body;
  std::optional<int> url_window;
  json expected;  // command_to_json of the parsed command: every default filled in
  int window;     // command_window
};

std::vector<GoodCase> good_cases() {
  return {
      {"issue", R"({"request_id": "k1-0001", "service": "A"})"_json, std::nullopt,
       R"({"command": "issue", "request_id": "k1-0001", "service": "A", "class": "normal",
           "lang": "zh-CN"})"_json,
       0},
      {"issue",
       R"({"request_id": "k1-0002", "service": "AB", "class": "priority",
           "priority_reason": "elderly", "lang": "zh-TW"})"_json,
       std::nullopt,
       R"({"command": "issue", "request_id": "k1-0002", "service": "AB", "class": "priority",
           "priority_reason": "elderly", "lang": "zh-TW"})"_json,
       0},
      {"issue",
       R"({"request_id": "k1.3:x_y-z", "service": "D", "class": "appointment",
           "appointment_at": 1795000000000, "lang": "en", "command": "issue"})"_json,
       std::nullopt,
       R"({"command": "issue", "request_id": "k1.3:x_y-z", "service": "D",
           "class": "appointment", "appointment_at": 1795000000000, "lang": "en"})"_json,
       0},
      // An explicit null is the same as leaving the field out.
      {"issue", R"({"request_id": "k1-4", "service": "A", "class": null, "lang": null})"_json,
       std::nullopt,
       R"({"command": "issue", "request_id": "k1-4", "service": "A", "class": "normal",
           "lang": "zh-CN"})"_json,
       0},
      {"call-next", R"({"request_id": "c1", "window": 3})"_json, std::nullopt,
       R"({"command": "call-next", "request_id": "c1", "window": 3})"_json, 3},
      {"call-next", R"({"request_id": "c2"})"_json, 7,
       R"({"command": "call-next", "request_id": "c2", "window": 7})"_json, 7},
      {"call-next", R"({"request_id": "c3", "window": 7})"_json, 7,
       R"({"command": "call-next", "request_id": "c3", "window": 7})"_json, 7},
      {"call", R"({"request_id": "c4", "window": 999, "number": "AB12345"})"_json, std::nullopt,
       R"({"command": "call", "request_id": "c4", "window": 999, "number": "AB12345"})"_json,
       999},
      {"recall", R"({"request_id": "c5", "window": 1})"_json, std::nullopt,
       R"({"command": "recall", "request_id": "c5", "window": 1})"_json, 1},
      {"no-show", R"({"request_id": "c6"})"_json, 2,
       R"({"command": "no-show", "request_id": "c6", "window": 2})"_json, 2},
      {"start", R"({"request_id": "c7", "window": 4})"_json, std::nullopt,
       R"({"command": "start", "request_id": "c7", "window": 4})"_json, 4},
      {"complete", R"({"request_id": "c8", "command": "complete"})"_json, 5,
       R"({"command": "complete", "request_id": "c8", "window": 5})"_json, 5},
      {"transfer", R"({"request_id": "c9", "window": 1, "to_service": "B"})"_json, std::nullopt,
       R"({"command": "transfer", "request_id": "c9", "window": 1, "to_service": "B",
           "return": false})"_json,
       1},
      {"transfer",
       json{{"request_id", "c10"}, {"to_window", 12}, {"return", true},
            {"note", repeat("补", 200)}},
       6,
       json{{"command", "transfer"}, {"request_id", "c10"}, {"window", 6}, {"to_window", 12},
            {"return", true}, {"note", repeat("补", 200)}},
       6},
      {"hold", R"({"request_id": "c11", "window": 8})"_json, std::nullopt,
       R"({"command": "hold", "request_id": "c11", "window": 8})"_json, 8},
      {"callback", R"({"request_id": "c12", "window": 8, "number": "G001"})"_json, std::nullopt,
       R"({"command": "callback", "request_id": "c12", "window": 8, "number": "G001"})"_json, 8},
      {"cancel", R"({"request_id": "c13", "number": "A012"})"_json, std::nullopt,
       R"({"command": "cancel", "request_id": "c13", "number": "A012"})"_json, 0},
      {"cancel", R"({"request_id": "c14", "ticket_id": "t_9f8e7d6c5b4a"})"_json, std::nullopt,
       R"({"command": "cancel", "request_id": "c14", "ticket_id": "t_9f8e7d6c5b4a"})"_json, 0},
      {"cancel", R"({"request_id": "c14b", "number": "A012", "ticket_id": "t1"})"_json,
       std::nullopt,
       R"({"command": "cancel", "request_id": "c14b", "number": "A012", "ticket_id": "t1"})"_json,
       0},
      {"pause", R"({"request_id": "c15", "window": 9})"_json, std::nullopt,
       R"({"command": "pause", "request_id": "c15", "window": 9})"_json, 9},
      {"resume", R"({"request_id": "c16"})"_json, 9,
       R"({"command": "resume", "request_id": "c16", "window": 9})"_json, 9},
      {"close", R"({"request_id": "c17", "window": 10})"_json, std::nullopt,
       R"({"command": "close", "request_id": "c17", "window": 10})"_json, 10},
      {"rollover", R"({"request_id": "c18"})"_json, std::nullopt,
       R"({"command": "rollover", "request_id": "c18"})"_json, 0},
      {"notice", json{{"request_id", "c19"}, {"text", repeat("请", 166)}}, std::nullopt,
       json{{"command", "notice"}, {"request_id", "c19"}, {"text", repeat("请", 166)}}, 0},
      {"notice", R"({"request_id": "c20", "text": ""})"_json, std::nullopt,
       R"({"command": "notice", "request_id": "c20", "text": ""})"_json, 0},
      {"call-next", json{{"request_id", std::string(64, 'r')}, {"window", 1}}, std::nullopt,
       json{{"command", "call-next"}, {"request_id", std::string(64, 'r')}, {"window", 1}}, 1},
      {"rate", R"({"request_id": "e1", "ticket": "T3x", "level": 5})"_json, std::nullopt,
       R"({"command": "rate", "request_id": "e1", "ticket": "T3x", "level": 5})"_json, 0},
      {"rate", R"({"request_id": "e2", "ticket": "T3x", "level": 1})"_json, std::nullopt,
       R"({"command": "rate", "request_id": "e2", "ticket": "T3x", "level": 1})"_json, 0},
      {"request-rating", R"({"request_id": "e3"})"_json, 3,
       R"({"command": "request-rating", "request_id": "e3", "window": 3})"_json, 3},
      {"followup", R"({"request_id": "f1", "id": "F20261127A012", "callback_note": "已回访"})"_json,
       std::nullopt,
       R"({"command": "followup", "request_id": "f1", "id": "F20261127A012",
           "callback_note": "已回访"})"_json,
       0},
      {"followup",
       R"({"request_id": "f2", "id": "F20261127AB00012", "fix_note": "", "close": true})"_json,
       std::nullopt,
       R"({"command": "followup", "request_id": "f2", "id": "F20261127AB00012", "fix_note": "",
           "close": true})"_json,
       0},
  };
}

TEST(CommandTest, GoodBodiesParseAndRoundTrip) {
  auto cases = good_cases();
  std::vector<std::string> covered;
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name + " " + c.body.dump());
    auto parsed = parse_command(c.name, c.body, c.url_window);
    ASSERT_TRUE(parsed.ok()) << parsed.error().message;
    EXPECT_EQ(command_name(parsed->body), c.name);
    EXPECT_EQ(command_window(parsed->body), c.window);
    json out = command_to_json(*parsed);
    EXPECT_EQ(out, c.expected);

    // What a client sends back parses to the same command, with or without the URL window.
    auto again = parse_command(c.name, out);
    ASSERT_TRUE(again.ok()) << again.error().message;
    EXPECT_EQ(command_to_json(*again), out);
    if (c.window != 0) {
      auto via_url = parse_command(c.name, out, c.window);
      ASSERT_TRUE(via_url.ok()) << via_url.error().message;
      EXPECT_EQ(command_to_json(*via_url), out);
    }
    covered.push_back(c.name);
  }
  // Every command has at least one good case.
  for (std::string_view name : {"issue", "call-next", "call", "recall", "no-show", "start",
                                "complete", "transfer", "hold", "callback", "cancel", "pause",
                                "resume", "close", "rollover", "notice"})
    EXPECT_NE(std::find(covered.begin(), covered.end(), name), covered.end()) << name;
}

TEST(CommandTest, ParsedFieldsLandInTheirStructs) {
  auto issue = parse_command("issue", R"({"request_id": "r", "service": "C", "class": "priority",
                                          "priority_reason": "disabled"})"_json);
  ASSERT_TRUE(issue.ok()) << issue.error().message;
  EXPECT_EQ(issue->request_id, "r");
  const auto& t = std::get<IssueTicket>(issue->body);
  EXPECT_EQ(t.service, "C");
  EXPECT_EQ(t.cls, TicketClass::priority);
  EXPECT_EQ(t.priority_reason, "disabled");
  EXPECT_FALSE(t.appointment_at.has_value());
  EXPECT_EQ(t.lang, "zh-CN");

  auto transfer = parse_command(
      "transfer", R"({"request_id": "r", "to_service": "B", "return": true, "note": "补材料"})"_json,
      4);
  ASSERT_TRUE(transfer.ok()) << transfer.error().message;
  const auto& x = std::get<Transfer>(transfer->body);
  EXPECT_EQ(x.window, 4);
  EXPECT_EQ(x.to_service, "B");
  EXPECT_EQ(x.to_window, 0);
  EXPECT_TRUE(x.return_after);
  EXPECT_EQ(x.note, "补材料");

  auto cancel = parse_command("cancel", R"({"request_id": "r", "ticket_id": "abc"})"_json);
  ASSERT_TRUE(cancel.ok()) << cancel.error().message;
  EXPECT_EQ(std::get<CancelTicket>(cancel->body).ticket_id, "abc");
  EXPECT_EQ(std::get<CancelTicket>(cancel->body).number, "");
}

TEST(CommandTest, CommandsBuiltInCodeRoundTrip) {
  std::vector<Command> commands = {
      {"a", IssueTicket{"B", TicketClass::appointment, "", TimeMs{1795000000000}, "en", ""}},
      {"b", Transfer{3, "", 17, false, "转不动产"}},
      {"c", Callback{2, "J1234"}},
      {"d", CancelTicket{"", "id-1"}},
      {"e", SetNotice{"今日下午 16:00 停止取号"}},
      {"f", RollOverDay{}},
  };
  for (const auto& c : commands) {
    json j = command_to_json(c);
    SCOPED_TRACE(j.dump());
    auto back = parse_command(j.at("command").get<std::string>(), j);
    ASSERT_TRUE(back.ok()) << back.error().message;
    EXPECT_EQ(back->request_id, c.request_id);
    EXPECT_EQ(back->body.index(), c.body.index());
    EXPECT_EQ(command_to_json(*back), j);
  }
}

struct BadCase {
  std::string name;
  json body;
  std::optional<int> url_window;
  ErrorCode code;
  std::string message_part;  // the field path, and what is wrong where that is stable
};

std::vector<BadCase> bad_cases() {
  const auto bad = ErrorCode::bad_request;
  return {
      {"xyz", R"({"request_id": "r"})"_json, std::nullopt, ErrorCode::not_found,
       "unknown command \"xyz\""},
      {"", R"({"request_id": "r"})"_json, std::nullopt, ErrorCode::not_found, "unknown command"},
      {"issue", R"({"request_id": "r", "service": "A"})"_json, 3, ErrorCode::not_found,
       "not a window command"},
      {"issue", R"(["request_id", "r"])"_json, std::nullopt, bad, "body"},
      {"rollover", R"("rollover")"_json, std::nullopt, bad, "body"},
      {"call-next", R"({"window": 1})"_json, std::nullopt, bad, "/request_id"},
      {"call-next", R"({"request_id": "", "window": 1})"_json, std::nullopt, bad, "/request_id"},
      {"call-next", json{{"request_id", std::string(65, 'r')}, {"window", 1}}, std::nullopt, bad,
       "/request_id"},
      {"call-next", R"({"request_id": "a b", "window": 1})"_json, std::nullopt, bad,
       "/request_id"},
      {"call-next", R"({"request_id": "请求", "window": 1})"_json, std::nullopt, bad,
       "/request_id"},
      {"call-next", R"({"request_id": 5, "window": 1})"_json, std::nullopt, bad,
       "/request_id: must be a string"},
      {"call-next", R"({"request_id": "r", "window": 1, "foo": 1})"_json, std::nullopt, bad,
       "unknown field \"foo\""},
      {"rollover", R"({"request_id": "r", "window": 1})"_json, std::nullopt, bad,
       "unknown field \"window\""},
      {"call-next", R"({"request_id": "r", "window": 0})"_json, std::nullopt, bad,
       "/window: must be an integer from 1 to 999"},
      {"call-next", R"({"request_id": "r", "window": 1000})"_json, std::nullopt, bad,
       "/window: must be an integer from 1 to 999"},
      {"call-next", R"({"request_id": "r", "window": "3"})"_json, std::nullopt, bad, "/window"},
      {"call-next", R"({"request_id": "r", "window": 2.5})"_json, std::nullopt, bad, "/window"},
      {"call-next", R"({"request_id": "r", "window": true})"_json, std::nullopt, bad, "/window"},
      {"call-next", R"({"request_id": "r"})"_json, std::nullopt, bad, "/window"},
      {"call-next", R"({"request_id": "r", "window": 4})"_json, 3, bad, "/window"},
      {"call-next", R"({"request_id": "r", "window": "3"})"_json, 3, bad, "/window"},
      {"call-next", R"({"request_id": "r"})"_json, 0, bad, "window 0"},
      {"call-next", R"({"request_id": "r"})"_json, 1000, bad, "window 1000"},
      {"call-next", R"({"request_id": "r", "window": 1, "command": "recall"})"_json, std::nullopt,
       bad, "/command"},
      {"call-next", R"({"request_id": "r", "window": 1, "command": 1})"_json, std::nullopt, bad,
       "/command"},
      {"issue", R"({"request_id": "r"})"_json, std::nullopt, bad, "/service"},
      {"issue", R"({"request_id": "r", "service": "a"})"_json, std::nullopt, bad, "/service"},
      {"issue", R"({"request_id": "r", "service": "ABC"})"_json, std::nullopt, bad, "/service"},
      {"issue", R"({"request_id": "r", "service": ""})"_json, std::nullopt, bad, "/service"},
      {"issue", R"({"request_id": "r", "service": "A", "class": "vip"})"_json, std::nullopt, bad,
       "/class"},
      {"issue", R"({"request_id": "r", "service": "A", "class": 1})"_json, std::nullopt, bad,
       "/class"},
      {"issue", R"({"request_id": "r", "service": "A", "class": "priority"})"_json, std::nullopt,
       bad, "/priority_reason"},
      {"issue", R"({"request_id": "r", "service": "A", "class": "priority",
                    "priority_reason": ""})"_json,
       std::nullopt, bad, "/priority_reason"},
      {"issue",
       json{{"request_id", "r"}, {"service", "A"}, {"class", "priority"},
            {"priority_reason", std::string(33, 'x')}},
       std::nullopt, bad, "/priority_reason"},
      {"issue", R"({"request_id": "r", "service": "A", "priority_reason": "elderly"})"_json,
       std::nullopt, bad, "/priority_reason"},
      {"issue", R"({"request_id": "r", "service": "A", "class": "appointment"})"_json,
       std::nullopt, bad, "/appointment_at"},
      {"issue", R"({"request_id": "r", "service": "A", "class": "appointment",
                    "appointment_at": -1})"_json,
       std::nullopt, bad, "/appointment_at"},
      {"issue", R"({"request_id": "r", "service": "A", "class": "appointment",
                    "appointment_at": "2026-11-27T09:00"})"_json,
       std::nullopt, bad, "/appointment_at"},
      {"issue", R"({"request_id": "r", "service": "A", "appointment_at": 1795000000000})"_json,
       std::nullopt, bad, "/appointment_at"},
      {"issue", R"({"request_id": "r", "service": "A", "lang": "fr"})"_json, std::nullopt, bad,
       "/lang"},
      {"issue", R"({"request_id": "r", "service": "A", "lang": "zh-cn"})"_json, std::nullopt, bad,
       "/lang"},
      {"call", R"({"request_id": "r", "window": 1})"_json, std::nullopt, bad, "/number"},
      {"call", R"({"request_id": "r", "window": 1, "number": "a12"})"_json, std::nullopt, bad,
       "/number"},
      {"call", R"({"request_id": "r", "window": 1, "number": "A"})"_json, std::nullopt, bad,
       "/number"},
      {"call", R"({"request_id": "r", "window": 1, "number": "ABC1"})"_json, std::nullopt, bad,
       "/number"},
      {"call", R"({"request_id": "r", "window": 1, "number": "A123456"})"_json, std::nullopt, bad,
       "/number"},
      {"call", R"({"request_id": "r", "window": 1, "number": "A12B"})"_json, std::nullopt, bad,
       "/number"},
      {"call", R"({"request_id": "r", "window": 1, "number": 12})"_json, std::nullopt, bad,
       "/number"},
      {"transfer", R"({"request_id": "r", "window": 1})"_json, std::nullopt, bad, "/to_service"},
      {"transfer", R"({"request_id": "r", "window": 1, "to_service": "B", "to_window": 2})"_json,
       std::nullopt, bad, "/to_window"},
      {"transfer", R"({"request_id": "r", "window": 1, "to_window": 0})"_json, std::nullopt, bad,
       "/to_window"},
      {"transfer", R"({"request_id": "r", "window": 1, "to_service": "b"})"_json, std::nullopt,
       bad, "/to_service"},
      {"transfer", R"({"request_id": "r", "window": 1, "to_window": 2, "return": "yes"})"_json,
       std::nullopt, bad, "/return"},
      {"transfer",
       json{{"request_id", "r"}, {"window", 1}, {"to_window", 2}, {"note", repeat("补", 201)}},
       std::nullopt, bad, "/note"},
      {"transfer", R"({"request_id": "r", "window": 1, "to_window": 2, "note": 7})"_json,
       std::nullopt, bad, "/note"},
      {"callback", R"({"request_id": "r", "window": 1})"_json, std::nullopt, bad, "/number"},
      {"cancel", R"({"request_id": "r"})"_json, std::nullopt, bad, "/number"},
      {"cancel", json{{"request_id", "r"}, {"ticket_id", std::string(65, 't')}}, std::nullopt, bad,
       "/ticket_id"},
      {"cancel", R"({"request_id": "r", "ticket_id": ""})"_json, std::nullopt, bad, "/ticket_id"},
      {"cancel", R"({"request_id": "r", "ticket_id": "../etc"})"_json, std::nullopt, bad,
       "/ticket_id"},
      {"notice", R"({"request_id": "r"})"_json, std::nullopt, bad, "/text"},
      {"notice", json{{"request_id", "r"}, {"text", repeat("请", 167)}}, std::nullopt, bad,
       "/text"},
      {"notice", json{{"request_id", "r"}, {"text", std::string("\xff\xfe")}}, std::nullopt, bad,
       "/text: must be valid UTF-8"},
      {"notice", json{{"request_id", "r"}, {"text", std::string("\xe8\xaf")}}, std::nullopt, bad,
       "/text: must be valid UTF-8"},
      {"notice", R"({"request_id": "r", "text": ["a"]})"_json, std::nullopt, bad, "/text"},
      {"rate", R"({"request_id": "r", "ticket": "T1", "level": 0})"_json, std::nullopt, bad,
       "/level: must be an integer from 1 to 5"},
      {"rate", R"({"request_id": "r", "ticket": "T1", "level": 6})"_json, std::nullopt, bad,
       "/level: must be an integer from 1 to 5"},
      {"rate", R"({"request_id": "r", "ticket": "T1", "level": 4.5})"_json, std::nullopt, bad,
       "/level"},
      {"rate", R"({"request_id": "r", "ticket": "T1"})"_json, std::nullopt, bad, "/level: missing"},
      {"rate", R"({"request_id": "r", "level": 3})"_json, std::nullopt, bad, "/ticket: missing"},
      {"rate", R"({"request_id": "r", "ticket": "a/b", "level": 3})"_json, std::nullopt, bad,
       "/ticket"},
      {"rate", R"({"request_id": "r", "ticket": "T1", "level": 3, "window": 2})"_json,
       std::nullopt, bad, "/window: unknown field"},
      {"rate", R"({"request_id": "r", "ticket": "T1", "level": 3})"_json, 2,
       ErrorCode::not_found, "not a window command"},
      {"request-rating", R"({"request_id": "r"})"_json, std::nullopt, bad, "/window: missing"},
      {"followup", R"({"request_id": "r", "id": "F20261127A012"})"_json, std::nullopt, bad,
       "/callback_note: a follow-up update needs"},
      {"followup", R"({"request_id": "r", "id": "X1", "close": true})"_json, std::nullopt, bad,
       "/id: must be a follow-up id"},
      {"followup", R"({"request_id": "r", "id": "F2026112A012", "close": true})"_json,
       std::nullopt, bad, "/id"},
      {"followup", json{{"request_id", "r"}, {"id", "F20261127A012"}, {"fix_note", repeat("修", 501)}},
       std::nullopt, bad, "/fix_note: must be at most 500 characters"},
      {"followup", R"({"request_id": "r", "id": "F20261127A012", "close": "yes"})"_json,
       std::nullopt, bad, "/close: must be true or false"},
  };
}

TEST(CommandTest, BadBodiesNameTheField) {
  for (const auto& c : bad_cases()) {
    SCOPED_TRACE(c.name + " " + c.body.dump(-1, ' ', false, json::error_handler_t::replace) +
                 (c.url_window ? " window " + std::to_string(*c.url_window) : ""));
    auto parsed = parse_command(c.name, c.body, c.url_window);
    EXPECT_FALSE(parsed.ok());
    if (parsed.ok()) continue;  // report every case that slips through, not just the first
    EXPECT_EQ(parsed.error().code, c.code) << parsed.error().message;
    EXPECT_NE(parsed.error().message.find(c.message_part), std::string::npos)
        << "message: " << parsed.error().message << "\nexpected to contain: " << c.message_part;
  }
}

TEST(CommandTest, FirstProblemIsReported) {
  // Both fields are bad; the message names one of them and only one.
  auto parsed = parse_command("call", R"({"request_id": "r", "window": 0, "number": "x"})"_json);
  ASSERT_FALSE(parsed.ok());
  const auto& m = parsed.error().message;
  EXPECT_EQ(m.find("/window") != std::string::npos, m.find("/number") == std::string::npos) << m;
}

TEST(CommandTest, HallWideCommandsHaveNoWindow) {
  EXPECT_EQ(command_window(IssueTicket{}), 0);
  EXPECT_EQ(command_window(CancelTicket{}), 0);
  EXPECT_EQ(command_window(RollOverDay{}), 0);
  EXPECT_EQ(command_window(SetNotice{}), 0);
  EXPECT_EQ(command_window(Transfer{5, "", 9, false, ""}), 5);  // the window acting, not the target
  EXPECT_EQ(command_name(CallNumber{}), "call");
  EXPECT_EQ(command_name(RollOverDay{}), "rollover");
}

}  // namespace
}  // namespace hallq
