#pragma once
// The live view's overlay (for /stream and --window): the main face's box, its landmarks, head
// pose axes from the nose tip, and the state, session mode and drowsy flag. Drawn on a copy; the
// image only ever goes to the stream and the window, never to a file.
#include <opencv2/core.hpp>
#include <string>
#include <vector>

#include "ethovid/focus/frame_features.hpp"
#include "ethovid/focus/state_smoothing.hpp"

namespace ethovid::focus {

struct OverlayText {
  FocusState state = FocusState::Away;
  double state_duration_s = 0;
  std::string session_mode;  // "RUNNING", ...
  bool drowsy = false;
  bool camera_on = true;
};

cv::Mat draw_overlay(const cv::Mat& bgr, const FrameFeatures& features, const OverlayText& text);

// BGR colour of a state on the overlay, the report and (as CSS) the page: green, amber, blue-grey.
cv::Scalar state_color(FocusState state);

// JPEG bytes of an image (quality 1..100).
std::vector<unsigned char> encode_jpeg(const cv::Mat& bgr, int quality);

}  // namespace ethovid::focus
