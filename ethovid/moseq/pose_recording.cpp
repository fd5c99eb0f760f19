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

}  // namespace ethovid::moseq
