#include "hallq/printer/layout.h"

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cstdio>

#include <nlohmann/json.hpp>

#include "hallq/json_codec.h"

namespace hallq::printer {

using nlohmann::json;

namespace {

Error bad(std::string m) { return make_error(ErrorCode::bad_request, std::move(m)); }

// {"zh-CN": "...", ...} or a plain string (all languages).
Status read_localized(const json& v, const std::string& path, std::map<std::string, std::string>& out) {
  if (v.is_string()) {
    out["*"] = v.get<std::string>();
    return ok_status();
  }
  if (!v.is_object()) return bad(path + ": must be a string or {\"zh-CN\": ..., \"zh-TW\": ..., \"en\": ...}");
  for (auto it = v.begin(); it != v.end(); ++it) {
    auto lang = normalize_lang(it.key());
    if (!lang) return bad(path + "/" + it.key() + ": unknown language (use zh-CN, zh-TW or en)");
    if (!it->is_string()) return bad(path + "/" + it.key() + ": must be a string");
    out[*lang] = it->get<std::string>();
  }
  return ok_status();
}

const std::string* pick(const std::map<std::string, std::string>& m, const std::string& lang) {
  for (const std::string& k : {lang, std::string("*"), std::string("zh-CN")}) {
    auto it = m.find(k);
    if (it != m.end() && !it->second.empty()) return &it->second;
  }
  return nullptr;
}

Status read_style(const json& v, const std::string& path, TextStyle& s) {
  JsonReader r(v, path);
  if (!r.is_object()) return bad(path + ": must be an object");
  if (r.has("size")) {
    const json* sz = r.child("size");
    if (!sz->is_array() || sz->size() != 2 || !(*sz)[0].is_number_integer() || !(*sz)[1].is_number_integer() ||
        (*sz)[0].get<int>() < 1 || (*sz)[0].get<int>() > 8 || (*sz)[1].get<int>() < 1 || (*sz)[1].get<int>() > 8)
      return bad(r.path_of("size") + ": must be [width, height], each 1 to 8");
    s.width = (*sz)[0].get<int>();
    s.height = (*sz)[1].get<int>();
  }
  s.bold = r.boolean("bold", false, s.bold);
  if (r.has("align")) {
    std::string a = r.string("align");
    if (a == "left") s.align = Align::left;
    else if (a == "center") s.align = Align::center;
    else if (a == "right") s.align = Align::right;
    else r.fail(r.path_of("align") + ": must be left, center or right");
  }
  return r.finish();
}

bool is_space(char32_t c) { return c == ' ' || c == 0x3000; }
// Characters that may not begin a line (Chinese line-breaking rules, kinsoku).
bool no_line_start(char32_t c) {
  static const std::u32string s = U"，。、；：？！）」』】》〉％,.;:?!)]}%’”…";
  return s.find(c) != std::u32string::npos;
}
bool is_word_char(char32_t c) { return c < 0x80 && !is_space(c); }

std::string replace_all(std::string s, const std::string& from, const std::string& to) {
  for (std::size_t p = 0; (p = s.find(from, p)) != std::string::npos; p += to.size()) s.replace(p, from.size(), to);
  return s;
}

}  // namespace

std::optional<std::string> normalize_lang(std::string_view lang) {
  std::string l(lang);
  for (auto& c : l) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  std::replace(l.begin(), l.end(), '_', '-');
  if (l == "zh-cn" || l == "zh" || l == "zh-hans") return "zh-CN";
  if (l == "zh-tw" || l == "zh-hant" || l == "zh-hk") return "zh-TW";
  if (l == "en" || l == "en-us" || l == "en-gb") return "en";
  return std::nullopt;
}

std::string ticket_url(const std::string& base_url, const std::string& id) {
  std::string b = base_url;
  while (!b.empty() && b.back() == '/') b.pop_back();
  return b + "/t/" + id;
}

std::string format_local_time(TimeMs t, int utc_offset_min) {
  using namespace std::chrono;
  const auto local = sys_time<milliseconds>(milliseconds(t)) + minutes(utc_offset_min);
  const auto day = floor<days>(local);
  const year_month_day ymd(day);
  const auto tod = duration_cast<minutes>(local - day);
  char buf[32];
  std::snprintf(buf, sizeof buf, "%04d-%02u-%02u %02d:%02d", static_cast<int>(ymd.year()),
                static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()),
                static_cast<int>(tod.count() / 60), static_cast<int>(tod.count() % 60));
  return buf;
}

