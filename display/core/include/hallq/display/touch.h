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
  std::string action;  // "service:A", "lang:zh-TW", "priority", "appointment", "rate:5"
  std::string label;
  std::string detail;  // "等候 7 人 · 约 14 分钟"
  bool selected = false;
  bool enabled = true;
  friend bool operator==(const Button&, const Button&) = default;
};

struct TouchView {
  std::string title;
  std::string message;     // status line: the issued number, an error, "正在取号…"
  std::string big_number;  // kiosk: the issued number, shown large for a while
  std::vector<Button> buttons;
  bool lost = false;
  std::string lost_title;
  friend bool operator==(const TouchView&, const TouchView&) = default;
};

class KioskModel {
 public:
  KioskModel(std::string request_prefix, std::string language) : ids_(std::move(request_prefix)), lang_(std::move(language)) {}

  // A touch at the action of a button. Returns the command to send, if the press makes one.
  std::optional<nlohmann::json> press(const std::string& action, TimeMs now);
  // The server's {"type":"result"} for our command (others are ignored).
  void on_result(const nlohmann::json& result, TimeMs now);
  // The command in flight, to send again with the SAME request id after a reconnect: the server
  // answers a repeat with the first answer, so the visitor still gets exactly one ticket.
  const std::optional<nlohmann::json>& pending_command() const { return pending_command_; }
  // The command could not be sent at all: forget it so the next press works.
  void send_failed(TimeMs now);

  TouchView view(const HallCopy& hall, const Style& style, int width, int height, TimeMs now) const;
  const std::string& language() const { return lang_; }
  bool in_flight() const { return !pending_.empty(); }

 private:
  RequestIds ids_;
  std::string lang_;
  bool priority_ = false;
  bool appointment_ = false;
  std::string pending_;  // request id of the issue command in flight
  std::optional<nlohmann::json> pending_command_;
  std::string issued_number_;
  std::string message_;
  TimeMs message_until_ = 0;
};

// 5 = 非常满意 ... 1 = 非常不满意.
class EvaluatorModel {
 public:
  EvaluatorModel(std::string request_prefix, int window, std::string language)
      : ids_(std::move(request_prefix)), window_(window), lang_(std::move(language)) {}

  // From HallCopy::apply: a completed visit at our window (or a newer server's rating_requested).
  void on_applied(const Applied& applied, TimeMs now);
  std::optional<nlohmann::json> press(const std::string& action, TimeMs now);
  void on_result(const nlohmann::json& result, TimeMs now);
  TouchView view(const HallCopy& hall, const Style& style, int width, int height, TimeMs now) const;
  const std::string& ticket() const { return ticket_id_; }

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
