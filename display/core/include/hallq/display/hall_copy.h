// The display's own copy of the hall, fed by the server's snapshot and events (docs/protocol.md).
// It notices a gap in `seq` and says a snapshot is needed; it never guesses missing changes.
// Pure: no SDL, no sockets, no clock of its own. Not thread-safe: the render thread owns it.
#pragma once

#include <cstdint>
#include <deque>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "hallq/hall_config.h"
#include "hallq/result.h"
#include "hallq/types.h"

namespace hallq::display {

struct ServiceInfo {
  std::string code;
  LocalizedText name;
  int waiting = 0;
  std::int64_t estimated_wait_s = 0;
  int issued_today = 0;
  std::vector<OpeningSpan> hours;  // by the hall's clock; empty: all day (or an older server)
  int daily_cap = 0;               // 0: none
};

// Whether a kiosk may offer a service now, by the server's own checks in the server's order.
enum class Issuing { open, day_off, outside_hours, cap_reached };

// A day the hall issues no tickets (the snapshot's hall.day_off).
struct DayOff {
  std::string date;  // "2026-11-28"
  std::string why;   // "Saturday", "a holiday"
};

// The visitor a window has called or is serving.
struct CurrentVisitor {
  std::string id;
  std::string number;   // "A012"; empty when only the id is known (resolved by the next snapshot)
  std::string service;
  TicketState state = TicketState::called;
  TimeMs called_at = 0;
  int recalls = 0;
};

struct WindowInfo {
  int number = 0;
  LocalizedText name;
  std::vector<std::string> services;
  WindowState state = WindowState::open;
  std::optional<CurrentVisitor> current;
};

// A device as the server reports it ({"type":"device",...} and the snapshot's "devices").
struct DeviceInfo {
  std::string id, kind;
  bool online = false;
  std::string status;  // "ok", "paper_near_end", "paper_out", "cover_open", "cutter_error", "offline", "unknown"
  std::string detail;
  TimeMs since = 0;    // 0: the server has never heard from it
};

// One call as the boards list it: number -> window, newest first.
struct CallInfo {
  std::string number;
  std::string service;
  int window = 0;
  TimeMs at = 0;
  bool recall = false;
  friend bool operator==(const CallInfo&, const CallInfo&) = default;
};

// What applying one server message did, for the screens and the voice.
struct Applied {
  bool changed = false;          // redraw
  bool need_snapshot = false;    // a gap, or a change the copy cannot follow: ask for a snapshot
  std::vector<CallInfo> calls;   // calls and recalls to announce, oldest first
  std::optional<Ticket> completed;  // service_completed: the ticket (for the evaluator)
  // An event this build does not know (a newer server): its name and raw body. Its seq is taken.
  std::string other_event;
  nlohmann::json other_body;
  std::string error;             // a message we could not read (logged; the copy is unchanged)
};

class HallCopy {
 public:
  static constexpr std::size_t kRecentCalls = 20;  // the server keeps as many
  static constexpr std::size_t kMaxDevices = 1000;  // a hall file's devices; more is a broken server

  // Any server message (welcome, snapshot, event, ...). Unknown types are ignored.
  Applied apply(const nlohmann::json& message, TimeMs now);
  Applied apply_snapshot(const nlohmann::json& snapshot, TimeMs now);
  Applied apply_event(const nlohmann::json& event, TimeMs now);

  // The connection went away / came back. While lost, nothing shown may pass for live.
  void connection_lost(TimeMs now);
  void connection_opened();
  // Messages were lost on the way (a full queue): ignore events until the next snapshot.
  void resync() { waiting_for_snapshot_ = true; }

  bool has_snapshot() const { return has_snapshot_; }
  bool live() const { return has_snapshot_ && !lost_; }
  bool lost() const { return lost_; }
  TimeMs lost_since() const { return lost_since_; }
  std::uint64_t seq() const { return seq_; }
  TimeMs last_change() const { return last_change_; }
  TimeMs last_call_seen() const { return last_call_seen_; }  // local time the newest call arrived

  const LocalizedText& hall_name() const { return hall_name_; }
  const std::string& notice() const { return notice_; }
  const std::string& business_day() const { return business_day_; }
  const std::vector<ServiceInfo>& services() const { return services_; }
  const std::vector<WindowInfo>& windows() const { return windows_; }
  const std::deque<CallInfo>& recent_calls() const { return recent_calls_; }  // newest first
  const ServiceInfo* service(std::string_view code) const;
  // Today is a day off, on which the server issues no tickets; null on a working day, or when the
  // hall does not enforce its hours and days.
  const DayOff* day_off() const { return enforce_hours_ && day_off_ ? &*day_off_ : nullptr; }
  // What the server would answer a ticket for `s` at this machine's `now`. The hall's clock is
  // the server's: `now` moved by how far the server's clock was from this one at the snapshot.
  Issuing issuing(const ServiceInfo& s, TimeMs now) const;
  // The hall's clock: this machine's `now` moved by how far the server's clock was from it at
  // the last snapshot. A display PC's own clock may be wrong; the hall's is the server's.
  TimeMs hall_now(TimeMs now) const { return now + server_ahead_ms_; }
  // The hall's offset from UTC, from the snapshot (nullopt before one, or from an older server).
  std::optional<int> utc_offset_min() const { return utc_offset_min_; }
  // Minutes after the hall's local midnight (as issuing() reads it).
  int hall_minute(TimeMs now) const;
  const WindowInfo* window(int number) const;

  // From the welcome message: the device's name and windows.
  const std::string& device_name() const { return device_name_; }
  const std::vector<int>& device_windows() const { return device_windows_; }
  // The layout the hall file gives this device ("" when none, or an older server).
  const std::string& device_layout() const { return device_layout_; }
  // A kiosk's printer (the welcome's "printer"; "" when none, or an older server).
  const std::string& device_printer() const { return device_printer_; }
  const DeviceInfo* device(std::string_view id) const;

 private:
  ServiceInfo* service_mut(std::string_view code);
  WindowInfo* window_mut(int number);
  void apply_load(const ServiceLoad& l);

  bool has_snapshot_ = false;
  bool lost_ = false;
  TimeMs lost_since_ = 0;
  TimeMs last_change_ = 0;
  TimeMs last_call_seen_ = 0;
  std::uint64_t seq_ = 0;
  bool waiting_for_snapshot_ = false;  // asked after a gap; events are dropped until it comes
  LocalizedText hall_name_;
  std::string notice_;
  std::string business_day_;
  bool enforce_hours_ = false;    // the hall's rules.enforce_opening_hours
  std::optional<DayOff> day_off_;
  std::optional<int> utc_offset_min_;
  TimeMs server_ahead_ms_ = 0;    // the server's clock minus ours, at the last snapshot
  std::vector<ServiceInfo> services_;
  std::vector<WindowInfo> windows_;
  std::deque<CallInfo> recent_calls_;
  std::string device_name_;
  std::vector<int> device_windows_;
  std::string device_layout_;
  std::string device_printer_;
  std::vector<DeviceInfo> devices_;
};

// Reads {"zh_cn","zh_tw","en"} (or a plain string) as a LocalizedText.
LocalizedText localized_from_json(const nlohmann::json& j);

}  // namespace hallq::display
