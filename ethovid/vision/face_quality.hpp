#pragma once
// Per-face quality measures and the combined quality score used to gate and rank crops:
//   quality = 0.4 conf + 0.3 size + 0.2 sharpness + 0.1 pose, each part in [0, 1].
#include <opencv2/core.hpp>

namespace ethovid::vision {

// Variance of the Laplacian of the gray image: high for sharp detail, near 0 for blur. Measured
// on the aligned crop so that faces of every size are compared at the same scale.
double laplacian_variance(const cv::Mat& image);

struct QualityMeasures {
  double confidence = 0;  // detector score, [0, 1]
  double face_size = 0;   // shorter side of the face box, pixels
  double sharpness = 0;   // laplacian_variance of the aligned crop
  double yaw = 0;         // degrees
  double pitch = 0;       // degrees
};

// Where each part of the score reaches 1 (or 0, for pose).
struct QualityScales {
  double full_size = 112;       // a face this large or larger scores 1 (the aligned crop's size)
  double full_sharpness = 100;  // Laplacian variance scoring 1
  double zero_pose = 60;        // degrees of max(|yaw|, |pitch|) at which the pose part is 0
};

struct QualityParts {
  double confidence = 0, size = 0, sharpness = 0, pose = 0;
  double score = 0;
};

QualityParts quality_score(const QualityMeasures& m, const QualityScales& scales = {});

}  // namespace ethovid::vision
