#include "ethovid/facemap/qc_plot.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "ethovid/core/atomic_file.hpp"
#include "ethovid/core/error.hpp"

namespace ethovid::facemap {

namespace {

constexpr int kPanelHeight = 110;
constexpr int kTraceWidth = 900;
constexpr int kMargin = 60;
const cv::Scalar kInk(40, 40, 40);
const cv::Scalar kGrid(225, 225, 225);
const cv::Scalar kMotionColor(60, 150, 40);  // BGR
const cv::Scalar kPupilColor(30, 110, 230);
const std::vector<cv::Scalar> kTraceColors = {{180, 90, 30}, {30, 110, 230}, {60, 60, 200},
                                              {60, 150, 40}, {150, 60, 150}};

cv::Mat draw_frame_panel(const QcPlotInput& input, int height) {
  cv::Mat color;
  cv::cvtColor(input.mean_frame, color, cv::COLOR_GRAY2BGR);
  const double scale = static_cast<double>(height) / color.rows;
  cv::resize(color, color, cv::Size(), scale, scale, cv::INTER_AREA);
  auto draw_roi = [&](const Roi& roi, const cv::Scalar& c, const std::string& label) {
    const cv::Rect r(static_cast<int>(roi.x * scale), static_cast<int>(roi.y * scale),
                     static_cast<int>(roi.width * scale), static_cast<int>(roi.height * scale));
    cv::rectangle(color, r, c, 2);
    cv::putText(color, label, r.tl() + cv::Point(3, 14), cv::FONT_HERSHEY_SIMPLEX, 0.45, c, 1,
                cv::LINE_AA);
  };
  for (std::size_t i = 0; i < input.motion_rois.size(); ++i) {
    draw_roi(input.motion_rois[i], kMotionColor, i == 0 ? "motion" : "roi" + std::to_string(i));
  }
  if (input.pupil_roi) draw_roi(*input.pupil_roi, kPupilColor, "pupil");
  return color;
}

std::string format_number(double v) {
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, std::fabs(v) >= 1000 || (v != 0 && std::fabs(v) < 0.01) ? "%.3g" : "%.3f", v);
  return buffer;
}

void draw_trace(cv::Mat& canvas, int top, const std::string& name, const std::vector<double>& values,
                const std::vector<double>& time, const cv::Scalar& color) {
  const int left = kMargin;
  const int width = kTraceWidth - kMargin - 10;
  const int height = kPanelHeight - 30;
  double lo = INFINITY, hi = -INFINITY;
  for (double v : values) {
    if (std::isfinite(v)) {
      lo = std::min(lo, v);
      hi = std::max(hi, v);
    }
  }
  cv::rectangle(canvas, cv::Rect(left, top, width, height), kGrid, 1);
  cv::putText(canvas, name, cv::Point(left + 4, top + 14), cv::FONT_HERSHEY_SIMPLEX, 0.45, kInk, 1,
              cv::LINE_AA);
  if (!std::isfinite(lo)) {
    cv::putText(canvas, "(no values)", cv::Point(left + width / 2 - 40, top + height / 2),
                cv::FONT_HERSHEY_SIMPLEX, 0.45, kInk, 1, cv::LINE_AA);
    return;
  }
  if (hi == lo) hi = lo + 1;
  cv::putText(canvas, format_number(hi), cv::Point(2, top + 10), cv::FONT_HERSHEY_SIMPLEX, 0.35,
              kInk, 1, cv::LINE_AA);
  cv::putText(canvas, format_number(lo), cv::Point(2, top + height), cv::FONT_HERSHEY_SIMPLEX,
              0.35, kInk, 1, cv::LINE_AA);
  const double t0 = time.front();
  const double t1 = time.back() > t0 ? time.back() : t0 + 1;
  // One vertical min-max segment per pixel column keeps spikes visible in long recordings.
  std::vector<double> col_lo(width, INFINITY), col_hi(width, -INFINITY);
  for (std::size_t i = 0; i < time.size() && i < values.size(); ++i) {
    if (!std::isfinite(values[i])) continue;
    const int x = std::clamp(static_cast<int>((time[i] - t0) / (t1 - t0) * (width - 1)), 0, width - 1);
    col_lo[x] = std::min(col_lo[x], values[i]);
    col_hi[x] = std::max(col_hi[x], values[i]);
  }
  auto to_y = [&](double v) { return top + height - 1 - static_cast<int>((v - lo) / (hi - lo) * (height - 2)); };
  cv::Point previous(-1, -1);
  for (int x = 0; x < width; ++x) {
    if (!std::isfinite(col_lo[x])) {
      previous = {-1, -1};
      continue;
    }
    const cv::Point a(left + x, to_y(col_lo[x])), b(left + x, to_y(col_hi[x]));
    cv::line(canvas, a, b, color, 1, cv::LINE_AA);
    if (previous.x >= 0) cv::line(canvas, previous, a, color, 1, cv::LINE_AA);
    previous = b;
  }
}

}  // namespace

void write_qc_plot(const std::filesystem::path& path, const QcPlotInput& input) {
  const int traces_height = static_cast<int>(input.traces.size()) * kPanelHeight + 40;
  cv::Mat frame_panel;
  if (!input.mean_frame.empty()) frame_panel = draw_frame_panel(input, std::max(traces_height, 240));
  const int height = std::max(traces_height, frame_panel.rows);
  const int width = kTraceWidth + frame_panel.cols;
  cv::Mat canvas(height, width, CV_8UC3, cv::Scalar(255, 255, 255));
  if (!frame_panel.empty()) frame_panel.copyTo(canvas(cv::Rect(0, 0, frame_panel.cols, frame_panel.rows)));
  cv::Mat traces = canvas(cv::Rect(frame_panel.cols, 0, kTraceWidth, height));
  for (std::size_t i = 0; i < input.traces.size(); ++i) {
    draw_trace(traces, 10 + static_cast<int>(i) * kPanelHeight, input.traces[i].first,
               input.traces[i].second, input.time_s, kTraceColors[i % kTraceColors.size()]);
  }
  if (!input.time_s.empty()) {
    const int y = 10 + static_cast<int>(input.traces.size()) * kPanelHeight - 10;
    const std::string axis = "time " + format_number(input.time_s.front()) + " s .. " +
                             format_number(input.time_s.back()) + " s";
    cv::putText(traces, axis, cv::Point(kMargin, y + 12), cv::FONT_HERSHEY_SIMPLEX, 0.45, kInk, 1,
                cv::LINE_AA);
  }
  std::vector<std::uint8_t> png;
  if (!cv::imencode(".png", canvas, png)) throw ComputationError("could not encode " + path.string());
  core::write_text_atomically(path,
                              std::string_view(reinterpret_cast<const char*>(png.data()), png.size()));
}

}  // namespace ethovid::facemap