std::vector<std::string> wrap_text(const std::string& utf8, int columns) {
  if (columns < 2) columns = 2;
  std::vector<std::string> lines;
  for (std::size_t start = 0; start <= utf8.size();) {  // explicit newlines first
    std::size_t nl = utf8.find('\n', start);
    if (nl == std::string::npos) nl = utf8.size();
    const std::u32string text = utf8_decode(utf8.substr(start, nl - start));
    std::u32string line;
    int used = 0;
    std::size_t i = 0;
    auto flush = [&] {
      while (!line.empty() && is_space(line.back())) line.pop_back();
      lines.push_back(utf8_encode(line));
      line.clear();
      used = 0;
    };
    while (i < text.size()) {
      // The next unbreakable unit: an ASCII word, or one other character.
      std::size_t j = i + 1;
      if (is_word_char(text[i]))
        while (j < text.size() && is_word_char(text[j])) ++j;
      std::u32string unit = text.substr(i, j - i);
      int w = 0;
      for (char32_t c : unit) w += char_columns(c);
      if (used == 0 && is_space(unit[0])) { i = j; continue; }  // no leading blanks
      if (used + w <= columns) {
        line += unit;
        used += w;
        i = j;
        continue;
      }
      if (w > columns) {  // a word longer than a line: break it
        for (char32_t c : unit) {
          if (used + char_columns(c) > columns) flush();
          line += c;
          used += char_columns(c);
        }
        i = j;
        continue;
      }
      // Closing punctuation must not start a line: carry the previous character with it.
      if (unit.size() == 1 && no_line_start(unit[0]) && line.size() > 1 && !is_word_char(line.back())) {
        char32_t carry = line.back();
        line.pop_back();
        flush();
        line += carry;
        used = char_columns(carry);
        continue;
      }
      flush();
    }
    if (!line.empty() || lines.empty() || text.empty()) flush();
    if (nl >= utf8.size()) break;
    start = nl + 1;
  }
  return lines;
}

json to_json(const TicketInfo& t) {
  return json{{"id", t.id},
              {"number", t.number},
              {"service", t.service},
              {"service_name", t.service_name},
              {"hall_name", t.hall_name},
              {"class", t.cls},
              {"ahead", t.ahead},
              {"wait_min", t.wait_min},
              {"issued_at", t.issued_at},
              {"utc_offset_min", t.utc_offset_min},
              {"reprint", t.reprint}};
}

Result<TicketInfo> ticket_info_from_json(const json& j) {
  JsonReader r(j, "");
  if (!r.is_object()) return bad("ticket: must be an object");
  TicketInfo t;
  t.id = r.string("id", true, 128);
  t.number = r.string("number", true, 32);
  t.service = r.string("service", false, 16);
  for (const char* key : {"service_name", "hall_name"}) {
    if (const json* m = r.child(key, false)) {
      auto& dst = std::string(key) == "service_name" ? t.service_name : t.hall_name;
      if (!m->is_object()) return bad(r.path_of(key) + ": must be an object");
      for (auto it = m->begin(); it != m->end(); ++it)
        if (it->is_string()) dst[it.key()] = it->get<std::string>();
    }
  }
  t.cls = r.string("class", false, 16);
  if (t.cls.empty()) t.cls = "normal";
  t.ahead = static_cast<int>(r.integer("ahead", false, -1, 1000000, -1));
  t.wait_min = static_cast<int>(r.integer("wait_min", false, -1, 100000, -1));
  t.issued_at = r.integer("issued_at", false, 0, INT64_MAX, 0);
  t.utc_offset_min = static_cast<int>(r.integer("utc_offset_min", false, -14 * 60, 14 * 60, 8 * 60));
  t.reprint = r.boolean("reprint", false, false);
  if (auto s = r.finish(); !s) return s.error();
  return t;
}

