#include "quality_api.h"

#include "hallq/commands.h"
#include "hallq/json_codec.h"

namespace hallq::net {

namespace http = boost::beast::http;
using nlohmann::json;

bool handle_quality_api(Context& ctx, const HttpRequest& req, const std::vector<std::string_view>& parts,
                        std::function<void(HttpReply)>& done) {
  const std::size_t n = parts.size();
  const auto method = req.method();
  const bool get = method == http::verb::get || method == http::verb::head;
  const bool post = method == http::verb::post;
  auto refuse_method = [&](const char* allowed) {
    done(wrong_method(allowed));
    return true;
  };
  auto with_actor = [&](const std::function<void(core::Actor)>& then) {
    authed(ctx, req, done, then);
    return true;
  };

  if (n == 4 && parts[1] == "tickets" && parts[3] == "rating") {
    if (!post) return refuse_method("POST");
    // The visitor's phone: whoever holds the id may rate that one visit, once.
    std::string id(parts[2]);
    core::Actor visitor;
    visitor.role = Role::visitor;
    visitor.name = "visitor:" + id;
    visitor.ticket = id;
    submit_with_fields(ctx, "rate", req.body(), json{{"ticket", id}}, std::move(visitor), std::move(done));
    return true;
  }
  if (n == 2 && parts[1] == "followups") {
    if (!get) return refuse_method("GET");
    return with_actor([&](core::Actor actor) {
      if (actor.role != Role::admin)
        return done(error_of(ErrorCode::forbidden, actor.name + " may not see follow-ups (administrators only)"));
      ctx.hall->query([](const core::Engine& e, TimeMs now) { return json_reply(200, json{{"followups", e.followups_json(now)}}); },
                      [done = std::move(done)](Reply r) { done(to_http(std::move(r))); });
    });
  }
  if (n == 3 && parts[1] == "followups") {
    if (!post) return refuse_method("POST");
    std::string id(parts[2]);
    return with_actor([&](core::Actor actor) {
      submit_with_fields(ctx, "followup", req.body(), json{{"id", id}}, std::move(actor), std::move(done));
    });
  }
  if (n == 2 && parts[1] == "alerts") {
    if (!get) return refuse_method("GET");
    return with_actor([&](core::Actor) {
      ctx.hall->query(
          [](const core::Engine& e, TimeMs) {
            json alerts = json::array();
            for (const Alert& a : e.active_alerts()) alerts.push_back(to_json(a));
            return json_reply(200, json{{"alerts", std::move(alerts)}});
          },
          [done = std::move(done)](Reply r) { done(to_http(std::move(r))); });
    });
  }
  return false;
}

}  // namespace hallq::net
