#include "ethovid/facemap/incremental_svd.hpp"

#include <algorithm>
#include <cassert>
#include <string>

#include "ethovid/core/error.hpp"

namespace ethovid::facemap {

namespace {

// Eigen-decomposes a symmetric Gram matrix G = A^T A and returns the top `k` (eigenvector,
// sqrt(eigenvalue)) pairs, dropping numerically zero ones.
struct TopEigen {
  Eigen::MatrixXd vectors;  // n x k
  Eigen::VectorXd sigma;    // k, descending
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
  // Eigenvalues below this are rounding noise of the double-precision Gram matrix.
  const double floor = largest * 1e-14;
  int kept = 0;
  while (kept < k && kept < n && values(n - 1 - kept) > floor) ++kept;
  TopEigen top;
  top.vectors.resize(n, kept);
  top.sigma.resize(kept);
  for (int j = 0; j < kept; ++j) {
    top.vectors.col(j) = solver.eigenvectors().col(n - 1 - j);
    top.sigma(j) = std::sqrt(values(n - 1 - j));
  }
  return top;
}

// U = A V diag(1/sigma): the left singular vectors matching right vectors V. Formed in double:
// dividing by small singular values would otherwise amplify float rounding into visibly
// non-orthogonal columns.
Eigen::MatrixXf left_vectors(const Eigen::MatrixXd& a, const TopEigen& top) {
  Eigen::MatrixXd u(a.rows(), top.sigma.size());
  u.noalias() = a * (top.vectors * top.sigma.cwiseInverse().asDiagonal());
  return u.cast<float>();
}

}  // namespace

SvdBasis truncated_svd(const Eigen::Ref<const Eigen::MatrixXf>& data, int k) {
  const Eigen::MatrixXd data_d = data.cast<double>();
  Eigen::MatrixXd gram = Eigen::MatrixXd::Zero(data.cols(), data.cols());
  gram.selfadjointView<Eigen::Lower>().rankUpdate(data_d.transpose());
  gram = gram.selfadjointView<Eigen::Lower>();
  const TopEigen top = top_eigen(gram, k);
  return {left_vectors(data_d, top), top.sigma.cast<float>()};
}

IncrementalSvd::IncrementalSvd(Eigen::Index pixels, int max_components)
    : pixels_(pixels), max_components_(max_components) {
  assert(pixels > 0 && max_components > 0);
}

void IncrementalSvd::add_chunk(const Eigen::Ref<const Eigen::MatrixXf>& chunk) {
  assert(chunk.rows() == pixels_);
  if (chunk.cols() < 2) return;
  const int chunk_k = std::min<int>(max_components_, static_cast<int>(chunk.cols()) - 1);
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
  // In double: a float cross product's rounding (1e-7 of s_0 * s_i) would swamp the Gram
  // entries of components whose singular values are 1e-3 of the largest.
  const Eigen::MatrixXd basis_d = basis_.cast<double>();
  const Eigen::MatrixXd piece_d = piece.components.cast<double>();
  Eigen::MatrixXd cross(k, ki);
  cross.noalias() = basis_d.transpose() * piece_d;
  const Eigen::VectorXd s = values_.cast<double>();
  const Eigen::VectorXd si = piece.singular_values.cast<double>();
  Eigen::MatrixXd gram(k + ki, k + ki);
  gram.topLeftCorner(k, k) = s.array().square().matrix().asDiagonal();
  gram.bottomRightCorner(ki, ki) = si.array().square().matrix().asDiagonal();
  gram.topRightCorner(k, ki) = s.asDiagonal() * cross * si.asDiagonal();
  gram.bottomLeftCorner(ki, k) = gram.topRightCorner(k, ki).transpose();
  const TopEigen top = top_eigen(gram, max_components_);

  // U_new = M V diag(1/sigma) with M = [U S, U_i S_i], done as two products to avoid forming M.
  const Eigen::MatrixXd v_scaled = top.vectors * top.sigma.cwiseInverse().asDiagonal();
  Eigen::MatrixXd merged(pixels_, top.sigma.size());
  merged.noalias() = basis_d * (s.asDiagonal() * v_scaled.topRows(k));
  merged.noalias() += piece_d * (si.asDiagonal() * v_scaled.bottomRows(ki));
  basis_ = merged.cast<float>();
  values_ = top.sigma.cast<float>();
}

SvdBasis IncrementalSvd::finish() const {
  SvdBasis result{basis_, values_};
  for (Eigen::Index j = 0; j < result.components.cols(); ++j) {
    Eigen::Index at = 0;
    result.components.col(j).cwiseAbs().maxCoeff(&at);
    if (result.components(at, j) < 0) result.components.col(j) *= -1.0f;
  }
  return result;
}

}  // namespace ethovid::facemap
