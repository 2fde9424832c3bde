#include "hallq/reports/report.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <map>

#include "hallq/query_string.h"

namespace hallq::reports {

using nlohmann::json;

std::string_view to_string(GroupBy g) {
  switch (g) {
    case GroupBy::service: return "service";
    case GroupBy::window: return "window";
    case GroupBy::clerk: return "clerk";
    case GroupBy::department: return "department";
  }
  return "service";
}

std::optional<int> day_number(std::string_view d) {
  if (d.size() != 10 || d[4] != '-' || d[7] != '-') return std::nullopt;
  auto digits = [&](std::size_t from, std::size_t n) -> std::optional<int> {
    int v = 0;
    for (std::size_t i = from; i < from + n; ++i) {
      if (d[i] < '0' || d[i] > '9') return std::nullopt;
      v = v * 10 + (d[i] - '0');
    }
    return v;
  };
  auto y = digits(0, 4), m = digits(5, 2), dd = digits(8, 2);
  if (!y || !m || !dd || *y < 2000 || *y > 2199) return std::nullopt;
  std::chrono::year_month_day ymd{std::chrono::year(*y), std::chrono::month(unsigned(*m)),
                                  std::chrono::day(unsigned(*dd))};
  if (!ymd.ok()) return std::nullopt;
  return int(std::chrono::sys_days(ymd).time_since_epoch().count());
}

namespace {

Error bad(std::string message) { return make_error(ErrorCode::bad_request, std::move(message)); }

int hex(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::optional<std::string> percent_decode(std::string_view s) {
  std::string out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '+') {
      out.push_back(' ');
    } else if (s[i] == '%') {
      if (i + 2 >= s.size()) return std::nullopt;
      int a = hex(s[i + 1]), b = hex(s[i + 2]);
      if (a < 0 || b < 0) return std::nullopt;
      out.push_back(char(a * 16 + b));
      i += 2;
    } else {
      out.push_back(s[i]);
    }
  }
  return out;
}

// Shown in errors: at most 40 bytes of what the client sent.
std::string shown(std::string_view v) {
  std::string s(v.substr(0, 40));
  for (char& c : s)
    if (static_cast<unsigned char>(c) < 0x20 || c == '"' || c == '\\') c = '?';
  return "\"" + s + (v.size() > 40 ? "...\"" : "\"");
}

}  // namespace

Result<ReportQuery> parse_report_query(std::string_view qs, QueryKind kind) {
  const bool summary = kind == QueryKind::summary;
  const char* allowed = summary ? "from, to, by, format" : "from, to";
  if (qs.size() > 1024) return bad("the query string is longer than 1024 bytes");
  std::map<std::string, std::string> params;
  for (const QueryParam& p : query_params(qs)) {
    auto key = percent_decode(p.key);
    auto value = percent_decode(p.value);
    if (!key || !value) return bad("the query string has a bad %-escape in " + shown(p.item));
    if (*key != "from" && *key != "to" && (!summary || (*key != "by" && *key != "format")))
      return bad("unknown parameter " + shown(*key) + ": use " + allowed);
    if (params.count(*key)) return bad("parameter " + *key + " is given twice");
    params.emplace(*key, *value);
  }
  ReportQuery q;
  for (const char* name : {"from", "to"}) {
    auto it = params.find(name);
    if (it == params.end() || it->second.empty())
      return bad(std::string("missing parameter ") + name + ": give a business day as YYYY-MM-DD");
    if (!day_number(it->second))
      return bad(std::string("parameter ") + name + ": " + shown(it->second) +
                 " is not a day (YYYY-MM-DD, years 2000 to 2199)");
  }
  q.range.from = params["from"];
  q.range.to = params["to"];
  int from = *day_number(q.range.from), to = *day_number(q.range.to);
  if (to < from) return bad("parameter to: " + q.range.to + " is before from (" + q.range.from + ")");
  if (to - from + 1 > kMaxRangeDays)
    return bad("parameters from and to: " + q.range.from + " to " + q.range.to + " is " +
               std::to_string(to - from + 1) + " days; at most " + std::to_string(kMaxRangeDays));
  if (auto it = params.find("by"); it != params.end()) {
    const std::string& by = it->second;
    if (by == "service") q.by = GroupBy::service;
    else if (by == "window") q.by = GroupBy::window;
    else if (by == "clerk") q.by = GroupBy::clerk;
    else if (by == "department") q.by = GroupBy::department;
    else return bad("parameter by: " + shown(by) + " is not one of service, window, clerk, department");
  }
  if (auto it = params.find("format"); it != params.end()) {
    if (it->second == "csv") q.csv = true;
    else if (it->second != "json") return bad("parameter format: " + shown(it->second) + " is not json or csv");
  }
  return q;
}

