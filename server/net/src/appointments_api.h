// HTTP routes for 预约 (docs/appointments.md). Booking and cancelling are engine commands; check-in
// is POST /api/tickets with "appointment_code" (the generic issue route).
#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "api.h"

namespace hallq::net {

// Answers the request and returns true if it is one of these routes:
//   POST /api/appointments                  book (admin, booking portal) -> 201
//   GET  /api/appointments/slots?service=B&date=YYYY-MM-DD   (admin, kiosk, booking)
//   GET  /api/appointments/{code}           one appointment (admin, booking)
//   GET  /api/appointments/{code}/qr.svg    its QR code as SVG (admin, booking)
//   POST /api/appointments/{code}/cancel    cancel a booked one (admin, booking)
bool handle_appointments_api(Context& ctx, const HttpRequest& req, const std::vector<std::string_view>& parts,
                             std::string_view query, std::function<void(HttpReply)>& done);

// The QR code of `text` as a standalone SVG: one <rect> per dark module on a 4-module quiet
// zone, `scale` px per module. Empty when libqrencode fails (text too long).
std::string qr_svg(const std::string& text, int scale = 8);

}  // namespace hallq::net
