// Track clustering: pooled embeddings, and average linkage on hand-made and random vectors.
#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "ethovid/faces/track_clustering.hpp"

namespace ethovid::faces {
namespace {

std::vector<float> unit(std::vector<float> v) {
  double n = 0;
  for (float x : v) n += x * x;
  for (float& x : v) x = static_cast<float>(x / std::sqrt(n));
  return v;
}

TEST(TrackClustering, PoolingWeighsByQualityAndNormalises) {
  const auto pooled = pool_embeddings({{1, 0}, {0, 1}}, {3.0, 1.0});
  EXPECT_NEAR(pooled[0] * pooled[0] + pooled[1] * pooled[1], 1.0, 1e-6);
  EXPECT_NEAR(pooled[0] / pooled[1], 3.0, 1e-5);
}

TEST(TrackClustering, ThresholdDecidesWhatMerges) {
  // Two tight pairs far apart, and a vector between them.
  const std::vector<std::vector<float>> v = {unit({1, 0.05f, 0}), unit({0, 1, 0}), unit({1, -0.05f, 0}),
                                             unit({0.05f, 1, 0}), unit({0, 0, 1})};
  const auto clusters = cluster_average_linkage(v, 0.9);
  ASSERT_EQ(clusters.size(), 3u);
  EXPECT_EQ(clusters[0], (std::vector<int>{0, 2}));
  EXPECT_EQ(clusters[1], (std::vector<int>{1, 3}));
  EXPECT_EQ(clusters[2], (std::vector<int>{4}));
  EXPECT_EQ(cluster_average_linkage(v, 1.01).size(), 5u) << "nothing reaches the threshold";
  EXPECT_EQ(cluster_average_linkage(v, -1.0).size(), 1u) << "everything merges";
}

TEST(TrackClustering, AverageNotSingleLinkage) {
  // A chain a-b-c where a~b and b~c are close but a and c are not: average linkage keeps c out
  // once {a, b} formed (single linkage would chain it in).
  const float angle = 0.5f;  // radians between neighbours
  const std::vector<std::vector<float>> v = {{1, 0}, {std::cos(angle), std::sin(angle)},
                                             {std::cos(2 * angle), std::sin(2 * angle)}};
  const double neighbour = std::cos(angle);   // 0.878
  const double threshold = neighbour - 0.01;  // a~b merge; average of c to {a,b} = (0.54+0.88)/2
  const auto clusters = cluster_average_linkage(v, threshold);
  EXPECT_EQ(clusters.size(), 2u);
}

TEST(TrackClustering, RandomIdentitiesAreRecovered) {
  std::mt19937 rng(3);
  std::normal_distribution<float> normal;
  const int identities = 6, tracks_each = 5, dim = 64;
  std::vector<std::vector<float>> centres, v;
  for (int i = 0; i < identities; ++i) {
    std::vector<float> c(dim);
    for (float& x : c) x = normal(rng);
    centres.push_back(unit(c));
  }
  for (int t = 0; t < tracks_each; ++t) {
    for (int i = 0; i < identities; ++i) {
      std::vector<float> x = centres[i];
      for (float& e : x) e += 0.08f * normal(rng);
      v.push_back(unit(x));
    }
  }
  const auto clusters = cluster_average_linkage(v, 0.45);
  ASSERT_EQ(clusters.size(), static_cast<std::size_t>(identities));
  for (const auto& c : clusters) {
    for (int index : c) EXPECT_EQ(index % identities, c.front() % identities);
  }
}

}  // namespace
}  // namespace ethovid::faces
