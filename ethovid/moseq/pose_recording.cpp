#include "ethovid/moseq/pose_recording.hpp"

#include <cmath>

namespace ethovid::moseq {

PoseRecording PoseRecording::empty(std::string name, std::filesystem::path source,
                                   std::vector<std::string> bodyparts, std::int64_t frames, int dims) {
  PoseRecording r;
  r.name = std::move(name);
  r.source = std::move(source);
  r.bodyparts = std::move(bodyparts);
  r.frames = frames;
  r.dims = dims;
  const auto cells = static_cast<std::size_t>(frames * r.keypoints());
  r.coordinates.assign(cells * static_cast<std::size_t>(dims), NAN);
  r.confidences.assign(cells, 0.0);
  return r;
}

namespace {

bool row_observed(const PoseRecording& r, std::int64_t t) {
  for (int k = 0; k < r.keypoints(); ++k) {
    if (std::isfinite(r.at(t, k, 0))) return true;
  }
  return false;
}

}  // namespace

void PoseRecording::crop(std::int64_t first, std::int64_t last) {
  const auto point = static_cast<std::ptrdiff_t>(keypoints());
  const auto row = point * dims;
  coordinates = std::vector<double>(coordinates.begin() + first * row, coordinates.begin() + last * row);
  confidences = std::vector<double>(confidences.begin() + first * point, confidences.begin() + last * point);
  frames = last - first;
  first_frame += first;
}

void PoseRecording::crop_to_observed() {
  std::int64_t first = 0, last = frames;
  while (first < frames && !row_observed(*this, first)) ++first;
  if (first == frames) return;  // nothing observed: left whole, for the checks to name
  while (!row_observed(*this, last - 1)) --last;
  crop(first, last);
}

std::int64_t PoseRecording::observed_frames() const {
  std::int64_t n = 0;
  for (std::int64_t t = 0; t < frames; ++t) n += row_observed(*this, t);
  return n;
}

}  // namespace ethovid::moseq
