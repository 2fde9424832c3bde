// The parameters of a URL query string ("service=B&date=2026-11-30"), split once for every
// endpoint that takes some. Each caller decides which names it knows and how it words a refusal.
#pragma once

#include <string_view>
#include <vector>

namespace hallq {

struct QueryParam {
  std::string_view item;   // "key=value" as sent, for messages
  std::string_view key;    // before the first '='
  std::string_view value;  // after it; empty without '='. Not percent-decoded.
};

// In order; empty items ("a=1&&b=2", a trailing '&') are skipped.
std::vector<QueryParam> query_params(std::string_view query);

}  // namespace hallq
