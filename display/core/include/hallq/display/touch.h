// The touch layouts' state: the kiosk (take a number) and the evaluator (rate a visit). Each press
// becomes at most ONE command with its own request id; presses while that command is in flight
// are ignored, so a double tap gives one ticket. Pure; the render thread owns them.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "hallq/display/hall_copy.h"
#include "hallq/display/style.h"
#include "hallq/display/views.h"

namespace hallq::display {

// Makes request ids unique per device run: "<prefix>-<n>". The prefix carries the start time
// so a restarted kiosk does not reuse an id it sent before (ids are scoped to the device).
class RequestIds {
 public:
  explicit RequestIds(std::string prefix) : prefix_(std::move(prefix)) {}
  std::string next() { return prefix_ + "-" + std::to_string(++n_); }

 private:
  std::string prefix_;
  unsigned long n_ = 0;
};

struct Button {
  Rect rect;
  // "service:A", "lang:zh-TW", "priority", "appointment", "rate:5"; the appointment keypad:
  // "digit:0".."digit:9", "backspace", "confirm", "back".
  std::string action;
  std::string label;
  std::string detail;  // "等候 7 人 · 约 14 分钟"
  bool selected = false;
  bool enabled = true;       // false also for a moment while a press is answered
  bool unavailable = false;  // refused by the hall's rules now (hours, cap, day off): drawn grey
  friend bool operator==(const Button&, const Button&) = default;
};

struct TouchView {
  std::string title;
  std::string message;     // status line: the issued number, an error, "正在取号…"
  std::string big_number;  // kiosk: the issued number, shown large for a while
  // Kiosk appointment entry: the digits typed so far, in a box of `entry_max` slots.
  std::string entry;
  int entry_max = 0;
  Rect entry_rect;
  bool message_is_error = false;
  std::vector<Button> buttons;
  bool lost = false;
  std::string lost_title;
  // Kiosk: the printer cannot print ("打印机缺纸，请联系工作人员"); and, under an issued number,
  // that the ticket prints when the printer is fixed (its job is kept in the spool).
  std::string banner;
  std::string note;
  friend bool operator==(const TouchView&, const TouchView&) = default;
};

class KioskModel {
 public:
  static constexpr std::size_t kCodeDigits = 6;  // appointment codes (appt-contract.md)
  static constexpr TimeMs kEntryIdleMs = 60000;   // an abandoned code entry returns to the services

  KioskModel(std::string request_prefix, std::string language) : ids_(std::move(request_prefix)), lang_(std::move(language)) {}

  // A touch at the action of a button. Returns the command to send, if the press makes one.
  std::optional<nlohmann::json> press(const std::string& action, TimeMs now);
  // The server's {"type":"result"} for our command (others are ignored). True when it was ours.
  bool on_result(const nlohmann::json& result, TimeMs now);
  // The status line as last set (the issued number's details, or why not), for the log.
  const std::string& message() const { return message_; }
  // The command in flight, to send again with the SAME request id after a reconnect: the server
  // answers a repeat with the first answer, so the visitor still gets exactly one ticket.
  const std::optional<nlohmann::json>& pending_command() const { return pending_command_; }
  // The command could not be sent at all: forget it so the next press works.
  void send_failed(TimeMs now);
  // A keyboard-wedge QR scanner (or a keyboard) types the code's digits, then Enter. Typing
  // opens the code entry from any screen; other characters are ignored.
  void type_text(const std::string& text, TimeMs now);
  std::optional<nlohmann::json> key_enter(TimeMs now) { return press("confirm", now); }
  std::optional<nlohmann::json> key_backspace(TimeMs now) { return press("backspace", now); }
  // When the view changes next by itself (a message or an idle code entry ends); 0 = never.
  TimeMs next_change(TimeMs now) const;
  bool entering_code(TimeMs now) const { return appointment_ && now - touched_at_ < kEntryIdleMs; }
  const std::string& code() const { return code_; }

  TouchView view(const HallCopy& hall, const Style& style, int width, int height, TimeMs now) const;
  const std::string& language() const { return lang_; }
  bool in_flight() const { return !pending_.empty(); }

 private:
  RequestIds ids_;
  std::string lang_;
  bool priority_ = false;
  bool appointment_ = false;   // the code entry is open
  std::string code_;           // the digits typed so far (at most kCodeDigits)
  TimeMs touched_at_ = 0;      // last key in the code entry
  std::string pending_;  // request id of the issue command in flight
  bool pending_is_code_ = false;
  std::string pending_code_;
  std::optional<nlohmann::json> pending_command_;
  std::string issued_number_;
  std::string message_;
  std::string message_without_receipt_;  // an issued ticket's message without "请取走号票"
  bool message_is_error_ = false;
  TimeMs message_until_ = 0;
};

// What the kiosk says when its printer cannot print; "" when it can. Paper near end still prints
// (staff see it on the admin page). A printer the server has never heard from (since 0) is not
// called offline: a hall may run its kiosks without a printer agent.
std::string printer_problem_text(const DeviceInfo* printer, std::string_view lang);

// The server's refusal of an appointment check-in, in the visitor's words and language.
std::string appointment_error_text(const nlohmann::json& error, const std::string& code, std::string_view lang);
// The server's refusal of a ticket (a day off, outside the service's hours, today's tickets all
// taken, pressing too fast), in the visitor's words and language; else the server's own words.
std::string issue_error_text(const nlohmann::json& error, std::string_view lang);
// "今天（2026-11-28）不办公，不能取号": the kiosk's prompt on a day off, and the server's refusal.
std::string day_off_text(const std::string& date, std::string_view lang);

// 5 = 非常满意 ... 1 = 非常不满意.
class EvaluatorModel {
 public:
  EvaluatorModel(std::string request_prefix, int window, std::string language)
      : ids_(std::move(request_prefix)), window_(window), lang_(std::move(language)) {}

  // From HallCopy::apply: a completed visit at our window (or a newer server's rating_requested).
  void on_applied(const Applied& applied, TimeMs now);
  std::optional<nlohmann::json> press(const std::string& action, TimeMs now);
  // True when the result was for our rating (the log says what came of it).
  bool on_result(const nlohmann::json& result, TimeMs now);
  TouchView view(const HallCopy& hall, const Style& style, int width, int height, TimeMs now) const;
  const std::string& ticket() const { return ticket_id_; }
  const std::string& message() const { return message_; }

 private:
  RequestIds ids_;
  int window_;
  std::string lang_;
  std::string ticket_id_, ticket_number_;
  TimeMs asked_at_ = 0;
  std::string pending_;
  std::string message_;
  TimeMs message_until_ = 0;
};

}  // namespace hallq::display
