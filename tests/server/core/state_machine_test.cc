// The ticket and window state machine: every allowed transition and a broad set of refused ones,
// as one table; then the multi-step flows (transfer and return, callback, expiry) one by one.
#include <algorithm>

#include "engine_test_support.h"

namespace hallq::core::test {
namespace {

enum class Setup {
  fresh,           // window 1 open, nobody waiting
  waiting,         // A001 waiting
  called,          // A001 called to window 1
  serving,         // A001 being served at window 1
  held,            // A001 on hold at window 1
  done,            // A001 served
  no_show,         // A001 a no-show
  cancelled,       // A001 cancelled
  paused,          // A001 waiting, window 1 paused
  paused_serving,  // A001 serving at window 1, window 1 paused
  paused_held,     // A001 on hold at window 1, window 1 paused
  closed,          // A001 waiting, window 1 closed
};

constexpr TimeMs kSetupAt = 9 * kHour + kDay0;
constexpr TimeMs kNow = kSetupAt + 5 * kMin;

void prepare(Hall& h, Setup s) {
  const Actor a = admin();
  const TimeMs t = kSetupAt;
  h.engine.tick(t);
  if (s == Setup::fresh) return;
  h.give("A", t);
  switch (s) {
    case Setup::called:
    case Setup::serving:
    case Setup::held:
    case Setup::done:
    case Setup::no_show:
    case Setup::paused_serving:
    case Setup::paused_held:
      h.ok(CallNext{1}, a, t);
      break;
    default:
      break;
  }
  switch (s) {
    case Setup::serving:
    case Setup::held:
    case Setup::done:
    case Setup::paused_serving:
    case Setup::paused_held:
      h.ok(StartService{1}, a, t);
      break;
    case Setup::no_show:
      h.ok(NoShow{1}, a, t);
      break;
    case Setup::cancelled:
      h.ok(CancelTicket{"A001", ""}, a, t);
      break;
    case Setup::paused:
      h.ok(PauseWindow{1}, a, t);
      break;
    case Setup::closed:
      h.ok(CloseWindow{1}, a, t);
      break;
    default:
      break;
  }
  if (s == Setup::held || s == Setup::paused_held) h.ok(Hold{1}, a, t);
  if (s == Setup::done) h.ok(CompleteService{1}, a, t);
  if (s == Setup::paused_serving || s == Setup::paused_held) h.ok(PauseWindow{1}, a, t);
}

struct Case {
  const char* name;
  Setup setup;
  CommandBody command;
  std::optional<ErrorCode> error;  // set: refused, nothing may change
  // Otherwise, after the command:
  std::optional<TicketState> a001 = std::nullopt;
  WindowState window = WindowState::open;
  std::string current = {};  // number at window 1, "" for none
  std::vector<EventType> events = {};
  bool as_admin = false;  // default actor: clerk zhang (windows 1 and 2)
};

using E = EventType;
using S = TicketState;
using W = WindowState;
constexpr auto kNone = std::nullopt;

Transfer to_service(std::string s, bool back = false) { return Transfer{1, std::move(s), 0, back, ""}; }
Transfer to_window(int w, bool back = false) { return Transfer{1, "", w, back, ""}; }

const Case kCases[] = {
    // fresh window, nobody waiting
    {"call-next with nobody waiting", Setup::fresh, CallNext{1}, ErrorCode::queue_empty},
    {"call-next at a missing window", Setup::fresh, CallNext{99}, ErrorCode::not_found},
    {"recall with nobody called", Setup::fresh, Recall{1}, ErrorCode::invalid_state},
    {"no-show with nobody called", Setup::fresh, NoShow{1}, ErrorCode::invalid_state},
    {"start with nobody called", Setup::fresh, StartService{1}, ErrorCode::invalid_state},
    {"complete with nobody served", Setup::fresh, CompleteService{1}, ErrorCode::invalid_state},
    {"hold with nobody served", Setup::fresh, Hold{1}, ErrorCode::invalid_state},
    {"transfer with nobody served", Setup::fresh, to_service("B"), ErrorCode::invalid_state},
    {"pause an open window", Setup::fresh, PauseWindow{1}, kNone, kNone, W::paused, "", {E::window_paused}},
    {"resume an open window", Setup::fresh, ResumeWindow{1}, ErrorCode::invalid_state},
    {"close an idle window", Setup::fresh, CloseWindow{1}, kNone, kNone, W::closed, "", {E::window_closed}},
    {"callback of an unknown number", Setup::fresh, Callback{1, "A001"}, ErrorCode::not_found},
    {"rollover before the day ends", Setup::fresh, RollOverDay{}, ErrorCode::invalid_state, kNone, W::open, "", {}, true},
    {"notice", Setup::fresh, SetNotice{"今天下午停电"}, kNone, kNone, W::open, "", {E::notice_changed}, true},

    // A001 waiting
    {"call-next takes the waiting ticket", Setup::waiting, CallNext{1}, kNone, S::called, W::open, "A001", {E::ticket_called}},
    {"call by number", Setup::waiting, CallNumber{1, "A001"}, kNone, S::called, W::open, "A001", {E::ticket_called}},
    {"call an unknown number", Setup::waiting, CallNumber{1, "A009"}, ErrorCode::not_found},
    {"call at a window that does not serve A", Setup::waiting, CallNumber{3, "A001"}, ErrorCode::forbidden, kNone, W::open, "", {}, true},
    {"call-next at a window without A", Setup::waiting, CallNext{3}, ErrorCode::queue_empty, kNone, W::open, "", {}, true},
    {"recall a waiting ticket", Setup::waiting, Recall{1}, ErrorCode::invalid_state},
    {"start a waiting ticket", Setup::waiting, StartService{1}, ErrorCode::invalid_state},
    {"callback a waiting ticket", Setup::waiting, Callback{1, "A001"}, ErrorCode::invalid_state},
    {"cancel a waiting ticket", Setup::waiting, CancelTicket{"A001", ""}, kNone, S::cancelled, W::open, "", {E::ticket_cancelled}, true},
    {"cancel by id", Setup::waiting, CancelTicket{"", "tk1"}, kNone, S::cancelled, W::open, "", {E::ticket_cancelled}, true},
    {"cancel by an id that is not the number", Setup::waiting, CancelTicket{"A002", "tk1"}, ErrorCode::bad_request, kNone, W::open, "", {}, true},
    {"close with nobody at the window", Setup::waiting, CloseWindow{1}, kNone, S::waiting, W::closed, "", {E::window_closed}},

    // A001 called to window 1
    {"start a called ticket", Setup::called, StartService{1}, kNone, S::serving, W::open, "A001", {E::service_started}},
    {"recall a called ticket", Setup::called, Recall{1}, kNone, S::called, W::open, "A001", {E::ticket_recalled}},
    {"no-show of a called ticket", Setup::called, NoShow{1}, kNone, S::no_show, W::open, "", {E::ticket_no_show}},
    {"complete before start", Setup::called, CompleteService{1}, ErrorCode::invalid_state},
    {"hold before start", Setup::called, Hold{1}, ErrorCode::invalid_state},
    {"transfer before start", Setup::called, to_service("B"), ErrorCode::invalid_state},
    {"call-next while one is called", Setup::called, CallNext{1}, ErrorCode::window_busy},
    {"call by number while one is called", Setup::called, CallNumber{1, "A001"}, ErrorCode::window_busy},
    {"cancel a called ticket", Setup::called, CancelTicket{"A001", ""}, ErrorCode::invalid_state, kNone, W::open, "", {}, true},
    {"pause keeps the called ticket", Setup::called, PauseWindow{1}, kNone, S::called, W::paused, "A001", {E::window_paused}},
    {"close while one is called", Setup::called, CloseWindow{1}, ErrorCode::window_busy},
    {"the called ticket at another window", Setup::called, Recall{2}, ErrorCode::invalid_state},

    // A001 serving at window 1
    {"complete", Setup::serving, CompleteService{1}, kNone, S::done, W::open, "", {E::service_completed}},
    {"transfer to a service", Setup::serving, to_service("B"), kNone, S::waiting, W::open, "", {E::ticket_transferred}},
    {"transfer to a window", Setup::serving, to_window(2), kNone, S::waiting, W::open, "", {E::ticket_transferred}},
    {"transfer with return", Setup::serving, to_window(3, true), kNone, S::waiting, W::open, "", {E::ticket_transferred}},
    {"transfer to the same window", Setup::serving, to_window(1), ErrorCode::bad_request},
    {"transfer to a missing window", Setup::serving, to_window(99), ErrorCode::not_found},
    {"transfer to a missing service", Setup::serving, to_service("Z"), ErrorCode::not_found},
    {"transfer naming both targets", Setup::serving, Transfer{1, "B", 2, false, ""}, ErrorCode::bad_request},
    {"transfer naming no target", Setup::serving, Transfer{1, "", 0, false, ""}, ErrorCode::bad_request},
    {"hold", Setup::serving, Hold{1}, kNone, S::held, W::open, "", {E::ticket_held}},
    {"start twice", Setup::serving, StartService{1}, ErrorCode::invalid_state},
    {"recall while serving", Setup::serving, Recall{1}, ErrorCode::invalid_state},
    {"no-show while serving", Setup::serving, NoShow{1}, ErrorCode::invalid_state},
    {"cancel while serving", Setup::serving, CancelTicket{"A001", ""}, ErrorCode::invalid_state, kNone, W::open, "", {}, true},
    {"close while serving", Setup::serving, CloseWindow{1}, ErrorCode::window_busy},
    {"call-next while serving", Setup::serving, CallNext{1}, ErrorCode::window_busy},

    // A001 on hold at window 1
    {"callback at a free window calls it", Setup::held, Callback{1, "A001"}, kNone, S::called, W::open, "A001", {E::ticket_called_back, E::ticket_called}},
    {"callback at another window", Setup::held, Callback{2, "A001"}, ErrorCode::invalid_state},
    {"cancel a held ticket", Setup::held, CancelTicket{"A001", ""}, kNone, S::cancelled, W::open, "", {E::ticket_cancelled}, true},
    {"close with a ticket on hold", Setup::held, CloseWindow{1}, ErrorCode::window_busy},
    {"held tickets are not in the queue", Setup::held, CallNext{1}, ErrorCode::queue_empty},
    {"call a held ticket by number", Setup::held, CallNumber{1, "A001"}, ErrorCode::invalid_state},
    {"hold again", Setup::held, Hold{1}, ErrorCode::invalid_state},

    // final states
    {"cancel a served ticket", Setup::done, CancelTicket{"A001", ""}, ErrorCode::invalid_state, kNone, W::open, "", {}, true},
    {"call a served ticket", Setup::done, CallNumber{1, "A001"}, ErrorCode::invalid_state},
    {"callback a served ticket", Setup::done, Callback{1, "A001"}, ErrorCode::invalid_state},
    {"call a no-show", Setup::no_show, CallNumber{1, "A001"}, ErrorCode::invalid_state},
    {"cancel a no-show", Setup::no_show, CancelTicket{"A001", ""}, ErrorCode::invalid_state, kNone, W::open, "", {}, true},
    {"cancel twice", Setup::cancelled, CancelTicket{"A001", ""}, ErrorCode::invalid_state, kNone, W::open, "", {}, true},
    {"call a cancelled ticket", Setup::cancelled, CallNumber{1, "A001"}, ErrorCode::invalid_state},

    // paused and closed windows
    {"call-next at a paused window", Setup::paused, CallNext{1}, ErrorCode::window_paused},
    {"call by number at a paused window", Setup::paused, CallNumber{1, "A001"}, ErrorCode::window_paused},
    {"pause twice", Setup::paused, PauseWindow{1}, ErrorCode::invalid_state},
    {"resume a paused window", Setup::paused, ResumeWindow{1}, kNone, S::waiting, W::open, "", {E::window_resumed}},
    {"close a paused window", Setup::paused, CloseWindow{1}, kNone, S::waiting, W::closed, "", {E::window_closed}},
    {"complete at a paused window", Setup::paused_serving, CompleteService{1}, kNone, S::done, W::paused, "", {E::service_completed}},
    {"resume keeps the ticket being served", Setup::paused_serving, ResumeWindow{1}, kNone, S::serving, W::open, "A001", {E::window_resumed}},
    {"callback at a paused window waits", Setup::paused_held, Callback{1, "A001"}, kNone, S::waiting, W::paused, "", {E::ticket_called_back}},
    {"call-next at a closed window", Setup::closed, CallNext{1}, ErrorCode::window_paused},
    {"pause a closed window", Setup::closed, PauseWindow{1}, ErrorCode::invalid_state},
    {"close twice", Setup::closed, CloseWindow{1}, ErrorCode::invalid_state},
    {"resume a closed window", Setup::closed, ResumeWindow{1}, kNone, S::waiting, W::open, "", {E::window_resumed}},
};

TEST(CoreStateMachine, Table) {
  for (const Case& c : kCases) {
    SCOPED_TRACE(c.name);
    Hall h;
    prepare(h, c.setup);
    const nlohmann::json before = h.engine.snapshot(kNow, true);
    const std::uint64_t seq = h.engine.last_seq();
    Outcome o = h.run(c.command, c.as_admin ? admin() : zhang(), kNow);
    if (c.error) {
      ASSERT_FALSE(o.ok()) << "expected " << to_string(*c.error);
      EXPECT_EQ(o.error->code, *c.error) << o.error->message;
      EXPECT_FALSE(o.error->message.empty());
      EXPECT_TRUE(o.events.empty());
      EXPECT_FALSE(o.request.has_value());
      EXPECT_EQ(h.engine.snapshot(kNow, true), before) << "a refused command changed the hall";
      continue;
    }
    ASSERT_TRUE(o.ok()) << describe(o);
    EXPECT_EQ(types(o), c.events);
    for (std::size_t i = 0; i < o.events.size(); ++i) {
      EXPECT_EQ(o.events[i].seq, seq + 1 + i);
      EXPECT_EQ(o.events[i].at, kNow);
      EXPECT_EQ(o.events[i].actor, c.as_admin ? "root" : "zhang");
    }
    if (c.a001) {
      const Ticket* t = h.by_number("A001");
      ASSERT_NE(t, nullptr);
      EXPECT_EQ(t->state, *c.a001);
    }
    const Window* w = h.engine.window(1);
    EXPECT_EQ(w->state, c.window);
    const Ticket* cur = w->current_ticket.empty() ? nullptr : h.engine.ticket(w->current_ticket);
    EXPECT_EQ(cur ? cur->number : "", c.current);
    ASSERT_TRUE(o.request.has_value());
  }
}

// ---- flows --------------------------------------------------------------------------------------

TEST(CoreStateMachine, CallRecordsWhoWhenAndWhere) {
  Hall h;
  h.give("A", at(9, 0));
  Outcome o = h.ok(CallNext{1}, zhang(), at(9, 2));
  ASSERT_TRUE(o.ok());
  EXPECT_EQ(o.result()["window"], 1);
  EXPECT_EQ(o.result()["ticket"]["number"], "A001");
  const Event& e = o.events.at(0);
  ASSERT_TRUE(e.ticket && e.window && e.load);
  EXPECT_EQ(e.ticket->called_at, at(9, 2));
  EXPECT_EQ(e.ticket->window, 1);
  EXPECT_EQ(e.ticket->clerk, "zhang");
  EXPECT_EQ(e.ticket->history.back().step, TicketStep::called);
  EXPECT_EQ(e.ticket->history.back().clerk, "zhang");
  EXPECT_EQ(e.window->current_ticket, e.ticket->id);
  EXPECT_EQ(e.window->clerk, "zhang");
  EXPECT_EQ(e.window->state_since, at(9, 2));
  EXPECT_EQ(e.load->waiting, 0);
  EXPECT_EQ(e.load->issued_today, 1);

  // Recall: the first call time stays, the count goes up, the announcement is repeated.
  Outcome r = h.ok(Recall{1}, zhang(), at(9, 4));
  EXPECT_EQ(r.events.at(0).ticket->called_at, at(9, 2));
  EXPECT_EQ(r.events.at(0).ticket->recalls, 1);
  auto calls = h.engine.snapshot(at(9, 4), false)["recent_calls"];
  ASSERT_EQ(calls.size(), 2u);
  EXPECT_EQ(calls[0]["recall"], true);  // newest first
  EXPECT_EQ(calls[1]["recall"], false);
}

TEST(CoreStateMachine, CompleteCountsAndFrees) {
  Hall h;
  h.give("A", at(9, 0));
  h.ok(CallNext{1}, zhang(), at(9, 1));
  h.ok(StartService{1}, zhang(), at(9, 2));
  Outcome o = h.ok(CompleteService{1}, zhang(), at(9, 9));
  const Event& e = o.events.at(0);
  EXPECT_EQ(e.ticket->state, TicketState::done);
  EXPECT_EQ(e.ticket->finished_at, at(9, 9));
  EXPECT_EQ(e.window->served_today, 1);
  EXPECT_TRUE(e.window->current_ticket.empty());
  EXPECT_EQ(e.window->state_since, at(9, 9));
}

TEST(CoreStateMachine, TransferToAWindowAndBack) {
  Hall h;
  h.give("A", at(9, 0));
  h.give("A", at(9, 0));  // A002: must not get ahead of the transferred A001 at window 5
  h.ok(CallNumber{1, "A001"}, zhang(), at(9, 1));
  h.ok(StartService{1}, zhang(), at(9, 2));
  // Window 5 serves D and A: A001 keeps service A.
  Outcome t = h.ok(Transfer{1, "", 5, true, "needs the housing fund form"}, zhang(), at(9, 5));
  const Ticket& moved = *t.events.at(0).ticket;
  EXPECT_EQ(moved.state, TicketState::waiting);
  EXPECT_EQ(moved.service, "A");
  EXPECT_EQ(moved.target_window, 5);
  EXPECT_EQ(moved.return_window, 1);
  EXPECT_EQ(moved.return_service, "A");
  EXPECT_EQ(moved.queued_at, at(9, 5));
  EXPECT_EQ(moved.history.back().step, TicketStep::transferred);
  EXPECT_EQ(moved.history.back().note, "needs the housing fund form");
  EXPECT_EQ(moved.history.back().service, "A");
  EXPECT_FALSE(t.events.at(0).other_load.has_value());  // same service

  // Window 1 cannot see it; window 5 takes it before older A002.
  EXPECT_EQ(h.queue(1, at(9, 6)), (std::vector<std::string>{"A002"}));
  Actor wu = clerk("wu", {5});
  Outcome c = h.ok(CallNext{5}, wu, at(9, 6));
  EXPECT_EQ(c.result()["ticket"]["number"], "A001");
  h.ok(StartService{5}, wu, at(9, 7));
  Outcome done = h.ok(CompleteService{5}, wu, at(9, 12));
  const Ticket& back = *done.events.at(0).ticket;
  EXPECT_EQ(back.state, TicketState::waiting);
  EXPECT_EQ(back.target_window, 1);
  EXPECT_EQ(back.return_window, 0);
  EXPECT_EQ(back.history.back().step, TicketStep::completed);
  EXPECT_EQ(back.history.back().note, "returning to window 1");
  EXPECT_EQ(done.events.at(0).window->served_today, 1);  // counts at window 5
  EXPECT_FALSE(back.finished_at.has_value());

  // Back at window 1 before A002.
  Outcome again = h.ok(CallNext{1}, zhang(), at(9, 13));
  EXPECT_EQ(again.result()["ticket"]["number"], "A001");
  EXPECT_EQ(again.events.at(0).ticket->called_at, at(9, 1));  // the first call time stays
  h.ok(StartService{1}, zhang(), at(9, 13));
  Outcome fin = h.ok(CompleteService{1}, zhang(), at(9, 20));
  EXPECT_EQ(fin.events.at(0).ticket->state, TicketState::done);
  EXPECT_EQ(h.engine.window(1)->served_today, 1);
}

TEST(CoreStateMachine, TransferToAWindowOfOtherServicesTakesItsFirstService) {
  Hall h;
  h.give("A", at(9, 0));
  h.ok(CallNext{1}, admin(), at(9, 1));
  h.ok(StartService{1}, admin(), at(9, 1));
  Outcome t = h.ok(Transfer{1, "", 3, false, ""}, admin(), at(9, 2));
  const Event& e = t.events.at(0);
  EXPECT_EQ(e.ticket->service, "C");
  EXPECT_EQ(e.ticket->origin_service, "A");
  EXPECT_EQ(e.ticket->number, "A001");
  ASSERT_TRUE(e.load && e.other_load);
  EXPECT_EQ(e.load->service, "C");
  EXPECT_EQ(e.load->waiting, 1);
  EXPECT_EQ(e.other_load->service, "A");
  EXPECT_EQ(e.other_load->waiting, 0);
}

TEST(CoreStateMachine, TransferToAServiceWithReturnComesBackUntargetedIfTheWindowClosed) {
  Hall h;
  h.give("A", at(9, 0));
  h.ok(CallNext{1}, admin(), at(9, 1));
  h.ok(StartService{1}, admin(), at(9, 1));
  h.ok(Transfer{1, "D", 0, true, ""}, admin(), at(9, 2));
  h.ok(CloseWindow{1}, admin(), at(9, 3));
  h.ok(CallNext{4}, admin(), at(9, 4));
  h.ok(StartService{4}, admin(), at(9, 4));
  Outcome done = h.ok(CompleteService{4}, admin(), at(9, 10));
  const Ticket& t = *done.events.at(0).ticket;
  EXPECT_EQ(t.state, TicketState::waiting);
  EXPECT_EQ(t.service, "A");
  EXPECT_EQ(t.target_window, 0);
  EXPECT_NE(t.history.back().note.find("window 1 is closed"), std::string::npos);
  // Any open window serving A takes it, ahead of normal tickets (transferred-in rank).
  h.give("A", at(9, 10));
  EXPECT_EQ(h.queue(2, at(9, 11)), (std::vector<std::string>{"A001", "A002"}));
}

TEST(CoreStateMachine, ClosedWindowsTakeNoTransfersAndCannotCloseOnVisitorsSentToThem) {
  Hall h;
  h.give("A", at(9, 0));
  h.give("A", at(9, 0));
  h.ok(CloseWindow{5}, admin(), at(9, 0));
  h.ok(CallNext{1}, admin(), at(9, 1));
  h.ok(StartService{1}, admin(), at(9, 1));
  Outcome refused = h.run(Transfer{1, "", 5, false, ""}, admin(), at(9, 2));
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error->code, ErrorCode::window_paused);
  h.ok(Transfer{1, "", 2, false, ""}, admin(), at(9, 2));
  Outcome busy = h.run(CloseWindow{2}, admin(), at(9, 3));
  ASSERT_FALSE(busy.ok());
  EXPECT_EQ(busy.error->code, ErrorCode::window_busy);
  EXPECT_NE(busy.error->message.find("A001"), std::string::npos) << busy.error->message;
}

TEST(CoreStateMachine, CallbackAtABusyWindowWaitsTargetedAndComesFirst) {
  Hall h;
  h.give("A", at(9, 0));
  h.give("A", at(9, 0));
  h.give("A", at(9, 0));
  h.ok(CallNext{1}, zhang(), at(9, 1));
  h.ok(StartService{1}, zhang(), at(9, 1));
  h.ok(Hold{1}, zhang(), at(9, 2));
  EXPECT_EQ(h.engine.window(1)->held, std::vector<std::string>{"tk1"});
  h.ok(CallNext{1}, zhang(), at(9, 3));  // A002
  Outcome cb = h.ok(Callback{1, "A001"}, zhang(), at(9, 4));
  EXPECT_EQ(types(cb), std::vector<EventType>{EventType::ticket_called_back});
  EXPECT_EQ(cb.result()["called"], false);
  EXPECT_TRUE(h.engine.window(1)->held.empty());
  const Ticket* a1 = h.by_number("A001");
  EXPECT_EQ(a1->state, TicketState::waiting);
  EXPECT_EQ(a1->target_window, 1);
  // Window 2 serves A too but does not see a ticket called back at window 1.
  EXPECT_EQ(h.queue(2, at(9, 5)), (std::vector<std::string>{"A003"}));
  h.ok(NoShow{1}, zhang(), at(9, 5));
  Outcome next = h.ok(CallNext{1}, zhang(), at(9, 6));
  EXPECT_EQ(next.result()["ticket"]["number"], "A001");
}

TEST(CoreStateMachine, MessagesNameTheWindowTheTicketAndTheService) {
  Hall h;
  h.give("A", at(9, 0));
  h.ok(CallNext{1}, zhang(), at(9, 1));
  h.ok(StartService{1}, zhang(), at(9, 1));
  EXPECT_EQ(h.run(CallNext{1}, zhang(), at(9, 2)).error->message,
            "window 1 is still serving A001: complete, transfer or hold it first");
  EXPECT_EQ(h.run(CallNext{2}, zhang(), at(9, 2)).error->message,
            "nobody is waiting for window 2 (services B, A)");
  EXPECT_EQ(h.run(CallNext{3}, zhang(), at(9, 2)).error->message,
            "clerk zhang may not act at window 3 (their windows: 1, 2)");
  EXPECT_EQ(h.run(CallNext{7}, zhang(), at(9, 2)).error->message, "window 7 does not exist");
  EXPECT_EQ(h.run(CallNumber{2, "A009"}, zhang(), at(9, 2)).error->message,
            "ticket A009 was not issued today");
}

TEST(CoreStateMachine, RolloverExpiresEveryActiveTicketAndFreesTheWindows) {
  Hall h(without_alerts(make_config()));  // the next deadline is the day's end
  h.give("A", at(9, 0));  // A001 -> serving at 1
  h.give("A", at(9, 0));  // A002 -> held at 2
  h.give("A", at(9, 0));  // A003 -> called at 5
  h.give("B", at(9, 0));  // B001 waiting
  h.give("A", at(9, 0));  // A004 -> done at 1 before
  h.ok(CallNumber{1, "A004"}, admin(), at(9, 1));
  h.ok(StartService{1}, admin(), at(9, 1));
  h.ok(CompleteService{1}, admin(), at(9, 2));
  h.ok(CallNumber{1, "A001"}, admin(), at(9, 3));
  h.ok(StartService{1}, admin(), at(9, 3));
  h.ok(CallNumber{2, "A002"}, admin(), at(9, 3));
  h.ok(StartService{2}, admin(), at(9, 3));
  h.ok(Hold{2}, admin(), at(9, 4));
  h.ok(CallNumber{5, "A003"}, admin(), at(9, 4));
  h.ok(PauseWindow{4}, admin(), at(9, 4));

  const TimeMs next_day = at(0, 0, 1);
  EXPECT_EQ(h.engine.next_deadline(at(9, 5)), next_day);
  Outcome none = h.engine.tick(next_day - 1);
  EXPECT_TRUE(none.events.empty());
  Outcome o = h.engine.tick(next_day);
  ASSERT_EQ(o.events.size(), 5u);
  std::vector<std::string> expired;
  for (std::size_t i = 0; i < 4; ++i) {
    const Event& e = o.events[i];
    EXPECT_EQ(e.type, EventType::ticket_expired);
    EXPECT_EQ(e.actor, "system");
    EXPECT_EQ(e.ticket->state, TicketState::cancelled);
    EXPECT_EQ(e.ticket->history.back().step, TicketStep::expired);
    EXPECT_TRUE(e.load.has_value());
    expired.push_back(e.ticket->number);
    if (e.ticket->number == "B001") {
      EXPECT_FALSE(e.window.has_value());
    } else {
      ASSERT_TRUE(e.window.has_value());
      EXPECT_TRUE(e.window->current_ticket.empty());
      EXPECT_TRUE(e.window->held.empty());
    }
  }
  std::sort(expired.begin(), expired.end());
  EXPECT_EQ(expired, (std::vector<std::string>{"A001", "A002", "A003", "B001"}));
  EXPECT_EQ(o.events[4].type, EventType::day_rolled_over);
  EXPECT_EQ(o.events[4].business_day, "2026-11-28");
  EXPECT_EQ(o.result()["business_day"], "2026-11-28");

  EXPECT_EQ(h.engine.business_day(), "2026-11-28");
  for (int n : {1, 2, 5}) {
    EXPECT_TRUE(h.engine.window(n)->current_ticket.empty());
    EXPECT_TRUE(h.engine.window(n)->held.empty());
    EXPECT_EQ(h.engine.window(n)->served_today, 0);
  }
  EXPECT_EQ(h.engine.window(4)->state, WindowState::paused);  // window states persist
  EXPECT_EQ(h.engine.ticket("tk1"), nullptr);                 // yesterday's tickets are gone
  EXPECT_EQ(h.engine.snapshot(next_day, true)["tickets"].size(), 0u);
  EXPECT_EQ(h.engine.snapshot(next_day, true)["recent_calls"].size(), 0u);
  EXPECT_EQ(h.engine.load("A", next_day).issued_today, 0);
  EXPECT_EQ(h.give("A", at(9, 0, 1)), "A001");
  EXPECT_TRUE(h.engine.tick(at(9, 0, 1)).events.empty());
}

TEST(CoreStateMachine, ACommandAfterMidnightRollsOverFirstEvenIfItFails) {
  Hall h;
  h.give("A", at(9, 0));
  const std::uint64_t seq = h.engine.last_seq();
  Outcome o = h.run(CallNext{3}, zhang(), at(8, 0, 1));  // forbidden, but the day has changed
  ASSERT_FALSE(o.ok());
  EXPECT_EQ(o.error->code, ErrorCode::forbidden);
  ASSERT_EQ(o.events.size(), 2u);
  EXPECT_EQ(o.events[0].type, EventType::ticket_expired);
  EXPECT_EQ(o.events[0].seq, seq + 1);
  EXPECT_EQ(o.events[0].actor, "zhang");
  EXPECT_EQ(o.events[1].type, EventType::day_rolled_over);
  EXPECT_EQ(h.engine.last_seq(), seq + 2);

  // An explicit rollover succeeds exactly when the day has changed.
  Outcome r = h.run(RollOverDay{}, admin(), at(0, 1, 2));
  ASSERT_TRUE(r.ok()) << describe(r);
  EXPECT_EQ(r.result()["business_day"], "2026-11-29");
  EXPECT_EQ(types(r), std::vector<EventType>{EventType::day_rolled_over});
  Outcome again = h.run(RollOverDay{}, admin(), at(0, 2, 2));
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.error->message, "business day 2026-11-29 has not ended");
}

TEST(CoreStateMachine, NoticeReplacesTheConfiguredOne) {
  Hall h;
  EXPECT_EQ(h.engine.snapshot(at(9, 0), false)["notice"], "welcome");
  Outcome o = h.ok(SetNotice{"下午2点起暂停办理"}, admin(), at(9, 0));
  EXPECT_EQ(o.events.back().notice, "下午2点起暂停办理");
  EXPECT_EQ(h.engine.snapshot(at(9, 0), false)["notice"], "下午2点起暂停办理");
}

}  // namespace
}  // namespace hallq::core::test
