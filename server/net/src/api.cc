#include "api.h"

#include <boost/asio/post.hpp>

#include <charconv>
#include <fstream>
#include <sstream>

#include "hallq/commands.h"
#include "config_api.h"
#include "hallq/json_codec.h"
#include "appointments_api.h"
#include "quality_api.h"
#include "reports_api.h"

namespace hallq::net {

namespace http = boost::beast::http;
using nlohmann::json;

HttpReply to_http(Reply r) { return HttpReply{r.status, std::move(r.body)}; }
HttpReply error_of(ErrorCode code, std::string message) {
  return to_http(error_reply(make_error(code, std::move(message))));
}

void submit_with_fields(Context& ctx, std::string_view name, std::string_view body, const json& fields,
                        core::Actor actor, std::function<void(HttpReply)> done) {
  auto j = parse_json_body(body);
  if (!j) return done(to_http(error_reply(j.error())));
  if (!j->is_object()) return done(error_of(ErrorCode::bad_request, "body: must be a JSON object"));
  for (const auto& [key, value] : fields.items()) {
    if (j->contains(key) && !(*j)[key].is_null() && (*j)[key] != value)
      return done(error_of(ErrorCode::bad_request,
                           "/" + key + ": is " + (*j)[key].dump() + " but the URL names " + value.dump()));
    (*j)[key] = value;
  }
  auto command = parse_command(name, *j);
  if (!command) {
    ctx.metrics.bad_requests.fetch_add(1, std::memory_order_relaxed);
    return done(to_http(error_reply(command.error())));
  }
  ctx.hall->submit(std::move(*command), std::move(actor), [done = std::move(done)](Reply r) { done(to_http(std::move(r))); });
}

namespace {

constexpr int kLoginsPerUser = 10;            // a minute, right or wrong
constexpr int kLoginFailuresPerAddress = 30;  // a minute

// Splits "/api/windows/3/call-next" into {"api","windows","3","call-next"}; drops the query.
std::vector<std::string_view> split_path(std::string_view target) {
  if (auto q = target.find('?'); q != std::string_view::npos) target = target.substr(0, q);
  std::vector<std::string_view> parts;
  std::size_t i = 0;
  while (i < target.size()) {
    while (i < target.size() && target[i] == '/') ++i;
    std::size_t j = target.find('/', i);
    if (j == std::string_view::npos) j = target.size();
    if (j > i) parts.push_back(target.substr(i, j - i));
    i = j;
  }
  return parts;
}

std::optional<int> parse_window(std::string_view s) {
  int n = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), n);
  if (ec != std::errc() || p != s.data() + s.size() || n < 1 || n > 999) return std::nullopt;
  return n;
}

bool with_tickets(const core::Actor& a) { return a.role == Role::admin || a.role == Role::clerk; }

std::string mime_for(std::string_view path) {
  auto ends = [&](std::string_view ext) {
    return path.size() >= ext.size() && path.substr(path.size() - ext.size()) == ext;
  };
  if (ends(".html")) return "text/html; charset=utf-8";
  if (ends(".js")) return "text/javascript; charset=utf-8";
  if (ends(".css")) return "text/css; charset=utf-8";
  if (ends(".json")) return "application/json";
  if (ends(".png")) return "image/png";
  if (ends(".svg")) return "image/svg+xml";
  if (ends(".wav")) return "audio/wav";
  return "application/octet-stream";
}

// Static pages from web_root. Only plain names under the root: no "..", no hidden files.
std::optional<HttpReply> static_file(const Context& ctx, std::string_view path) {
  if (ctx.options.web_root.empty()) return std::nullopt;
  std::string rel(path);
  // The pages have short names: /clerk, /admin, and /t/{ticket id} for the visitor's phone.
  if (rel.empty() || rel == "/") rel = "/index.html";
  else if (rel.rfind("/t/", 0) == 0) rel = "/ticket.html";
  else if (rel.find('.') == std::string::npos) rel += ".html";
  for (auto part : split_path(rel))
    if (part.empty() || part.front() == '.') return std::nullopt;
  std::ifstream in(ctx.options.web_root + rel, std::ios::binary);
  if (!in) return std::nullopt;
  std::ostringstream ss;
  ss << in.rdbuf();
  return HttpReply{200, ss.str(), mime_for(rel), "no-cache"};
}

