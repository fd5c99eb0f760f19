#pragma once
// What a fit sees, built from a project's config and pose files the same way every time (so a
// resumed fit continues on identical data): the use_bodyparts of every recording, outliers and
// missing keypoints filled (confidence 0), confidences + pseudocount turned into noise priors,
// uniform jitter of +-added_noise_level (seed 42, as keypoint-moseq), cut into segments.
//
// A recording that cannot carry the model is left out, with the reason recorded, unless `strict`
// (then it is a FormatError naming the file): one with a bodypart never usable (missing, an
// outlier or below conf_threshold in every frame: it would be filled with zeros), or one with
// fewer observed frames than min_recording_frames (a tracker's short-lived fragment). Every other
// defect (different bodyparts, 2-D mixed with 3-D, two recordings of one name), and a project
// whose every recording is left out, is an error all the same.
#include <cstdint>
#include <string>
#include <vector>

#include "ethovid/core/json_file.hpp"
#include "ethovid/moseq/keypoint_slds.hpp"
#include "ethovid/moseq/project_config.hpp"
#include "ethovid/moseq/segments.hpp"

namespace ethovid::moseq {

struct RecordingInfo {
  std::string name;
  std::filesystem::path source;
  std::filesystem::path video;  // as the pose file names it, if it does
  std::int64_t frames = 0;
  std::int64_t first_frame = 0;  // the video frame of the recording's first row
  std::int64_t filled = 0;    // keypoint-frames interpolated (missing, outlier or below conf_threshold)
  std::int64_t outliers = 0;  // of those, outliers
  std::vector<std::int64_t> missing_per_keypoint, outliers_per_keypoint;  // for the QA plot
};

struct LeftOutRecording {
  std::string name;
  std::filesystem::path source;
  std::int64_t frames = 0;
  std::string reason;  // e.g. "5 observed frames; the model needs at least 30 (...)"
};

struct ModelData {
  std::vector<RecordingInfo> recordings;
  std::vector<LeftOutRecording> left_out;
  std::vector<KeypointSegment> segments;
  SegmentPlan plan;
  int keypoints = 0, dims = 2;
  std::vector<int> anterior, posterior;  // indices into use_bodyparts
};

// The left-out recordings as moseq_summary.json and fit_summary.json list them:
// [{name, source, frames, reason}], and back.
core::Json left_out_json(const std::vector<LeftOutRecording>& left_out);
std::vector<LeftOutRecording> left_out_from_json(const core::Json& list);

// The fewest observed frames (frames with any keypoint) a recording needs: 2 * nlags + 1, and at
// least one second at the config's fps.
std::int64_t min_recording_frames(const MoseqConfig& config);

ModelData build_model_data(const MoseqConfig& config, bool strict = false);

}  // namespace ethovid::moseq
