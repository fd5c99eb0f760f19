#include "ethovid/faces/harvest.hpp"

#include <algorithm>
#include <cassert>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <map>
#include <random>

namespace ethovid::faces {

namespace {

// Floor of a sampling weight, so that a zero-quality candidate can still be drawn (last).
constexpr double kMinWeight = 1e-9;

using Indices = std::vector<std::size_t>;

// A measure must meet its bound; written as "!(ok)" so that a NaN measure fails the rule instead
// of slipping through (and later poisoning the quality ordering).
bool below(double value, double bound) { return !(value >= bound); }
bool above(double value, double bound) { return !(value <= bound); }

// The passing candidates of each track, in frame order (ties keep input order), by track id.
std::map<int, Indices> passing_by_track(const std::vector<Candidate>& candidates,
                                        const std::vector<Rejection>& result) {
  std::map<int, Indices> tracks;
  for (std::size_t i = 0; i < candidates.size(); ++i) {
    if (result[i] == Rejection::kNone) tracks[candidates[i].track_id].push_back(i);
  }
  for (auto& [track_id, indices] : tracks) {
    std::stable_sort(indices.begin(), indices.end(), [&](std::size_t a, std::size_t b) {
      return candidates[a].frame_idx < candidates[b].frame_idx;
    });
  }
  return tracks;
}

Indices sample_uniform(const Indices& passing, int interval) {
  Indices chosen;
  for (std::size_t pos = 0; pos < passing.size(); pos += static_cast<std::size_t>(interval)) {
    chosen.push_back(passing[pos]);
  }
  return chosen;
}

// A double in [0, 1) from two raw 32-bit draws: the engine's output sequence is fixed by the
// standard, unlike the distributions, so the draw is the same with every standard library.
double unit_draw(std::mt19937& engine) {
  const std::uint64_t high = engine() >> 5;  // 27 bits
  const std::uint64_t low = engine() >> 6;   // 26 bits
  return static_cast<double>((high << 26) | low) / static_cast<double>(std::uint64_t{1} << 53);
}

// Draws without replacement, each time with probability proportional to quality among those left.
Indices sample_quality_weighted(const std::vector<Candidate>& candidates, const Indices& passing,
                                int max_count, unsigned seed, int track_id) {
  // seed_seq's mixing is specified by the standard: the same (seed, track) gives the same stream.
  std::seed_seq seq{seed, static_cast<unsigned>(track_id)};
  std::mt19937 engine(seq);
  Indices left = passing;
  const std::size_t count = std::min(left.size(), static_cast<std::size_t>(max_count));
  Indices chosen;
  while (chosen.size() < count) {
    std::vector<double> weights;
    double total = 0;
    for (std::size_t i : left) {
      weights.push_back(std::max(candidates[i].quality, kMinWeight));
      total += weights.back();
    }
    const double target = unit_draw(engine) * total;
    // Rounding can leave target past the last cumulative sum: the last one is drawn then.
    std::size_t pick = 0;
    double cumulative = weights[0];
    while (cumulative <= target && pick + 1 < left.size()) cumulative += weights[++pick];
    chosen.push_back(left[pick]);
    left.erase(left.begin() + static_cast<std::ptrdiff_t>(pick));
  }
  return chosen;
}

// Contiguous strata of sizes that differ by at most one; the best of each, the earliest on ties.
Indices sample_stratified(const std::vector<Candidate>& candidates, const Indices& passing,
                          int max_count) {
  const std::size_t n = passing.size();
  const std::size_t strata = std::min(n, static_cast<std::size_t>(max_count));
  Indices chosen;
  for (std::size_t s = 0; s < strata; ++s) {
    const std::size_t begin = s * n / strata;
    const std::size_t end = (s + 1) * n / strata;
    std::size_t best = passing[begin];
    for (std::size_t pos = begin + 1; pos < end; ++pos) {
      if (candidates[passing[pos]].quality > candidates[best].quality) best = passing[pos];
    }
    chosen.push_back(best);
  }
  return chosen;
}

Indices sample_track(const std::vector<Candidate>& candidates, const Indices& passing,
                     int track_id, const HarvestConfig& config) {
  switch (config.sampling) {
    case Sampling::kUniform: return sample_uniform(passing, config.sample_interval);
    case Sampling::kQualityWeighted:
      return sample_quality_weighted(candidates, passing, config.max_crops_per_track, config.seed,
                                     track_id);
    case Sampling::kStratified:
      return sample_stratified(candidates, passing, config.max_crops_per_track);
  }
  return passing;
}

// Which of two kept crops stays when a track is over its limit: the higher quality; on ties the
// earlier frame, then the earlier input.
bool stays_in_track(const std::vector<Candidate>& candidates, std::size_t a, std::size_t b) {
  const Candidate& ca = candidates[a];
  const Candidate& cb = candidates[b];
  if (ca.quality != cb.quality) return ca.quality > cb.quality;
  if (ca.frame_idx != cb.frame_idx) return ca.frame_idx < cb.frame_idx;
  return a < b;
}

// As stays_in_track, across tracks: on equal quality the lower track id stays.
bool stays_in_episode(const std::vector<Candidate>& candidates, std::size_t a, std::size_t b) {
  const Candidate& ca = candidates[a];
  const Candidate& cb = candidates[b];
  if (ca.quality != cb.quality) return ca.quality > cb.quality;
  if (ca.track_id != cb.track_id) return ca.track_id < cb.track_id;
  return stays_in_track(candidates, a, b);
}

// Keeps the `limit` first of `kept` in the order `stays` and marks the others with `reason`;
// returns those kept.
template <typename Stays>
Indices enforce_limit(Indices kept, int limit, Rejection reason, Stays stays,
                      std::vector<Rejection>& result) {
  const auto keep = static_cast<std::size_t>(limit);
  if (kept.size() <= keep) return kept;
  std::sort(kept.begin(), kept.end(), stays);
  for (std::size_t pos = keep; pos < kept.size(); ++pos) result[kept[pos]] = reason;
  kept.resize(keep);
  return kept;
}

// Samples one track's passing candidates and applies the track limit; returns those kept.
Indices harvest_track(const std::vector<Candidate>& candidates, const Indices& passing,
                      int track_id, const HarvestConfig& config, std::vector<Rejection>& result) {
  const Indices chosen = sample_track(candidates, passing, track_id, config);
  for (std::size_t i : passing) result[i] = Rejection::kNotSampled;
  for (std::size_t i : chosen) result[i] = Rejection::kNone;
  auto stays = [&](std::size_t a, std::size_t b) { return stays_in_track(candidates, a, b); };
  return enforce_limit(chosen, config.max_crops_per_track, Rejection::kTrackLimit, stays, result);
}

}  // namespace

const char* rejection_name(Rejection r) {
  switch (r) {
    case Rejection::kNone: return "none";
    case Rejection::kBboxOutOfBounds: return "bbox_out_of_bounds";
    case Rejection::kLowConfidence: return "low_confidence";
    case Rejection::kTooSmall: return "too_small";
    case Rejection::kTooBlurry: return "too_blurry";
    case Rejection::kPoseTooExtreme: return "pose_too_extreme";
    case Rejection::kLowQuality: return "low_quality";
    case Rejection::kNotSampled: return "not_sampled";
    case Rejection::kTrackLimit: return "track_limit";
    case Rejection::kEpisodeLimit: return "episode_limit";
    case Rejection::kMeasureFailed: return "measure_failed";
  }
  return "?";
}

Rejection gate(const Candidate& c, const HarvestConfig& config) {
  if (below(c.inside_fraction, config.min_inside_fraction)) return Rejection::kBboxOutOfBounds;
  // NaN confidence means no detector score (assumed crops): nothing to hold against the face.
  if (c.confidence < config.min_confidence) return Rejection::kLowConfidence;
  if (below(c.face_size, config.min_face_size)) return Rejection::kTooSmall;
  if (above(c.blur, config.max_blur)) return Rejection::kTooBlurry;
  if (above(std::abs(c.yaw), config.max_yaw_angle) ||
      above(std::abs(c.pitch), config.max_pitch_angle)) {
    return Rejection::kPoseTooExtreme;
  }
  if (below(c.quality, config.min_quality)) return Rejection::kLowQuality;
  return Rejection::kNone;
}

std::vector<Rejection> harvest(const std::vector<Candidate>& candidates,
                               const HarvestConfig& config) {
  // The command validates user config; nonsense here is a caller's bug.
  assert(config.sample_interval >= 1);
  assert(config.max_crops_per_track >= 1);
  assert(config.max_crops_per_episode >= 1);

  std::vector<Rejection> result;
  result.reserve(candidates.size());
  for (const Candidate& c : candidates) result.push_back(gate(c, config));

  Indices episode_kept;
  for (const auto& [track_id, passing] : passing_by_track(candidates, result)) {
    const Indices kept = harvest_track(candidates, passing, track_id, config, result);
    episode_kept.insert(episode_kept.end(), kept.begin(), kept.end());
  }
  auto stays = [&](std::size_t a, std::size_t b) { return stays_in_episode(candidates, a, b); };
  enforce_limit(episode_kept, config.max_crops_per_episode, Rejection::kEpisodeLimit, stays,
                result);
  return result;
}

}  // namespace ethovid::faces