void run_command(Context& ctx, std::string_view name, std::string_view body,
                 std::optional<int> window, core::Actor actor, std::function<void(HttpReply)> done) {
  auto j = parse_json_body(body);
  if (!j) {
    ctx.metrics.bad_requests.fetch_add(1, std::memory_order_relaxed);
    done(to_http(error_reply(j.error())));
    return;
  }
  auto command = parse_command(name, *j, window);
  if (!command) {
    ctx.metrics.bad_requests.fetch_add(1, std::memory_order_relaxed);
    done(to_http(error_reply(command.error())));
    return;
  }
  ctx.hall->submit(std::move(*command), std::move(actor),
                   [done = std::move(done)](Reply r) { done(to_http(std::move(r))); });
}

void login(Context& ctx, const HttpRequest& req, const std::string& peer, std::function<void(HttpReply)> done) {
  auto j = parse_json_body(req.body());
  if (!j) return done(to_http(error_reply(j.error())));
  JsonReader r(*j, "");
  std::string user = r.string("user", true, 64);
  std::string password = r.string("password", true, 256);
  if (auto s = r.finish(); !s) return done(to_http(error_reply(s.error())));
  TimeMs t = ctx.hall->now();
  // Guessing is slow on purpose. A user name gets 10 tries a minute, right or wrong. An address
  // gets 30 wrong ones a minute: each try takes a token and a right password gives it back, so
  // at opening time a hall's clerks can all log in at once through one NAT or proxy address,
  // while no more than 30 tries of one address wait for the password hash at a time.
  const std::string peer_key = "peer:" + peer;
  if (!ctx.login_limiter.allow(peer_key, kLoginFailuresPerAddress, kLoginFailuresPerAddress, t) ||
      !ctx.login_limiter.allow("user:" + user, kLoginsPerUser, kLoginsPerUser, t)) {
    ctx.metrics.rate_limited.fetch_add(1, std::memory_order_relaxed);
    return done(error_of(ErrorCode::rate_limited, "too many login attempts: wait a minute"));
  }
  boost::asio::post(ctx.slow, [&ctx, user, password, t, peer_key, done = std::move(done)] {
    auto s = ctx.auth->login(user, password, t);
    if (s) ctx.login_limiter.refund(peer_key, kLoginFailuresPerAddress);
    if (!s) return done(to_http(error_reply(s.error())));
    done(to_http(json_reply(200, json{{"token", s->token},
                                   {"user", s->actor.name},
                                   {"role", to_string(s->actor.role)},
                                   {"windows", s->actor.windows},
                                   {"expires_at", s->expires_at}})));
  });
}

void metrics(Context& ctx, std::function<void(HttpReply)> done) {
  ctx.hall->query(
      [&ctx](const core::Engine& engine, TimeMs now) {
        std::string out = ctx.metrics.render();
        out += "# HELP hallq_waiting Tickets waiting, per service.\n# TYPE hallq_waiting gauge\n";
        for (const auto& s : engine.config().services)
          out += "hallq_waiting{service=\"" + s.code + "\"} " + std::to_string(engine.load(s.code, now).waiting) + "\n";
        out += "# HELP hallq_last_seq Sequence number of the last recorded event.\n# TYPE hallq_last_seq gauge\n";
        out += "hallq_last_seq " + std::to_string(engine.last_seq()) + "\n";
        out += "# HELP hallq_device_online Whether a device is connected.\n# TYPE hallq_device_online gauge\n";
        auto devices = ctx.hall->devices_json();
        for (const auto& d : devices)
          out += "hallq_device_online{device=\"" + d["id"].get<std::string>() + "\",kind=\"" +
                 d["kind"].get<std::string>() + "\"} " + (d["online"].get<bool>() ? "1" : "0") + "\n";
        out += "# HELP hallq_printer_status Last status a printer reported (1 for the current one).\n"
               "# TYPE hallq_printer_status gauge\n";
        for (const auto& d : devices)
          if (d["kind"] == "printer")
            out += "hallq_printer_status{printer=\"" + d["id"].get<std::string>() + "\",status=\"" +
                   d["status"].get<std::string>() + "\"} 1\n";
        return Reply{200, std::move(out)};
      },
      [done = std::move(done)](Reply r) {
        done(HttpReply{r.status, std::move(r.body), "text/plain; version=0.0.4"});
      });
}

}  // namespace

