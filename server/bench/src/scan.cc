#include "scan.h"

#include <string.h>  // memmem (GNU)

#include <charconv>
#include <string>

namespace hallq::bench {

std::size_t find(std::string_view text, std::string_view needle, std::size_t from) {
  if (from > text.size()) return std::string_view::npos;
  const void* p = memmem(text.data() + from, text.size() - from, needle.data(), needle.size());
  return p == nullptr ? std::string_view::npos : std::size_t(static_cast<const char*>(p) - text.data());
}

namespace {
// Where the value of "key": starts, or npos. Keys are short: the pattern fits on the stack.
std::size_t value_start(std::string_view text, std::string_view key, std::size_t from) {
  char pattern[64];
  if (key.size() + 3 > sizeof pattern) return std::string_view::npos;
  pattern[0] = '"';
  key.copy(pattern + 1, key.size());
  pattern[key.size() + 1] = '"';
  pattern[key.size() + 2] = ':';
  std::size_t at = find(text, std::string_view(pattern, key.size() + 3), from);
  return at == std::string_view::npos ? at : at + key.size() + 3;
}
}  // namespace

std::string_view string_field(std::string_view text, std::string_view key, std::size_t from) {
  std::size_t v = value_start(text, key, from);
  if (v == std::string_view::npos || v >= text.size() || text[v] != '"') return {};
  std::size_t end = text.find('"', v + 1);
  if (end == std::string_view::npos) return {};
  return text.substr(v + 1, end - v - 1);
}

std::optional<std::int64_t> int_field(std::string_view text, std::string_view key, std::size_t from) {
  std::size_t v = value_start(text, key, from);
  if (v == std::string_view::npos) return std::nullopt;
  std::int64_t out = 0;
  auto [p, ec] = std::from_chars(text.data() + v, text.data() + text.size(), out);
  if (ec != std::errc() || p == text.data() + v) return std::nullopt;
  return out;
}

std::string_view ticket_id(std::string_view text) {
  std::size_t t = find(text, "\"ticket\":{");
  if (t == std::string_view::npos) return {};
  return string_field(text, "id", t);
}

}  // namespace hallq::bench
