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

const cv::Scalar kInk(40, 40, 40), kFrame(180, 180, 180), kGrid(238, 238, 238), kWhite(255, 255, 255);
constexpr int kFont = cv::FONT_HERSHEY_SIMPLEX;
constexpr double kTickScale = 0.35, kLabelScale = 0.4, kTitleScale = 0.5;

cv::Size text_size(const std::string& text, double scale) {
  int baseline = 0;
  const cv::Size size = cv::getTextSize(text, kFont, scale, 1, &baseline);
  return {size.width, size.height + baseline};
}

// Dark text on a light background, written upwards with its top-left corner at `top_left`.
void put_text_upwards(cv::Mat& canvas, const std::string& text, cv::Point top_left, double scale) {
  int baseline = 0;
  const cv::Size size = cv::getTextSize(text, kFont, scale, 1, &baseline);
  cv::Mat strip(size.height + baseline + 2, size.width + 2, CV_8UC3, kWhite), upright;
  cv::putText(strip, text, {1, size.height + 1}, kFont, scale, kInk, 1, cv::LINE_AA);
  cv::rotate(strip, upright, cv::ROTATE_90_COUNTERCLOCKWISE);
  const cv::Rect where = cv::Rect(top_left, upright.size()) & cv::Rect(0, 0, canvas.cols, canvas.rows);
  if (where.empty()) return;
  cv::Mat target = canvas(where);
  cv::min(target, upright(cv::Rect(where.tl() - top_left, where.size())), target);  // ink over paper
}

// The title at `scale` or smaller until it fits `width`, cut with ".." as a last resort.
std::pair<std::string, double> fitted(std::string text, double scale, int width) {
  for (; scale > 0.37 && text_size(text, scale).width > width; scale -= 0.03) {
  }
  while (text.size() > 3 && text_size(text, scale).width > width) text = text.substr(0, text.size() - 3) + "..";
  return {text, scale};
}

int ticks_that_fit(int pixels, int per_tick) { return std::clamp(pixels / per_tick, 2, 10); }

}  // namespace

Ticks nice_ticks(double lo, double hi, int max_count, bool integer) {
  Ticks ticks;
  if (!std::isfinite(lo) || !std::isfinite(hi)) return ticks;
  if (!(hi > lo)) hi = lo + 1;
  // A step of 1, 2 or 5 x 10^k that gives at most max_count ticks; a finer one while fewer than
  // two would land inside the range (a narrow range far from zero).
  for (int count = std::max(2, max_count); count <= std::max(2, max_count) + 8; ++count) {
    const double raw = (hi - lo) / (count - 1);
    const double magnitude = std::pow(10.0, std::floor(std::log10(raw)));
    double step = 10 * magnitude;
    for (const double m : {1.0, 2.0, 5.0}) {
      if (m * magnitude >= raw * (1 - 1e-9)) {
        step = m * magnitude;
        break;
      }
    }
    if (integer) step = std::max(1.0, std::round(step));
    const int decimals = step >= 1 ? 0 : std::min(12, static_cast<int>(std::ceil(-std::log10(step) - 1e-9)));
    ticks = {};
    for (double k = std::ceil(lo / step - 1e-9); k * step <= hi + step * 1e-9; ++k) {
      const double v = std::fabs(k) < 0.5 ? 0.0 : k * step;  // no "-0"
      char buffer[48];
      std::snprintf(buffer, sizeof buffer, "%.*f", decimals, v);
      ticks.values.push_back(v);
      ticks.labels.push_back(buffer);
    }
    if (ticks.values.size() >= 2 || (integer && step == 1)) break;
  }
  return ticks;
}

Chart::Chart(int width, int height, std::string title)
    : canvas_(height, width, CV_8UC3, kWhite), title_(std::move(title)) {}

void Chart::x_axis(double lo, double hi, const std::string& label, TickKind ticks) {
  x_ = {lo, hi > lo ? hi : lo + 1, label, ticks, {}};
}

void Chart::y_axis(double lo, double hi, const std::string& label, TickKind ticks) {
  y_ = {lo, hi > lo ? hi : lo + 1, label, ticks, {}};
}

void Chart::x_categories(const std::vector<std::string>& names, const std::string& label) {
  x_ = {-0.6, std::max(0.6, static_cast<double>(names.size()) - 0.4), label, TickKind::kInteger, names};
}

void Chart::equal_axes(double x_lo, double x_hi, double y_lo, double y_hi, const std::string& x_label,
                       const std::string& y_label) {
  x_axis(x_lo, x_hi, x_label);
  y_axis(y_lo, y_hi, y_label);
  equal_ = true;  // resolved in layout(), once the plot area is known
}

