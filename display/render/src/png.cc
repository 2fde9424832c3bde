#include "hallq/display/png.h"

#include <png.h>

#include <cstdio>
#include <filesystem>

namespace hallq::display {

Status write_png(const Image& image, const std::string& path) {
  const std::string tmp = path + ".tmp";
  FILE* f = std::fopen(tmp.c_str(), "wb");
  if (!f) return make_error(ErrorCode::internal, tmp + ": cannot create");
  png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, nullptr, nullptr, nullptr);
  png_infop info = png ? png_create_info_struct(png) : nullptr;
  if (!png || !info || setjmp(png_jmpbuf(png))) {
    png_destroy_write_struct(&png, &info);
    std::fclose(f);
    return make_error(ErrorCode::internal, tmp + ": libpng failed");
  }
  png_init_io(png, f);
  png_set_compression_level(png, 3);  // screenshots: fast beats small
  png_set_IHDR(png, info, png_uint_32(image.width), png_uint_32(image.height), 8, PNG_COLOR_TYPE_RGB, PNG_INTERLACE_NONE,
               PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
  png_write_info(png, info);
  for (int y = 0; y < image.height; ++y)
    png_write_row(png, const_cast<png_bytep>(&image.rgb[std::size_t(y) * image.width * 3]));
  png_write_end(png, nullptr);
  png_destroy_write_struct(&png, &info);
  if (std::fclose(f) != 0) return make_error(ErrorCode::internal, tmp + ": write failed");
  std::error_code ec;
  std::filesystem::rename(tmp, path, ec);
  if (ec) return make_error(ErrorCode::internal, path + ": " + ec.message());
  return ok_status();
}

Result<Image> read_png(const std::string& path) {
  png_image img{};
  img.version = PNG_IMAGE_VERSION;
  if (!png_image_begin_read_from_file(&img, path.c_str())) return make_error(ErrorCode::not_found, path + ": " + img.message);
  img.format = PNG_FORMAT_RGB;
  Image out;
  out.width = int(img.width);
  out.height = int(img.height);
  out.rgb.resize(PNG_IMAGE_SIZE(img));
  if (!png_image_finish_read(&img, nullptr, out.rgb.data(), 0, nullptr)) {
    png_image_free(&img);
    return make_error(ErrorCode::bad_request, path + ": " + img.message);
  }
  return out;
}

}  // namespace hallq::display