std::string_view bearer_token(std::string_view authorization) {
  constexpr std::string_view kPrefix = "Bearer ";
  if (authorization.size() <= kPrefix.size() || authorization.substr(0, kPrefix.size()) != kPrefix) return {};
  return authorization.substr(kPrefix.size());
}

Result<json> parse_json_body(std::string_view body) {
  if (body.empty()) return make_error(ErrorCode::bad_request, "the request body is empty: send a JSON object");
  try {
    return json::parse(body);
  } catch (const json::parse_error& e) {
    // nlohmann reports a byte offset; people want line and column.
    std::size_t pos = std::min<std::size_t>(e.byte, body.size());
    std::size_t line = 1, col = 1;
    for (std::size_t i = 0; i + 1 < pos; ++i) {
      if (body[i] == '\n') { ++line; col = 1; } else { ++col; }
    }
    return make_error(ErrorCode::bad_request, "the body is not valid JSON (line " + std::to_string(line) +
                                                  ", column " + std::to_string(col) + ")");
  }
}

HttpReply wrong_method(const char* allowed) {
  return error_of(ErrorCode::bad_request, std::string("method not allowed here: use ") + allowed);
}

void authed(Context& ctx, const HttpRequest& req, std::function<void(HttpReply)>& done,
            const std::function<void(core::Actor)>& then) {
  auto actor = ctx.auth->authenticate(bearer_token(req[http::field::authorization]), ctx.hall->now());
  if (!actor) {
    done(to_http(error_reply(actor.error())));
    return;
  }
  then(std::move(*actor));
}

