// The harvest decisions on hand-made candidates: each gate rule and their order, the three
// samplings, the per-track and per-episode limits, and the shape of the result.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <functional>
#include <limits>
#include <set>
#include <string>
#include <vector>

#include "ethovid/faces/harvest.hpp"

namespace ethovid {
namespace {

using faces::Candidate;
using faces::HarvestConfig;
using faces::Rejection;
using faces::Sampling;

// Comfortably inside every default gate bound.
Candidate good(int track_id = 0, std::int64_t frame_idx = 0, double quality = 0.8) {
  Candidate c;
  c.track_id = track_id;
  c.frame_idx = frame_idx;
  c.confidence = 0.9;
  c.face_size = 80;
  c.inside_fraction = 1.0;
  c.blur = 0.2;
  c.yaw = 10;
  c.pitch = 5;
  c.quality = quality;
  return c;
}

// One bad measure per gate rule, in the order of the enum.
struct BadMeasure {
  Rejection reason;
  std::function<void(Candidate&)> spoil;
};

std::vector<BadMeasure> bad_measures() {
  return {
      {Rejection::kBboxOutOfBounds, [](Candidate& c) { c.inside_fraction = 0.5; }},
      {Rejection::kLowConfidence, [](Candidate& c) { c.confidence = 0.6; }},
      {Rejection::kTooSmall, [](Candidate& c) { c.face_size = 39; }},
      {Rejection::kTooBlurry, [](Candidate& c) { c.blur = 0.95; }},
      {Rejection::kPoseTooExtreme, [](Candidate& c) { c.yaw = -50; }},
      {Rejection::kLowQuality, [](Candidate& c) { c.quality = 0.4; }},
  };
}

std::vector<std::int64_t> kept_frames(const std::vector<Candidate>& candidates,
                                      const std::vector<Rejection>& result) {
  std::vector<std::int64_t> frames;
  for (std::size_t i = 0; i < candidates.size(); ++i) {
    if (result[i] == Rejection::kNone) frames.push_back(candidates[i].frame_idx);
  }
  std::sort(frames.begin(), frames.end());
  return frames;
}

std::size_t count(const std::vector<Rejection>& result, Rejection reason) {
  return static_cast<std::size_t>(std::count(result.begin(), result.end(), reason));
}

TEST(HarvestGate, NamesAreSnakeCase) {
  EXPECT_STREQ(faces::rejection_name(Rejection::kNone), "none");
  EXPECT_STREQ(faces::rejection_name(Rejection::kBboxOutOfBounds), "bbox_out_of_bounds");
  EXPECT_STREQ(faces::rejection_name(Rejection::kMeasureFailed), "measure_failed");
  EXPECT_STREQ(faces::rejection_name(Rejection::kLowConfidence), "low_confidence");
  EXPECT_STREQ(faces::rejection_name(Rejection::kTooSmall), "too_small");
  EXPECT_STREQ(faces::rejection_name(Rejection::kTooBlurry), "too_blurry");
  EXPECT_STREQ(faces::rejection_name(Rejection::kPoseTooExtreme), "pose_too_extreme");
  EXPECT_STREQ(faces::rejection_name(Rejection::kLowQuality), "low_quality");
  EXPECT_STREQ(faces::rejection_name(Rejection::kNotSampled), "not_sampled");
  EXPECT_STREQ(faces::rejection_name(Rejection::kTrackLimit), "track_limit");
  EXPECT_STREQ(faces::rejection_name(Rejection::kEpisodeLimit), "episode_limit");
}

TEST(HarvestGate, GoodCandidatePassesAndBoundsThemselvesPass) {
  const HarvestConfig config;
  EXPECT_EQ(faces::gate(good(), config), Rejection::kNone);
  Candidate edge = good();
  edge.inside_fraction = config.min_inside_fraction;
  edge.confidence = config.min_confidence;
  edge.face_size = config.min_face_size;
  edge.blur = config.max_blur;
  edge.yaw = -config.max_yaw_angle;
  edge.pitch = config.max_pitch_angle;
  edge.quality = config.min_quality;
  EXPECT_EQ(faces::gate(edge, config), Rejection::kNone);
}

TEST(HarvestGate, EachBadMeasureGivesItsReason) {
  const HarvestConfig config;
  for (const BadMeasure& bad : bad_measures()) {
    Candidate c = good();
    bad.spoil(c);
    EXPECT_EQ(faces::gate(c, config), bad.reason) << faces::rejection_name(bad.reason);
  }
  Candidate pitched = good();
  pitched.pitch = -31;
  EXPECT_EQ(faces::gate(pitched, config), Rejection::kPoseTooExtreme);
  Candidate yawed = good();
  yawed.yaw = 46;
  EXPECT_EQ(faces::gate(yawed, config), Rejection::kPoseTooExtreme);
}

TEST(HarvestGate, TwoBadMeasuresGiveTheEarlierReason) {
  const HarvestConfig config;
  const std::vector<BadMeasure> bad = bad_measures();
  for (std::size_t first = 0; first < bad.size(); ++first) {
    for (std::size_t second = first + 1; second < bad.size(); ++second) {
      Candidate c = good();
      bad[second].spoil(c);
      bad[first].spoil(c);
      EXPECT_EQ(faces::gate(c, config), bad[first].reason)
          << faces::rejection_name(bad[first].reason) << " + "
          << faces::rejection_name(bad[second].reason);
    }
  }
}

TEST(HarvestGate, NanConfidenceMeansNoScoreAndPasses) {
  const HarvestConfig config;
  Candidate c = good();
  c.confidence = std::numeric_limits<double>::quiet_NaN();
  EXPECT_EQ(faces::gate(c, config), Rejection::kNone);
  c.face_size = 10;  // the later rules still apply
  EXPECT_EQ(faces::gate(c, config), Rejection::kTooSmall);
}

TEST(HarvestSampling, UniformKeepsEveryThirdPassingInFrameOrder) {
  HarvestConfig config;
  config.sample_interval = 3;
  // Frames 0..9 pass; 100, 101 and 102 fall between them but fail the gate.
  std::vector<Candidate> candidates;
  for (std::int64_t frame : {7, 2, 9, 0, 5, 3, 8, 1, 6, 4}) candidates.push_back(good(1, frame));
  Candidate blurry = good(1, 100);
  blurry.blur = 0.99;
  Candidate tiny = good(1, 101);
  tiny.face_size = 5;
  Candidate dull = good(1, 102);
  dull.quality = 0.1;
  // Their frames sit between the passing ones, so they would shift positions if counted.
  blurry.frame_idx = 1;
  tiny.frame_idx = 2;
  dull.frame_idx = 4;
  candidates.insert(candidates.begin() + 2, blurry);
  candidates.insert(candidates.begin() + 5, tiny);
  candidates.push_back(dull);

  const std::vector<Rejection> result = faces::harvest(candidates, config);
  ASSERT_EQ(result.size(), candidates.size());
  EXPECT_EQ(kept_frames(candidates, result), (std::vector<std::int64_t>{0, 3, 6, 9}));
  EXPECT_EQ(result[2], Rejection::kTooBlurry);
  EXPECT_EQ(result[5], Rejection::kTooSmall);
  EXPECT_EQ(result.back(), Rejection::kLowQuality);
  EXPECT_EQ(count(result, Rejection::kNotSampled), 6u);
}

TEST(HarvestSampling, UniformStartsAgainInEveryTrack) {
  HarvestConfig config;
  config.sample_interval = 2;
  std::vector<Candidate> candidates;
  for (std::int64_t frame = 0; frame < 4; ++frame) {
    candidates.push_back(good(1, frame));
    candidates.push_back(good(2, frame + 1));
  }
  const std::vector<Rejection> result = faces::harvest(candidates, config);
  const std::vector<Rejection> expected = {
      Rejection::kNone, Rejection::kNone, Rejection::kNotSampled, Rejection::kNotSampled,
      Rejection::kNone, Rejection::kNone, Rejection::kNotSampled, Rejection::kNotSampled};
  EXPECT_EQ(result, expected);
}

TEST(HarvestSampling, StratifiedKeepsTheBestOfEachStratum) {
  HarvestConfig config;
  config.sampling = Sampling::kStratified;
  config.max_crops_per_track = 3;
  // Frames 0..8 in three strata {0,1,2} {3,4,5} {6,7,8}; the second has a tie between 3 and 5.
  const std::vector<std::pair<std::int64_t, double>> frames = {
      {8, 0.6}, {4, 0.7}, {0, 0.6}, {5, 0.9}, {1, 0.95}, {6, 0.8}, {3, 0.9}, {2, 0.55}, {7, 0.7}};
  std::vector<Candidate> candidates;
  for (const auto& [frame, quality] : frames) candidates.push_back(good(4, frame, quality));
  // The best of all, but it fails the gate: it must neither be kept nor take a stratum's place.
  Candidate far_off = good(4, 4, 1.0);
  far_off.inside_fraction = 0.1;
  candidates.push_back(far_off);

  const std::vector<Rejection> result = faces::harvest(candidates, config);
  EXPECT_EQ(kept_frames(candidates, result), (std::vector<std::int64_t>{1, 3, 6}));
  EXPECT_EQ(count(result, Rejection::kNotSampled), 6u);
  EXPECT_EQ(result.back(), Rejection::kBboxOutOfBounds);
}

TEST(HarvestSampling, StratifiedKeepsAllWhenFewerThanTheLimit) {
  HarvestConfig config;
  config.sampling = Sampling::kStratified;
  config.max_crops_per_track = 5;
  const std::vector<Candidate> candidates = {good(0, 3, 0.6), good(0, 1, 0.9), good(0, 2, 0.7)};
  EXPECT_EQ(faces::harvest(candidates, config), std::vector<Rejection>(3, Rejection::kNone));
}

std::vector<Candidate> weighted_track(int n) {
  std::vector<Candidate> candidates;
  for (int i = 0; i < n; ++i) candidates.push_back(good(3, i, 0.5 + 0.5 * (i % 7) / 6.0));
  return candidates;
}

HarvestConfig weighted_config(unsigned seed, int max_per_track) {
  HarvestConfig config;
  config.sampling = Sampling::kQualityWeighted;
  config.seed = seed;
  config.max_crops_per_track = max_per_track;
  return config;
}

TEST(HarvestSampling, QualityWeightedIsReproducibleForASeed) {
  const std::vector<Candidate> candidates = weighted_track(40);
  const auto first = faces::harvest(candidates, weighted_config(11, 10));
  EXPECT_EQ(faces::harvest(candidates, weighted_config(11, 10)), first);
  // 10 of 40: two seeds drawing the same set is a vanishing chance.
  EXPECT_NE(faces::harvest(candidates, weighted_config(12, 10)), first);
}

TEST(HarvestSampling, QualityWeightedNeverKeepsMoreThanTheTrackLimit) {
  const std::vector<Candidate> candidates = weighted_track(25);
  for (unsigned seed = 0; seed < 50; ++seed) {
    const auto result = faces::harvest(candidates, weighted_config(seed, 6));
    EXPECT_EQ(count(result, Rejection::kNone), 6u) << "seed " << seed;
    EXPECT_EQ(count(result, Rejection::kNotSampled), 19u) << "seed " << seed;
  }
  const auto few = faces::harvest(weighted_track(4), weighted_config(0, 6));
  EXPECT_EQ(count(few, Rejection::kNone), 4u);
}

TEST(HarvestSampling, QualityWeightedPrefersHighQuality) {
  // Five faces at 0.9 and five at 0.1, three drawn: about 85% high by expectation, 30% uniform.
  std::vector<Candidate> candidates;
  for (int i = 0; i < 10; ++i) candidates.push_back(good(0, i, i % 2 == 0 ? 0.9 : 0.1));
  int high = 0;
  int drawn = 0;
  constexpr unsigned kSeeds = 300;
  for (unsigned seed = 0; seed < kSeeds; ++seed) {
    HarvestConfig config = weighted_config(seed, 3);
    config.min_quality = 0;
    const auto result = faces::harvest(candidates, config);
    for (std::size_t i = 0; i < candidates.size(); ++i) {
      if (result[i] != Rejection::kNone) continue;
      ++drawn;
      if (candidates[i].quality > 0.5) ++high;
    }
  }
  ASSERT_EQ(drawn, 3 * static_cast<int>(kSeeds));
  EXPECT_GT(static_cast<double>(high) / drawn, 0.7);
}

TEST(HarvestSampling, QualityWeightedDrawsZeroQualityLastButFairly) {
  HarvestConfig config = weighted_config(5, 2);
  config.min_quality = 0;
  const std::vector<Candidate> mixed = {good(0, 0, 0.0), good(0, 1, 0.8), good(0, 2, 0.7)};
  const std::vector<Rejection> expected = {Rejection::kNotSampled, Rejection::kNone,
                                           Rejection::kNone};
  EXPECT_EQ(faces::harvest(mixed, config), expected);
  config.max_crops_per_track = 3;
  EXPECT_EQ(faces::harvest(mixed, config), std::vector<Rejection>(3, Rejection::kNone));

  // All at zero: still one drawn each time, and over seeds each of them is.
  const std::vector<Candidate> zeros = {good(0, 0, 0.0), good(0, 1, 0.0), good(0, 2, 0.0)};
  config.max_crops_per_track = 1;
  std::set<std::int64_t> drawn;
  for (unsigned seed = 0; seed < 60; ++seed) {
    config.seed = seed;
    const std::vector<std::int64_t> kept = kept_frames(zeros, faces::harvest(zeros, config));
    ASSERT_EQ(kept.size(), 1u);
    drawn.insert(kept[0]);
  }
  EXPECT_EQ(drawn.size(), 3u);
}

TEST(HarvestLimits, TrackLimitDropsTheLowestQuality) {
  HarvestConfig config;
  config.max_crops_per_track = 3;
  // Frames 2 and 4 tie at the lowest quality kept; the later frame goes first.
  const std::vector<Candidate> candidates = {good(0, 0, 0.9), good(0, 1, 0.55), good(0, 2, 0.7),
                                             good(0, 3, 0.8), good(0, 4, 0.7), good(1, 0, 0.5)};
  const std::vector<Rejection> result = faces::harvest(candidates, config);
  const std::vector<Rejection> expected = {Rejection::kNone,       Rejection::kTrackLimit,
                                           Rejection::kNone,       Rejection::kNone,
                                           Rejection::kTrackLimit, Rejection::kNone};
  EXPECT_EQ(result, expected);
}

TEST(HarvestLimits, EpisodeLimitDropsTheLowestQualityAcrossTracks) {
  HarvestConfig config;
  config.max_crops_per_episode = 3;
  // Track 7 and track 2 tie at 0.75: the higher track id goes first.
  const std::vector<Candidate> candidates = {good(7, 0, 0.75), good(2, 5, 0.95), good(2, 6, 0.6),
                                             good(9, 1, 0.85), good(2, 7, 0.75)};
  const std::vector<Rejection> result = faces::harvest(candidates, config);
  const std::vector<Rejection> expected = {Rejection::kEpisodeLimit, Rejection::kNone,
                                           Rejection::kEpisodeLimit, Rejection::kNone,
                                           Rejection::kNone};
  EXPECT_EQ(result, expected);
}

TEST(HarvestLimits, TrackLimitComesBeforeEpisodeLimit) {
  HarvestConfig config;
  config.max_crops_per_track = 1;
  config.max_crops_per_episode = 1;
  const std::vector<Candidate> candidates = {good(0, 0, 0.6), good(0, 1, 0.9), good(1, 0, 0.8)};
  const std::vector<Rejection> result = faces::harvest(candidates, config);
  const std::vector<Rejection> expected = {Rejection::kTrackLimit, Rejection::kNone,
                                           Rejection::kEpisodeLimit};
  EXPECT_EQ(result, expected);
}

TEST(HarvestResult, OneDecisionPerCandidateInInputOrder) {
  EXPECT_TRUE(faces::harvest({}, HarvestConfig{}).empty());
  HarvestConfig config;
  config.sample_interval = 2;
  Candidate blurry = good(0, 1);
  blurry.blur = 1.0;
  // Track 0 in frame order: 0 kept, 2 not sampled, 4 kept; frame 1 fails the gate.
  const std::vector<Candidate> candidates = {good(0, 4), blurry, good(0, 2), good(0, 0)};
  const std::vector<Rejection> result = faces::harvest(candidates, config);
  const std::vector<Rejection> expected = {Rejection::kNone, Rejection::kTooBlurry,
                                           Rejection::kNotSampled, Rejection::kNone};
  EXPECT_EQ(result, expected);
}

}  // namespace
}  // namespace ethovid
