#include "ethovid/facemap/binned_frames.hpp"

#include <unistd.h>

#include <cassert>
#include <cerrno>
#include <cstring>

#include "ethovid/core/atomic_file.hpp"
#include "ethovid/core/error.hpp"
#include "ethovid/core/scratch_files.hpp"

namespace ethovid::facemap {

RoiBinner::RoiBinner(const Roi& roi, int sbin)
    : roi_(roi), sbin_(sbin), rows_(roi.height / sbin), cols_(roi.width / sbin) {
  if (sbin < 1 || sbin > kMaxSbin) {
    throw ConfigError("sbin " + std::to_string(sbin) + " is outside 1.." +
                      std::to_string(kMaxSbin));
  }
  if (rows_ == 0 || cols_ == 0) {
    throw ConfigError("ROI " + roi.to_string() + " is smaller than one " + std::to_string(sbin) +
                      "x" + std::to_string(sbin) + " bin");
  }
  row_sums_.resize(static_cast<std::size_t>(cols_) * sbin_);
}

void RoiBinner::bin(const cv::Mat& frame, std::uint16_t* out) {
  assert(frame.type() == CV_8UC1);
  const int width = cols_ * sbin_;
  for (int by = 0; by < rows_; ++by) {
    // Vertical sums of sbin rows first (a contiguous, vectorisable loop), then horizontal.
    const std::uint8_t* first = frame.ptr<std::uint8_t>(roi_.y + by * sbin_) + roi_.x;
    for (int x = 0; x < width; ++x) row_sums_[x] = first[x];
    for (int dy = 1; dy < sbin_; ++dy) {
      const std::uint8_t* row = frame.ptr<std::uint8_t>(roi_.y + by * sbin_ + dy) + roi_.x;
      for (int x = 0; x < width; ++x) row_sums_[x] = static_cast<std::uint16_t>(row_sums_[x] + row[x]);
    }
    std::uint16_t* dst = out + static_cast<std::size_t>(by) * cols_;
    for (int bx = 0; bx < cols_; ++bx) {
      std::uint32_t sum = 0;
      for (int dx = 0; dx < sbin_; ++dx) sum += row_sums_[bx * sbin_ + dx];
      dst[bx] = static_cast<std::uint16_t>(sum);
    }
  }
}

FrameCache::FrameCache(const std::filesystem::path& dir, std::size_t bytes_per_frame)
    : path_(core::temp_path_for(dir / "frames.cache")), bytes_per_frame_(bytes_per_frame) {
  const core::ScratchFile scratch(path_);  // an interrupt before the unlink below removes it
  file_ = std::fopen(path_.c_str(), "w+b");
  if (!file_) {
    throw Error("cannot create the frame cache " + path_.string() + ": " + std::strerror(errno));
  }
  // Unlinked at once: the open file stays usable (it is only read through this handle), and an
  // interrupt, a crash or a kill leaves nothing behind (the cache can be tens of MB).
  std::error_code ignored;
  std::filesystem::remove(path_, ignored);
  std::setvbuf(file_, nullptr, _IOFBF, 1 << 22);
}

FrameCache::~FrameCache() {
  if (file_) std::fclose(file_);
}

void FrameCache::append(const void* frame) {
  assert(writing_);
  if (std::fwrite(frame, 1, bytes_per_frame_, file_) != bytes_per_frame_) {
    throw Error("cannot write the frame cache " + path_.string() + " (disk full?)");
  }
  ++frames_;
}

void FrameCache::finish_writing() {
  if (!writing_) return;
  if (std::fflush(file_) != 0) throw Error("cannot write the frame cache " + path_.string());
  writing_ = false;
}

void FrameCache::read(std::int64_t first, std::int64_t count, void* out) const {
  assert(!writing_ && first >= 0 && count >= 0 && first + count <= frames_);
  const std::size_t bytes = static_cast<std::size_t>(count) * bytes_per_frame_;
  const off_t offset = static_cast<off_t>(first) * static_cast<off_t>(bytes_per_frame_);
  char* dst = static_cast<char*>(out);
  std::size_t done = 0;
  while (done < bytes) {
    const ssize_t n = pread(fileno(file_), dst + done, bytes - done, offset + static_cast<off_t>(done));
    if (n <= 0) throw Error("cannot read back the frame cache " + path_.string());
    done += static_cast<std::size_t>(n);
  }
}

void FrameCache::read_binned(std::int64_t first, std::int64_t count, float scale,
                             Eigen::MatrixXf& out) const {
  const auto pixels = static_cast<Eigen::Index>(bytes_per_frame_ / sizeof(std::uint16_t));
  std::vector<std::uint16_t> sums(static_cast<std::size_t>(count) * pixels);
  read(first, count, sums.data());
  out = Eigen::Map<const Eigen::Matrix<std::uint16_t, Eigen::Dynamic, Eigen::Dynamic>>(
            sums.data(), pixels, count)
            .cast<float>() *
        scale;
}

}  // namespace ethovid::facemap
