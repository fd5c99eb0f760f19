#include "ethovid/facemap/roi_svd.hpp"

#include <omp.h>

#include <algorithm>
#include <future>
#include <mutex>
#include <cmath>
#include <limits>

namespace ethovid::facemap {

namespace {

constexpr std::int64_t kChunkFrames = 1000;
constexpr std::int64_t kMaxChunks = 15;
constexpr int kComponentsPerChunk = 250;  // Facemap's `nc` when there are several chunks

SvdModel make_model(SvdBasis basis, Eigen::VectorXf mean) {
  SvdModel model{std::move(basis), std::move(mean), {}};
  model.mean_projection = model.basis.components.transpose() * model.mean;
  return model;
}

}  // namespace

std::vector<std::int64_t> svd_chunk_starts(std::int64_t frames, std::int64_t* chunk_length) {
  const std::int64_t length = std::min(kChunkFrames, frames);
  *chunk_length = length;
  if (length <= 0) return {};
  const std::int64_t count = std::max<std::int64_t>(1, std::min(kMaxChunks, frames / length));
  std::vector<std::int64_t> starts(count);
  const std::int64_t last = frames - length;
  for (std::int64_t i = 0; i < count; ++i) {
    starts[i] = count == 1 ? 0 : static_cast<std::int64_t>(std::floor(
                                     static_cast<double>(last) * i / (count - 1)));
  }
  return starts;
}

namespace {

enum class SvdKind { kMotion, kMovie };

// One SVD over the scheduled chunks: movie = frames - average frame; motion = |frame diffs|
// within the chunk - average motion.
SvdModel fit_one(const FrameCache& binned, const RoiSvdModels& models, float scale, int k,
                 Eigen::Index pixels, SvdKind kind, const Eigen::VectorXf& mean,
                 const std::function<void()>& chunk_done) {
  const int per_chunk = models.chunk_starts.size() > 1 ? kComponentsPerChunk : k;
  IncrementalSvd svd(pixels, k, per_chunk);
  Eigen::MatrixXf chunk, work;
  for (std::int64_t start : models.chunk_starts) {
    binned.read_binned(start, models.chunk_length, scale, chunk);
    if (kind == SvdKind::kMovie) {
      work = chunk.colwise() - mean;
    } else {
      const Eigen::Index n = chunk.cols() - 1;
      work = (chunk.rightCols(n) - chunk.leftCols(n)).cwiseAbs();
      work.colwise() -= mean;
    }
    svd.add_chunk(work);
    chunk_done();
  }
  return make_model(svd.finish(), mean);
}

}  // namespace

RoiSvdModels fit_roi_svds(const FrameCache& binned, const RoiBinner& binner,
                          const Eigen::VectorXf& average_frame,
                          const Eigen::VectorXf& average_motion, int components, bool motion_svd,
                          bool movie_svd, const std::function<void()>& chunk_done) {
  RoiSvdModels models;
  models.rows = binner.rows();
  models.cols = binner.cols();
  models.chunk_starts = svd_chunk_starts(binned.frames(), &models.chunk_length);
  const Eigen::Index pixels = binner.pixels();
  const int k = std::max(1, std::min<int>(components, static_cast<int>(pixels)));
  const float scale = 1.0f / static_cast<float>(binner.sbin() * binner.sbin());
  motion_svd = motion_svd && models.chunk_length > 1;
  std::mutex progress_mutex;
  auto done = [&] {
    std::lock_guard<std::mutex> lock(progress_mutex);
    chunk_done();
  };
  if (motion_svd && movie_svd) {
    // Both fits at once, one core each: their matrix products lose nothing, and their
    // eigensolvers (single-threaded in Eigen) no longer take turns.
    auto movie = std::async(std::launch::async, [&] {
      omp_set_num_threads(1);
      return fit_one(binned, models, scale, k, pixels, SvdKind::kMovie, average_frame, done);
    });
    const int threads = omp_get_max_threads();
    omp_set_num_threads(1);
    try {
      models.motion = fit_one(binned, models, scale, k, pixels, SvdKind::kMotion, average_motion, done);
    } catch (...) {
      omp_set_num_threads(threads);
      movie.wait();
      throw;
    }
    omp_set_num_threads(threads);
    models.movie = movie.get();
  } else if (motion_svd) {
    models.motion = fit_one(binned, models, scale, k, pixels, SvdKind::kMotion, average_motion, done);
  } else if (movie_svd) {
    models.movie = fit_one(binned, models, scale, k, pixels, SvdKind::kMovie, average_frame, done);
  }
  return models;
}

void project_frames(const FrameCache& binned, float scale, const RoiSvdModels& models,
                    std::int64_t first, std::int64_t count, Eigen::MatrixXf* motion,
                    Eigen::MatrixXf* movie, Eigen::MatrixXf& scratch) {
  // One frame before the batch is read too: motion at t needs frame t - 1.
  const std::int64_t read_from = first > 0 ? first - 1 : 0;
  const std::int64_t lead = first - read_from;
  binned.read_binned(read_from, count + lead, scale, scratch);
  const auto frames = scratch.rightCols(count);
  if (movie && models.movie) {
    const SvdModel& m = *models.movie;
    movie->resize(count, m.components());
    movie->noalias() = frames.transpose() * m.basis.components;
    movie->rowwise() -= m.mean_projection.transpose();
  }
  if (motion && models.motion) {
    const SvdModel& m = *models.motion;
    motion->resize(count, m.components());
    const std::int64_t diffs = count + lead - 1;
    if (diffs > 0) {
      const Eigen::MatrixXf moves =
          (scratch.rightCols(diffs) - scratch.leftCols(diffs)).cwiseAbs();
      motion->bottomRows(diffs).noalias() = moves.transpose() * m.basis.components;
      motion->bottomRows(diffs).rowwise() -= m.mean_projection.transpose();
    }
    if (lead == 0) motion->row(0).setConstant(std::numeric_limits<float>::quiet_NaN());
  }
}

}  // namespace ethovid::facemap
