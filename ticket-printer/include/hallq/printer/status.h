// Printer status: decoding DLE EOT 1-4 answers and GS a automatic status back blocks into what
// the hall needs to know (ok, paper near end, paper out, cover open, cutter error, offline).
// Pure value types; StatusReader keeps the partial state of one byte stream (one thread).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace hallq::printer {

// Ordered by what the visitor suffers most: the first that applies is reported.
enum class DeviceStatus { ok, paper_near_end, paper_out, cover_open, cutter_error, offline };
std::string_view to_string(DeviceStatus s);
std::optional<DeviceStatus> device_status_from_string(std::string_view s);
// True when a ticket cannot be printed now.
bool blocks_printing(DeviceStatus s);

// Every flag a printer reports, before summarising.
struct StatusFlags {
  bool offline = false;
  bool cover_open = false;
  bool paper_feed_button = false;
  bool stopped_by_paper_end = false;
  bool error = false;
  bool cutter_error = false;
  bool unrecoverable_error = false;
  bool auto_recoverable_error = false;
  bool paper_near_end = false;
  bool paper_end = false;
  friend bool operator==(const StatusFlags&, const StatusFlags&) = default;
};

// A DLE EOT answer is one byte with bits 1 and 4 set and bits 0 and 7 clear.
bool is_realtime_status_byte(std::uint8_t b);
// Merges the answer to DLE EOT n (n = 1..4) into `flags`. False if `b` is not a status byte.
bool apply_realtime_status(int n, std::uint8_t b, StatusFlags& flags);
// Decodes one 4-byte GS a block; nullopt if the bytes are not one.
std::optional<StatusFlags> decode_auto_status(const std::uint8_t block[4]);

// The one word the hall sees, with a sentence for people (in Chinese and English).
DeviceStatus summarize(const StatusFlags& f);
std::string describe(DeviceStatus s);

// Splits a stream of bytes from the printer into ASB blocks; other bytes are handed back
// (the caller is waiting for a DLE EOT answer). Used when GS a is on.
class StatusReader {
 public:
  // Feeds one byte: returns a decoded block when this byte completes one.
  std::optional<StatusFlags> feed(std::uint8_t b, std::vector<std::uint8_t>& other);

 private:
  std::uint8_t block_[4] = {};
  int have_ = 0;
};

}  // namespace hallq::printer
