#pragma once
// Motion SVD and movie SVD of one motion ROI, fitted on chunks spread over the video (Facemap's
// sampling: chunks of min(1000, T) frames, min(15, T / chunk) of them, starts evenly spaced from
// the first to the last possible frame), then used to project every frame.
//   movie: x_t = binned frame t - average frame
//   motion: m_t = |binned frame t - binned frame t-1| - average motion (t >= 1; within a chunk)
// Projections are U^T x, one value per component; motion at t = 0 is undefined (NaN).
#include <cstdint>
#include <functional>
#include <optional>
#include <vector>

#include <Eigen/Dense>

#include "ethovid/facemap/binned_frames.hpp"
#include "ethovid/facemap/incremental_svd.hpp"

namespace ethovid::facemap {

struct SvdModel {
  SvdBasis basis;
  Eigen::VectorXf mean;             // what is subtracted before projecting (pixels)
  Eigen::VectorXf mean_projection;  // basis^T mean, precomputed
  int components() const { return static_cast<int>(basis.components.cols()); }
};

struct RoiSvdModels {
  int rows = 0;  // binned ROI height
  int cols = 0;  // binned ROI width
  std::optional<SvdModel> motion;
  std::optional<SvdModel> movie;
  std::vector<std::int64_t> chunk_starts;
  std::int64_t chunk_length = 0;
};

// Chunk starts for `frames` frames: Facemap's schedule without its off-by-one end.
std::vector<std::int64_t> svd_chunk_starts(std::int64_t frames, std::int64_t* chunk_length);

// Fits the motion and movie SVDs (concurrently when both are asked for). `chunk_done` is called
// once per chunk and per SVD, never from two threads at once.
RoiSvdModels fit_roi_svds(const FrameCache& binned, const RoiBinner& binner,
                          const Eigen::VectorXf& average_frame,
                          const Eigen::VectorXf& average_motion, int components, bool motion_svd,
                          bool movie_svd, const std::function<void()>& chunk_done);

// Projects frames [first, first + count) of `binned`. Writes column-major count x K matrices.
// `motion` rows for frame 0 are NaN.
void project_frames(const FrameCache& binned, float scale, const RoiSvdModels& models,
                    std::int64_t first, std::int64_t count, Eigen::MatrixXf* motion,
                    Eigen::MatrixXf* movie, Eigen::MatrixXf& scratch);

}  // namespace ethovid::facemap
