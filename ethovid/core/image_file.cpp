#include "ethovid/core/image_file.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <string>

#include <opencv2/imgcodecs.hpp>
#include <opencv2/videoio.hpp>

#include "ethovid/core/decoder_logs.hpp"
#include "ethovid/core/error.hpp"
#include "ethovid/core/input_file.hpp"

namespace ethovid::core {

bool is_image_file(const std::filesystem::path& path) {
  std::string ext = path.extension().string();
  std::transform(ext.begin(), ext.end(), ext.begin(), [](unsigned char c) { return std::tolower(c); });
  static constexpr std::array<const char*, 11> kExtensions = {
      ".jpg", ".jpeg", ".png", ".pgm", ".ppm", ".bmp", ".gif", ".tif", ".tiff", ".webp", ".pbm"};
  return std::any_of(kExtensions.begin(), kExtensions.end(),
                     [&](const char* e) { return ext == e; });
}

cv::Mat read_image(const std::filesystem::path& path) {
  require_input_file(path, path.string() + ": image not found");
  cv::Mat image = cv::imread(path.string(), cv::IMREAD_COLOR);
  if (!image.empty()) return image;
  // OpenCV 4.6's imread has no GIF decoder; FFmpeg reads it as a one-frame video.
  silence_decoder_logs();
  cv::VideoCapture capture(path.string(), cv::CAP_FFMPEG);
  if (capture.isOpened() && capture.read(image) && !image.empty()) return image;
  throw FormatError(path.string() + ": not an image OpenCV or FFmpeg can decode");
}

}  // namespace ethovid::core
