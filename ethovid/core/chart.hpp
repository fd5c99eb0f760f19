#pragma once
// Small charts drawn with OpenCV for the PNG plots the stages write: a framed panel with a title,
// axes with a few tick labels, lines, points, bars and text in data coordinates; panels tile into
// one image, written atomically.
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include <opencv2/core.hpp>

namespace ethovid::core {

class Chart {
 public:
  Chart(int width, int height, std::string title);

  void x_axis(double lo, double hi, const std::string& label = "");
  void y_axis(double lo, double hi, const std::string& label = "");
  // Equal units on both axes around the data's range (for poses and paths).
  void equal_axes(double x_lo, double x_hi, double y_lo, double y_hi);

  void line(const std::vector<double>& x, const std::vector<double>& y, const cv::Scalar& color, int thickness = 2);
  void segment(double x0, double y0, double x1, double y1, const cv::Scalar& color, int thickness = 1);
  void point(double x, double y, const cv::Scalar& color, int radius = 3);
  void bars(const std::vector<double>& heights, const cv::Scalar& color);  // bar i centred at x = i
  void text(double x, double y, const std::string& text, const cv::Scalar& color, double scale = 0.4);

  const cv::Mat& image();  // draws the axes once, then the marks drawn so far

  static const cv::Scalar& palette(std::size_t i);  // distinct colours, cycling

 private:
  cv::Point to_pixel(double x, double y) const;
  void draw_axes();

  cv::Mat canvas_;
  std::string title_, x_label_, y_label_;
  double x_lo_ = 0, x_hi_ = 1, y_lo_ = 0, y_hi_ = 1;
  cv::Rect plot_;
  bool axes_drawn_ = false;
  std::vector<std::function<void()>> marks_;
};

// Panels (all the same size) in rows of `columns`.
cv::Mat tile(const std::vector<cv::Mat>& panels, int columns);

// Writes a PNG atomically.
void save_png(const std::filesystem::path& path, const cv::Mat& image);

}  // namespace ethovid::core
