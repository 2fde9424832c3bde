// What the voice says for a call: 「请 A012 号到 3 号窗口办理」 with the number read digit by digit
// (A 零 一 二), in Mandarin, Cantonese (Traditional text for the yue voice) or English. Pure.
#pragma once

#include <string>
#include <string_view>

namespace hallq::display {

// The sentence shown and spoken: "请A012号到3号窗口办理".
std::string announcement_text(std::string_view number, int window);
// What is fed to the synthesiser, per voice language ("cmn", "yue", "en"):
//   cmn: "请 A 零 一 二 号到 三 号窗口办理"
//   yue: "請 A 零 一 二 號到 三 號窗口辦理"
//   en:  "Number A, zero, one, two, please go to window 3."
std::string spoken_announcement(std::string_view number, int window, std::string_view voice);
// "A012" -> "A 零 一 二"; digits only, letters kept as letters.
std::string read_digits_zh(std::string_view number);
// 3 -> "三", 12 -> "十二", 20 -> "二十", 105 -> "一百零五" (window numbers 1..999).
std::string chinese_numeral(int n);

}  // namespace hallq::display
