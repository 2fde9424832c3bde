// Lenient reads of the server's JSON, for the display's models: a field that is missing or of
// another type reads as the default, so a newer or older server never stops a screen.
#pragma once

#include <cstdint>
#include <string>

#include <nlohmann/json.hpp>

namespace hallq::display {

// j[key] if it is a string, else "". j need not be an object.
inline std::string str(const nlohmann::json& j, const char* key) {
  auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
}

// j[key] if it is an integer, else `fallback`. j need not be an object.
inline std::int64_t num(const nlohmann::json& j, const char* key, std::int64_t fallback = 0) {
  auto it = j.find(key);
  return it != j.end() && it->is_number_integer() ? it->get<std::int64_t>() : fallback;
}

}  // namespace hallq::display