DurationStats duration_stats(std::vector<std::int32_t>& v) {
  DurationStats s;
  s.count = std::int64_t(v.size());
  if (v.empty()) return s;
  long double sum = 0;
  for (auto x : v) sum += x;
  s.mean_ms = double(sum / v.size());
  // Nearest rank: the ceil(p * n)-th smallest value (1-based).
  auto nth = [&](int percent) {
    std::size_t rank = (v.size() * std::size_t(percent) + 99) / 100;
    std::size_t k = std::max<std::size_t>(rank, 1) - 1;
    std::nth_element(v.begin(), v.begin() + std::ptrdiff_t(k), v.end());
    return std::int64_t(v[k]);
  };
  s.p50_ms = nth(50);
  s.p90_ms = nth(90);
  return s;
}

std::int64_t Figures::rated() const {
  std::int64_t n = 0;
  for (auto r : ratings) n += r;
  return n;
}

std::optional<double> Figures::satisfaction() const {
  auto n = rated();
  if (n == 0) return std::nullopt;
  return double(ratings[3] + ratings[4]) / double(n);
}

namespace {

double seconds(double ms) { return std::round(ms) / 1000.0; }

json stats_json(const DurationStats& s) {
  if (s.count == 0) return json{{"count", 0}, {"mean", nullptr}, {"p50", nullptr}, {"p90", nullptr}};
  return json{{"count", s.count}, {"mean", seconds(s.mean_ms)}, {"p50", seconds(double(s.p50_ms))},
              {"p90", seconds(double(s.p90_ms))}};
}

std::string group_name(GroupBy by, const std::string& key, const HallConfig& c) {
  if (key.empty()) return "";
  switch (by) {
    case GroupBy::service:
      if (auto* s = c.service(key)) return s->name.zh_cn;
      return key;
    case GroupBy::window: {
      int n = std::atoi(key.c_str());
      if (auto* w = c.window(n)) return w->name.zh_cn;
      return key + "号窗口";
    }
    case GroupBy::clerk:
      if (auto* u = c.user(key); u && !u->display_name.empty()) return u->display_name;
      return key;
    case GroupBy::department: return key;
  }
  return key;
}

json figures_json(const Figures& f, GroupBy by, const HallConfig& c, bool total) {
  json j;
  if (!total) {
    j["key"] = f.key.empty() ? json(nullptr) : json(f.key);
    j["name"] = group_name(by, f.key, c);
  }
  j["done"] = f.done;
  j["no_show"] = f.no_show;
  j["cancelled"] = f.cancelled;
  j["expired"] = f.expired;
  j["transfers"] = f.transfers;
  j["ratings"] = json{{"5", f.ratings[4]}, {"4", f.ratings[3]}, {"3", f.ratings[2]}, {"2", f.ratings[1]}, {"1", f.ratings[0]}};
  j["rated"] = f.rated();
  auto sat = f.satisfaction();
  j["satisfaction"] = sat ? json(std::round(*sat * 10000) / 10000) : json(nullptr);
  j["overdue"] = json{{"wait", f.overdue_wait}, {"service", f.overdue_service}, {"idle", f.overdue_idle}};
  j["wait_s"] = stats_json(f.wait);
  j["service_s"] = stats_json(f.service);
  const AppointmentCounts& a = f.appointments;
  j["appointments"] = json{{"total", a.total()}, {"booked", a.booked}, {"checked_in", a.checked_in},
                           {"missed", a.missed}, {"cancelled", a.cancelled}};
  return j;
}

std::string csv_field(const std::string& s) {
  if (s.find_first_of(",\"\r\n") == std::string::npos) return s;
  std::string out = "\"";
  for (char ch : s) {
    if (ch == '"') out += "\"\"";
    else out.push_back(ch);
  }
  return out + "\"";
}

std::string fixed(double v, int decimals) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", decimals, v);
  return buf;
}

void csv_row(std::string& out, const std::string& key, const std::string& name, const Figures& f) {
  auto stat = [](const DurationStats& s, double ms) { return s.count ? fixed(ms / 1000.0, 3) : std::string(); };
  auto sat = f.satisfaction();
  std::vector<std::string> cells = {
      csv_field(key), csv_field(name), std::to_string(f.done), std::to_string(f.no_show),
      std::to_string(f.cancelled), std::to_string(f.expired), std::to_string(f.transfers),
      std::to_string(f.wait.count), stat(f.wait, f.wait.mean_ms), stat(f.wait, double(f.wait.p50_ms)),
      stat(f.wait, double(f.wait.p90_ms)), std::to_string(f.service.count),
      stat(f.service, f.service.mean_ms), stat(f.service, double(f.service.p50_ms)),
      stat(f.service, double(f.service.p90_ms)), std::to_string(f.rated()),
      std::to_string(f.ratings[4]), std::to_string(f.ratings[3]), std::to_string(f.ratings[2]),
      std::to_string(f.ratings[1]), std::to_string(f.ratings[0]), sat ? fixed(*sat * 100, 2) : std::string(),
      std::to_string(f.overdue_wait), std::to_string(f.overdue_service), std::to_string(f.overdue_idle),
      std::to_string(f.appointments.total()), std::to_string(f.appointments.checked_in),
      std::to_string(f.appointments.missed), std::to_string(f.appointments.cancelled),
      std::to_string(f.appointments.booked)};
  for (std::size_t i = 0; i < cells.size(); ++i) {
    if (i) out += ',';
    out += cells[i];
  }
  out += "\r\n";
}

}  // namespace

