#pragma once
// Measures FrameFeatures (frame_features.hpp) on each frame of a stream, on the vision layer:
// the detector finds faces, the landmark network places 68 points on the main face, head pose
// comes from fitting a generic face to them, the eye-state network reads both eyes.
//
// Speed: while a face is followed, the detector does not run. The next frame's face box is made
// from this frame's landmarks (their bounding box mapped onto the detector's box by the relation
// seen at the last detection), and the detector runs again every `redetect_every` frames, when
// that box jumps (moves or changes size more than a detector would between frames) or leaves the
// image, and on every frame while no face is seen.
// Offline, frames of a file are measured on several threads (measured_frames.hpp): each thread
// follows the face through every k-th frame, and the rolling measures run in frame order.
#include <cstdint>
#include <opencv2/core.hpp>
#include <optional>

#include "ethovid/focus/eye_activity.hpp"
#include "ethovid/focus/frame_features.hpp"
#include "ethovid/vision/eye_state.hpp"
#include "ethovid/vision/face_detector.hpp"
#include "ethovid/vision/landmarker.hpp"
#include "ethovid/vision/model_config.hpp"

namespace ethovid::focus {

struct FeatureOptions {
  int redetect_every = 30;        // frames between detector runs while a face is followed
  double max_jump = 0.35;         // re-detect when the followed box moves this share of its width
  double max_scale_change = 1.3;  // ... or grows or shrinks by more than this factor
  bool eye_network = true;        // run the eye-state network (when the model config has one)
  EyeActivityOptions eyes;
};

// What one frame shows on its own: the face, its landmarks, pose, nose offset, EAR, the eye
// network's reading, brightness. Follows the face from frame to frame (see above); holds no
// rolling measures, so several can measure interleaved frames of one file in parallel.
class FaceMeasurer {
 public:
  // ConfigError when redetect_every < 1 or the limits are not > 0 (> 1 for the scale).
  FaceMeasurer(const vision::ModelConfig& models, const FeatureOptions& options);
  // The features of an 8-bit BGR frame, rolling measures left unknown.
  FrameFeatures measure(const cv::Mat& bgr);
  void reset();  // forget the followed face

 private:
  struct Followed {
    cv::Rect2f box;
    // The detector's box relative to the landmarks' bounding box at the last detection:
    // (x - lx) / lw, (y - ly) / lh, w / lw, h / lh.
    cv::Vec4f relation;
    int frames_since_detection = 0;
  };
  std::optional<cv::Rect2f> detect(const cv::Mat& bgr, FrameFeatures& f);

  FeatureOptions options_;
  vision::FaceDetector detector_;
  vision::Landmarker landmarker_;
  std::optional<vision::EyeStateClassifier> eye_network_;
  std::optional<Followed> followed_;
  int last_face_count_ = 0;
};

// The measures over time, applied to each frame in order on the session clock: eye closure
// against this person's open-eye EAR, PERCLOS, blinks, how long the eyes have been closed, and
// the time since the face was last seen.
class RollingMeasures {
 public:
  explicit RollingMeasures(const EyeActivityOptions& options = {});
  void apply(FrameFeatures& f, double t_s);

 private:
  EyeActivityOptions options_;
  std::optional<double> last_face_t_;
  OpenEyeReference open_eye_;
  EyeActivity eye_activity_;
};

// Both, one frame after the other: what the live loop runs.
class FeatureExtractor {
 public:
  FeatureExtractor(const vision::ModelConfig& models, FeatureOptions options = {});
  // The features of an 8-bit BGR frame taken at `t_s` on the session clock (seconds, increasing).
  FrameFeatures measure(const cv::Mat& bgr, double t_s);
  // Forget the followed face and the rolling measures (the camera back on).
  void reset();

 private:
  FeatureOptions options_;
  FaceMeasurer face_;
  RollingMeasures rolling_;
};

// Eye aspect ratio of the eye whose six landmarks start at `first` (36 image-left, 42 image-right):
// the mean of the two eyelid gaps over the corner-to-corner width.
double eye_aspect_ratio(const vision::Landmarks68& points, int first);

}  // namespace ethovid::focus
