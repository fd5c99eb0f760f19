#pragma once
// `ethovid moseq calibrate`: keypoint-moseq's error estimator (how a keypoint's confidence maps to
// its pixel error, which sets the noise prior s0) fitted without a GUI. keypoint-moseq asks a
// person to click the true positions of ~100 keypoints; here the error is measured where the
// truth is known from the data itself: in still frames (the centroid's speed in its lowest 20 %)
// a keypoint should sit between its neighbours in time, so its distance from their mean,
// / sqrt(1.5) (the three frames' noise adds up), is its error. Errors are grouped in 10
// log-spaced confidence bins, and log10(median error + 1) = slope log10(confidence) + intercept is
// fitted over the bins, as keypoint-moseq fits its clicks. The result goes into config.yml
// (error_estimator) and the bins into noise_calibration.json.
#include <filesystem>
#include <vector>

#include "ethovid/moseq/pose_recording.hpp"

namespace ethovid::moseq {

struct CalibrationBin {
  double confidence = 0;  // the bin's median confidence
  double error_px = 0;    // median error in the bin
  std::int64_t points = 0;
};

struct NoiseCalibration {
  double slope = 0, intercept = 0;
  std::vector<CalibrationBin> bins;
  std::int64_t points = 0;
};

// FormatError (bad input, exit 2) when the data cannot be calibrated: no still frames, fewer than
// 3 bins with points (e.g. every confidence is the same), or an error that grows with confidence.
NoiseCalibration calibrate_noise(const std::vector<PoseRecording>& recordings);

struct CalibrateResult {
  NoiseCalibration calibration;
  std::filesystem::path config_path, report_path;
};

CalibrateResult calibrate_project(const std::filesystem::path& project);

}  // namespace ethovid::moseq
