#pragma once
// The stage's one pass over the video. For every frame it measures motion energy per motion ROI
// (full resolution), bins each motion ROI into its frame cache, accumulates the average binned
// frame and motion, keeps the pupil ROI crop in its own cache for the eye tracker, and a mean
// full frame for the QC figure. Nothing here grows with the video except the caches on disk and
// one double per frame per ROI.
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <vector>

#include <Eigen/Dense>
#include <opencv2/core.hpp>

#include "ethovid/core/video.hpp"
#include "ethovid/facemap/binned_frames.hpp"
#include "ethovid/facemap/roi.hpp"

namespace ethovid::facemap {

struct MotionRoiPass {
  Roi roi;
  RoiBinner binner;
  std::unique_ptr<FrameCache> binned;  // uint16 block sums, one frame after another
  std::vector<double> motion_energy;   // mean |f_t - f_{t-1}| / 255 in the ROI; NaN at t = 0
  Eigen::VectorXd frame_sum;           // sum over frames of the binned block sums
  Eigen::VectorXd motion_sum;          // sum over t >= 1 of |b_t - b_{t-1}| (block sums)

  // Averages in block-mean units (what the SVDs centre with).
  Eigen::VectorXf average_frame() const;
  Eigen::VectorXf average_motion() const;
};

struct DecodePassResult {
  std::int64_t frames = 0;
  std::vector<MotionRoiPass> motion_rois;
  std::unique_ptr<FrameCache> pupil_crops;  // uint8 crops of the pupil ROI, when one is given
  cv::Mat mean_frame;                       // CV_8UC1 mean of every 8th frame
};

// `progress(frames_done)` is called once per frame.
DecodePassResult run_decode_pass(core::VideoReader& reader, const std::vector<Roi>& motion_rois,
                                 const std::optional<Roi>& pupil_roi, int sbin,
                                 const std::filesystem::path& cache_dir,
                                 const std::function<void(std::int64_t)>& progress);

}  // namespace ethovid::facemap
