#pragma once
// Rectangular regions of interest in full-frame pixel coordinates, as users give them
// (`--motion-roi X,Y,W,H`, or `[x, y, w, h]` in a YAML config).
#include <string>

#include <opencv2/core.hpp>

namespace ethovid::facemap {

struct Roi {
  int x = 0;
  int y = 0;
  int width = 0;
  int height = 0;

  cv::Rect rect() const { return {x, y, width, height}; }
  std::string to_string() const;  // "X,Y,W,H"
  bool operator==(const Roi&) const = default;
};

// Parses "X,Y,W,H" (integers). ConfigError naming `what` (e.g. "--pupil-roi") on bad text.
Roi parse_roi(const std::string& text, const std::string& what);

// An ROI that is empty or leaves the frame is bad input: ConfigError naming the ROI, the source
// video and the frame size.
void check_roi_fits(const Roi& roi, int frame_width, int frame_height, const std::string& what,
                    const std::string& source);

}  // namespace ethovid::facemap
