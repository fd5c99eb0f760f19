#include "ethovid/core/chart.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <functional>

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "ethovid/core/atomic_file.hpp"
#include "ethovid/core/error.hpp"

namespace ethovid::core {

namespace {

const cv::Scalar kInk(40, 40, 40), kFrame(180, 180, 180), kWhite(255, 255, 255);

std::string tick_label(double v) {
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, std::fabs(v) >= 1000 || (v != 0 && std::fabs(v) < 0.01) ? "%.2g" : "%.3g", v);
  return buffer;
}

}  // namespace

Chart::Chart(int width, int height, std::string title)
    : canvas_(height, width, CV_8UC3, kWhite), title_(std::move(title)), plot_(48, 24, width - 60, height - 58) {}

void Chart::x_axis(double lo, double hi, const std::string& label) {
  x_lo_ = lo;
  x_hi_ = hi > lo ? hi : lo + 1;
  x_label_ = label;
}

void Chart::y_axis(double lo, double hi, const std::string& label) {
  y_lo_ = lo;
  y_hi_ = hi > lo ? hi : lo + 1;
  y_label_ = label;
}

void Chart::equal_axes(double x_lo, double x_hi, double y_lo, double y_hi) {
  const double span = std::max({x_hi - x_lo, (y_hi - y_lo) * plot_.width / plot_.height, 1e-9}) * 1.1;
  const double cx = 0.5 * (x_lo + x_hi), cy = 0.5 * (y_lo + y_hi);
  x_axis(cx - span / 2, cx + span / 2);
  const double y_span = span * plot_.height / plot_.width;
  y_axis(cy - y_span / 2, cy + y_span / 2);
}

cv::Point Chart::to_pixel(double x, double y) const {
  const double u = (x - x_lo_) / (x_hi_ - x_lo_), v = (y - y_lo_) / (y_hi_ - y_lo_);
  return {plot_.x + static_cast<int>(std::lround(u * plot_.width)),
          plot_.y + plot_.height - static_cast<int>(std::lround(v * plot_.height))};
}

void Chart::line(const std::vector<double>& x, const std::vector<double>& y, const cv::Scalar& color, int thickness) {
  marks_.push_back([=, this] {
    for (std::size_t i = 1; i < std::min(x.size(), y.size()); ++i) {
      if (std::isfinite(y[i - 1]) && std::isfinite(y[i])) {
        cv::line(canvas_, to_pixel(x[i - 1], y[i - 1]), to_pixel(x[i], y[i]), color, thickness, cv::LINE_AA);
      }
    }
  });
}

void Chart::segment(double x0, double y0, double x1, double y1, const cv::Scalar& color, int thickness) {
  marks_.push_back([=, this] { cv::line(canvas_, to_pixel(x0, y0), to_pixel(x1, y1), color, thickness, cv::LINE_AA); });
}

void Chart::point(double x, double y, const cv::Scalar& color, int radius) {
  marks_.push_back([=, this] { cv::circle(canvas_, to_pixel(x, y), radius, color, cv::FILLED, cv::LINE_AA); });
}

void Chart::bars(const std::vector<double>& heights, const cv::Scalar& color) {
  marks_.push_back([=, this] {
    for (std::size_t i = 0; i < heights.size(); ++i) {
      const cv::Point top = to_pixel(static_cast<double>(i) - 0.4, heights[i]);
      const cv::Point bottom = to_pixel(static_cast<double>(i) + 0.4, std::max(0.0, y_lo_));
      cv::rectangle(canvas_, cv::Rect(top, bottom), color, cv::FILLED);
    }
  });
}

void Chart::text(double x, double y, const std::string& label, const cv::Scalar& color, double scale) {
  marks_.push_back([=, this] {
    cv::putText(canvas_, label, to_pixel(x, y), cv::FONT_HERSHEY_SIMPLEX, scale, color, 1, cv::LINE_AA);
  });
}

void Chart::draw_axes() {
  cv::rectangle(canvas_, plot_, kFrame, 1);
  cv::putText(canvas_, title_, {plot_.x, 16}, cv::FONT_HERSHEY_SIMPLEX, 0.5, kInk, 1, cv::LINE_AA);
  for (int i = 0; i <= 4; ++i) {
    const double x = x_lo_ + (x_hi_ - x_lo_) * i / 4, y = y_lo_ + (y_hi_ - y_lo_) * i / 4;
    const cv::Point px = to_pixel(x, y_lo_), py = to_pixel(x_lo_, y);
    cv::putText(canvas_, tick_label(x), {px.x - 10, plot_.y + plot_.height + 14}, cv::FONT_HERSHEY_SIMPLEX, 0.33, kInk,
                1, cv::LINE_AA);
    cv::putText(canvas_, tick_label(y), {2, py.y + 4}, cv::FONT_HERSHEY_SIMPLEX, 0.33, kInk, 1, cv::LINE_AA);
  }
  if (!x_label_.empty()) {
    cv::putText(canvas_, x_label_, {plot_.x + plot_.width / 2 - 30, canvas_.rows - 6}, cv::FONT_HERSHEY_SIMPLEX, 0.4,
                kInk, 1, cv::LINE_AA);
  }
  if (!y_label_.empty()) {
    cv::putText(canvas_, y_label_, {plot_.x + 4, plot_.y + 12}, cv::FONT_HERSHEY_SIMPLEX, 0.35, kInk, 1, cv::LINE_AA);
  }
}

const cv::Mat& Chart::image() {
  if (!axes_drawn_) {
    draw_axes();
    axes_drawn_ = true;
  }
  for (const auto& mark : marks_) mark();
  marks_.clear();
  return canvas_;
}

const cv::Scalar& Chart::palette(std::size_t i) {
  static const std::vector<cv::Scalar> colours = {{180, 119, 31}, {14, 127, 255}, {44, 160, 44},  {40, 39, 214},
                                                  {189, 103, 148}, {75, 86, 140},  {194, 119, 227}, {127, 127, 127},
                                                  {34, 189, 188},  {207, 190, 23}};
  return colours[i % colours.size()];
}

cv::Mat tile(const std::vector<cv::Mat>& panels, int columns) {
  if (panels.empty()) throw ComputationError("nothing to tile");
  const int rows = (static_cast<int>(panels.size()) + columns - 1) / columns;
  const cv::Size size = panels.front().size();
  cv::Mat out(rows * size.height, std::min<int>(columns, static_cast<int>(panels.size())) * size.width, CV_8UC3, kWhite);
  for (std::size_t i = 0; i < panels.size(); ++i) {
    const int r = static_cast<int>(i) / columns, c = static_cast<int>(i) % columns;
    panels[i].copyTo(out(cv::Rect(c * size.width, r * size.height, size.width, size.height)));
  }
  return out;
}

void save_png(const std::filesystem::path& path, const cv::Mat& image) {
  std::vector<uchar> png;
  if (!cv::imencode(".png", image, png)) throw ComputationError("cannot encode " + path.string() + " as PNG");
  write_text_atomically(path, std::string_view(reinterpret_cast<const char*>(png.data()), png.size()));
}

}  // namespace ethovid::core
