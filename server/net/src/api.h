// The HTTP API: turns one request into one Reply, asynchronously. Routing, authentication,
// JSON parsing and the mapping of errors to statuses live here; sessions only move bytes.
#pragma once

#include <boost/beast/http.hpp>

#include <functional>
#include <string>

#include "context.h"

namespace hallq::net {

using HttpRequest = boost::beast::http::request<boost::beast::http::string_body>;

struct HttpReply {
  int status = 200;
  std::string body;
  std::string content_type = "application/json";
  std::string cache_control = "no-store";
  std::string attachment = "";  // non-empty: a download, Content-Disposition: attachment; filename="..."
};

// Calls `done` exactly once, on any thread.
void handle_api(Context& ctx, const HttpRequest& req, const std::string& peer,
                std::function<void(HttpReply)> done);

// Parses a JSON body; the error names the line and column of the first syntax error.
Result<nlohmann::json> parse_json_body(std::string_view body);
// "Bearer abc" -> "abc"; anything else -> "".
std::string_view bearer_token(std::string_view authorization);

// For the route handlers (api.cc, quality_api.cc, appointments_api.cc):
// the hall's answer as an HTTP reply (JSON, no-store);
HttpReply to_http(Reply r);
// an error with its status;
HttpReply error_of(ErrorCode code, std::string message);
// the answer to a route asked with another method than `allowed`;
HttpReply wrong_method(const char* allowed);
// runs `then` with the caller's actor (from the bearer token), or answers 401 saying why;
void authed(Context& ctx, const HttpRequest& req, std::function<void(HttpReply)>& done,
            const std::function<void(core::Actor)>& then);
// parses `body` as the named command with `fields` from the URL merged in (a body field that
// contradicts the URL is refused rather than silently overridden) and submits it to the hall.
void submit_with_fields(Context& ctx, std::string_view name, std::string_view body, const nlohmann::json& fields,
                        core::Actor actor, std::function<void(HttpReply)> done);

}  // namespace hallq::net
