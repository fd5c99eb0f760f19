#include "ethovid/moseq/model_data.hpp"

#include <algorithm>
#include <cmath>
#include <optional>
#include <random>
#include <set>

#include "ethovid/core/error.hpp"
#include "ethovid/core/json_file.hpp"
#include "ethovid/moseq/pose_files.hpp"
#include "ethovid/moseq/preprocess.hpp"

namespace ethovid::moseq {

namespace {

std::vector<int> indices_of(const std::vector<std::string>& names, const std::vector<std::string>& within) {
  std::vector<int> out;
  for (const auto& name : names) {
    out.push_back(static_cast<int>(std::find(within.begin(), within.end(), name) - within.begin()));
  }
  return out;
}

// Why a recording cannot carry the model, or nothing when it can. A bodypart with no usable
// point would be filled with zeros and pull the pose model towards the origin; a fragment of a
// few frames holds no syllable.
std::optional<std::string> unusable(const PoseRecording& r, const std::vector<bool>& replace, const MoseqConfig& config) {
  for (int k = 0; k < r.keypoints(); ++k) {
    bool seen = false;
    for (std::int64_t t = 0; t < r.frames && !seen; ++t) {
      seen = std::isfinite(r.at(t, k, 0)) && !replace[static_cast<std::size_t>(t * r.keypoints() + k)];
    }
    if (!seen) {
      return "bodypart '" + r.bodyparts[static_cast<std::size_t>(k)] + "' has no usable point in any of its " +
             std::to_string(r.frames) + " frames (missing, an outlier, or confidence below conf_threshold " +
             core::Json(config.conf_threshold).dump() + ")";
    }
  }
  const std::int64_t observed = r.observed_frames(), needed = min_recording_frames(config);
  if (observed < needed) {
    return std::to_string(observed) + " observed frames; the model needs at least " + std::to_string(needed) +
           " (2 x nlags + 1 with nlags = " + std::to_string(config.nlags) + ", and 1 s at " +
           core::Json(config.fps).dump() + " fps)";
  }
  return std::nullopt;
}

}  // namespace

core::Json left_out_json(const std::vector<LeftOutRecording>& left_out) {
  core::Json list = core::Json::array();
  for (const auto& r : left_out) {
    list.push_back({{"name", r.name}, {"source", r.source.string()}, {"frames", r.frames}, {"reason", r.reason}});
  }
  return list;
}

std::vector<LeftOutRecording> left_out_from_json(const core::Json& list) {
  std::vector<LeftOutRecording> out;
  for (const auto& r : list) {
    out.push_back({r.at("name").get<std::string>(), r.at("source").get<std::string>(), r.at("frames").get<std::int64_t>(),
                   r.at("reason").get<std::string>()});
  }
  return out;
}

std::int64_t min_recording_frames(const MoseqConfig& config) {
  return std::max<std::int64_t>(2 * config.nlags + 1, static_cast<std::int64_t>(std::ceil(config.fps)));
}

ModelData build_model_data(const MoseqConfig& config, bool strict) {
  ModelData data;
  data.keypoints = static_cast<int>(config.use_bodyparts.size());
  data.anterior = indices_of(config.anterior_bodyparts, config.use_bodyparts);
  data.posterior = indices_of(config.posterior_bodyparts, config.use_bodyparts);
  std::vector<Eigen::MatrixXd> coordinates, priors;
  std::set<std::string> names;
  for (const auto& file : config.pose_files) {
    for (PoseRecording& r : load_pose_file(file)) {
      if (!names.insert(r.name).second) {
        throw ConfigError("two recordings are named '" + r.name + "' (the second from " + file.string() +
                          "); pose files of one project need different names");
      }
      // Keep use_bodyparts, in their order.
      const std::vector<int> keep = indices_of(config.use_bodyparts, r.bodyparts);
      for (std::size_t i = 0; i < keep.size(); ++i) {
        if (keep[i] >= r.keypoints()) {
          throw FormatError(file.string() + ": recording " + r.name + " has no bodypart '" + config.use_bodyparts[i] + "'");
        }
      }
      PoseRecording used = PoseRecording::empty(r.name, r.source, config.use_bodyparts, r.frames, r.dims);
      for (std::int64_t t = 0; t < r.frames; ++t) {
        for (std::size_t k = 0; k < keep.size(); ++k) {
          for (int d = 0; d < r.dims; ++d) used.at(t, static_cast<int>(k), d) = r.at(t, keep[k], d);
          used.confidence(t, static_cast<int>(k)) = r.confidence(t, keep[k]);
        }
      }
      if (!data.recordings.empty() && used.dims != data.dims) {
        throw FormatError(file.string() + ": recording " + used.name + " has " + std::to_string(used.dims) +
                          "-D keypoints, " + data.recordings.front().name + " has " + std::to_string(data.dims) +
                          "-D; a project's recordings must all be 2-D or all 3-D");
      }
      data.dims = used.dims;
      const std::vector<bool> outliers = find_outliers(used, config.outlier_scale_factor);
      // Low-confidence keypoints are masked too: filled from their neighbours in time, like
      // missing ones, with confidence 0 (so their noise prior is wide).
      std::vector<bool> replace = outliers;
      for (std::int64_t t = 0; t < used.frames; ++t) {
        for (int k = 0; k < used.keypoints(); ++k) {
          if (used.confidence(t, k) < config.conf_threshold) replace[static_cast<std::size_t>(t * used.keypoints() + k)] = true;
        }
      }
      if (const auto reason = unusable(used, replace, config)) {
        if (strict) {
          throw FormatError(file.string() + ": recording " + used.name + ": " + *reason +
                            " (--strict; without it the recording is left out)");
        }
        data.left_out.push_back({used.name, used.source, used.frames, *reason});
        continue;
      }
      RecordingInfo info;
      info.name = used.name;
      info.source = used.source;
      info.video = r.video;
      info.frames = used.frames;
      info.first_frame = r.first_frame;
      info.outliers = std::count(outliers.begin(), outliers.end(), true);
      info.missing_per_keypoint.assign(static_cast<std::size_t>(used.keypoints()), 0);
      info.outliers_per_keypoint.assign(static_cast<std::size_t>(used.keypoints()), 0);
      for (std::int64_t t = 0; t < used.frames; ++t) {
        for (int k = 0; k < used.keypoints(); ++k) {
          info.outliers_per_keypoint[static_cast<std::size_t>(k)] += outliers[static_cast<std::size_t>(t * used.keypoints() + k)];
          info.missing_per_keypoint[static_cast<std::size_t>(k)] += !std::isfinite(used.at(t, k, 0));
        }
      }
      info.filled = interpolate_keypoints(used, replace);
      Eigen::MatrixXd Y(used.frames, used.keypoints() * used.dims), s0(used.frames, used.keypoints());
      for (std::int64_t t = 0; t < used.frames; ++t) {
        for (int k = 0; k < used.keypoints(); ++k) {
          for (int d = 0; d < used.dims; ++d) Y(t, k * used.dims + d) = used.at(t, k, d);
          const double confidence = std::max(0.0, used.confidence(t, k)) + config.conf_pseudocount;
          s0(t, k) = noise_prior(confidence, config.error_estimator_slope, config.error_estimator_intercept);
        }
      }
      coordinates.push_back(std::move(Y));
      priors.push_back(std::move(s0));
      data.recordings.push_back(std::move(info));
    }
  }
  if (data.recordings.empty() && !data.left_out.empty()) {
    const LeftOutRecording& first = data.left_out.front();
    std::string message = first.source.string() + ": recording " + first.name + ": " + first.reason;
    if (data.left_out.size() > 1) {
      message += " (and " + std::to_string(data.left_out.size() - 1) + " more recordings cannot carry the model)";
    }
    throw FormatError(message + "; no recording is left to fit");
  }
  if (data.recordings.empty()) throw ConfigError("the project has no pose files (pose_files in config.yml)");
  // The same jitter every time: it is part of the data, not of the fit's randomness.
  std::mt19937_64 jitter(42);
  std::uniform_real_distribution<double> noise(-config.added_noise_level, config.added_noise_level);
  for (auto& Y : coordinates) {
    for (Eigen::Index i = 0; i < Y.size(); ++i) Y.data()[i] += noise(jitter);
  }
  std::vector<std::int64_t> lengths;
  for (const auto& r : data.recordings) lengths.push_back(r.frames);
  data.plan = plan_segments(lengths, config.seg_length);
  if (config.nlags + 2 > data.plan.rows()) {
    throw ConfigError("nlags = " + std::to_string(config.nlags) + " needs segments longer than nlags + 1 frames; they have " +
                      std::to_string(data.plan.rows()) + " (seg_length + 30)");
  }
  for (const Segment& s : data.plan.segments) {
    KeypointSegment segment;
    segment.Y = cut_segment(coordinates[static_cast<std::size_t>(s.recording)], s, data.plan.rows(), &segment.mask);
    segment.s0 = cut_segment(priors[static_cast<std::size_t>(s.recording)], s, data.plan.rows());
    data.segments.push_back(std::move(segment));
  }
  return data;
}

}  // namespace ethovid::moseq
