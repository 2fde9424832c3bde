// The --device SPEC: where the printer is and how to talk to it. Pure parsing; values.
#pragma once

#include <string>

#include "hallq/result.h"

namespace hallq::printer {

enum class FlowControl { none, rtscts, xonxoff };

struct DeviceSpec {
  enum class Kind { serial, usb, tcp, file };
  Kind kind = Kind::file;
  std::string path;       // serial, usb, file: the device or file
  int baud = 9600;        // serial
  FlowControl flow = FlowControl::none;  // serial
  std::string host;       // tcp
  int port = 9100;        // tcp
  std::string to_string() const;  // the canonical spec, e.g. "serial:/dev/ttyUSB0:19200:rtscts"
};

// Forms:
//   serial:/dev/ttyUSB0[:BAUD[:rtscts|xonxoff|none]]   BAUD one of 1200..921600, default 9600
//   usb:/dev/usb/lp0
//   tcp:HOST[:PORT]                                     PORT default 9100; [v6::addr]:PORT
//   file:PATH
// A bad spec's message names the part that is wrong and shows the expected form.
Result<DeviceSpec> parse_device_spec(const std::string& spec);

}  // namespace hallq::printer
