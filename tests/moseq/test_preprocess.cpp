// Preprocessing on constructed poses: outliers by distance to the medoid, interpolation of
// missing and outlier keypoints, egocentric alignment, the Helmert embedding and PCA.
#include <gtest/gtest.h>

#include <cmath>
#include <numbers>

#include "ethovid/core/error.hpp"
#include "ethovid/moseq/preprocess.hpp"
#include "ethovid/moseq/sampling.hpp"
#include "ethovid/moseq/slds_init.hpp"
#include "test_support.hpp"

namespace ethovid::moseq {
namespace {

// A 4-keypoint "animal" (nose, left, right, tail) walking along +x with a little jitter.
PoseRecording walker(std::int64_t frames, std::uint64_t seed = 1) {
  Sampler sampler(seed);
  PoseRecording r = PoseRecording::empty("w", "w.csv", {"nose", "left", "right", "tail"}, frames);
  const double shape[4][2] = {{2, 0}, {0, 1}, {0, -1}, {-2, 0}};
  for (std::int64_t t = 0; t < frames; ++t) {
    for (int k = 0; k < 4; ++k) {
      r.at(t, k, 0) = 10 + 0.5 * t + shape[k][0] + 0.05 * sampler.normal();
      r.at(t, k, 1) = 5 + shape[k][1] + 0.05 * sampler.normal();
      r.confidence(t, k) = 0.9;
    }
  }
  return r;
}

TEST(Outliers, AKeypointFarFromTheMedoidIsAnOutlierOthersAreNot) {
  PoseRecording r = walker(200);
  r.at(50, 3, 0) += 40;  // the tail jumps away for one frame
  r.at(80, 1, 0) = NAN;  // and a missing point does not disturb the medians
  const auto outliers = find_outliers(r, 6.0);
  EXPECT_TRUE(outliers[50 * 4 + 3]);
  EXPECT_FALSE(outliers[80 * 4 + 1]) << "a missing point is not an outlier";
  // With four keypoints the jump also moves the medoid, so the others of frames 50 and 80 may
  // be flagged too (keypoint-moseq's rule); no other frame is.
  for (std::int64_t t = 0; t < r.frames; ++t) {
    for (int k = 0; k < 4; ++k) {
      if (t != 50 && t != 80) {
        EXPECT_FALSE(outliers[t * 4 + k]) << t << " " << k;
      }
    }
  }
  // A stricter factor keeps the jump and nothing else: it is 40 px, the rest well under 1 px.
  const auto strict = find_outliers(r, 30.0);
  int flagged = 0;
  for (bool o : strict) flagged += o;
  EXPECT_TRUE(strict[50 * 4 + 3]);
  EXPECT_EQ(flagged, 1);
}

TEST(Interpolation, LinearInsideHeldAtTheEdgesZeroWhenNeverSeen) {
  PoseRecording r = PoseRecording::empty("r", "r.csv", {"a", "b"}, 5);
  for (std::int64_t t = 0; t < 5; ++t) {
    r.at(t, 0, 0) = t * 2.0;
    r.at(t, 0, 1) = 1.0;
    r.confidence(t, 0) = 1;
  }
  r.at(0, 0, 0) = NAN;  // edge
  r.at(2, 0, 1) = NAN;  // inside (one coordinate missing: the whole keypoint is filled)
  std::vector<bool> replace(10, false);
  replace[3 * 2 + 0] = true;  // an outlier at t = 3
  const auto filled = interpolate_keypoints(r, replace);
  EXPECT_EQ(filled, 3 + 5);  // three of a, all five of b
  EXPECT_DOUBLE_EQ(r.at(0, 0, 0), 2.0);   // held from t = 1
  EXPECT_DOUBLE_EQ(r.at(2, 0, 0), 4.0);   // between t = 1 (2) and t = 4 (8)
  EXPECT_DOUBLE_EQ(r.at(3, 0, 0), 6.0);
  EXPECT_DOUBLE_EQ(r.at(2, 0, 1), 1.0);
  EXPECT_EQ(r.confidence(3, 0), 0);
  EXPECT_EQ(r.confidence(1, 0), 1);
  EXPECT_EQ(r.at(4, 1, 1), 0.0);          // b was never seen
}

TEST(Alignment, CentroidHeadingAndARotatedCopyAlignsTheSame) {
  const PoseRecording r = walker(30);
  const Aligned a = align_egocentric(r, {0}, {3});
  EXPECT_NEAR(a.heading[10], 0.0, 0.05);  // nose ahead along +x
  EXPECT_NEAR(a.centroid(10, 0), 15.0, 0.1);
  EXPECT_NEAR(a.pose(10, 0), 2.0, 0.1);   // nose at +2 on x after alignment
  // The same animal turned by 90 degrees and moved aligns to the same pose.
  PoseRecording turned = r;
  for (std::int64_t t = 0; t < r.frames; ++t) {
    for (int k = 0; k < 4; ++k) {
      turned.at(t, k, 0) = -r.at(t, k, 1) + 100;
      turned.at(t, k, 1) = r.at(t, k, 0) - 7;
    }
  }
  const Aligned b = align_egocentric(turned, {0}, {3});
  EXPECT_NEAR(b.heading[10], std::numbers::pi / 2, 0.05);
  EXPECT_LT((a.pose - b.pose).cwiseAbs().maxCoeff(), 1e-9);
  test::expect_error<ConfigError>([&] { align_egocentric(r, {}, {3}); }, {"anterior"});
}

TEST(Embedding, HelmertBasisIsOrthonormalAndRemovesTheCentroid) {
  const Eigen::MatrixXd g = center_embedding(5);
  EXPECT_LT((g.transpose() * g - Eigen::MatrixXd::Identity(4, 4)).norm(), 1e-12);
  EXPECT_LT((g.transpose() * Eigen::VectorXd::Ones(5)).norm(), 1e-12);
  // Shifting every keypoint by the same vector changes nothing in the embedded space.
  Eigen::MatrixXd pose = Eigen::MatrixXd::Random(2, 10);
  Eigen::MatrixXd shifted = pose;
  for (int k = 0; k < 5; ++k) shifted(1, 2 * k) += 3.0, shifted(1, 2 * k + 1) -= 1.0;
  const Eigen::MatrixXd e = embed_poses(pose, 5, 2), f = embed_poses(shifted, 5, 2);
  EXPECT_LT((f.row(1) - e.row(1)).norm(), 1e-12);
  EXPECT_LT((f.row(0) - e.row(0)).norm(), 1e-12);
  EXPECT_GT((e.row(1) - e.row(0)).norm(), 0.1) << "different poses stay different";
}

TEST(Pca, RecoversAPlantedSubspaceAndItsVariance) {
  Sampler sampler(5);
  const int n = 4000;
  Eigen::MatrixXd rows(n, 6);
  Eigen::VectorXd direction(6);
  direction << 1, 2, 0, 0, -1, 0;
  direction.normalize();
  for (int i = 0; i < n; ++i) {
    const double big = 3 * sampler.normal();
    for (int j = 0; j < 6; ++j) rows(i, j) = 4.0 + big * direction[j] + 0.1 * sampler.normal();
  }
  const Pca pca = fit_pca(rows, 2500, 42);
  EXPECT_NEAR(std::abs(pca.components.col(0).dot(direction)), 1.0, 1e-3);
  EXPECT_NEAR(pca.variance[0], 9.0, 0.6);
  EXPECT_EQ(pca.components_for(0.9), 1);
  EXPECT_NEAR(pca.mean[0], 4.0, 0.2);
  EXPECT_EQ(pca.project(rows.topRows(3), 2).cols(), 2);
  // The same seed gives the same fit.
  EXPECT_EQ((fit_pca(rows, 2500, 42).components - pca.components).norm(), 0.0);
}

// 1.5 x frames per syllable must cover D (D nlags + 1) AR parameters.
TEST(LatentDim, TheDataBoundsTheAutomaticChoice) {
  EXPECT_EQ(supported_latent_dim(6000, 100, 3), 5);     // 90 frames: 5 x 16 = 80 fits, 6 x 19 = 114 does not
  EXPECT_EQ(supported_latent_dim(2330, 100, 3), 3);     // 35 frames: 3 x 10 = 30
  EXPECT_EQ(supported_latent_dim(1000000, 100, 3), 70);  // hours of data: no cap in practice
  EXPECT_EQ(supported_latent_dim(10, 100, 3), 1);       // never below 1
}

}  // namespace
}  // namespace ethovid::moseq
