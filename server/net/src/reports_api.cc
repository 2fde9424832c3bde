#include "reports_api.h"

#include "hallq/json_codec.h"

namespace hallq::net {

void handle_reports(Context& ctx, const core::Actor& actor, std::string_view what, std::string_view query,
                    std::function<void(HttpReply)> done) {
  if (actor.role != Role::admin) {
    auto e = make_error(ErrorCode::forbidden, actor.name + " may not read reports (administrators only)");
    return done(HttpReply{http_status_for(e.code), to_json(e).dump()});
  }
  ctx.reports->handle(std::string(what), std::string(query), [done = std::move(done)](reports::ReportAnswer a) {
    HttpReply r;
    r.status = a.status;
    r.body = std::move(a.body);
    r.content_type = std::move(a.content_type);
    r.attachment = std::move(a.attachment);
    done(std::move(r));
  });
}

}  // namespace hallq::net
