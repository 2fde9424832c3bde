// The text writers (append_json) against the trees they stand in for: for every shape of
// ticket, window, load and event, the same bytes as to_json(x).dump(). Random values from fixed
// seeds, with the strings that need escaping (quotes, control characters, Chinese); invalid
// UTF-8 is refused as dump() refuses it.
#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

#include "hallq/json_codec.h"

namespace hallq::testing {
namespace {

class Values {
 public:
  explicit Values(unsigned seed) : rng_(seed) {}

  bool coin() { return std::uniform_int_distribution<int>(0, 1)(rng_) == 1; }
  int small(int max) { return std::uniform_int_distribution<int>(0, max)(rng_); }
  std::int64_t time() {
    // Zero, negative and large values too: the writers must not assume a range.
    switch (small(3)) {
      case 0: return 0;
      case 1: return -std::int64_t(small(1'000'000));
      default: return 1'795'741'200'000 + small(1'000'000'000);
    }
  }
  std::optional<TimeMs> maybe_time() { return coin() ? std::optional<TimeMs>(time()) : std::nullopt; }
  // Valid UTF-8 (what dump() accepts; invalid text has its own test below).
  std::string text() {
    static const std::vector<std::string> pool = {
        "", "A001", "kiosk-1", "clerk-12", "2026-11-28", "01jf3k2m9x7q4w8e6r5t0y2u1i",
        "张三", "不动产登记", "quote\"d", "back\\slash", "tab\there", "line\nbreak", "\x01\x1f",
        "del\x7f", "emoji 😀", "mixed A 窗口 \"3\"", "/t/abc?x=1&y=<2>",
    };
    return pool[std::size_t(small(int(pool.size()) - 1))];
  }

  Ticket ticket() {
    Ticket t;
    t.id = text();
    t.number = text();
    t.service = text();
    t.origin_service = text();
    t.business_day = text();
    t.cls = TicketClass(small(2));
    t.priority_reason = text();
    t.state = TicketState(small(6));
    t.appointment_at = maybe_time();
    t.issued_at = time();
    t.queued_at = time();
    t.called_at = maybe_time();
    t.started_at = maybe_time();
    t.finished_at = maybe_time();
    t.window = coin() ? 0 : small(300);
    t.clerk = text();
    t.target_window = coin() ? 0 : small(300);
    t.return_window = coin() ? 0 : small(300);
    t.return_service = text();
    t.recalls = small(3);
    t.issued_by = text();
    for (int i = small(5); i > 0; --i) {
      TicketTransition step;
      step.step = TicketStep(small(int(TicketStep::expired)));
      step.at = time();
      step.window = coin() ? 0 : small(300);
      step.clerk = text();
      step.service = text();
      step.note = text();
      t.history.push_back(step);
    }
    if (coin()) t.rating = Rating{1 + small(4), time(), RatingVia(small(2))};
    return t;
  }

  Window window() {
    Window w;
    w.number = small(300);
    w.state = WindowState(small(2));
    w.current_ticket = text();
    w.clerk = text();
    for (int i = small(3); i > 0; --i) w.held.push_back(text());
    w.state_since = time();
    w.served_today = small(2) == 0 ? 0 : small(200);
    return w;
  }

  ServiceLoad load() {
    return ServiceLoad{text(), small(500), small(2000), time(), time()};
  }

  Event event() {
    Event e;
    e.seq = coin() ? std::uint64_t(small(1000)) : (std::uint64_t(1) << 63) + std::uint64_t(small(1000));
    e.at = time();
    e.type = EventType(small(int(EventType::appointment_missed)));
    if (coin()) e.ticket = ticket();
    if (coin()) e.window = window();
    if (coin()) e.load = load();
    if (small(3) == 0) e.other_load = load();
    if (coin()) e.business_day = text();
    if (small(3) == 0) e.notice = text();
    if (coin()) e.actor = text();
    if (small(4) == 0) {
      Alert a;
      a.id = text();
      a.kind = AlertKind(small(2));
      a.ticket = text();
      a.window = small(3);
      a.since = time();
      e.alert = a;
    }
    if (small(4) == 0) {
      Followup f;
      f.id = text();
      f.ticket = text();
      f.callback_note = text();
      e.followup = f;
    }
    if (small(4) == 0) {
      Appointment a;
      a.code = text();
      a.service = text();
      a.slot_start = time();
      e.appointment = a;
    }
    return e;
  }

 private:
  std::mt19937 rng_;
};

template <typename T>
std::string text_of(const T& v) {
  std::string out = "prefix:";  // appends, leaving what was there
  append_json(out, v);
  EXPECT_EQ(out.rfind("prefix:", 0), 0u);
  return out.substr(7);
}

TEST(JsonText, TicketsAreWrittenAsTheirTreeDumps) {
  Values v(1);
  for (int i = 0; i < 3000; ++i) {
    const Ticket t = v.ticket();
    ASSERT_EQ(text_of(t), to_json(t).dump()) << "ticket " << i;
  }
}

TEST(JsonText, WindowsAndLoadsAreWrittenAsTheirTreeDumps) {
  Values v(2);
  for (int i = 0; i < 2000; ++i) {
    const Window w = v.window();
    ASSERT_EQ(text_of(w), to_json(w).dump()) << "window " << i;
    const ServiceLoad l = v.load();
    ASSERT_EQ(text_of(l), to_json(l).dump()) << "load " << i;
  }
}

TEST(JsonText, EventsAreWrittenAsTheirTreeDumpsWithOrWithoutTheirRecordsText) {
  Values v(3);
  int with_ticket_and_window = 0;
  for (int i = 0; i < 3000; ++i) {
    const Event e = v.event();
    const std::string want = to_json(e).dump();
    ASSERT_EQ(text_of(e), want) << "event " << i;
    std::string ticket, window, out;
    if (e.ticket) append_json(ticket, *e.ticket);
    if (e.window) append_json(window, *e.window);
    append_json(out, e, e.ticket ? &ticket : nullptr, e.window ? &window : nullptr);
    ASSERT_EQ(out, want) << "event " << i << " from its records' text";
    with_ticket_and_window += e.ticket && e.window;
  }
  EXPECT_GT(with_ticket_and_window, 500);
}

// dump() refuses invalid UTF-8; so do the writers, with the same exception.
TEST(JsonText, InvalidUtf8IsRefusedLikeTheTree) {
  Ticket t;
  t.clerk = "\xe4\xb8";
  std::string out;
  EXPECT_THROW(to_json(t).dump(), nlohmann::json::type_error);
  EXPECT_THROW(append_json(out, t), nlohmann::json::type_error);
}

}  // namespace
}  // namespace hallq::testing