Result<TicketLayout> parse_layout(const json& j) {
  JsonReader r(j, "");
  if (!r.is_object()) return bad("layout: must be a JSON object");
  TicketLayout L;
  L.base_url = r.string("base_url", false, 512);
  if (r.has("default_lang")) {
    std::string d = r.string("default_lang");
    auto n = normalize_lang(d);
    if (!n) return bad("/default_lang: \"" + d + "\" is not zh-CN, zh-TW or en");
    L.default_lang = *n;
  }
  if (const json* v = r.child("hall_name", false))
    if (auto s = read_localized(*v, "/hall_name", L.hall_name); !s) return s.error();
  if (const json* v = r.child("footer", false))
    if (auto s = read_localized(*v, "/footer", L.footer); !s) return s.error();
  L.qr_module = {{58, 5}, {80, 7}};
  if (const json* q = r.child("qr", false)) {
    JsonReader qr(*q, "/qr");
    if (!qr.is_object()) return bad("/qr: must be an object");
    if (const json* m = qr.child("module", false)) {
      if (!m->is_object()) return bad("/qr/module: must be {\"58\": dots, \"80\": dots}");
      for (auto it = m->begin(); it != m->end(); ++it) {
        if ((it.key() != "58" && it.key() != "80") || !it->is_number_integer() || it->get<int>() < 1 || it->get<int>() > 16)
          return bad("/qr/module/" + it.key() + ": paper must be 58 or 80 and the size 1 to 16 dots");
        L.qr_module[std::stoi(it.key())] = it->get<int>();
      }
    }
    std::string level = qr.string("level", false, 1);
    if (!level.empty()) {
      if (level == "L") L.qr_level = QrLevel::L;
      else if (level == "M") L.qr_level = QrLevel::M;
      else if (level == "Q") L.qr_level = QrLevel::Q;
      else if (level == "H") L.qr_level = QrLevel::H;
      else return bad("/qr/level: must be L, M, Q or H");
    }
    if (auto s = qr.finish(); !s) return s.error();
  }
  const json* blocks = r.child("blocks", true);
  if (!r.ok()) return r.finish().error();
  if (!blocks->is_array() || blocks->empty()) return bad("/blocks: must be a non-empty array");
  for (std::size_t i = 0; i < blocks->size(); ++i) {
    const std::string path = "/blocks/" + std::to_string(i);
    const json& b = (*blocks)[i];
    if (!b.is_object()) return bad(path + ": must be an object");
    LayoutBlock blk;
    json style = json::object();
    for (auto it = b.begin(); it != b.end(); ++it) {
      const std::string& k = it.key();
      if (k == "text") {
        blk.kind = LayoutBlock::Kind::text;
        if (auto s = read_localized(*it, path + "/text", blk.text); !s) return s.error();
      } else if (k == "qr") {
        blk.kind = LayoutBlock::Kind::qr;
      } else if (k == "rule") {
        blk.kind = LayoutBlock::Kind::rule;
        if (!it->is_string() || it->get<std::string>().size() != 1)
          return bad(path + "/rule: must be one ASCII character, e.g. \"-\"");
        blk.rule_char = it->get<std::string>()[0];
      } else if (k == "feed") {
        blk.kind = LayoutBlock::Kind::feed;
        if (!it->is_number_integer() || it->get<int>() < 0 || it->get<int>() > 20)
          return bad(path + "/feed: must be 0 to 20 lines");
        blk.lines = it->get<int>();
      } else if (k == "when") {
        static const std::vector<std::string> conds = {"ahead", "wait", "reprint", "priority", "appointment"};
        if (!it->is_string() || std::find(conds.begin(), conds.end(), it->get<std::string>()) == conds.end())
          return bad(path + "/when: must be one of ahead, wait, reprint, priority, appointment");
        blk.when = it->get<std::string>();
      } else if (k == "size" || k == "bold" || k == "align") {
        style[k] = *it;
      } else if (k == "paper") {
        if (!it->is_object()) return bad(path + "/paper: must be {\"58\": {style}, \"80\": {style}}");
        for (auto p = it->begin(); p != it->end(); ++p) {
          if (p.key() != "58" && p.key() != "80") return bad(path + "/paper/" + p.key() + ": paper must be 58 or 80");
          blk.style_for_paper[std::stoi(p.key())] = TextStyle{};  // filled below
        }
      } else {
        return bad(path + "/" + k + ": unknown field");
      }
    }
    if (blk.kind == LayoutBlock::Kind::qr) blk.style.align = Align::center;  // unless told
    if (auto s = read_style(style, path, blk.style); !s) return s.error();
    if (b.contains("paper")) {
      for (auto& [mm, st] : blk.style_for_paper) {
        st = blk.style;
        if (auto s = read_style(b["paper"][std::to_string(mm)], path + "/paper/" + std::to_string(mm), st); !s)
          return s.error();
      }
    }
    L.blocks.push_back(std::move(blk));
  }
  if (auto s = r.finish(); !s) return s.error();
  return L;
}

