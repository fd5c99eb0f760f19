// The realistic-syllable generator (realistic_syllables.hpp) and its scores.
#include <gtest/gtest.h>

#include "realistic_syllables.hpp"

namespace ethovid::moseq {
namespace {

TEST(RealisticSyllables, DwellStatesAndShapesAreAsAsked) {
  RealisticOptions o;
  o.sequences = 2, o.frames = 6000;
  const RealisticTruth truth = generate_realistic(3, o);
  ASSERT_EQ(truth.labels.size(), 2u);
  double runs = 0, frames = 0;
  std::vector<double> count(6, 0);
  for (const auto& labels : truth.labels) {
    ASSERT_EQ(labels.size(), 6000u);
    runs += 1;
    for (std::size_t t = 0; t < labels.size(); ++t) {
      count[static_cast<std::size_t>(labels[t])] += 1, frames += 1;
      if (t > 0 && labels[t] != labels[t - 1]) runs += 1;
    }
  }
  EXPECT_NEAR(frames / runs, 12.0, 1.5);  // mean dwell
  for (double c : count) EXPECT_GT(c / frames, 0.1);
  EXPECT_EQ(truth.pose[0].cols(), 4);
  EXPECT_EQ(truth.data[0].Y.cols(), 18);
  // The keypoints' centroid follows the random walk, and the pose changes the shape by pixels.
  EXPECT_GT((truth.data[0].Y.col(0) - truth.data[0].Y.col(16)).cwiseAbs().mean(), 20.0);
  // Another seed, another draw.
  EXPECT_NE(generate_realistic(4, o).labels[0], truth.labels[0]);
}

TEST(RealisticSyllables, ScoresOfPerfectMergedAndShiftedLabels) {
  const std::vector<std::vector<int>> truth{{0, 0, 1, 1, 2, 2, 3, 3}};
  LabelScore same = score_labels(truth, {{5, 5, 7, 7, 1, 1, 0, 0}});  // a renaming
  EXPECT_DOUBLE_EQ(same.accuracy, 1.0);
  EXPECT_NEAR(same.nmi, 1.0, 1e-12);
  EXPECT_EQ(same.states_above_1pct, 4);
  LabelScore merged = score_labels(truth, {{0, 0, 0, 0, 1, 1, 1, 1}});
  EXPECT_DOUBLE_EQ(merged.accuracy, 0.5);
  EXPECT_NEAR(merged.nmi, 2 * std::log(2.0) / (std::log(4.0) + std::log(2.0)), 1e-12);
  EXPECT_EQ(merged.states_above_1pct, 2);
  // A fit with lags labels fewer frames: the common tail is compared.
  EXPECT_DOUBLE_EQ(score_labels(truth, {{1, 1, 2, 2, 3, 3}}).accuracy, 1.0);
}

}  // namespace
}  // namespace ethovid::moseq
