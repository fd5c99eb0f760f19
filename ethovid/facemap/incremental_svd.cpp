#include "ethovid/facemap/incremental_svd.hpp"

#include <algorithm>
#include <cassert>
#include <cmath>
#include <string>

#include "ethovid/core/error.hpp"

namespace ethovid::facemap {

namespace {

// Pixel rows per block of the chunk Gram matrix: each block's float product is added into a
// double matrix, so the rounding of the float products never accumulates over all pixels.
constexpr Eigen::Index kGramRowBlock = 2048;

// Eigen-decomposes a symmetric Gram matrix G = A^T A and returns the top `k` (eigenvector,
// sqrt(eigenvalue)) pairs, dropping numerically zero ones. The solve runs in double (in video the
// weakest of 500 components sit near 1e-3 of the strongest singular value, 1e-6 in eigenvalue,
// too close to float's resolution); the pairs are returned in float for the float products.
struct TopEigen {
  Eigen::MatrixXf vectors;  // n x k
  Eigen::VectorXf sigma;    // k, descending
};

TopEigen top_eigen(const Eigen::MatrixXd& gram, int k) {
  if (!gram.allFinite()) {
    throw ComputationError("SVD failed: the frames hold non-finite values (NaN or infinity)");
  }
  Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd> solver(gram);
  if (solver.info() != Eigen::Success) {
    throw ComputationError("SVD failed: the eigensolver did not converge on a " +
                           std::to_string(gram.rows()) + "x" + std::to_string(gram.cols()) +
                           " Gram matrix");
  }
  const Eigen::VectorXd& values = solver.eigenvalues();  // ascending
  const Eigen::Index n = values.size();
  const double largest = std::max(values(n - 1), 0.0);
  // Eigenvalues below this are rounding noise of the float products in the Gram matrix.
  const double floor = largest * 1e-10;
  int kept = 0;
  while (kept < k && kept < n && values(n - 1 - kept) > floor) ++kept;
  TopEigen top;
  top.vectors.resize(n, kept);
  top.sigma.resize(kept);
  for (int j = 0; j < kept; ++j) {
    top.vectors.col(j) = solver.eigenvectors().col(n - 1 - j).cast<float>();
    top.sigma(j) = static_cast<float>(std::sqrt(values(n - 1 - j)));
  }
  return top;
}

// A^T A for a tall A, float products over row blocks summed in double.
Eigen::MatrixXd gram_matrix(const Eigen::Ref<const Eigen::MatrixXf>& a) {
  const Eigen::Index n = a.cols();
  Eigen::MatrixXd sum = Eigen::MatrixXd::Zero(n, n);
  Eigen::MatrixXf block(n, n);
  for (Eigen::Index row = 0; row < a.rows(); row += kGramRowBlock) {
    const Eigen::Index rows = std::min(kGramRowBlock, a.rows() - row);
    block.setZero();
    block.selfadjointView<Eigen::Lower>().rankUpdate(a.middleRows(row, rows).transpose());
    sum.triangularView<Eigen::Lower>() += block.cast<double>();
  }
  return sum.selfadjointView<Eigen::Lower>();
}

// Restores orthonormal columns after U = A V / sigma was formed in float, where dividing by the
// weakest singular values amplifies rounding (Cholesky QR: column j stays in the span of
// columns 0..j, so the strong components barely move).
//
// Data of low rank (a small ROI, a short clip, a static scene) still give Gram eigenvalues of
// rounding size above the floor; their U columns land back in the span of the real ones. The
// factorisation stops at the first column that keeps less than kMinIndependentShare of its
// squared norm outside the stronger columns: that column and all weaker ones are beyond the
// data's numerical rank and are dropped from `u` and `sigma` (components stay strongest first).
constexpr double kMinIndependentShare = 0.5;

void orthonormalize(Eigen::MatrixXf& u, Eigen::VectorXf& sigma) {
  const Eigen::Index n = u.cols();
  Eigen::MatrixXd gram(n, n);
  gram.noalias() = (u.transpose() * u).cast<double>();
  Eigen::MatrixXd lower = Eigen::MatrixXd::Zero(n, n);
  Eigen::Index rank = 0;
  for (; rank < n; ++rank) {
    const Eigen::Index j = rank;
    const double norm2 = gram(j, j);
    const double residual = norm2 - lower.row(j).head(j).squaredNorm();
    if (!(norm2 > 0) || !(residual > kMinIndependentShare * norm2)) break;
    lower(j, j) = std::sqrt(residual);
    for (Eigen::Index i = j + 1; i < n; ++i) {
      lower(i, j) = (gram(i, j) - lower.row(i).head(j).dot(lower.row(j).head(j))) / lower(j, j);
    }
  }
  if (rank == 0) {
    throw ComputationError("SVD failed: no component of the " + std::to_string(n) +
                           " found is numerically independent");
  }
  u.conservativeResize(Eigen::NoChange, rank);
  sigma.conservativeResize(rank);
  // U L^-T: solve X L^T = U in place.
  const Eigen::MatrixXf upper = lower.topLeftCorner(rank, rank).transpose().cast<float>();
  upper.triangularView<Eigen::Upper>().solveInPlace<Eigen::OnTheRight>(u);
}

}  // namespace

SvdBasis truncated_svd(const Eigen::Ref<const Eigen::MatrixXf>& data, int k) {
  const TopEigen top = top_eigen(gram_matrix(data), k);
  // U = A V diag(1/sigma): the left singular vectors matching the right vectors V.
  Eigen::MatrixXf u(data.rows(), top.sigma.size());
  u.noalias() = data * (top.vectors * top.sigma.cwiseInverse().asDiagonal());
  Eigen::VectorXf sigma = top.sigma;
  orthonormalize(u, sigma);
  return {std::move(u), std::move(sigma)};
}

IncrementalSvd::IncrementalSvd(Eigen::Index pixels, int max_components, int chunk_components)
    : pixels_(pixels), max_components_(max_components), chunk_components_(chunk_components) {
  assert(pixels > 0 && max_components > 0 && chunk_components > 0);
}

void IncrementalSvd::add_chunk(const Eigen::Ref<const Eigen::MatrixXf>& chunk) {
  assert(chunk.rows() == pixels_);
  if (chunk.cols() < 2) return;
  const int chunk_k = std::min<int>(chunk_components_, static_cast<int>(chunk.cols()) - 1);
  SvdBasis piece = truncated_svd(chunk, chunk_k);
  ++chunks_;
  if (basis_.cols() == 0) {
    basis_ = std::move(piece.components);
    values_ = std::move(piece.singular_values);
    return;
  }
  // SVD of M = [U S, U_i S_i]. With orthonormal U and U_i its Gram matrix is
  //   [[S^2, S (U^T U_i) S_i], [S_i (U_i^T U) S, S_i^2]],
  // so only the k x k_i cross product U^T U_i touches the pixels.
  const Eigen::Index k = basis_.cols();
  const Eigen::Index ki = piece.components.cols();
  Eigen::MatrixXf cross(k, ki);
  cross.noalias() = basis_.transpose() * piece.components;
  const Eigen::VectorXd s = values_.cast<double>();
  const Eigen::VectorXd si = piece.singular_values.cast<double>();
  Eigen::MatrixXd gram(k + ki, k + ki);
  gram.topLeftCorner(k, k) = s.array().square().matrix().asDiagonal();
  gram.bottomRightCorner(ki, ki) = si.array().square().matrix().asDiagonal();
  gram.topRightCorner(k, ki) = s.asDiagonal() * cross.cast<double>() * si.asDiagonal();
  gram.bottomLeftCorner(ki, k) = gram.topRightCorner(k, ki).transpose();
  const TopEigen top = top_eigen(gram, max_components_);

  // U_new = M V diag(1/sigma) with M = [U S, U_i S_i], done as two products to avoid forming M.
  const Eigen::MatrixXf v_scaled = top.vectors * top.sigma.cwiseInverse().asDiagonal();
  Eigen::MatrixXf merged(pixels_, top.sigma.size());
  merged.noalias() = basis_ * (values_.asDiagonal() * v_scaled.topRows(k));
  merged.noalias() += piece.components * (piece.singular_values.asDiagonal() * v_scaled.bottomRows(ki));
  // Not re-orthonormalised here: merging orthonormal pieces loses only ~1e-5 of orthogonality,
  // restored once in finish().
  basis_ = std::move(merged);
  values_ = top.sigma;
}

SvdBasis IncrementalSvd::finish() const {
  SvdBasis result{basis_, values_};
  if (chunks_ > 1) orthonormalize(result.components, result.singular_values);
  for (Eigen::Index j = 0; j < result.components.cols(); ++j) {
    Eigen::Index at = 0;
    result.components.col(j).cwiseAbs().maxCoeff(&at);
    if (result.components(at, j) < 0) result.components.col(j) *= -1.0f;
  }
  return result;
}

}  // namespace ethovid::facemap
