#include "ethovid/core/decoder_logs.hpp"

#include <cstdlib>
#include <mutex>

#include <opencv2/core/utils/logger.hpp>

namespace ethovid::core {

void silence_decoder_logs() {
  static std::once_flag once;
  std::call_once(once, [] {
    if (std::getenv("OPENCV_FFMPEG_LOGLEVEL") == nullptr && std::getenv("OPENCV_FFMPEG_DEBUG") == nullptr) {
      setenv("OPENCV_FFMPEG_LOGLEVEL", "-8", 0);
    }
    if (std::getenv("OPENCV_LOG_LEVEL") == nullptr) {
      cv::utils::logging::setLogLevel(cv::utils::logging::LOG_LEVEL_SILENT);
    }
  });
}

}  // namespace ethovid::core