Ticks Chart::y_ticks() const {
  return nice_ticks(y_.lo, y_.hi, ticks_that_fit(plot_.height, 24), y_.ticks == TickKind::kInteger);
}

void Chart::layout() {
  // Bottom first (tick labels, upward category names, x label), then the height sets how many y
  // ticks there are, and their widest label (with the y label) sets the left margin.
  const int tick_height = text_size("0", kTickScale).height;
  int below = tick_height + 8;
  int widest = 0;
  for (const auto& name : x_.categories) widest = std::max(widest, text_size(name, kTickScale).width);
  const int rough_width = canvas_.cols - 80;
  categories_upwards_ = !x_.categories.empty() && widest + 6 > rough_width / static_cast<int>(x_.categories.size());
  if (categories_upwards_) below = widest + 10;
  if (!x_.label.empty()) below += text_size(x_.label, kLabelScale).height + 4;
  plot_.y = 26;
  plot_.height = std::max(10, canvas_.rows - plot_.y - below);
  int tick_width = 0;
  for (const auto& label : y_ticks().labels) tick_width = std::max(tick_width, text_size(label, kTickScale).width);
  plot_.x = std::max(min_left_, 6 + (y_.label.empty() ? 0 : text_size(y_.label, kLabelScale).height + 4) + tick_width + 6);
  plot_.width = std::max(10, canvas_.cols - plot_.x - 14);
  if (equal_) {
    // Grow the shorter side of the box so a data unit is as long on both axes, plus a margin.
    const double span = std::max({x_.hi - x_.lo, (y_.hi - y_.lo) * plot_.width / plot_.height, 1e-9}) * 1.1;
    const double cx = 0.5 * (x_.lo + x_.hi), cy = 0.5 * (y_.lo + y_.hi);
    const double y_span = span * plot_.height / plot_.width;
    x_.lo = cx - span / 2, x_.hi = cx + span / 2;
    y_.lo = cy - y_span / 2, y_.hi = cy + y_span / 2;
    equal_ = false;
  }
}

cv::Point Chart::to_pixel(double x, double y) const {
  const double u = (x - x_.lo) / (x_.hi - x_.lo), v = (y - y_.lo) / (y_.hi - y_.lo);
  return {plot_.x + static_cast<int>(std::lround(u * plot_.width)),
          plot_.y + plot_.height - static_cast<int>(std::lround(v * plot_.height))};
}

