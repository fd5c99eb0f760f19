#pragma once
// Spatial binning of an ROI (Facemap's `sbin`) and a disk cache of frames.
//
// The stage decodes the video once. Every binned frame goes to a temporary cache file in the
// output folder as exact block sums (uint16: sbin <= 16 keeps 255 * sbin^2 below 65536), so the
// SVD chunks and the projection pass read binned frames back instead of decoding again. Memory
// stays bounded by one batch; the cache costs (H/sbin)*(W/sbin)*2 bytes per frame on disk and is
// deleted when the run ends.
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <vector>

#include <Eigen/Dense>
#include <opencv2/core.hpp>

#include "ethovid/facemap/roi.hpp"

namespace ethovid::facemap {

inline constexpr int kMaxSbin = 16;

class RoiBinner {
 public:
  // Bins `roi` into (height/sbin) x (width/sbin) blocks; a remainder row/column is dropped.
  RoiBinner(const Roi& roi, int sbin);
  int rows() const { return rows_; }
  int cols() const { return cols_; }
  int pixels() const { return rows_ * cols_; }
  int sbin() const { return sbin_; }
  // Block sums of the ROI of a CV_8UC1 full frame, row-major, pixels() entries.
  void bin(const cv::Mat& frame, std::uint16_t* out);

 private:
  Roi roi_;
  int sbin_;
  int rows_;
  int cols_;
  std::vector<std::uint16_t> row_sums_;
};

// A temporary file of fixed-size frames (binned sums, or raw ROI crops), appended once during the
// decode pass and read back in ranges. Created hidden in `dir` and unlinked at once, so it takes
// disk space only while the object lives and is never left behind.
class FrameCache {
 public:
  FrameCache(const std::filesystem::path& dir, std::size_t bytes_per_frame);
  ~FrameCache();
  FrameCache(const FrameCache&) = delete;
  FrameCache& operator=(const FrameCache&) = delete;

  void append(const void* frame);
  // Ends the writing phase (flushes); reads are allowed only after it, and from then on any
  // number of threads may read at once.
  void finish_writing();
  std::int64_t frames() const { return frames_; }
  std::size_t bytes_per_frame() const { return bytes_per_frame_; }

  // Copies frames [first, first + count) into `out` (count * bytes_per_frame() bytes).
  void read(std::int64_t first, std::int64_t count, void* out) const;

  // For caches of uint16 binned sums: frames [first, first + count) as a pixels x count float
  // matrix, each sum multiplied by `scale` (1 / sbin^2 turns sums into block means).
  void read_binned(std::int64_t first, std::int64_t count, float scale, Eigen::MatrixXf& out) const;

 private:
  std::filesystem::path path_;
  std::FILE* file_ = nullptr;
  std::size_t bytes_per_frame_;
  std::int64_t frames_ = 0;
  bool writing_ = true;
};

}  // namespace ethovid::facemap
