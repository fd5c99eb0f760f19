#include "ethovid/focus/overlay.hpp"

#include <cmath>
#include <cstdio>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

namespace ethovid::focus {

namespace {

constexpr double kDegToRad = 0.017453292519943295;

// The head's axes as seen by the camera, from yaw, pitch and roll in the vision layer's
// conventions (yaw > 0 nose to the image's right, pitch > 0 up, roll > 0 clockwise), drawn
// `length` pixels long from `origin`: x (red) to the face's left as seen, y (green) up, z (blue)
// where the nose points.
void draw_pose_axes(cv::Mat& image, cv::Point2f origin, const FrameFeatures& f, float length) {
  const double y = f.head_yaw_deg * kDegToRad, p = f.head_pitch_deg * kDegToRad,
               r = f.head_roll_deg * kDegToRad;
  const cv::Matx33d ry(std::cos(y), 0, std::sin(y), 0, 1, 0, -std::sin(y), 0, std::cos(y));
  const cv::Matx33d rx(1, 0, 0, 0, std::cos(p), std::sin(p), 0, -std::sin(p), std::cos(p));
  const cv::Matx33d rz(std::cos(r), -std::sin(r), 0, std::sin(r), std::cos(r), 0, 0, 0, 1);
  const cv::Matx33d rotation = rz * rx * ry;  // image axes: x right, y down, z towards the camera
  const cv::Vec3d axes[3] = {{1, 0, 0}, {0, -1, 0}, {0, 0, 1}};
  const cv::Scalar colors[3] = {{0, 0, 255}, {0, 200, 0}, {255, 80, 0}};
  for (int i = 0; i < 3; ++i) {
    const cv::Vec3d a = rotation * axes[i];
    cv::line(image, origin,
             origin + cv::Point2f(static_cast<float>(a[0]), static_cast<float>(a[1])) * length,
             colors[i], 2, cv::LINE_AA);
  }
}

}  // namespace

cv::Scalar state_color(FocusState state) {
  // The page's colours (ui_page.cpp: --focused, --distracted, --away), as BGR.
  switch (state) {
    case FocusState::Focused:
      return {91, 158, 46};  // #2e9e5b
    case FocusState::Distracted:
      return {26, 162, 227};  // #e3a21a
    case FocusState::Away:
      return {179, 162, 152};  // #98a2b3
  }
  return {255, 255, 255};
}

cv::Mat draw_overlay(const cv::Mat& bgr, const FrameFeatures& f, const OverlayText& text) {
  cv::Mat out = bgr.clone();
  const cv::Scalar color = state_color(text.state);
  if (f.face_present) {
    cv::rectangle(out, f.face_box, color, 2, cv::LINE_AA);
    if (f.landmarks) {
      for (const cv::Point2f& p : *f.landmarks)
        cv::circle(out, p, 1, {255, 255, 255}, cv::FILLED, cv::LINE_AA);
      if (std::isfinite(f.head_yaw_deg))
        draw_pose_axes(out, (*f.landmarks)[30], f, f.face_box.width * 0.5f);
    }
  }
  char line[128];
  std::snprintf(line, sizeof line, "%s %.0fs%s", state_name(text.state).c_str(),
                text.state_duration_s, text.drowsy ? "  DROWSY" : "");
  const double scale = std::max(0.5, out.cols / 900.0);
  cv::rectangle(out, cv::Rect(0, 0, out.cols, static_cast<int>(34 * scale)), {0, 0, 0}, cv::FILLED);
  cv::putText(out, line, {8, static_cast<int>(24 * scale)}, cv::FONT_HERSHEY_SIMPLEX, 0.8 * scale,
              color, 2, cv::LINE_AA);
  const std::string mode = text.camera_on ? text.session_mode : text.session_mode + "  camera off";
  const int width = cv::getTextSize(mode, cv::FONT_HERSHEY_SIMPLEX, 0.6 * scale, 1, nullptr).width;
  cv::putText(out, mode, {out.cols - width - 8, static_cast<int>(23 * scale)},
              cv::FONT_HERSHEY_SIMPLEX, 0.6 * scale, {230, 230, 230}, 1, cv::LINE_AA);
  return out;
}

std::vector<unsigned char> encode_jpeg(const cv::Mat& bgr, int quality) {
  std::vector<unsigned char> bytes;
  cv::imencode(".jpg", bgr, bytes, {cv::IMWRITE_JPEG_QUALITY, quality});
  return bytes;
}

}  // namespace ethovid::focus
