#include "hallq/printer/status.h"

namespace hallq::printer {

std::string_view to_string(DeviceStatus s) {
  switch (s) {
    case DeviceStatus::ok: return "ok";
    case DeviceStatus::paper_near_end: return "paper_near_end";
    case DeviceStatus::paper_out: return "paper_out";
    case DeviceStatus::cover_open: return "cover_open";
    case DeviceStatus::cutter_error: return "cutter_error";
    case DeviceStatus::offline: return "offline";
  }
  return "offline";
}

std::optional<DeviceStatus> device_status_from_string(std::string_view s) {
  for (auto v : {DeviceStatus::ok, DeviceStatus::paper_near_end, DeviceStatus::paper_out, DeviceStatus::cover_open,
                 DeviceStatus::cutter_error, DeviceStatus::offline})
    if (to_string(v) == s) return v;
  return std::nullopt;
}

bool blocks_printing(DeviceStatus s) { return s != DeviceStatus::ok && s != DeviceStatus::paper_near_end; }

bool is_realtime_status_byte(std::uint8_t b) { return (b & 0x93) == 0x12; }

bool apply_realtime_status(int n, std::uint8_t b, StatusFlags& f) {
  if (!is_realtime_status_byte(b)) return false;
  auto bit = [b](int i) { return (b >> i) & 1; };
  switch (n) {
    case 1:  // printer status
      f.offline = bit(3);
      return true;
    case 2:  // offline cause
      f.cover_open = bit(2);
      f.paper_feed_button = bit(3);
      f.stopped_by_paper_end = bit(5);
      f.error = bit(6);
      return true;
    case 3:  // error cause
      f.cutter_error = bit(3);
      f.unrecoverable_error = bit(5);
      f.auto_recoverable_error = bit(6);
      return true;
    case 4:  // roll paper sensor
      f.paper_near_end = bit(2) || bit(3);
      f.paper_end = bit(5) || bit(6);
      return true;
    default:
      return false;
  }
}

std::optional<StatusFlags> decode_auto_status(const std::uint8_t b[4]) {
  // Fixed bits: byte 1 is 0xx1 xx00; bytes 2-4 have bits 4 and 7 clear.
  if ((b[0] & 0x93) != 0x10) return std::nullopt;
  for (int i = 1; i < 4; ++i)
    if ((b[i] & 0x90) != 0) return std::nullopt;
  StatusFlags f;
  f.offline = (b[0] >> 3) & 1;
  f.cover_open = (b[0] >> 5) & 1;
  f.paper_feed_button = (b[0] >> 6) & 1;
  f.cutter_error = (b[1] >> 3) & 1;
  f.unrecoverable_error = (b[1] >> 5) & 1;
  f.auto_recoverable_error = (b[1] >> 6) & 1;
  f.error = f.cutter_error || f.unrecoverable_error || f.auto_recoverable_error;
  f.paper_near_end = (b[2] & 0x03) != 0;
  f.paper_end = (b[2] & 0x0C) != 0;
  f.stopped_by_paper_end = f.paper_end;
  return f;
}

DeviceStatus summarize(const StatusFlags& f) {
  // An open cover also reads as "paper end" on many printers (the sensor sees no paper), so the
  // cover wins: closing it is what the staff must do first.
  if (f.cover_open) return DeviceStatus::cover_open;
  if (f.paper_end || f.stopped_by_paper_end) return DeviceStatus::paper_out;
  if (f.cutter_error) return DeviceStatus::cutter_error;
  if (f.offline || f.error || f.unrecoverable_error || f.auto_recoverable_error) return DeviceStatus::offline;
  if (f.paper_near_end) return DeviceStatus::paper_near_end;
  return DeviceStatus::ok;
}

std::string describe(DeviceStatus s) {
  switch (s) {
    case DeviceStatus::ok: return "打印机正常 / printer ready";
    case DeviceStatus::paper_near_end: return "打印纸即将用完，请及时更换 / paper roll nearly empty, replace it soon";
    case DeviceStatus::paper_out: return "打印机缺纸，请联系工作人员 / printer out of paper, please ask staff";
    case DeviceStatus::cover_open: return "打印机盖未关好 / printer cover open";
    case DeviceStatus::cutter_error: return "切纸刀故障，请联系工作人员 / cutter jammed, please ask staff";
    case DeviceStatus::offline: return "打印机离线或无响应 / printer offline or not answering";
  }
  return {};
}

std::optional<StatusFlags> StatusReader::feed(std::uint8_t b, std::vector<std::uint8_t>& other) {
  if (have_ == 0) {
    if ((b & 0x93) != 0x10) {  // not the first byte of a block
      other.push_back(b);
      return std::nullopt;
    }
    block_[have_++] = b;
    return std::nullopt;
  }
  if ((b & 0x90) != 0) {  // broken block: hand its bytes on and resync on this byte
    for (int i = 0; i < have_; ++i) other.push_back(block_[i]);
    have_ = 0;
    return feed(b, other);
  }
  block_[have_++] = b;
  if (have_ < 4) return std::nullopt;
  have_ = 0;
  return decode_auto_status(block_);
}

}  // namespace hallq::printer
