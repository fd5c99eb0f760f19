// The chunked SVD must find the same subspace as a dense SVD of all sampled frames.
#include <gtest/gtest.h>

#include <limits>
#include <random>

#include <Eigen/Dense>

#include "ethovid/core/error.hpp"
#include "ethovid/facemap/incremental_svd.hpp"
#include "ethovid/facemap/roi_svd.hpp"

namespace ethovid::facemap {
namespace {

// Low-rank signal with a decaying spectrum plus noise: pixels x frames.
Eigen::MatrixXf synthetic_data(int pixels, int frames, int rank, unsigned seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> normal;
  Eigen::MatrixXf left(pixels, rank), right(rank, frames);
  for (int i = 0; i < left.size(); ++i) left.data()[i] = normal(rng);
  for (int i = 0; i < right.size(); ++i) right.data()[i] = normal(rng);
  for (int r = 0; r < rank; ++r) left.col(r) *= 10.0f / (1.0f + r);
  Eigen::MatrixXf data = left * right;
  for (int i = 0; i < data.size(); ++i) data.data()[i] += 0.05f * normal(rng);
  return data;
}

// Largest principal angle (radians) between the column spaces of two orthonormal bases.
double largest_principal_angle(const Eigen::MatrixXd& a, const Eigen::MatrixXd& b) {
  Eigen::JacobiSVD<Eigen::MatrixXd> svd(a.transpose() * b);
  const double smallest_cosine = svd.singularValues().minCoeff();
  return std::acos(std::min(1.0, smallest_cosine));
}

Eigen::MatrixXd dense_left_vectors(const Eigen::MatrixXf& data, int k, Eigen::VectorXd* values) {
  Eigen::BDCSVD<Eigen::MatrixXd> svd(data.cast<double>(), Eigen::ComputeThinU);
  *values = svd.singularValues().head(k);
  return svd.matrixU().leftCols(k);
}

TEST(IncrementalSvd, OneChunkMatchesDenseSvd) {
  const Eigen::MatrixXf data = synthetic_data(300, 120, 12, 1);
  IncrementalSvd svd(300, 12, 12);
  svd.add_chunk(data);
  const SvdBasis basis = svd.finish();
  Eigen::VectorXd dense_values;
  const Eigen::MatrixXd dense = dense_left_vectors(data, 12, &dense_values);
  EXPECT_LT(largest_principal_angle(basis.components.cast<double>(), dense), 1e-3);
  for (int j = 0; j < 12; ++j) {
    EXPECT_NEAR(basis.singular_values(j), dense_values(j), 1e-3 * dense_values(0)) << j;
  }
}

TEST(IncrementalSvd, MergedChunksMatchDenseSvdOfAllChunks) {
  // Four chunks; every component of every chunk is kept, so the merge is exact.
  const Eigen::MatrixXf data = synthetic_data(400, 160, 10, 7);
  IncrementalSvd svd(400, 39, 39);
  for (int c = 0; c < 4; ++c) svd.add_chunk(data.middleCols(c * 40, 40));
  const SvdBasis basis = svd.finish();
  Eigen::VectorXd dense_values;
  const Eigen::MatrixXd dense = dense_left_vectors(data, 10, &dense_values);
  EXPECT_LT(largest_principal_angle(basis.components.leftCols(10).cast<double>(), dense), 1e-3);
  for (int j = 0; j < 10; ++j) {
    EXPECT_NEAR(basis.singular_values(j), dense_values(j), 1e-3 * dense_values(0)) << j;
  }
}

TEST(IncrementalSvd, TruncatedMergeKeepsTheStrongSubspace) {
  // Keep only 15 of up to 49 components per chunk: the 8 strong directions must survive.
  const Eigen::MatrixXf data = synthetic_data(500, 200, 8, 3);
  IncrementalSvd svd(500, 15, 15);
  for (int c = 0; c < 4; ++c) svd.add_chunk(data.middleCols(c * 50, 50));
  const SvdBasis basis = svd.finish();
  Eigen::VectorXd dense_values;
  const Eigen::MatrixXd dense = dense_left_vectors(data, 8, &dense_values);
  EXPECT_LT(largest_principal_angle(basis.components.leftCols(8).cast<double>(), dense), 0.01);
  EXPECT_EQ(basis.components.cols(), 15);
}

TEST(IncrementalSvd, ChunksKeepTheirOwnCountAndTheMergeKeepsK) {
  // Facemap's schedule: 250 per chunk, K in the end. Here 6 per chunk, K = 12, four chunks.
  const Eigen::MatrixXf data = synthetic_data(500, 200, 6, 5);
  IncrementalSvd svd(500, 12, 6);
  for (int c = 0; c < 4; ++c) svd.add_chunk(data.middleCols(c * 50, 50));
  const SvdBasis basis = svd.finish();
  EXPECT_EQ(basis.components.cols(), 12);
  Eigen::VectorXd dense_values;
  const Eigen::MatrixXd dense = dense_left_vectors(data, 6, &dense_values);
  EXPECT_LT(largest_principal_angle(basis.components.leftCols(6).cast<double>(), dense), 0.01);
}

TEST(IncrementalSvd, ColumnsAreOrthonormalAndSignsFixed) {
  const Eigen::MatrixXf data = synthetic_data(200, 90, 6, 11);
  IncrementalSvd svd(200, 20, 20);
  for (int c = 0; c < 3; ++c) svd.add_chunk(data.middleCols(c * 30, 30));
  const SvdBasis basis = svd.finish();
  const Eigen::MatrixXf gram = basis.components.transpose() * basis.components;
  EXPECT_LT((gram - Eigen::MatrixXf::Identity(gram.rows(), gram.cols())).cwiseAbs().maxCoeff(), 1e-3);
  for (Eigen::Index j = 0; j < basis.components.cols(); ++j) {
    Eigen::Index at = 0;
    basis.components.col(j).cwiseAbs().maxCoeff(&at);
    EXPECT_GT(basis.components(at, j), 0.0f);
  }
  for (Eigen::Index j = 1; j < basis.singular_values.size(); ++j) {
    EXPECT_LE(basis.singular_values(j), basis.singular_values(j - 1));
  }
}

// Exactly rank-3 data (a small static ROI on a short clip): the Gram matrix's rounding gives
// spurious eigenvalues above the floor, whose U columns fall back into the rank-3 span. They are
// dropped, not reported as a failed SVD; what is kept is orthonormal and spans the data.
TEST(IncrementalSvd, ComponentsBeyondTheNumericalRankAreDropped) {
  std::mt19937 rng(11);
  std::normal_distribution<float> normal;
  Eigen::MatrixXf left(60, 3), right(3, 40);
  for (int i = 0; i < left.size(); ++i) left.data()[i] = normal(rng);
  for (int i = 0; i < right.size(); ++i) right.data()[i] = normal(rng);
  const Eigen::MatrixXf data = left * right;
  for (int chunks : {1, 2}) {
    IncrementalSvd svd(60, 12, 12);
    for (int c = 0; c < chunks; ++c) svd.add_chunk(data.middleCols(c * 20, 40 / chunks));
    const SvdBasis basis = svd.finish();
    const Eigen::Index k = basis.components.cols();
    EXPECT_GE(k, 3) << chunks;
    EXPECT_LT(k, 12) << chunks;
    EXPECT_EQ(basis.singular_values.size(), k);
    const Eigen::MatrixXd u = basis.components.cast<double>();
    EXPECT_LT((u.transpose() * u - Eigen::MatrixXd::Identity(k, k)).cwiseAbs().maxCoeff(), 1e-3);
    const Eigen::MatrixXd a = data.cast<double>();
    EXPECT_LT((a - u * (u.transpose() * a)).norm() / a.norm(), 1e-3) << chunks;
  }
  EXPECT_NO_THROW(truncated_svd(data, 12));
}

TEST(IncrementalSvd, NonFiniteDataIsAComputationError) {
  Eigen::MatrixXf data = synthetic_data(50, 20, 3, 2);
  data(7, 4) = std::numeric_limits<float>::infinity();
  IncrementalSvd svd(50, 5, 5);
  EXPECT_THROW(svd.add_chunk(data), ComputationError);
}

TEST(SvdChunkSchedule, FollowsFacemapsSampling) {
  std::int64_t length = 0;
  auto starts = svd_chunk_starts(500, &length);
  EXPECT_EQ(length, 500);
  EXPECT_EQ(starts, std::vector<std::int64_t>{0});
  starts = svd_chunk_starts(1500, &length);
  EXPECT_EQ(length, 1000);
  EXPECT_EQ(starts, std::vector<std::int64_t>{0});
  starts = svd_chunk_starts(100000, &length);
  EXPECT_EQ(starts.size(), 15u);
  EXPECT_EQ(starts.front(), 0);
  EXPECT_EQ(starts.back(), 99000);  // the last chunk ends on the last frame
  for (std::size_t i = 1; i < starts.size(); ++i) EXPECT_GT(starts[i], starts[i - 1]);
}

}  // namespace
}  // namespace ethovid::facemap
