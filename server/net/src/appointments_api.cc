#include "appointments_api.h"

#include <qrencode.h>

#include <memory>

#include "hallq/commands.h"
#include "hallq/json_codec.h"
#include "hallq/query_string.h"

namespace hallq::net {

namespace http = boost::beast::http;
using nlohmann::json;

namespace {

bool one_of(Role r, std::initializer_list<Role> roles) {
  for (Role x : roles)
    if (x == r) return true;
  return false;
}


// "service=B&date=2026-11-28" with exactly these two plain parameters: the values need no
// percent-decoding, so anything else is a mistake worth naming.
Result<std::pair<std::string, std::string>> slots_query(std::string_view query) {
  std::string service, date;
  if (query.size() > 256) return make_error(ErrorCode::bad_request, "the query string is too long");
  for (const QueryParam& p : query_params(query)) {
    if (p.key == "service") {
      service = p.value;
    } else if (p.key == "date") {
      date = p.value;
    } else {
      return make_error(ErrorCode::bad_request,
                        "unknown query parameter \"" + std::string(p.key) + "\": use service and date");
    }
  }
  bool good_service = !service.empty() && service.size() <= 2;
  for (char c : service) good_service = good_service && c >= 'A' && c <= 'Z';
  if (!good_service)
    return make_error(ErrorCode::bad_request, "service: must be a service code of 1 or 2 upper-case letters");
  if (date.size() != 10)
    return make_error(ErrorCode::bad_request, "date: must be a day \"YYYY-MM-DD\"");
  return std::make_pair(service, date);
}

}  // namespace

std::string qr_svg(const std::string& text, int scale) {
  std::unique_ptr<QRcode, decltype(&QRcode_free)> code(
      QRcode_encodeString(text.c_str(), 0, QR_ECLEVEL_M, QR_MODE_8, 1), &QRcode_free);
  if (!code) return {};
  const int w = code->width;
  const int quiet = 4;
  const int size = (w + 2 * quiet) * scale;
  std::string svg;
  svg.reserve(static_cast<std::size_t>(w) * w * 30);
  svg += "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
  svg += "<svg xmlns=\"http://www.w3.org/2000/svg\" version=\"1.1\" width=\"" + std::to_string(size) +
         "\" height=\"" + std::to_string(size) + "\" viewBox=\"0 0 " + std::to_string(w + 2 * quiet) + " " +
         std::to_string(w + 2 * quiet) + "\" shape-rendering=\"crispEdges\" data-modules=\"" +
         std::to_string(w) + "\">\n";
  svg += "<rect width=\"100%\" height=\"100%\" fill=\"#fff\"/>\n<g fill=\"#000\">\n";
  for (int y = 0; y < w; ++y)
    for (int x = 0; x < w; ++x)
      if (code->data[y * w + x] & 1)
        svg += "<rect x=\"" + std::to_string(x + quiet) + "\" y=\"" + std::to_string(y + quiet) +
               "\" width=\"1\" height=\"1\"/>\n";
  svg += "</g>\n</svg>\n";
  return svg;
}

bool handle_appointments_api(Context& ctx, const HttpRequest& req, const std::vector<std::string_view>& parts,
                             std::string_view query, std::function<void(HttpReply)>& done) {
  const std::size_t n = parts.size();
  if (n < 2 || parts[1] != "appointments") return false;
  const auto method = req.method();
  const bool get = method == http::verb::get || method == http::verb::head;
  const bool post = method == http::verb::post;
  auto refuse_method = [&](const char* allowed) {
    done(wrong_method(allowed));
    return true;
  };
  // Signed in, and in one of `roles`.
  auto with_actor = [&](std::initializer_list<Role> roles, const char* what,
                        const std::function<void(core::Actor)>& then) {
    authed(ctx, req, done, [&](core::Actor actor) {
      if (!one_of(actor.role, roles))
        return done(error_of(ErrorCode::forbidden, std::string(to_string(actor.role)) + " " + actor.name + " may not " + what));
      then(std::move(actor));
    });
    return true;
  };
  // The answer comes later, on another thread: the callback takes `done` along.
  auto reply = [&done] { return [done = std::move(done)](Reply r) { done(to_http(std::move(r))); }; };

  if (n == 2) {
    if (!post) return refuse_method("POST");
    // The engine decides who may book (admins and the booking portal), as for a WebSocket book.
    return with_actor({Role::admin, Role::booking, Role::clerk, Role::kiosk, Role::display, Role::evaluator,
                   Role::printer},
                  "book", [&](core::Actor actor) {
                    submit_with_fields(ctx, "book", req.body(), json::object(), std::move(actor), std::move(done));
                  });
  }
  if (n == 3 && parts[2] == "slots") {
    if (!get) return refuse_method("GET");
    auto q = slots_query(query);
    if (!q) return done(to_http(error_reply(q.error()))), true;
    return with_actor({Role::admin, Role::kiosk, Role::booking}, "see appointment slots", [&](core::Actor) {
      ctx.hall->query(
          [service = q->first, date = q->second](const core::Engine& e, TimeMs) {
            auto slots = e.appointment_slots(service, date);
            return slots ? json_reply(200, *slots) : error_reply(slots.error());
          },
          reply());
    });
  }
  const std::string code(parts[2]);
  if (!is_appointment_code(code))
    return done(error_of(ErrorCode::bad_request, "appointment code \"" + code.substr(0, 16) +
                                                     "\": must be 6 digits")),
           true;
  if (n == 3) {
    if (!get) return refuse_method("GET");
    return with_actor({Role::admin, Role::booking}, "see appointments", [&](core::Actor) {
      ctx.hall->query(
          [code](const core::Engine& e, TimeMs) {
            const Appointment* a = e.appointment(code);
            if (!a) return error_reply(make_error(ErrorCode::not_found, "no appointment with code " + code));
            return json_reply(200, json{{"appointment", to_json(*a)}});
          },
          reply());
    });
  }
  if (n == 4 && parts[3] == "qr.svg") {
    if (!get) return refuse_method("GET");
    return with_actor({Role::admin, Role::booking}, "see appointments", [&](core::Actor) {
      ctx.hall->query(
          [code](const core::Engine& e, TimeMs) {
            if (!e.appointment(code))
              return error_reply(make_error(ErrorCode::not_found, "no appointment with code " + code));
            std::string svg = qr_svg(code);
            if (svg.empty()) return error_reply(make_error(ErrorCode::internal, "could not encode the QR code"));
            return Reply{200, std::move(svg)};
          },
          [done = std::move(done)](Reply r) {
            if (r.status != 200) return done(to_http(std::move(r)));
            done(HttpReply{200, std::move(r.body), "image/svg+xml", "no-store"});
          });
    });
  }
  if (n == 4 && parts[3] == "cancel") {
    if (!post) return refuse_method("POST");
    return with_actor({Role::admin, Role::booking}, "cancel appointments", [&](core::Actor actor) {
      submit_with_fields(ctx, "cancel-appointment", req.body(), json{{"code", code}}, std::move(actor), std::move(done));
    });
  }
  done(error_of(ErrorCode::not_found, "no such endpoint under /api/appointments"));
  return true;
}

}  // namespace hallq::net