void Chart::line(const std::vector<double>& x, const std::vector<double>& y, const cv::Scalar& color, int thickness) {
  // Consecutive finite samples are joined, whatever their spacing in pixels; only a non-finite
  // sample breaks the line. Many samples in one pixel column draw its min-max extent.
  marks_.push_back([=, this] {
    const std::size_t n = std::min(x.size(), y.size());
    auto finite = [&](std::size_t i) { return i < n && std::isfinite(y[i]); };
    for (std::size_t i = 0; i < n; ++i) {
      if (!finite(i)) continue;
      if (finite(i + 1)) {
        cv::line(canvas_, to_pixel(x[i], y[i]), to_pixel(x[i + 1], y[i + 1]), color, thickness, cv::LINE_AA);
      } else if (i == 0 || !finite(i - 1)) {
        cv::circle(canvas_, to_pixel(x[i], y[i]), thickness, color, cv::FILLED, cv::LINE_AA);  // a lone sample
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
      const cv::Point bottom = to_pixel(static_cast<double>(i) + 0.4, std::max(0.0, y_.lo));
      cv::rectangle(canvas_, cv::Rect(top, bottom), color, cv::FILLED);
    }
  });
}

void Chart::text(double x, double y, const std::string& label, const cv::Scalar& color, double scale) {
  marks_.push_back([=, this] { cv::putText(canvas_, label, to_pixel(x, y), kFont, scale, color, 1, cv::LINE_AA); });
}

void Chart::align_left(int pixels) { min_left_ = pixels; }

void Chart::legend(const std::vector<std::pair<std::string, cv::Scalar>>& entries, Corner corner) {
  legend_ = entries;
  legend_corner_ = corner;
}

void Chart::draw_axes() {
  layout();
  const auto [title, scale] = fitted(title_, kTitleScale, canvas_.cols - 12);
  cv::putText(canvas_, title, {6, 17}, kFont, scale, kInk, 1, cv::LINE_AA);
  const int bottom = plot_.y + plot_.height, tick_height = text_size("0", kTickScale).height;
  // x: numeric ticks, or the category names (upwards when they do not fit side by side).
  Ticks x_ticks;
  if (x_.categories.empty()) {
    x_ticks = nice_ticks(x_.lo, x_.hi, ticks_that_fit(plot_.width, 70), x_.ticks == TickKind::kInteger);
  } else {
    for (std::size_t i = 0; i < x_.categories.size(); ++i) x_ticks.values.push_back(static_cast<double>(i));
    x_ticks.labels = x_.categories;
  }
  int label_bottom = bottom + tick_height + 6;
  for (std::size_t i = 0; i < x_ticks.values.size(); ++i) {
    const int px = to_pixel(x_ticks.values[i], y_.lo).x;
    if (x_.categories.empty()) cv::line(canvas_, {px, plot_.y}, {px, bottom}, kGrid, 1);
    cv::line(canvas_, {px, bottom}, {px, bottom + 3}, kFrame, 1);
    const cv::Size size = text_size(x_ticks.labels[i], kTickScale);
    if (categories_upwards_) {
      put_text_upwards(canvas_, x_ticks.labels[i], {px - size.height / 2, bottom + 5}, kTickScale);
      label_bottom = std::max(label_bottom, bottom + 5 + size.width);
    } else {
      cv::putText(canvas_, x_ticks.labels[i], {px - size.width / 2, bottom + 4 + tick_height - 3}, kFont, kTickScale,
                  kInk, 1, cv::LINE_AA);
    }
  }
  const Ticks y_marks = y_ticks();
  for (std::size_t i = 0; i < y_marks.values.size(); ++i) {
    const int py = to_pixel(x_.lo, y_marks.values[i]).y;
    cv::line(canvas_, {plot_.x, py}, {plot_.x + plot_.width, py}, kGrid, 1);
    cv::line(canvas_, {plot_.x - 3, py}, {plot_.x, py}, kFrame, 1);
    const cv::Size size = text_size(y_marks.labels[i], kTickScale);
    cv::putText(canvas_, y_marks.labels[i], {plot_.x - 6 - size.width, py + size.height / 2 - 2}, kFont, kTickScale,
                kInk, 1, cv::LINE_AA);
  }
  cv::rectangle(canvas_, plot_, kFrame, 1);
  if (!x_.label.empty()) {
    const cv::Size size = text_size(x_.label, kLabelScale);
    cv::putText(canvas_, x_.label, {plot_.x + (plot_.width - size.width) / 2, label_bottom + size.height}, kFont,
                kLabelScale, kInk, 1, cv::LINE_AA);
  }
  if (!y_.label.empty()) {
    const cv::Size size = text_size(y_.label, kLabelScale);
    put_text_upwards(canvas_, y_.label, {4, plot_.y + std::max(0, (plot_.height - size.width) / 2)}, kLabelScale);
  }
}

void Chart::draw_legend() {
  if (legend_.empty()) return;
  constexpr int kSwatch = 16, kRow = 15, kPad = 5;
  int widest = 0;
  for (const auto& [label, colour] : legend_) widest = std::max(widest, text_size(label, kTickScale).width);
  const cv::Size box(kPad * 3 + kSwatch + widest, kPad * 2 + kRow * static_cast<int>(legend_.size()) - 3);
  const int x = legend_corner_ == Corner::kTopLeft ? plot_.x + 6 : plot_.x + plot_.width - box.width - 6;
  const int y = legend_corner_ == Corner::kBottomRight ? plot_.y + plot_.height - box.height - 6 : plot_.y + 6;
  cv::rectangle(canvas_, cv::Rect({x, y}, box), kWhite, cv::FILLED);
  cv::rectangle(canvas_, cv::Rect({x, y}, box), kFrame, 1);
  for (std::size_t i = 0; i < legend_.size(); ++i) {
    const int row = y + kPad + kRow * static_cast<int>(i) + kRow / 2 - 1;
    cv::line(canvas_, {x + kPad, row}, {x + kPad + kSwatch, row}, legend_[i].second, 2, cv::LINE_AA);
    cv::putText(canvas_, legend_[i].first, {x + 2 * kPad + kSwatch, row + 4}, kFont, kTickScale, kInk, 1, cv::LINE_AA);
  }
}

const cv::Mat& Chart::image() {
  if (!axes_drawn_) {
    draw_axes();
    axes_drawn_ = true;
  }
  for (const auto& mark : marks_) mark();
  marks_.clear();
  draw_legend();
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
