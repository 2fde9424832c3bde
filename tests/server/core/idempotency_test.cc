// Retries and races: a repeated request changes nothing and answers as before, a reused id
// with another command is refused, and two clerks pressing "call next" in any interleaving
// never call one visitor twice. Then who may do what.
#include <algorithm>
#include <map>
#include <random>
#include <set>

#include "engine_test_support.h"

namespace hallq::core::test {
namespace {

TEST(CoreIdempotency, SameRequestTwiceIssuesOneTicket) {
  Hall h;
  Outcome first = h.run(issue("A"), kiosk(), at(9, 0), "press-1");
  ASSERT_TRUE(first.ok()) << describe(first);
  ASSERT_TRUE(first.request.has_value());
  EXPECT_EQ(first.request->key, std::string("kiosk-1") + '\x1f' + "press-1");
  EXPECT_EQ(first.request->business_day, "2026-11-27");
  EXPECT_EQ(first.request->result, first.body);
  EXPECT_EQ(first.request->fingerprint.find("press-1"), std::string::npos);
  EXPECT_FALSE(first.repeated);
  // The engine writes an issue's answer as text, not from a tree: it must be the tree's bytes
  // all the same, with the ticket as the engine holds it.
  const nlohmann::json answer = first.result();
  EXPECT_EQ(first.body, answer.dump());
  const Ticket* held = h.engine.ticket(answer["ticket"]["id"].get<std::string>());
  ASSERT_NE(held, nullptr);
  EXPECT_EQ(answer["ticket"], to_json(*held));
  EXPECT_EQ(answer["ahead"], 0);
  EXPECT_EQ(answer["estimated_wait_s"], 0);

  Outcome again = h.run(issue("A"), kiosk(), at(9, 1), "press-1");
  ASSERT_TRUE(again.ok());
  EXPECT_TRUE(again.repeated);
  EXPECT_EQ(again.body, first.body);
  EXPECT_TRUE(again.events.empty());
  EXPECT_FALSE(again.request.has_value());
  EXPECT_EQ(h.engine.load("A", at(9, 1)).issued_today, 1);
  EXPECT_EQ(h.engine.load("A", at(9, 1)).waiting, 1);
}

// The engine keeps an issue's answer without its ticket and rebuilds the ticket as it was
// issued: a retry long after must still get the first answer, byte for byte, whatever happened
// to the visitor since.
TEST(CoreIdempotency, ARetriedIssueAnswersAsFirstAfterTheTicketMovedOn) {
  Hall h;
  const Outcome normal = h.run(issue("A"), kiosk(), at(9, 0), "press-1");
  const Outcome elderly = h.run(issue("A", TicketClass::priority, "elderly"), kiosk(), at(9, 1), "press-2");
  ASSERT_TRUE(normal.ok() && elderly.ok()) << describe(normal) << " / " << describe(elderly);
  h.ok(CallNext{1}, admin(), at(9, 2));  // the elderly visitor first
  h.ok(StartService{1}, admin(), at(9, 3));
  h.ok(Transfer{1, "B", 0, false, "needs B"}, admin(), at(9, 4));
  h.ok(CallNext{1}, admin(), at(9, 5));
  h.ok(NoShow{1}, admin(), at(9, 6));

  const Outcome again1 = h.run(issue("A"), kiosk(), at(9, 7), "press-1");
  const Outcome again2 = h.run(issue("A", TicketClass::priority, "elderly"), kiosk(), at(9, 7), "press-2");
  ASSERT_TRUE(again1.repeated && again2.repeated);
  EXPECT_EQ(again1.body, normal.body);
  EXPECT_EQ(again2.body, elderly.body);
  EXPECT_EQ(again1.result(), normal.result());
  EXPECT_EQ(again2.result()["ticket"]["state"], "waiting");
  EXPECT_EQ(again2.result()["ticket"]["service"], "A");
}

// An answer carries the seq of its change's first event, so a console that has the answer
// before the events knows which events are older (docs/protocol.md). A retry returns it too.
TEST(CoreIdempotency, AnAnswerCarriesTheSeqOfItsOwnFirstEvent) {
  Hall h;
  const Outcome issued = h.run(issue("A"), kiosk(), at(9, 0), "press-1");
  ASSERT_TRUE(issued.ok()) << describe(issued);
  ASSERT_FALSE(issued.events.empty());  // the hall's first day begins first: a rollover
  EXPECT_EQ(issued.events.back().type, EventType::ticket_issued);
  EXPECT_EQ(issued.result()["seq"], issued.events.back().seq);
  const Outcome called = h.run(CallNext{1}, admin(), at(9, 1), "call-1");
  ASSERT_TRUE(called.ok()) << describe(called);
  EXPECT_EQ(called.result()["seq"], called.events.front().seq);
  EXPECT_EQ(called.events.front().seq, issued.events.back().seq + 1);
  h.ok(NoShow{1}, admin(), at(9, 2));
  const Outcome paused = h.run(PauseWindow{1}, admin(), at(9, 3), "pause-1");
  ASSERT_TRUE(paused.ok()) << describe(paused);
  EXPECT_EQ(paused.result()["seq"], paused.events.front().seq);
  EXPECT_EQ(h.run(PauseWindow{1}, admin(), at(9, 4), "pause-1").body, paused.body);
  EXPECT_EQ(h.run(issue("A"), kiosk(), at(9, 4), "press-1").body, issued.body);

  // The next morning the first command rolls the day over first: its seq is its own event's,
  // after the rollover's.
  const Outcome next_day = h.run(issue("A"), kiosk(), at(9, 0, 1), "press-2");
  ASSERT_TRUE(next_day.ok()) << describe(next_day);
  ASSERT_GE(next_day.events.size(), 2u);
  EXPECT_TRUE(std::any_of(next_day.events.begin(), next_day.events.end(),
                          [](const Event& e) { return e.type == EventType::day_rolled_over; }));
  EXPECT_EQ(next_day.events.back().type, EventType::ticket_issued);
  EXPECT_EQ(next_day.result()["seq"], next_day.events.back().seq);
}

// A configuration edit rebuilds the engine's state; the day's answers must come through it.
TEST(CoreIdempotency, ARetryAfterAConfigurationEditGetsTheFirstAnswer) {
  Hall h;
  const Outcome issued = h.run(issue("A"), kiosk(), at(9, 0), "press-1");
  const Outcome called = h.run(CallNext{1}, admin(), at(9, 1), "call-1");
  ASSERT_TRUE(issued.ok() && called.ok()) << describe(issued) << " / " << describe(called);
  ASSERT_TRUE(h.engine.reconfigure(std::make_shared<const HallConfig>(*h.config_), at(9, 2)).ok());
  const Outcome again = h.run(issue("A"), kiosk(), at(9, 3), "press-1");
  const Outcome called_again = h.run(CallNext{1}, admin(), at(9, 3), "call-1");
  EXPECT_TRUE(again.repeated && called_again.repeated);
  EXPECT_EQ(again.body, issued.body);
  EXPECT_EQ(called_again.body, called.body);
  const Outcome reused = h.run(issue("B"), kiosk(), at(9, 3), "press-1");
  ASSERT_FALSE(reused.ok());
  EXPECT_EQ(reused.error->code, ErrorCode::request_id_reused);
}

TEST(CoreIdempotency, SameIdDifferentCommandIsRefused) {
  Hall h;
  ASSERT_TRUE(h.run(issue("A"), kiosk(), at(9, 0), "x").ok());
  const auto seq = h.engine.last_seq();
  Outcome o = h.run(issue("B"), kiosk(), at(9, 0), "x");
  ASSERT_FALSE(o.ok());
  EXPECT_EQ(o.error->code, ErrorCode::request_id_reused);
  EXPECT_EQ(h.engine.last_seq(), seq);
  // Same id from another client is a different request.
  Outcome other = h.run(issue("A"), kiosk("kiosk-2"), at(9, 0), "x");
  ASSERT_TRUE(other.ok());
  EXPECT_FALSE(other.repeated);
  EXPECT_EQ(other.result()["ticket"]["number"], "A002");
}

TEST(CoreIdempotency, AFailedRequestRetriedGivesTheSameErrorWithoutRunning) {
  Hall h;
  Outcome empty = h.run(CallNext{1}, zhang(), at(9, 0), "c1");
  ASSERT_FALSE(empty.ok());
  EXPECT_EQ(empty.error->code, ErrorCode::queue_empty);
  h.give("A", at(9, 1));
  Outcome retry = h.run(CallNext{1}, zhang(), at(9, 2), "c1");
  ASSERT_FALSE(retry.ok());
  EXPECT_EQ(retry.error, empty.error);
  EXPECT_TRUE(retry.repeated);
  EXPECT_TRUE(retry.events.empty());
  Outcome reused = h.run(Recall{1}, zhang(), at(9, 2), "c1");
  EXPECT_EQ(reused.error->code, ErrorCode::request_id_reused);
  Outcome fresh = h.run(CallNext{1}, zhang(), at(9, 2), "c2");
  EXPECT_TRUE(fresh.ok()) << describe(fresh);
}

TEST(CoreIdempotency, TheFailureMemoryIsBounded) {
  Hall h;
  for (int i = 0; i <= 10000; ++i) {
    Outcome o = h.run(CallNext{1}, zhang(), at(9, 0), "f" + std::to_string(i));
    ASSERT_EQ(o.error->code, ErrorCode::queue_empty);
  }
  h.give("A", at(9, 1));
  h.give("A", at(9, 1));
  // f0 was evicted (10,001 failures, room for 10,000): it runs again now.
  Outcome oldest = h.run(CallNext{1}, zhang(), at(9, 2), "f0");
  EXPECT_TRUE(oldest.ok()) << describe(oldest);
  h.ok(NoShow{1}, zhang(), at(9, 2));
  Outcome newest = h.run(CallNext{1}, zhang(), at(9, 2), "f10000");
  ASSERT_FALSE(newest.ok());
  EXPECT_TRUE(newest.repeated);
}

TEST(CoreIdempotency, StoredRequestsEndWithTheDayAndComeBackWithRestore) {
  Hall h;
  Outcome first = h.run(issue("A"), kiosk(), at(9, 0), "k");
  ASSERT_TRUE(first.ok());

  // A restart: the stored request comes back from storage.
  Hall restarted;
  restarted.ids.n = 1;
  EngineState st;
  st.last_seq = h.engine.last_seq();
  st.business_day = h.engine.business_day();
  st.tickets = {*h.engine.ticket("tk1")};
  st.requests = {*first.request};
  StoredRequest stale = *first.request;
  stale.key = std::string("kiosk-1") + '\x1f' + "old";
  stale.business_day = "2026-11-26";  // yesterday's: ignored
  st.requests.push_back(stale);
  restarted.engine.restore(st);
  Outcome repeat = restarted.run(issue("A"), kiosk(), at(9, 5), "k");
  EXPECT_TRUE(repeat.repeated);
  EXPECT_EQ(repeat.body, first.body);
  Outcome old = restarted.run(issue("A"), kiosk(), at(9, 5), "old");
  EXPECT_FALSE(old.repeated);
  EXPECT_EQ(old.result()["ticket"]["number"], "A002");

  // Next day: the same id is a new request.
  Outcome tomorrow = h.run(issue("A"), kiosk(), at(9, 0, 1), "k");
  ASSERT_TRUE(tomorrow.ok());
  EXPECT_FALSE(tomorrow.repeated);
  EXPECT_EQ(tomorrow.result()["ticket"]["business_day"], "2026-11-28");
}

// Two clerks at windows 1 and 2 (both serve A and B) press buttons in random order, and their
// browsers sometimes resend the last request. Nobody is called twice; everybody is called once.
TEST(CoreIdempotency, TwoClerksNeverCallTheSameTicket) {
  for (unsigned seed = 1; seed <= 60; ++seed) {
    SCOPED_TRACE("seed " + std::to_string(seed));
    std::mt19937 rng(seed);
    Hall h;
    const int tickets = 30;
    for (int i = 0; i < tickets; ++i) h.give(i % 3 ? "A" : "B", at(9, 0) + i * 1000);
    struct Desk {
      Actor actor;
      int window;
      int step = 0;  // 0 call-next, 1 start or no-show, 2 complete
      Command last = {};
      int sent = 0;
    };
    Desk desks[2] = {{clerk("zhang", {1}), 1}, {clerk("wang", {2}), 2}};
    std::multiset<std::string> called;
    TimeMs now = at(9, 30);
    int empty = 0;
    for (int round = 0; round < 2000 && empty < 2; ++round) {
      Desk& d = desks[rng() % 2];
      now += 1000;
      const bool resend = d.sent > 0 && rng() % 4 == 0;
      if (!resend) {
        d.last.request_id = d.actor.name + "-" + std::to_string(++d.sent);
        if (d.step == 0) d.last.body = CallNext{d.window};
        if (d.step == 1)
          d.last.body = rng() % 5 == 0 ? CommandBody{NoShow{d.window}} : CommandBody{StartService{d.window}};
        if (d.step == 2) d.last.body = CompleteService{d.window};
      }
      Outcome o = h.engine.execute(d.last, d.actor, now);
      if (resend) {
        EXPECT_TRUE(o.repeated);
        EXPECT_TRUE(o.events.empty());
        continue;
      }
      if (!o.ok()) {
        ASSERT_EQ(o.error->code, ErrorCode::queue_empty) << o.error->message;
        ++empty;
        continue;
      }
      for (const Event& e : o.events)
        if (e.type == EventType::ticket_called) called.insert(e.ticket->number);
      d.step = std::holds_alternative<NoShow>(d.last.body) ? 0 : (d.step + 1) % 3;
    }
    EXPECT_EQ(called.size(), static_cast<std::size_t>(tickets));
    for (const auto& n : called) EXPECT_EQ(called.count(n), 1u) << n << " called twice";
  }
}

// ---- permissions --------------------------------------------------------------------------------

struct PermissionCase {
  const char* name;
  Actor actor;
  CommandBody command;
  std::optional<ErrorCode> error;  // nullopt: allowed and succeeds
};

const Actor kLi = clerk("li", {3});
const Actor kNoWindows = clerk("zhao", {});

const PermissionCase kPermissions[] = {
    {"admin issues", admin(), issue("A"), std::nullopt},
    {"kiosk issues", kiosk(), issue("B"), std::nullopt},
    {"kiosk for A issues A", kiosk("kiosk-2", {"A"}), issue("A"), std::nullopt},
    {"kiosk for A may not issue B", kiosk("kiosk-2", {"A"}), issue("B"), ErrorCode::forbidden},
    {"clerk may not issue", zhang(), issue("A"), ErrorCode::forbidden},
    {"display may not issue", device(Role::display, "board-1"), issue("A"), ErrorCode::forbidden},
    {"evaluator may not issue", device(Role::evaluator, "eval-1"), issue("A"), ErrorCode::forbidden},
    {"printer may not issue", device(Role::printer, "printer-1"), issue("A"), ErrorCode::forbidden},
    {"unknown service is not found for anyone", device(Role::display, "board-1"), issue("Z"), ErrorCode::not_found},
    {"clerk calls at their window", zhang(), CallNext{1}, std::nullopt},
    {"clerk calls at their other window", zhang(), CallNext{2}, std::nullopt},
    {"admin calls anywhere", admin(), CallNext{5}, std::nullopt},
    {"clerk elsewhere", kLi, CallNext{1}, ErrorCode::forbidden},
    {"clerk with no windows", kNoWindows, CallNext{1}, ErrorCode::forbidden},
    {"kiosk at a window", kiosk(), CallNext{1}, ErrorCode::forbidden},
    {"display at a window", device(Role::display, "strip-1"), CallNext{1}, ErrorCode::forbidden},
    {"evaluator at a window", device(Role::evaluator, "eval-1"), PauseWindow{1}, ErrorCode::forbidden},
    {"missing window is not found for anyone", device(Role::display, "strip-1"), CallNext{99}, ErrorCode::not_found},
    {"missing window for a clerk", zhang(), PauseWindow{99}, ErrorCode::not_found},
    {"clerk pauses their window", zhang(), PauseWindow{1}, std::nullopt},
    {"clerk pauses another window", kLi, PauseWindow{1}, ErrorCode::forbidden},
    {"clerk closes another window", zhang(), CloseWindow{3}, ErrorCode::forbidden},
    {"clerk calls a number elsewhere", kLi, CallNumber{1, "A001"}, ErrorCode::forbidden},
    {"admin cancels", admin(), CancelTicket{"A001", ""}, std::nullopt},
    {"clerk may not cancel", zhang(), CancelTicket{"A001", ""}, ErrorCode::forbidden},
    {"kiosk may not cancel", kiosk(), CancelTicket{"A001", ""}, ErrorCode::forbidden},
    {"admin sets the notice", admin(), SetNotice{"hello"}, std::nullopt},
    {"clerk may not set the notice", zhang(), SetNotice{"hello"}, ErrorCode::forbidden},
    {"display may not set the notice", device(Role::display, "board-1"), SetNotice{"x"}, ErrorCode::forbidden},
    {"clerk may not roll over", zhang(), RollOverDay{}, ErrorCode::forbidden},
    {"admin may roll over only after the day ends", admin(), RollOverDay{}, ErrorCode::invalid_state},
};

TEST(CorePermissions, Table) {
  for (const PermissionCase& c : kPermissions) {
    SCOPED_TRACE(c.name);
    Hall h;
    h.give("A", at(9, 0));
    h.give("B", at(9, 0));
    const nlohmann::json before = h.engine.snapshot(at(9, 1), true);
    Outcome o = h.run(c.command, c.actor, at(9, 1));
    if (c.error) {
      ASSERT_FALSE(o.ok());
      EXPECT_EQ(o.error->code, *c.error) << o.error->message;
      EXPECT_TRUE(o.events.empty());
      EXPECT_EQ(h.engine.snapshot(at(9, 1), true), before);
    } else {
      EXPECT_TRUE(o.ok()) << describe(o);
      EXPECT_FALSE(o.events.empty());
    }
  }
}

TEST(CorePermissions, RefusalsSayWhoAndWhere) {
  Hall h;
  h.give("A", at(9, 0));
  EXPECT_EQ(h.run(CallNext{5}, zhang(), at(9, 1)).error->message,
            "clerk zhang may not act at window 5 (their windows: 1, 2)");
  EXPECT_EQ(h.run(CallNext{1}, kNoWindows, at(9, 1)).error->message,
            "clerk zhao may not act at window 1 (they have no windows)");
  EXPECT_EQ(h.run(issue("B"), kiosk("kiosk-2", {"A", "D"}), at(9, 1)).error->message,
            "kiosk kiosk-2 does not offer service B (it offers A, D)");
  EXPECT_EQ(h.run(CallNext{1}, device(Role::display, "strip-1"), at(9, 1)).error->message,
            "display strip-1 may not act at window 1");
}

}  // namespace
}  // namespace hallq::core::test
