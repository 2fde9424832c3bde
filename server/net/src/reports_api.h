// GET /api/reports/summary and /api/reports/ranking (admins): hands the request to the report
// worker (server/reports) and answers from there; the I/O threads never touch SQLite.
#pragma once

#include <functional>
#include <string_view>

#include "api.h"

namespace hallq::net {

// Calls `done` exactly once, on any thread.
void handle_reports(Context& ctx, const core::Actor& actor, std::string_view what, std::string_view query,
                    std::function<void(HttpReply)> done);

}  // namespace hallq::net
