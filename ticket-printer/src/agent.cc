#include "hallq/printer/agent.h"

#include <cmath>
#include <cstdio>

#include "hallq/client/client.h"

namespace hallq::printer {

using nlohmann::json;
using std::chrono::milliseconds;

namespace {

void log(const std::string& s) { std::fprintf(stderr, "hallq-printer: %s\n", s.c_str()); }

// The server takes at most 200 bytes of detail: cut at a UTF-8 character boundary.
std::string clip(std::string s, std::size_t max = 200) {
  if (s.size() <= max) return s;
  std::size_t n = max;
  while (n > 0 && (static_cast<unsigned char>(s[n]) & 0xC0) == 0x80) --n;
  s.resize(n);
  return s;
}

}  // namespace

// ---- PrintService ------------------------------------------------------------------------------

PrintService::PrintService(Spool& spool, Printer& printer, Rasterizer* rasterizer, TicketLayout layout,
                           PrintServiceOptions options, PrintEvents events, std::function<TimeMs()> now)
    : spool_(spool),
      printer_(printer),
      encoder_(printer.profile(), rasterizer),
      rasterizer_(rasterizer),
      layout_(std::move(layout)),
      options_(std::move(options)),
      events_(std::move(events)),
      now_(std::move(now)) {}

PrintService::~PrintService() { stop(); }

void PrintService::start() {
  stop_ = false;
  thread_ = std::thread([this] {
    while (!stop_) {
      if (step()) continue;
      std::unique_lock lock(mu_);
      const auto wait = spool_.next() ? options_.retry_interval : std::min(options_.retry_interval, options_.poll_interval);
      cv_.wait_for(lock, wait, [this] { return woken_ || stop_; });
      woken_ = false;
    }
  });
}

void PrintService::stop() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void PrintService::wake() {
  {
    std::lock_guard lock(mu_);
    woken_ = true;
  }
  cv_.notify_all();
}

void PrintService::set_status(DeviceStatus s, const std::string& detail) {
  const DeviceStatus old = status_.exchange(s);
  if ((old != s || !have_status_) && events_.status_changed) events_.status_changed(s, detail);
  have_status_ = true;
}

bool PrintService::step() {
  if (stop_) return false;
  if (auto c = printer_.connect(); !c) {
    set_status(DeviceStatus::offline, c.error().message);
    return false;
  }
  const auto job = spool_.next();
  if (!job) {
    if (std::chrono::steady_clock::now() >= next_prune_) {  // yesterday's records go
      spool_.prune(now_(), 24LL * 3600 * 1000);
      next_prune_ = std::chrono::steady_clock::now() + std::chrono::hours(1);
    }
    if (std::chrono::steady_clock::now() >= next_poll_) {
      auto st = printer_.query_status();
      set_status(st.status, st.detail);
      next_poll_ = std::chrono::steady_clock::now() + options_.poll_interval;
    }
    return false;
  }
  const PrintDoc doc = compose(layout_, job->ticket, job->lang, paper_for_mm(printer_.profile().paper_mm),
                               options_.base_url);
  const EscPosJob bytes = encoder_.encode(doc);
  const SendResult r = printer_.send(bytes);
  set_status(r.status.status, r.status.detail);
  next_poll_ = std::chrono::steady_clock::now() + options_.poll_interval;
  if (r.outcome == JobOutcome::printed) {
    if (auto s = spool_.mark_printed(*job, now_()); !s) log("spool: " + s.error().message);
    if (events_.job_printed) events_.job_printed(*job);
    return true;
  }
  auto gave_up = spool_.mark_attempt(*job, r.reason, now_(), options_.fail_after_ms);
  if (!gave_up) log("spool: " + gave_up.error().message);
  if (gave_up && *gave_up && events_.job_failed) events_.job_failed(*job, r.reason);
  return gave_up && *gave_up;  // the next job may be printable (or fail at once) now
}

// ---- Agent -------------------------------------------------------------------------------------

bool parse_server_url(const std::string& url, std::string& host, int& port) {
  std::string rest = url;
  if (rest.rfind("http://", 0) == 0) rest = rest.substr(7);
  else if (rest.rfind("ws://", 0) == 0) rest = rest.substr(5);
  else if (rest.find("://") != std::string::npos) return false;
  if (auto slash = rest.find('/'); slash != std::string::npos) rest = rest.substr(0, slash);
  auto colon = rest.rfind(':');
  if (colon == std::string::npos) {
    host = rest;
    port = 80;
  } else {
    host = rest.substr(0, colon);
    try {
      port = std::stoi(rest.substr(colon + 1));
    } catch (...) {
      return false;
    }
  }
  return !host.empty() && port > 0 && port < 65536;
}

std::map<std::string, std::string> localized_from_server(const json& j) {
  std::map<std::string, std::string> out;
  if (j.is_string()) {
    out["zh-CN"] = j.get<std::string>();
  } else if (j.is_object()) {
    for (auto it = j.begin(); it != j.end(); ++it)
      if (it->is_string())
        if (auto lang = normalize_lang(it.key())) out[*lang] = it->get<std::string>();
  }
  return out;
}

Agent::Agent(AgentOptions options, Spool& spool, PrintService& service, std::function<TimeMs()> now)
    : options_(std::move(options)), spool_(spool), service_(service), now_(std::move(now)) {
  kiosks_.insert(options_.kiosks.begin(), options_.kiosks.end());
}

void Agent::post(json message) {
  for (const char* k : {"detail", "reason"})
    if (message.contains(k) && message[k].is_string()) message[k] = clip(message[k].get<std::string>());
  std::lock_guard lock(out_mu_);
  if (message.value("type", "") == "device_status")
    std::erase_if(outbox_, [](const json& m) { return m.value("type", "") == "device_status"; });
  if (outbox_.size() >= 100) outbox_.pop_front();
  outbox_.push_back(std::move(message));
}

std::optional<TicketInfo> Agent::ticket_from_server(const json& t, const json* load) const {
  if (!t.is_object() || !t.contains("id") || !t["id"].is_string() || !t.contains("number")) return std::nullopt;
  const std::string issued_by = t.value("issued_by", "");
  if (!kiosks_.empty() && !kiosks_.count(issued_by)) return std::nullopt;
  TicketInfo info;
  info.id = t["id"].get<std::string>();
  info.number = t.value("number", "");
  info.service = t.value("service", "");
  info.cls = t.value("class", "normal");
  info.issued_at = t.value("issued_at", TimeMs{0});
  info.hall_name = hall_name_;
  info.utc_offset_min = utc_offset_min_;
  if (auto s = service_names_.find(info.service); s != service_names_.end()) info.service_name = s->second;
  if (load && load->is_object()) {
    // The load after the issue counts this ticket too. Priority tickets may pass some of them:
    // the figure is an upper bound, like the estimate.
    if (load->contains("waiting")) info.ahead = std::max(0, load->value("waiting", 1) - 1);
    if (load->contains("estimated_wait_s"))
      info.wait_min = static_cast<int>(std::ceil(load->value("estimated_wait_s", 0.0) / 60.0));
  }
  return info;
}

void Agent::fetch_standing(TicketInfo& t) {
  if (!http_) return;
  auto r = http_->get("/api/tickets/" + t.id);
  if (r.status != 200) return;  // keep the figures from the event's load
  const json j = r.json();
  if (!j.is_object()) return;
  if (j.contains("ahead") && j["ahead"].is_number_integer()) t.ahead = j["ahead"].get<int>();
  if (j.contains("estimated_wait_s") && j["estimated_wait_s"].is_number())
    t.wait_min = static_cast<int>(std::ceil(j["estimated_wait_s"].get<double>() / 60.0));
}

void Agent::handle(const json& m) {
  if (!m.is_object()) return;
  const std::string type = m.value("type", "");
  if (type == "welcome") {
    name_ = m.value("name", name_);
    if (options_.kiosks.empty() && m.contains("kiosks") && m["kiosks"].is_array()) {
      kiosks_.clear();
      for (const auto& k : m["kiosks"])
        if (k.is_string()) kiosks_.insert(k.get<std::string>());
    }
    if (kiosks_.empty()) log("the server named no kiosks for " + name_ + ": printing every kiosk's tickets");
    // The server forgets a device's status when it reconnects: say it again (once known).
    if (service_.has_status())
      post(json{{"type", "device_status"}, {"status", to_string(service_.status())}, {"detail", describe(service_.status())}});
    return;
  }
  if (type == "snapshot") {
    if (m.contains("hall") && m["hall"].is_object() && m["hall"].contains("name"))
      hall_name_ = localized_from_server(m["hall"]["name"]);
    // The ticket prints the hall's local time, which the server knows (rules.utc_offset_min).
    if (m.contains("hall") && m["hall"].is_object() && m["hall"].contains("utc_offset_min") &&
        m["hall"]["utc_offset_min"].is_number_integer())
      utc_offset_min_ = std::clamp(m["hall"]["utc_offset_min"].get<int>(), -14 * 60, 14 * 60);
    std::map<std::string, json> loads;
    if (m.contains("services") && m["services"].is_array())
      for (const auto& s : m["services"]) {
        if (!s.is_object() || !s.contains("code")) continue;
        if (s.contains("name")) service_names_[s.value("code", "")] = localized_from_server(s["name"]);
        loads[s.value("code", "")] = s;
      }
    last_seq_ = m.value("seq", std::uint64_t{0});
    if (!m.contains("tickets")) return;  // the server does not send printers tickets (yet)
    const TimeMs now = now_();
    int queued = 0, stale = 0;
    for (const auto& t : m["tickets"]) {
      if (!t.is_object() || t.value("state", "") != "waiting") continue;
      auto l = loads.find(t.value("service", ""));
      auto info = ticket_from_server(t, nullptr);
      if (!info) continue;
      if (now - info->issued_at > options_.stale_after_ms) {
        ++stale;
        continue;
      }
      (void)l;
      if (spool_.was_printed(info->id) || spool_.has_job_for(info->id)) continue;
      fetch_standing(*info);  // without it, ahead/wait are left out rather than guessed
      auto r = spool_.add_ticket(*info, t.value("lang", options_.lang), now);
      if (r && *r == Enqueued::queued) ++queued;
    }
    if (queued) log("snapshot: " + std::to_string(queued) + " waiting ticket(s) never printed, printing now");
    if (stale) log("snapshot: " + std::to_string(stale) + " ticket(s) older than the stale limit not printed");
    if (queued) service_.wake();
    return;
  }
  if (type == "event") {
    const auto seq = m.value("seq", std::uint64_t{0});
    if (last_seq_ != 0 && seq > last_seq_ + 1) post(json{{"type", "snapshot"}});  // missed events: resync
    if (seq > last_seq_) last_seq_ = seq;
    if (m.value("event", "") != "ticket_issued" || !m.contains("ticket")) return;
    auto info = ticket_from_server(m["ticket"], m.contains("load") ? &m["load"] : nullptr);
    if (!info) return;
    if (spool_.was_printed(info->id) || spool_.has_job_for(info->id)) return;
    fetch_standing(*info);
    auto r = spool_.add_ticket(*info, m["ticket"].value("lang", options_.lang), now_());
    if (!r) {
      log("spool: " + r.error().message);
      post(json{{"type", "print_failed"}, {"ticket_id", info->id}, {"reason", r.error().message}});
      return;
    }
    service_.wake();
    return;
  }
  if (type == "reprint") {
    // {"type":"reprint","request_id":...,"ticket":{...}} (or "ticket_id"). Every printer hears
    // it; only the printer of the kiosk that issued the ticket prints it.
    const bool has_ticket = m.contains("ticket") && m["ticket"].is_object();
    const std::string id = m.contains("ticket_id") && m["ticket_id"].is_string() ? m["ticket_id"].get<std::string>()
                           : has_ticket ? m["ticket"].value("id", "") : "";
    std::optional<TicketInfo> info = spool_.ticket(id);
    if (!info && has_ticket) info = ticket_from_server(m["ticket"], nullptr);
    if (!info) {
      if (!has_ticket) log("reprint of unknown ticket " + id + " ignored");
      return;  // another printer's ticket
    }
    const std::string request_id = m.contains("request_id") && m["request_id"].is_string() ? m["request_id"].get<std::string>() : "";
    auto r = spool_.add_reprint(*info, m.value("lang", options_.lang), request_id, now_());
    if (!r) post(json{{"type", "print_failed"}, {"ticket_id", id}, {"reason", r.error().message}});
    service_.wake();
    return;
  }
  if (type == "error") {
    // Expected while the server does not know device_status / print_failed yet.
    log("server: " + m.dump());
    return;
  }
}

void Agent::run(const std::atomic<bool>& stop) {
  auto backoff = milliseconds(500);
  while (!stop) {
    client::WsClient ws;
    const std::string err = ws.connect(options_.server_host, static_cast<std::uint16_t>(options_.server_port),
                                       std::chrono::seconds(5));
    if (!err.empty()) {
      log("server " + options_.server_host + ":" + std::to_string(options_.server_port) + ": " + err);
      for (auto t = milliseconds(0); t < backoff && !stop; t += milliseconds(100))
        std::this_thread::sleep_for(milliseconds(100));
      backoff = std::min<milliseconds>(backoff * 2, milliseconds(10000));
      continue;
    }
    ws.send(json{{"type", "hello"}, {"token", options_.token}});
    client::HttpClient http(options_.server_host, static_cast<std::uint16_t>(options_.server_port), milliseconds(500));
    http_ = &http;
    backoff = milliseconds(500);
    last_seq_ = 0;
    while (!stop && ws.is_open()) {
      std::deque<json> out;
      {
        std::lock_guard lock(out_mu_);
        out.swap(outbox_);
      }
      while (!out.empty()) {
        if (!ws.send(out.front())) break;
        out.pop_front();
      }
      if (!out.empty()) {  // connection lost: keep them for the next one
        std::lock_guard lock(out_mu_);
        outbox_.insert(outbox_.begin(), out.begin(), out.end());
        break;
      }
      if (auto m = ws.receive(milliseconds(50))) handle(*m);
    }
    http_ = nullptr;
    if (!stop) log("server connection lost; reconnecting");
  }
}

}  // namespace hallq::printer