json to_json(const Summary& s, const HallConfig& c) {
  json groups = json::array();
  for (const auto& g : s.groups) groups.push_back(figures_json(g, s.by, c, false));
  return json{{"from", s.range.from}, {"to", s.range.to}, {"by", to_string(s.by)},
              {"groups", std::move(groups)}, {"total", figures_json(s.total, s.by, c, true)}};
}

std::string to_csv(const Summary& s, const HallConfig& c) {
  std::string out = "\xEF\xBB\xBF";  // BOM: Excel then reads the file as UTF-8
  out += std::string(to_string(s.by)) +
         ",名称 name,办结 done,过号 no-show,取消 cancelled,过期 expired,转移 transfers,"
         "叫号数 called,等候均值(秒) wait mean s,等候P50(秒) wait p50 s,等候P90(秒) wait p90 s,"
         "办理数 served,办理均值(秒) service mean s,办理P50(秒) service p50 s,办理P90(秒) service p90 s,"
         "评价数 ratings,非常满意 5,满意 4,基本满意 3,不满意 2,非常不满意 1,满意率% satisfaction %,"
         "等候超时 wait overdue,办理超时 service overdue,空闲超时 idle overdue,"
         "预约 appointments,预约到场 checked in,预约失约 missed,预约取消 cancelled,预约待到 booked\r\n";
  for (const auto& g : s.groups) csv_row(out, g.key, group_name(s.by, g.key, c), g);
  csv_row(out, "合计 total", s.range.from + " ~ " + s.range.to, s.total);
  return out;
}

std::vector<RankingEntry> rank(const Summary& s, const RankingWeights& w) {
  std::vector<RankingEntry> out;
  std::int64_t max_done = 0;
  for (const auto& g : s.groups)
    if (!g.key.empty() && g.done >= w.min_cases) max_done = std::max(max_done, g.done);
  const double sum = double(w.volume + w.satisfaction + w.overdue + w.no_show);
  if (sum <= 0) return out;
  // Without ratings a group counts the hall's rate, so it is neither helped nor hurt.
  const double hall_sat = s.total.satisfaction().value_or(0.0);
  for (const auto& g : s.groups) {
    if (g.key.empty() || g.done < w.min_cases || g.done == 0) continue;
    RankingEntry e;
    e.key = g.key;
    e.done = g.done;
    e.satisfaction = g.satisfaction();
    const double handled = double(g.done + g.no_show);
    e.overdue_share = std::min(1.0, double(g.overdue_wait + g.overdue_service) / handled);
    e.no_show_share = double(g.no_show) / handled;
    double volume = max_done ? double(g.done) / double(max_done) : 0;
    e.score = 100.0 *
              (w.volume * volume + w.satisfaction * e.satisfaction.value_or(hall_sat) +
               w.overdue * (1 - e.overdue_share) + w.no_show * (1 - e.no_show_share)) /
              sum;
    e.score = std::round(e.score * 100) / 100;
    out.push_back(std::move(e));
  }
  std::stable_sort(out.begin(), out.end(), [](const RankingEntry& a, const RankingEntry& b) {
    if (a.score != b.score) return a.score > b.score;
    if (a.done != b.done) return a.done > b.done;
    return a.key < b.key;
  });
  for (std::size_t i = 0; i < out.size(); ++i) out[i].rank = int(i) + 1;
  return out;
}

json ranking_json(const DayRange& range, const RankingWeights& w, const std::vector<RankingEntry>& windows,
                  const std::vector<RankingEntry>& clerks, const HallConfig& c) {
  auto list = [&](const std::vector<RankingEntry>& v, GroupBy by) {
    json a = json::array();
    for (const auto& e : v)
      a.push_back(json{{"rank", e.rank},
                       {"key", e.key},
                       {"name", group_name(by, e.key, c)},
                       {"score", e.score},
                       {"done", e.done},
                       {"satisfaction", e.satisfaction ? json(std::round(*e.satisfaction * 10000) / 10000) : json(nullptr)},
                       {"overdue_share", std::round(e.overdue_share * 10000) / 10000},
                       {"no_show_share", std::round(e.no_show_share * 10000) / 10000}});
    return a;
  };
  json j{{"from", range.from},
         {"to", range.to},
         {"weights", json{{"volume", w.volume}, {"satisfaction", w.satisfaction}, {"overdue", w.overdue},
                          {"no_show", w.no_show}, {"min_cases", w.min_cases}}},
         {"windows", list(windows, GroupBy::window)},
         {"clerks", list(clerks, GroupBy::clerk)}};
  j["model_window"] = windows.empty() ? json(nullptr) : j["windows"][0];
  j["service_star"] = clerks.empty() ? json(nullptr) : j["clerks"][0];
  return j;
}

}  // namespace hallq::reports
