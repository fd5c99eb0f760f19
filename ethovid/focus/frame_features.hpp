#pragma once
// What the focus stage measures on one frame (issue 12 §1), in the units the event log stores.
// Measured on the vision layer by FeatureExtractor (feature_extractor.hpp); nothing here holds
// an image.
#include <array>
#include <limits>
#include <nlohmann/json.hpp>
#include <opencv2/core/types.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace ethovid::focus {

inline constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

struct FrameFeatures {
  bool face_present = false;
  int face_count = 0;       // every face the detector saw (someone else in view when > 1)
  cv::Rect2f face_box;      // the main face, image pixels; empty when no face
  double face_size = kNaN;  // the main face's box width / frame width (0..1)
  std::optional<std::array<cv::Point2f, 68>> landmarks;  // image pixels, the main face
  // Head pose from the landmark fit, degrees, the vision layer's conventions (yaw > 0 nose to
  // the image's right, pitch > 0 looking up, roll > 0 clockwise in the image). NaN without face.
  double head_yaw_deg = kNaN;
  double head_pitch_deg = kNaN;
  double head_roll_deg = kNaN;
  // The reference's feature: nose tip x minus the face box centre x, over the box width
  // (> 0 when the nose is right of centre in the image). 0 without a face, as the reference
  // logs it, so a model trained on the reference's three features always sees finite inputs.
  double nose_offset_signed = 0;
  double nose_offset_abs = 0;
  // Eye aspect ratio (Soukupova & Cech 2016) of the image-left and image-right eye; NaN without
  // landmarks. Open eyes read about 0.25-0.35, closed below 0.15.
  double ear_left = kNaN;
  double ear_right = kNaN;
  double eyes_closed_prob = kNaN;  // 1 - the eye-state network's mean open probability
  // How far the eyes are closed, 0 open .. 1 shut: 1 - EAR / this person's open-eye EAR (the
  // median EAR of the last 60 s with a face), or the network's closed probability when that is
  // higher. PERCLOS counts the time with eye_closure >= 0.8. NaN without landmarks.
  double eye_closure = kNaN;
  double eyes_closed_s = kNaN;  // how long the eyes have been >= 80 % closed (0 when open)
  double brightness = kNaN;     // mean gray level of the frame, 0..255
  // Rolling measures on the session clock.
  double perclos = kNaN;             // share of the last 60 s with the eyes >= 80 % closed
  double blink_rate_per_min = kNaN;  // blinks in the last 60 s, per minute of that window
  double time_since_face_s = kNaN;   // 0 while the face is seen; NaN before it ever was
  bool detector_ran = false;         // false when the face was followed by its landmarks
};

// The numeric features by their event-log names (booleans as 0/1), for models trained on the log:
// face_present, face_count, face_size, head_yaw_deg, head_pitch_deg, head_roll_deg,
// nose_offset_signed, nose_offset_abs, ear_left, ear_right, eyes_closed_prob, eye_closure,
// brightness, perclos, blink_rate_per_min, time_since_face_s, eyes_closed_s.
const std::vector<std::string>& numeric_feature_names();
// nullopt for a name not in that list.
std::optional<double> feature_value(const FrameFeatures& features, std::string_view name);
// Those features as a JSON object (NaN as null), for /status.
nlohmann::json features_json(const FrameFeatures& features);

}  // namespace ethovid::focus