void handle_api(Context& ctx, const HttpRequest& req, const std::string& peer,
                std::function<void(HttpReply)> done) {
  ctx.metrics.http_requests.fetch_add(1, std::memory_order_relaxed);
  const auto target = std::string_view(req.target().data(), req.target().size());
  const auto parts = split_path(target);
  const auto method = req.method();
  const bool get = method == http::verb::get || method == http::verb::head;
  const bool post = method == http::verb::post;
  auto refuse_method = [&](const char* allowed) { done(net::wrong_method(allowed)); };

  if (parts.empty() || parts[0] != "api") {
    if (parts.size() == 1 && parts[0] == "metrics") return get ? metrics(ctx, std::move(done)) : refuse_method("GET");
    if (get) {
      if (auto f = static_file(ctx, target.substr(0, target.find('?')))) return done(std::move(*f));
    }
    return done(error_of(ErrorCode::not_found, "no such page: " + std::string(target)));
  }

  // /api/...
  const std::size_t n = parts.size();
  if (n == 2 && parts[1] == "health") {
    if (!get) return refuse_method("GET");
    return ctx.hall->query(
        [](const core::Engine& e, TimeMs now) {
          return json_reply(200, json{{"status", "ok"}, {"seq", e.last_seq()}, {"business_day", e.business_day()}, {"now", now}});
        },
        [done = std::move(done)](Reply r) { done(to_http(std::move(r))); });
  }
  if (n == 2 && parts[1] == "login") {
    if (!post) return refuse_method("POST");
    return login(ctx, req, peer, std::move(done));
  }
  if (n == 2 && parts[1] == "logout") {
    if (!post) return refuse_method("POST");
    return authed(ctx, req, done, [&](core::Actor) {
      ctx.auth->logout(std::string(bearer_token(req[http::field::authorization])));
      done(HttpReply{200, R"({"status":"logged out"})"});
    });
  }
  if (n == 2 && parts[1] == "state") {
    if (!get) return refuse_method("GET");
    return authed(ctx, req, done, [&](core::Actor actor) {
      bool full = with_tickets(actor);
      bool admin = actor.role == Role::admin;  // follow-ups name clerks and visitors' complaints
      ctx.hall->query([full, admin](const core::Engine& e, TimeMs now) { return json_reply(200, e.snapshot(now, full, admin)); },
                      [done = std::move(done)](Reply r) { done(to_http(std::move(r))); });
    });
  }
  if (n == 2 && parts[1] == "tickets") {
    if (!post) return refuse_method("POST");
    return authed(ctx, req, done, [&](core::Actor actor) {
      run_command(ctx, "issue", req.body(), std::nullopt, std::move(actor), std::move(done));
    });
  }
  if (n == 3 && parts[1] == "tickets") {
    // Public: the id is unguessable, and the view shows nothing about other visitors.
    if (!get) return refuse_method("GET");
    std::string id(parts[2]);
    return ctx.hall->query(
        [id](const core::Engine& e, TimeMs now) {
          auto v = e.ticket_view(id, now);
          return v ? json_reply(200, *v) : error_reply(v.error());
        },
        [done = std::move(done)](Reply r) { done(to_http(std::move(r))); });
  }
  if (n == 4 && parts[1] == "tickets" && parts[3] == "reprint") {
    if (!post) return refuse_method("POST");
    return authed(ctx, req, done, [&](core::Actor actor) {
      auto j = parse_json_body(req.body());
      if (!j) return done(to_http(error_reply(j.error())));
      JsonReader r(*j, "");
      std::string request_id = r.string("request_id", true, 64);
      if (auto s = r.finish(); !s) return done(to_http(error_reply(s.error())));
      ctx.hall->reprint(std::string(parts[2]), std::move(actor), std::move(request_id),
                        [done = std::move(done)](Reply r) { done(to_http(std::move(r))); });
    });
  }
  if (n == 3 && parts[1] == "reports") {
    if (!get) return refuse_method("GET");
    auto q = target.find('?');
    std::string_view query = q == std::string_view::npos ? std::string_view{} : target.substr(q + 1);
    return authed(ctx, req, done, [&](core::Actor actor) {
      handle_reports(ctx, actor, parts[2], query, std::move(done));
    });
  }
  if (n == 3 && parts[1] == "commands") {
    if (!post) return refuse_method("POST");
    return authed(ctx, req, done, [&](core::Actor actor) {
      run_command(ctx, parts[2], req.body(), std::nullopt, std::move(actor), std::move(done));
    });
  }
  if (n == 4 && parts[1] == "windows") {
    auto window = parse_window(parts[2]);
    if (!window) return done(error_of(ErrorCode::not_found, "window \"" + std::string(parts[2]) + "\" is not a window number (1 to 999)"));
    if (parts[3] == "queue") {
      if (!get) return refuse_method("GET");
      return authed(ctx, req, done, [&](core::Actor actor) {
        if (actor.role != Role::admin &&
            !(actor.role == Role::clerk && std::find(actor.windows.begin(), actor.windows.end(), *window) != actor.windows.end())) {
          return done(error_of(ErrorCode::forbidden, actor.name + " may not see window " + std::to_string(*window) + "'s queue"));
        }
        int w = *window;
        ctx.hall->query(
            [w](const core::Engine& e, TimeMs now) {
              auto q = e.window_queue(w, now, 50);
              return q ? json_reply(200, *q) : error_reply(q.error());
            },
            [done = std::move(done)](Reply r) { done(to_http(std::move(r))); });
      });
    }
    if (!post) return refuse_method("POST");
    return authed(ctx, req, done, [&](core::Actor actor) {
      run_command(ctx, parts[3], req.body(), *window, std::move(actor), std::move(done));
    });
  }
  if (n >= 2 && parts[1] == "appointments") {
    auto q = target.find('?');
    std::string_view query = q == std::string_view::npos ? std::string_view{} : target.substr(q + 1);
    if (handle_appointments_api(ctx, req, parts, query, done)) return;
  }
  if (handle_quality_api(ctx, req, parts, done)) return;
  if (handle_config_api(ctx, req, parts, done)) return;
  done(error_of(ErrorCode::not_found, "no such endpoint: " + std::string(req.method_string()) + " " + std::string(target)));
}

}  // namespace hallq::net
