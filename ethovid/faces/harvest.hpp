#pragma once
// Which face candidates of a track become crops: the quality gate (every rejection has a reason),
// the sampling of what passed, and the volume limits per track and per episode. Pure decisions on
// measured candidates; `faces embed` measures them and cuts the crops.
#include <cstdint>
#include <string>
#include <vector>

namespace ethovid::faces {

enum class Sampling { kUniform, kQualityWeighted, kStratified };

// The gate, the sampling and the limits; defaults as documented in docs/faces.md.
struct HarvestConfig {
  double min_quality = 0.5;
  double min_confidence = 0.7;
  double min_face_size = 40;    // pixels, shorter side of the box inside the frame
  double max_blur = 0.9;        // blur = 1 - min(1, sharpness / 100), in [0, 1]
  double max_yaw_angle = 45;    // degrees
  double max_pitch_angle = 30;  // degrees
  double min_inside_fraction = 0.6;  // of the box area that must lie inside the frame
  Sampling sampling = Sampling::kUniform;
  int sample_interval = 1;      // uniform: every N-th passing candidate of a track
  int max_crops_per_track = 20;
  int max_crops_per_episode = 5000;
  unsigned seed = 0;            // quality-weighted sampling draws with this seed
};

struct Candidate {
  int track_id = 0;
  std::int64_t frame_idx = 0;
  double confidence = 0;
  double face_size = 0;       // pixels, shorter side of the box clamped to the frame
  double inside_fraction = 1; // share of the box's area inside the frame
  double blur = 0;            // [0, 1]
  double yaw = 0;             // degrees
  double pitch = 0;           // degrees
  double quality = 0;         // combined score, [0, 1]
};

// Why a candidate was not kept; kNone for those that were.
enum class Rejection {
  kNone,
  kBboxOutOfBounds,   // "bbox_out_of_bounds"
  kLowConfidence,     // "low_confidence"
  kTooSmall,          // "too_small"
  kTooBlurry,         // "too_blurry"
  kPoseTooExtreme,    // "pose_too_extreme"
  kLowQuality,        // "low_quality"
  kNotSampled,        // "not_sampled": passed the gate, left out by the sampling
  kTrackLimit,        // "track_limit": beyond max_crops_per_track (lowest quality dropped first)
  kEpisodeLimit,      // "episode_limit": beyond max_crops_per_episode (lowest quality first)
  kMeasureFailed,     // "measure_failed": landmarks or pose could not be computed (set by embed)
};

const char* rejection_name(Rejection r);

// The first gate rule a candidate breaks, checked in the order of the enum; kNone if it passes.
// A NaN confidence (no detector score) passes the confidence rule; a NaN in any other measure
// fails its rule.
Rejection gate(const Candidate& c, const HarvestConfig& config);

// Decides every candidate: result[i] is kNone for the crops to keep. Candidates may come in any
// order; within a track they are ordered by frame_idx for the sampling.
std::vector<Rejection> harvest(const std::vector<Candidate>& candidates,
                               const HarvestConfig& config);

}  // namespace ethovid::faces
