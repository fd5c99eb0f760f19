#include "ethovid/focus/feature_extractor.hpp"

#include <algorithm>
#include <cmath>

#include "ethovid/core/error.hpp"
#include "ethovid/vision/head_pose.hpp"

namespace ethovid::focus {

namespace {

cv::Rect2f bounding_box(const vision::Landmarks68& points) {
  float x0 = points[0].x, x1 = x0, y0 = points[0].y, y1 = y0;
  for (const cv::Point2f& p : points) {
    x0 = std::min(x0, p.x), x1 = std::max(x1, p.x);
    y0 = std::min(y0, p.y), y1 = std::max(y1, p.y);
  }
  return {x0, y0, std::max(x1 - x0, 1.0f), std::max(y1 - y0, 1.0f)};
}

cv::Vec4f box_relation(const cv::Rect2f& box, const cv::Rect2f& landmarks) {
  return {(box.x - landmarks.x) / landmarks.width, (box.y - landmarks.y) / landmarks.height,
          box.width / landmarks.width, box.height / landmarks.height};
}

cv::Rect2f apply_relation(const cv::Vec4f& r, const cv::Rect2f& landmarks) {
  return {landmarks.x + r[0] * landmarks.width, landmarks.y + r[1] * landmarks.height,
          r[2] * landmarks.width, r[3] * landmarks.height};
}

float overlap(const cv::Rect2f& a, const cv::Rect2f& b) {
  const float inter = (a & b).area();
  const float uni = a.area() + b.area() - inter;
  return uni > 0 ? inter / uni : 0.0f;
}

double mean_brightness(const cv::Mat& bgr) {
  const cv::Scalar m = cv::mean(bgr);
  return bgr.channels() == 1 ? m[0] : 0.114 * m[0] + 0.587 * m[1] + 0.299 * m[2];
}

double finite_mean(double a, double b) {
  if (std::isfinite(a) && std::isfinite(b)) return (a + b) / 2;
  return std::isfinite(a) ? a : b;  // NaN when neither is
}

}  // namespace

double eye_aspect_ratio(const vision::Landmarks68& p, int first) {
  const auto d = [&](int i, int j) {
    return std::hypot(p[first + i].x - p[first + j].x, p[first + i].y - p[first + j].y);
  };
  const double width = d(0, 3);
  return width > 0 ? (d(1, 5) + d(2, 4)) / (2 * width) : kNaN;
}

FaceMeasurer::FaceMeasurer(const vision::ModelConfig& models, const FeatureOptions& options)
    : options_(options), detector_(models.detector), landmarker_(models.landmarks) {
  if (options_.redetect_every < 1 || !(options_.max_jump > 0) || !(options_.max_scale_change > 1)) {
    throw ConfigError(
        "focus features: redetect_every must be >= 1, max_jump > 0 and max_scale_change > 1");
  }
  if (options_.eye_network && models.eye) eye_network_.emplace(*models.eye);
}

void FaceMeasurer::reset() {
  followed_.reset();
  last_face_count_ = 0;
}

std::optional<cv::Rect2f> FaceMeasurer::detect(const cv::Mat& bgr, FrameFeatures& f) {
  const std::vector<vision::FaceDetection> faces = detector_.detect(bgr);
  f.detector_ran = true;
  last_face_count_ = static_cast<int>(faces.size());
  if (faces.empty()) return std::nullopt;
  // The face followed so far when the detector still sees it, else the largest: someone passing
  // behind the user does not take over the measurement.
  const vision::FaceDetection* best = nullptr;
  if (followed_) {
    float best_overlap = 0.3f;
    for (const auto& d : faces) {
      const float o = overlap(d.box, followed_->box);
      if (o > best_overlap) best_overlap = o, best = &d;
    }
  }
  if (!best) {
    best = &*std::max_element(faces.begin(), faces.end(), [](const auto& a, const auto& b) {
      return a.box.area() < b.box.area();
    });
  }
  return best->box;
}

FrameFeatures FaceMeasurer::measure(const cv::Mat& bgr) {
  FrameFeatures f;
  f.brightness = mean_brightness(bgr);
  const cv::Rect2f image(0, 0, static_cast<float>(bgr.cols), static_cast<float>(bgr.rows));

  // The box to measure: followed from the last frame, or from the detector.
  std::optional<cv::Rect2f> box;
  bool detected = false;
  if (followed_ && followed_->frames_since_detection < options_.redetect_every &&
      (followed_->box & image).area() >= 0.5f * followed_->box.area()) {
    box = followed_->box;
  } else {
    box = detect(bgr, f);
    detected = true;
  }

  std::optional<vision::Landmarks68> points;
  if (box) points = landmarker_.locate(bgr, *box);
  if (points && !detected) {
    // Check the landmarks' box against the followed one: a jump means the landmarks lost the face
    // (it turned away, left, or something covered it), so ask the detector on this same frame.
    const cv::Rect2f next = apply_relation(followed_->relation, bounding_box(*points));
    const double jump = std::hypot((next.x + next.width / 2) - (box->x + box->width / 2),
                                   (next.y + next.height / 2) - (box->y + box->height / 2)) /
                        box->width;
    const double scale = std::max(next.width / box->width, box->width / next.width);
    if (jump > options_.max_jump || scale > options_.max_scale_change) {
      box = detect(bgr, f);
      detected = true;
      points = box ? std::optional(landmarker_.locate(bgr, *box)) : std::nullopt;
    }
  }

  f.face_count = last_face_count_;
  if (!box || !points) {
    followed_.reset();
    f.face_count = 0;
    return f;
  }

  const cv::Rect2f landmark_box = bounding_box(*points);
  if (detected) {
    followed_ = Followed{*box, box_relation(*box, landmark_box), 0};
  } else {
    ++followed_->frames_since_detection;
  }
  followed_->box = apply_relation(followed_->relation, landmark_box);

  f.face_present = true;
  f.face_count = std::max(f.face_count, 1);
  f.face_box = *box;
  f.face_size = box->width / bgr.cols;
  f.landmarks = *points;

  try {
    const vision::HeadPose pose = vision::pose_from_landmarks(*points, bgr.size());
    f.head_yaw_deg = pose.yaw, f.head_pitch_deg = pose.pitch, f.head_roll_deg = pose.roll;
  } catch (const ComputationError&) {
    // The fit failed on this frame's landmarks: the pose is unknown, the rest still holds.
  }
  const cv::Point2f nose = (*points)[30];
  f.nose_offset_signed = (nose.x - (box->x + box->width / 2)) / box->width;
  f.nose_offset_abs = std::abs(f.nose_offset_signed);
  f.ear_left = eye_aspect_ratio(*points, 36);
  f.ear_right = eye_aspect_ratio(*points, 42);
  if (eye_network_) {
    const vision::EyeState eyes = eye_network_->classify(bgr, *points);
    const double open = finite_mean(eyes.left_open, eyes.right_open);
    if (std::isfinite(open)) f.eyes_closed_prob = 1.0 - open;
  }
  return f;
}

RollingMeasures::RollingMeasures(const EyeActivityOptions& options)
    : options_(options), eye_activity_(options) {}

void RollingMeasures::apply(FrameFeatures& f, double t_s) {
  if (f.face_present) last_face_t_ = t_s;
  f.time_since_face_s = f.face_present ? 0.0 : last_face_t_ ? t_s - *last_face_t_ : kNaN;
  double closure = kNaN;
  if (f.face_present) {
    const double ear = finite_mean(f.ear_left, f.ear_right);
    // Only frames the eye network does not call closed teach the open-eye EAR.
    if (!(f.eyes_closed_prob >= 0.5)) open_eye_.add(t_s, ear);
    if (std::isfinite(ear)) closure = std::clamp(1.0 - ear / open_eye_.value(), 0.0, 1.0);
    if (std::isfinite(f.eyes_closed_prob)) {
      closure = std::isfinite(closure) ? std::max(closure, f.eyes_closed_prob) : f.eyes_closed_prob;
    }
  }
  f.eye_closure = closure;
  const EyeActivityValues eyes = eye_activity_.update(t_s, closure);
  f.perclos = eyes.perclos, f.blink_rate_per_min = eyes.blink_rate_per_min,
  f.eyes_closed_s = eyes.closed_s;
}

FeatureExtractor::FeatureExtractor(const vision::ModelConfig& models, FeatureOptions options)
    : options_(options), face_(models, options), rolling_(options.eyes) {}

FrameFeatures FeatureExtractor::measure(const cv::Mat& bgr, double t_s) {
  FrameFeatures f = face_.measure(bgr);
  rolling_.apply(f, t_s);
  return f;
}

void FeatureExtractor::reset() {
  face_.reset();
  rolling_ = RollingMeasures(options_.eyes);
}

}  // namespace ethovid::focus
