#include "hallq/display/announcement.h"

namespace hallq::display {

namespace {
const char* const kDigits[] = {"零", "一", "二", "三", "四", "五", "六", "七", "八", "九"};
const char* const kEnDigits[] = {"zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"};
}  // namespace

std::string announcement_text(std::string_view number, int window) {
  return "请" + std::string(number) + "号到" + std::to_string(window) + "号窗口办理";
}

std::string read_digits_zh(std::string_view number) {
  std::string out;
  for (char c : number) {
    if (!out.empty()) out += ' ';
    if (c >= '0' && c <= '9') out += kDigits[c - '0'];
    else out += c;
  }
  return out;
}

std::string chinese_numeral(int n) {
  if (n <= 0 || n > 999) return std::to_string(n);
  const int h = n / 100, t = n / 10 % 10, u = n % 10;
  std::string out;
  if (h) out += std::string(kDigits[h]) + "百";
  if (t) {
    // 十二, but 一百一十二
    if (!(h == 0 && t == 1)) out += kDigits[t];
    out += "十";
  } else if (h && u) {
    out += "零";
  }
  if (u) out += kDigits[u];
  return out;
}

std::string spoken_announcement(std::string_view number, int window, std::string_view voice) {
  if (voice == "en") {
    std::string n;
    for (char c : number) {
      if (!n.empty()) n += ", ";
      if (c >= '0' && c <= '9') n += kEnDigits[c - '0'];
      else n += c;
    }
    return "Number " + n + ", please go to window " + std::to_string(window) + ".";
  }
  if (voice == "yue") return "請 " + read_digits_zh(number) + " 號到 " + chinese_numeral(window) + " 號窗口辦理";
  return "请 " + read_digits_zh(number) + " 号到 " + chinese_numeral(window) + " 号窗口办理";
}

}  // namespace hallq::display
