// HTTP routes for service quality (issue 6): the visitor's rating, follow-ups and alerts. The
// evaluator's `rate` and the clerk's `request-rating` use the generic command routes.
#pragma once

#include <functional>
#include <string_view>
#include <vector>

#include "api.h"

namespace hallq::net {

// Answers the request and returns true if it is one of these routes:
//   POST /api/tickets/{id}/rating   the visitor's rating (no token: the ticket id is the secret)
//   GET  /api/followups             follow-ups not closed, with "overdue" (admins)
//   POST /api/followups/{id}        record the call-back / the fix, close (admins)
//   GET  /api/alerts                active overdue alerts (any logged-in client)
bool handle_quality_api(Context& ctx, const HttpRequest& req, const std::vector<std::string_view>& parts,
                        std::function<void(HttpReply)>& done);

}  // namespace hallq::net
