// RGB images to and from PNG files (libpng): screenshots, and the tests that read them back.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "hallq/result.h"

namespace hallq::display {

struct Image {
  int width = 0, height = 0;
  std::vector<std::uint8_t> rgb;  // width * height * 3, rows top to bottom
  const std::uint8_t* at(int x, int y) const { return &rgb[(std::size_t(y) * width + x) * 3]; }
};

// Writes to `path` + ".tmp" and renames, so a reader never sees half a file.
Status write_png(const Image& image, const std::string& path);
Result<Image> read_png(const std::string& path);

}  // namespace hallq::display
