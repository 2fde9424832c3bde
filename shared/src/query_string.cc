#include "hallq/query_string.h"

namespace hallq {

std::vector<QueryParam> query_params(std::string_view query) {
  std::vector<QueryParam> out;
  while (!query.empty()) {
    const auto amp = query.find('&');
    const std::string_view item = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view{} : query.substr(amp + 1);
    if (item.empty()) continue;
    const auto eq = item.find('=');
    out.push_back({item, item.substr(0, eq), eq == std::string_view::npos ? std::string_view{} : item.substr(eq + 1)});
  }
  return out;
}

}  // namespace hallq
