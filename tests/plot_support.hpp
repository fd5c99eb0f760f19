#pragma once
// Reading the PNG plots back in tests: the plots draw axes, grid and text in greys and the data in
// colours, so coloured pixels are the data's ink.
#include <algorithm>

#include <opencv2/core.hpp>

namespace ethovid::test {

// How many pixel columns of a BGR image hold at least one coloured (not grey) pixel.
inline int coloured_columns(const cv::Mat& image) {
  int columns = 0;
  for (int x = 0; x < image.cols; ++x) {
    for (int y = 0; y < image.rows; ++y) {
      const cv::Vec3b p = image.at<cv::Vec3b>(y, x);
      if (std::max({p[0], p[1], p[2]}) - std::min({p[0], p[1], p[2]}) > 60) {
        ++columns;
        break;
      }
    }
  }
  return columns;
}

}  // namespace ethovid::test
