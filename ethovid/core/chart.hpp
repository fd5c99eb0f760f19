#pragma once
// Small charts drawn with OpenCV for the PNG plots the stages write: a framed panel with a title,
// axes with 'nice' ticks (steps of 1, 2 or 5 times a power of ten, every label of an axis with
// the same decimals) and their labels (the y label written upwards, left of the tick labels),
// lines, points, bars, text and a legend in data coordinates; panels tile into one image,
// written atomically.
#include <filesystem>
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include <opencv2/core.hpp>

namespace ethovid::core {

struct Ticks {
  std::vector<double> values;       // ascending, inside [lo, hi]
  std::vector<std::string> labels;  // one per value, the same number of decimals
};

// At most `max_count` ticks on [lo, hi] (at least 2 where the range allows) at multiples of
// 1, 2 or 5 x 10^k; with `integer`, the step is a whole number (components, syllables, 0/1).
Ticks nice_ticks(double lo, double hi, int max_count = 6, bool integer = false);

enum class TickKind { kReal, kInteger };
enum class Corner { kTopLeft, kTopRight, kBottomRight };

class Chart {
 public:
  Chart(int width, int height, std::string title);

  void x_axis(double lo, double hi, const std::string& label = "", TickKind ticks = TickKind::kReal);
  void y_axis(double lo, double hi, const std::string& label = "", TickKind ticks = TickKind::kReal);
  // Named positions x = 0 .. names.size() - 1 (bars, leaves) instead of numeric ticks; names that
  // do not fit side by side are written upwards.
  void x_categories(const std::vector<std::string>& names, const std::string& label = "");
  // Equal units on both axes around the box (for poses and paths); charts given the same box
  // share one scale.
  void equal_axes(double x_lo, double x_hi, double y_lo, double y_hi, const std::string& x_label = "",
                  const std::string& y_label = "");

  void line(const std::vector<double>& x, const std::vector<double>& y, const cv::Scalar& color, int thickness = 2);
  void segment(double x0, double y0, double x1, double y1, const cv::Scalar& color, int thickness = 1);
  void point(double x, double y, const cv::Scalar& color, int radius = 3);
  void bars(const std::vector<double>& heights, const cv::Scalar& color);  // bar i centred at x = i
  void text(double x, double y, const std::string& text, const cv::Scalar& color, double scale = 0.4);
  // The plot area starts at least `pixels` from the left edge, so stacked charts sharing an x axis
  // line up whatever their tick labels.
  void align_left(int pixels);
  // A boxed key of coloured swatches, drawn over the marks in a corner of the plot area.
  void legend(const std::vector<std::pair<std::string, cv::Scalar>>& entries, Corner corner = Corner::kTopRight);

  const cv::Mat& image();  // draws the axes once, then the marks drawn so far

  static const cv::Scalar& palette(std::size_t i);  // distinct colours, cycling

 private:
  struct Axis {
    double lo = 0, hi = 1;
    std::string label;
    TickKind ticks = TickKind::kReal;
    std::vector<std::string> categories;
  };
  cv::Point to_pixel(double x, double y) const;
  void layout();
  Ticks y_ticks() const;
  void draw_axes();
  void draw_legend();

  cv::Mat canvas_;
  std::string title_;
  Axis x_, y_;
  bool equal_ = false, categories_upwards_ = false;
  cv::Rect plot_;
  int min_left_ = 0;
  bool axes_drawn_ = false;
  std::vector<std::function<void()>> marks_;
  std::vector<std::pair<std::string, cv::Scalar>> legend_;
  Corner legend_corner_ = Corner::kTopRight;
};

// Panels (all the same size) in rows of `columns`.
cv::Mat tile(const std::vector<cv::Mat>& panels, int columns);

// Writes a PNG atomically.
void save_png(const std::filesystem::path& path, const cv::Mat& image);

}  // namespace ethovid::core
