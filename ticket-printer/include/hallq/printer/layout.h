// The ticket layout (assets/printer/ticket-layout.json) and composing one ticket into a
// PrintDoc: choosing the language, filling placeholders, wrapping to the paper. Pure; values.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "hallq/printer/print_doc.h"
#include "hallq/result.h"
#include "hallq/types.h"

namespace hallq::printer {

// What a ticket says. Filled by the agent from the server's ticket_issued event.
struct TicketInfo {
  std::string id;                // unguessable; the QR opens {base_url}/t/{id}
  std::string number;            // "A012"
  std::string service;           // service code
  std::map<std::string, std::string> service_name;  // by language: "zh-CN", "zh-TW", "en"
  std::map<std::string, std::string> hall_name;     // by language
  std::string cls = "normal";    // "normal", "priority", "appointment"
  int ahead = -1;                // visitors ahead; -1 = unknown (the line is left out)
  int wait_min = -1;             // estimated wait in minutes; -1 = unknown
  TimeMs issued_at = 0;
  int utc_offset_min = 8 * 60;   // the hall's local time
  bool reprint = false;          // prints a "reprint" mark
  friend bool operator==(const TicketInfo&, const TicketInfo&) = default;
};
nlohmann::json to_json(const TicketInfo& t);
Result<TicketInfo> ticket_info_from_json(const nlohmann::json& j);

// One element of the layout, printed top to bottom.
struct LayoutBlock {
  enum class Kind { text, qr, rule, feed };
  Kind kind = Kind::text;
  std::map<std::string, std::string> text;  // template by language ("*" = all languages)
  TextStyle style;
  std::map<int, TextStyle> style_for_paper;  // per paper width override (58 / 80)
  std::string when;                          // "" always; "ahead", "wait", "reprint", "priority"
  int lines = 1;                             // feed
  char rule_char = '-';
};

struct TicketLayout {
  std::string base_url;          // "" = the agent's --server URL
  std::string default_lang = "zh-CN";
  std::map<std::string, std::string> hall_name;  // overrides the server's hall name if set
  std::map<std::string, std::string> footer;
  std::map<int, int> qr_module;  // dots per QR module by paper width
  QrLevel qr_level = QrLevel::M;
  std::vector<LayoutBlock> blocks;
};

Result<TicketLayout> parse_layout(const nlohmann::json& j);
Result<TicketLayout> load_layout(const std::string& path);

// "zh-CN", "zh-TW" or "en"; anything else gives nullopt.
std::optional<std::string> normalize_lang(std::string_view lang);

// The QR payload: base_url without a trailing slash + "/t/" + id.
std::string ticket_url(const std::string& base_url, const std::string& id);

// Lays one ticket out. Text longer than a line is wrapped (at spaces for Latin text, anywhere
// between CJK characters); nothing runs past the paper's edge.
PrintDoc compose(const TicketLayout& layout, const TicketInfo& t, const std::string& lang,
                 const Paper& paper, const std::string& base_url);

// Splits text into lines of at most `columns` columns (see char_columns()).
std::vector<std::string> wrap_text(const std::string& utf8, int columns);

// "2026-11-27 09:05" in the hall's local time.
std::string format_local_time(TimeMs t, int utc_offset_min);

}  // namespace hallq::printer