Result<TicketLayout> load_layout(const std::string& path) {
  auto j = load_json_file(path);
  if (!j) return j.error();
  auto r = parse_layout(*j);
  if (!r) return make_error(r.error().code, path + r.error().message);
  return r;
}

PrintDoc compose(const TicketLayout& layout, const TicketInfo& t, const std::string& lang_in,
                 const Paper& paper, const std::string& base_url) {
  const std::string lang = normalize_lang(lang_in).value_or(layout.default_lang);
  PrintDoc doc;
  doc.paper = paper;
  doc.font_lang = lang;
  const std::string url = ticket_url(layout.base_url.empty() ? base_url : layout.base_url, t.id);

  auto text_of = [&](const std::map<std::string, std::string>& m) -> std::string {
    const std::string* s = pick(m, lang);
    return s ? *s : std::string();
  };
  std::string hall = text_of(layout.hall_name);
  if (hall.empty()) hall = text_of(t.hall_name);
  std::string service = text_of(t.service_name);
  if (service.empty()) service = t.service;
  const std::string footer = text_of(layout.footer);

  auto fill = [&](std::string s) {
    s = replace_all(std::move(s), "{hall}", hall);
    s = replace_all(std::move(s), "{number}", t.number);
    s = replace_all(std::move(s), "{service}", service);
    s = replace_all(std::move(s), "{ahead}", std::to_string(std::max(0, t.ahead)));
    s = replace_all(std::move(s), "{wait}", std::to_string(std::max(0, t.wait_min)));
    s = replace_all(std::move(s), "{time}", format_local_time(t.issued_at, t.utc_offset_min));
    s = replace_all(std::move(s), "{footer}", footer);
    s = replace_all(std::move(s), "{url}", url);
    s = replace_all(std::move(s), "{id}", t.id);
    return s;
  };

  for (const LayoutBlock& b : layout.blocks) {
    if (b.when == "ahead" && t.ahead < 0) continue;
    if (b.when == "wait" && t.wait_min < 0) continue;
    if (b.when == "reprint" && !t.reprint) continue;
    if (b.when == "priority" && t.cls != "priority") continue;
    if (b.when == "appointment" && t.cls != "appointment") continue;
    TextStyle style = b.style;
    if (auto it = b.style_for_paper.find(paper.mm); it != b.style_for_paper.end()) style = it->second;
    switch (b.kind) {
      case LayoutBlock::Kind::text: {
        std::string text = fill(text_of(b.text));
        if (text.empty()) break;
        // A short text in large type shrinks rather than wraps: the number must stay one piece.
        const int cols = text_columns(text);
        while (style.width > 1 && cols * style.width > paper.columns && text.find(' ') == std::string::npos)
          --style.width;
        for (std::string& line : wrap_text(text, paper.columns / style.width))
          doc.ops.push_back(TextLine{std::move(line), style});
        break;
      }
      case LayoutBlock::Kind::rule:
        doc.ops.push_back(TextLine{std::string(static_cast<std::size_t>(paper.columns), b.rule_char), TextStyle{}});
        break;
      case LayoutBlock::Kind::feed:
        if (b.lines > 0) doc.ops.push_back(Feed{b.lines});
        break;
      case LayoutBlock::Kind::qr: {
        QrCode q;
        q.data = url;
        auto m = layout.qr_module.find(paper.mm);
        q.module = m != layout.qr_module.end() ? m->second : 6;
        q.level = layout.qr_level;
        q.align = style.align;
        doc.ops.push_back(std::move(q));
        break;
      }
    }
  }
  doc.ops.push_back(Cut{true});
  return doc;
}

}  // namespace hallq::printer
