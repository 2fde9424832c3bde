#include "quality_api.h"

#include "hallq/commands.h"
#include "hallq/json_codec.h"

namespace hallq::net {

namespace http = boost::beast::http;
using nlohmann::json;

namespace {

HttpReply from(Reply r) {
  HttpReply h;  // the other fields keep their defaults (JSON, no-store)
  h.status = r.status;
  h.body = std::move(r.body);
  return h;
}
HttpReply error_of(ErrorCode code, std::string message) {
  return from(error_reply(make_error(code, std::move(message))));
}

// Parses `body` as the named command, with `fields` (from the URL) merged in; a body field
// that contradicts the URL is refused rather than silently overridden.
void submit(Context& ctx, std::string_view name, std::string_view body, const json& fields,
            core::Actor actor, std::function<void(HttpReply)> done) {
  auto j = parse_json_body(body);
  if (!j) return done(from(error_reply(j.error())));
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
    return done(from(error_reply(command.error())));
  }
  ctx.hall->submit(std::move(*command), std::move(actor), [done = std::move(done)](Reply r) { done(from(std::move(r))); });
}

}  // namespace

bool handle_quality_api(Context& ctx, const HttpRequest& req, const std::vector<std::string_view>& parts,
                        std::function<void(HttpReply)>& done) {
  const std::size_t n = parts.size();
  const auto method = req.method();
  const bool get = method == http::verb::get || method == http::verb::head;
  const bool post = method == http::verb::post;
  auto wrong_method = [&](const char* allowed) {
    done(error_of(ErrorCode::bad_request, std::string("method not allowed here: use ") + allowed));
    return true;
  };
  auto authed = [&](const std::function<void(core::Actor)>& then) {
    auto actor = ctx.auth->authenticate(bearer_token(req[http::field::authorization]), ctx.hall->now());
    if (!actor) {
      done(from(error_reply(actor.error())));
      return true;
    }
    then(std::move(*actor));
    return true;
  };

  if (n == 4 && parts[1] == "tickets" && parts[3] == "rating") {
    if (!post) return wrong_method("POST");
    // The visitor's phone: whoever holds the id may rate that one visit, once.
    std::string id(parts[2]);
    core::Actor visitor;
    visitor.role = Role::visitor;
    visitor.name = "visitor:" + id;
    visitor.ticket = id;
    submit(ctx, "rate", req.body(), json{{"ticket", id}}, std::move(visitor), std::move(done));
    return true;
  }
  if (n == 2 && parts[1] == "followups") {
    if (!get) return wrong_method("GET");
    return authed([&](core::Actor actor) {
      if (actor.role != Role::admin)
        return done(error_of(ErrorCode::forbidden, actor.name + " may not see follow-ups (administrators only)"));
      ctx.hall->query([](const core::Engine& e, TimeMs now) { return json_reply(200, json{{"followups", e.followups_json(now)}}); },
                      [done = std::move(done)](Reply r) { done(from(std::move(r))); });
    });
  }
  if (n == 3 && parts[1] == "followups") {
    if (!post) return wrong_method("POST");
    std::string id(parts[2]);
    return authed([&](core::Actor actor) {
      submit(ctx, "followup", req.body(), json{{"id", id}}, std::move(actor), std::move(done));
    });
  }
  if (n == 2 && parts[1] == "alerts") {
    if (!get) return wrong_method("GET");
    return authed([&](core::Actor) {
      ctx.hall->query(
          [](const core::Engine& e, TimeMs) {
            json alerts = json::array();
            for (const Alert& a : e.active_alerts()) alerts.push_back(to_json(a));
            return json_reply(200, json{{"alerts", std::move(alerts)}});
          },
          [done = std::move(done)](Reply r) { done(from(std::move(r))); });
    });
  }
  return false;
}

}  // namespace hallq::net
