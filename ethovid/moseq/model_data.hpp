#pragma once
// What a fit sees, built from a project's config and pose files the same way every time (so a
// resumed fit continues on identical data): the use_bodyparts of every recording, outliers and
// missing keypoints filled (confidence 0), confidences + pseudocount turned into noise priors,
// uniform jitter of +-added_noise_level (seed 42, as keypoint-moseq), cut into segments.
#include <cstdint>
#include <string>
#include <vector>

#include "ethovid/moseq/keypoint_slds.hpp"
#include "ethovid/moseq/project_config.hpp"
#include "ethovid/moseq/segments.hpp"

namespace ethovid::moseq {

struct RecordingInfo {
  std::string name;
  std::filesystem::path source;
  std::filesystem::path video;  // as the pose file names it, if it does
  std::int64_t frames = 0;
  std::int64_t filled = 0;    // keypoint-frames interpolated (missing, outlier or below conf_threshold)
  std::int64_t outliers = 0;  // of those, outliers
  std::vector<std::int64_t> missing_per_keypoint, outliers_per_keypoint;  // for the QA plot
};

struct ModelData {
  std::vector<RecordingInfo> recordings;
  std::vector<KeypointSegment> segments;
  SegmentPlan plan;
  int keypoints = 0, dims = 2;
  std::vector<int> anterior, posterior;  // indices into use_bodyparts
};

ModelData build_model_data(const MoseqConfig& config);

}  // namespace ethovid::moseq
