// Picking a few fields out of the server's messages without parsing them. Ten thousand displays
// read every event; a full JSON parse of each would cost the bench more CPU than the server
// spends sending them, on a machine the two share. Relies on the server writing compact JSON
// (nlohmann's dump(): no spaces) and on the keys named here appearing once at the level meant;
// DisplayFleet checks that against a real parse of the first events. Pure functions, any thread.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace hallq::bench {

// Position of `needle` in `text` at or after `from`, or npos.
std::size_t find(std::string_view text, std::string_view needle, std::size_t from = 0);

// The value of the first `"key":"value"` at or after `from` (no escapes: ids, codes, numbers).
// `key` is the bare name. Empty if absent.
std::string_view string_field(std::string_view text, std::string_view key, std::size_t from = 0);
// The value of the first `"key":123` at or after `from`.
std::optional<std::int64_t> int_field(std::string_view text, std::string_view key, std::size_t from = 0);

// The id of the ticket in a message holding `"ticket":{...,"id":"..."}`: an event, or a
// command's result. Ticket objects hold no other "id" key (their history entries have none).
std::string_view ticket_id(std::string_view text);

}  // namespace hallq::bench
