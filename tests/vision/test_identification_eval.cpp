// Closed-set identification with centroid enrollment: synthetic clusters for the easy and hard
// regimes, hand-built 2-d cases where the exact fractions can be worked out on paper.
#include <gtest/gtest.h>

#include <cmath>
#include <numbers>
#include <random>

#include "ethovid/core/error.hpp"
#include "ethovid/vision/identification_eval.hpp"

namespace ethovid::vision {
namespace {

using Rows = std::vector<LabelledEmbedding>;

double radians(double degrees) { return degrees * std::numbers::pi / 180; }

std::vector<float> unit(std::vector<float> v) {
  double norm = 0;
  for (float x : v) norm += static_cast<double>(x) * x;
  for (float& x : v) x = static_cast<float>(x / std::sqrt(norm));
  return v;
}

LabelledEmbedding row(std::string identity, std::string image, std::vector<float> v) {
  return {std::move(identity), std::move(image), unit(std::move(v))};
}

// `identities` random unit centres in `dim`-d; each image is its centre plus Gaussian noise of
// standard deviation `noise` per component, normalised again.
Rows clusters(int identities, int images, int dim, double noise, unsigned seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> gauss(0.0F, 1.0F);
  Rows rows;
  for (int id = 0; id < identities; ++id) {
    std::vector<float> centre(dim);
    for (float& x : centre) x = gauss(rng);
    centre = unit(centre);
    for (int i = 0; i < images; ++i) {
      std::vector<float> v = centre;
      for (float& x : v) x += static_cast<float>(noise) * gauss(rng);
      rows.push_back(row("id" + std::to_string(id), "img" + std::to_string(i) + ".png", v));
    }
  }
  return rows;
}

std::string format_error_of(const Rows& rows, int enroll) {
  try {
    evaluate_identification(rows, enroll);
  } catch (const FormatError& e) {
    return e.what();
  }
  return "<no FormatError thrown>";
}

TEST(IdentificationEval, TightClustersAreAllIdentified) {
  const IdentificationResult r = evaluate_identification(clusters(10, 8, 64, 0.02, 1), 3);
  EXPECT_EQ(r.enroll_per_identity, 3);
  EXPECT_EQ(r.identities, 10);
  EXPECT_EQ(r.queries, 50);
  EXPECT_EQ(r.skipped_identities, 0);
  EXPECT_EQ(r.rank1, 1.0);
  EXPECT_EQ(r.top5, 1.0);
  ASSERT_EQ(r.per_identity_rank1.size(), 10U);
  EXPECT_EQ(r.per_identity_rank1.front().first, "id0");
  EXPECT_EQ(r.per_identity_rank1.back().first, "id9");  // name order: id0 < id1 < ... < id9
  for (const auto& [identity, rank1] : r.per_identity_rank1) EXPECT_EQ(rank1, 1.0) << identity;
}

TEST(IdentificationEval, HeavyNoiseConfusesButTop5IsNoWorseThanRank1) {
  // Noise norm ~ 0.5 * sqrt(64) = 4 against a unit centre: images are mostly noise.
  const IdentificationResult r = evaluate_identification(clusters(10, 8, 64, 0.5, 2), 2);
  EXPECT_EQ(r.queries, 60);
  EXPECT_LT(r.rank1, 1.0);
  EXPECT_GT(r.rank1, 0.0);  // still better than nothing: 10 identities, chance is 0.1
  EXPECT_GE(r.top5, r.rank1);
  EXPECT_LT(r.top5, 1.0);
}

TEST(IdentificationEval, OneQueryNearerTheWrongCentroidGivesExactFraction) {
  const double a10 = radians(10), a80 = radians(80), a85 = radians(85);
  const Rows rows = {
      row("A", "0", {1, 0}),
      row("A", "1", {float(std::cos(a10)), float(std::sin(a10))}),  // right: A
      row("A", "2", {float(std::cos(a80)), float(std::sin(a80))}),  // wrong: nearer B
      row("B", "0", {0, 1}),
      row("B", "1", {float(std::cos(a85)), float(std::sin(a85))}),  // right: B
  };
  const IdentificationResult r = evaluate_identification(rows, 1);
  EXPECT_EQ(r.identities, 2);
  EXPECT_EQ(r.queries, 3);
  EXPECT_DOUBLE_EQ(r.rank1, 2.0 / 3.0);
  EXPECT_EQ(r.top5, 1.0);  // only two centroids, so both are always in the top 5
  ASSERT_EQ(r.per_identity_rank1.size(), 2U);
  EXPECT_EQ(r.per_identity_rank1[0], std::make_pair(std::string("A"), 0.5));
  EXPECT_EQ(r.per_identity_rank1[1], std::make_pair(std::string("B"), 1.0));
}

TEST(IdentificationEval, CentroidIsTheRenormalisedGalleryMean) {
  // Gallery (1,0) and (0,1): the centroid is at 45 degrees. The query at 40 degrees scores 0.996
  // there and 0.83 against C (34 degrees away). Were the centroid the first image alone (0.77)
  // or the mean left unnormalised (0.70), C would win.
  const double a40 = radians(40);
  const Rows rows = {
      row("A", "0", {1, 0}),
      row("A", "1", {0, 1}),
      row("A", "2", {float(std::cos(a40)), float(std::sin(a40))}),
      row("C", "0", {float(std::cos(a40 - 0.6)), float(std::sin(a40 - 0.6))}),
      row("C", "1", {float(std::cos(a40 - 0.6)), float(std::sin(a40 - 0.6))}),
  };
  const IdentificationResult r = evaluate_identification(rows, 2);
  EXPECT_EQ(r.queries, 1);
  EXPECT_EQ(r.skipped_identities, 1);
  EXPECT_EQ(r.rank1, 1.0);
}

TEST(IdentificationEval, ImageNameOrderDecidesEnrollmentNotInputOrder) {
  // B's centroid is (0,1). A has a1 = (1,0) and a2 = (0.6,0.8). Enrolling a1 (name order) leaves
  // a2 as query, which is nearer B (0.8 vs 0.6): wrong. Enrolling a2 (input order) would leave
  // a1 as query, nearer A (0.6 vs 0): right. So rank1 tells which was enrolled.
  const Rows rows = {
      row("B", "b2", {0, 1}),
      row("A", "a2", {0.6F, 0.8F}),
      row("B", "b1", {0, 1}),
      row("A", "a1", {1, 0}),
  };
  const IdentificationResult r = evaluate_identification(rows, 1);
  EXPECT_EQ(r.queries, 2);
  EXPECT_EQ(r.rank1, 0.5);
  ASSERT_EQ(r.per_identity_rank1.size(), 2U);
  EXPECT_EQ(r.per_identity_rank1[0], std::make_pair(std::string("A"), 0.0));
  EXPECT_EQ(r.per_identity_rank1[1], std::make_pair(std::string("B"), 1.0));
}

TEST(IdentificationEval, IdentityWithOnlyGalleryImagesIsSkippedButStillADistractor) {
  const Rows without_c = {
      row("A", "0", {1, 0}),
      row("A", "1", {0.8F, 0.6F}),
      row("B", "0", {0, 1}),
      row("B", "1", {0, 1}),
  };
  const IdentificationResult base = evaluate_identification(without_c, 1);
  EXPECT_EQ(base.rank1, 1.0);
  EXPECT_EQ(base.skipped_identities, 0);

  // C has exactly `enroll` images, sitting right on A's query.
  Rows with_c = without_c;
  with_c.push_back(row("C", "0", {0.8F, 0.6F}));
  const IdentificationResult r = evaluate_identification(with_c, 1);
  EXPECT_EQ(r.identities, 2);
  EXPECT_EQ(r.skipped_identities, 1);
  EXPECT_EQ(r.queries, 2);
  EXPECT_EQ(r.rank1, 0.5);  // A's query now goes to C
  EXPECT_EQ(r.top5, 1.0);   // three centroids, all within the top 5
  ASSERT_EQ(r.per_identity_rank1.size(), 2U);
  EXPECT_EQ(r.per_identity_rank1[0].first, "A");
  EXPECT_EQ(r.per_identity_rank1[1].first, "B");
}

TEST(IdentificationEval, Top5CountsOnlyTheFiveNearestCentroids) {
  // Seven identities on the axes e0..e6 of 8-d. Two queries of id0: one has five other
  // identities nearer than e0 (rank 6: miss), the other four (rank 5: hit).
  auto axis = [](int i) {
    std::vector<float> v(8, 0.0F);
    v[i] = 1;
    return v;
  };
  Rows rows;
  for (int i = 0; i < 7; ++i) {
    rows.push_back(row("id" + std::to_string(i), "0", axis(i)));
    if (i > 0) rows.push_back(row("id" + std::to_string(i), "1", axis(i)));
  }
  rows.push_back(row("id0", "1", {0.1F, 0.5F, 0.5F, 0.5F, 0.5F, 0.5F, 0, 0}));
  rows.push_back(row("id0", "2", {0.3F, 0.5F, 0.5F, 0.5F, 0.5F, 0, 0, 0}));
  const IdentificationResult r = evaluate_identification(rows, 1);
  EXPECT_EQ(r.queries, 8);
  EXPECT_EQ(r.rank1, 6.0 / 8.0);
  EXPECT_EQ(r.top5, 7.0 / 8.0);
}

TEST(IdentificationEval, EnrollBelowOneIsAConfigError) {
  const Rows rows = clusters(2, 3, 4, 0.0, 3);
  EXPECT_THROW(evaluate_identification(rows, 0), ConfigError);
  EXPECT_THROW(evaluate_identification(rows, -1), ConfigError);
}

TEST(IdentificationEval, DimensionMismatchNamesImageAndBothDimensions) {
  Rows rows = clusters(2, 3, 4, 0.0, 4);
  rows.push_back(row("id1", "odd.png", {1, 0, 0}));
  const std::string message = format_error_of(rows, 1);
  EXPECT_NE(message.find("odd.png"), std::string::npos) << message;
  EXPECT_NE(message.find("has 3 dimensions"), std::string::npos) << message;
  EXPECT_NE(message.find("has 4"), std::string::npos) << message;
}

TEST(IdentificationEval, NoQueryAtAllIsAFormatError) {
  EXPECT_THROW(evaluate_identification(clusters(3, 2, 4, 0.0, 5), 2), FormatError);
  EXPECT_THROW(evaluate_identification({}, 1), FormatError);
}

}  // namespace
}  // namespace ethovid::vision
