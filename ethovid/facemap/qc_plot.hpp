#pragma once
// facemap_qc.png: the ROIs drawn on the mean frame (when there is one) beside the metric traces
// over session time, so a person sees at a glance whether the ROIs sit where they should and
// whether the traces look like a face (motion bursts, pupil changes, blinks).
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include <opencv2/core.hpp>

#include "ethovid/facemap/roi.hpp"

namespace ethovid::facemap {

struct QcTrace {
  std::string name;          // the table column, e.g. "pupil_area"
  std::string unit;          // the y axis label, e.g. "px^2" (ASCII: OpenCV's fonts have no superscripts)
  std::vector<double> values;  // one per time_s; NaN is a gap
  bool binary = false;       // 0/1 values (blink): y ticks 0 and 1
};

struct QcPlotInput {
  cv::Mat mean_frame;  // CV_8UC1, may be empty (imports without an average frame)
  std::vector<Roi> motion_rois;
  std::optional<Roi> pupil_roi;
  std::vector<double> time_s;  // session time in seconds, one per frame
  std::vector<QcTrace> traces;
};

// Writes a PNG atomically.
void write_qc_plot(const std::filesystem::path& path, const QcPlotInput& input);

}  // namespace ethovid::facemap
