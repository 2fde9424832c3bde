// One benchmark run against a running hallq-server: log the clerks in, connect the displays,
// open the clerk and kiosk connections, issue tickets for the clerks to call, then measure for
// the configured duration, let the displays catch up, and report. Everything is bounded by time
// and by counts, so a run always ends.
//
// Threads: run_bench() blocks its caller, whose thread runs the clerks and kiosks; displays run
// on threads of their own (DisplayFleet).
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "options.h"

namespace hallq::bench {

// The report as JSON: options, setup, displays, calls, kiosks, server, bench process. On a
// setup failure it holds "error" and whatever was measured before it.
nlohmann::json run_bench(const Options& options, const Plan& plan);

// The report for people: a few aligned lines per section.
std::string format_report(const nlohmann::json& report);

}  // namespace hallq::bench
