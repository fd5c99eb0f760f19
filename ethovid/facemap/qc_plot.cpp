#include "ethovid/facemap/qc_plot.hpp"

#include <algorithm>
#include <cmath>

#include <opencv2/imgproc.hpp>

#include "ethovid/core/chart.hpp"

namespace ethovid::facemap {

namespace {

constexpr int kTraceWidth = 900, kTraceHeight = 130, kAxisLabelHeight = 18, kPlotLeft = 70;
const cv::Scalar kMotionColor(60, 150, 40);  // BGR
const cv::Scalar kPupilColor(30, 110, 230);
const std::vector<cv::Scalar> kTraceColors = {{180, 90, 30}, {30, 110, 230}, {60, 60, 200}, {60, 150, 40}, {150, 60, 150}};

cv::Mat draw_frame_panel(const QcPlotInput& input, int height) {
  cv::Mat color;
  cv::cvtColor(input.mean_frame, color, cv::COLOR_GRAY2BGR);
  const double scale = static_cast<double>(height) / color.rows;
  cv::resize(color, color, cv::Size(), scale, scale, cv::INTER_AREA);
  // White on a tab of the ROI's colour, above its corner (inside when there is no room above).
  auto draw_roi = [&](const Roi& roi, const cv::Scalar& c, const std::string& label) {
    const cv::Rect r(static_cast<int>(roi.x * scale), static_cast<int>(roi.y * scale),
                     static_cast<int>(roi.width * scale), static_cast<int>(roi.height * scale));
    cv::rectangle(color, r, c, 2);
    int baseline = 0;
    const cv::Size size = cv::getTextSize(label, cv::FONT_HERSHEY_SIMPLEX, 0.5, 1, &baseline);
    const cv::Rect tab(r.x, r.y >= size.height + 8 ? r.y - size.height - 8 : r.y, size.width + 8, size.height + 8);
    cv::rectangle(color, tab, c, cv::FILLED);
    cv::putText(color, label, {tab.x + 4, tab.y + size.height + 3}, cv::FONT_HERSHEY_SIMPLEX, 0.5,
                cv::Scalar(255, 255, 255), 1, cv::LINE_AA);
  };
  for (std::size_t i = 0; i < input.motion_rois.size(); ++i) {
    draw_roi(input.motion_rois[i], kMotionColor, i == 0 ? "motion" : "roi" + std::to_string(i));
  }
  if (input.pupil_roi) draw_roi(*input.pupil_roi, kPupilColor, "pupil");
  return color;
}

cv::Mat draw_trace(const QcTrace& trace, const std::vector<double>& time, const cv::Scalar& color, bool last) {
  core::Chart chart(kTraceWidth, kTraceHeight + (last ? kAxisLabelHeight : 0), trace.name);
  chart.align_left(kPlotLeft);  // one time axis down the column
  double lo = INFINITY, hi = -INFINITY;
  for (double v : trace.values) {
    if (std::isfinite(v)) lo = std::min(lo, v), hi = std::max(hi, v);
  }
  const double t0 = time.empty() ? 0 : time.front(), t1 = time.empty() ? 1 : time.back();
  chart.x_axis(t0, t1, last ? "time (s)" : "");
  if (trace.binary) {
    chart.y_axis(-0.15, 1.15, trace.unit, core::TickKind::kInteger);
  } else if (std::isfinite(lo)) {
    const double pad = hi > lo ? 0.08 * (hi - lo) : std::max(std::fabs(lo) * 0.1, 1e-6);
    chart.y_axis(lo - pad, hi + pad, trace.unit);
  } else {
    chart.y_axis(0, 1, trace.unit);
    chart.text(t0 + 0.45 * (t1 - t0), 0.5, "(no values)", cv::Scalar(40, 40, 40));
  }
  chart.line(time, trace.values, color, 1);
  return chart.image().clone();
}

}  // namespace

void write_qc_plot(const std::filesystem::path& path, const QcPlotInput& input) {
  std::vector<cv::Mat> panels;
  for (std::size_t i = 0; i < input.traces.size(); ++i) {
    panels.push_back(draw_trace(input.traces[i], input.time_s, kTraceColors[i % kTraceColors.size()],
                                i + 1 == input.traces.size()));
  }
  cv::Mat traces;
  if (!panels.empty()) cv::vconcat(panels, traces);
  cv::Mat frame_panel;
  if (!input.mean_frame.empty()) frame_panel = draw_frame_panel(input, std::max(traces.rows, 240));
  cv::Mat canvas(std::max({traces.rows, frame_panel.rows, 1}), frame_panel.cols + std::max(traces.cols, 1), CV_8UC3,
                 cv::Scalar(255, 255, 255));
  if (!frame_panel.empty()) frame_panel.copyTo(canvas(cv::Rect(0, 0, frame_panel.cols, frame_panel.rows)));
  if (!traces.empty()) traces.copyTo(canvas(cv::Rect(frame_panel.cols, 0, traces.cols, traces.rows)));
  core::save_png(path, canvas);
}

}  // namespace ethovid::facemap
