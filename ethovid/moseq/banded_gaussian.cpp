#include "ethovid/moseq/banded_gaussian.hpp"

#include <algorithm>
#include <stdexcept>
#include <string>
#include <utility>

#include "ethovid/core/error.hpp"

namespace ethovid::moseq {

BandedGaussian::BandedGaussian(Eigen::Index frames, Eigen::Index dim, Eigen::Index bandwidth)
    : frames_(frames),
      dim_(dim),
      bandwidth_(bandwidth),
      width_((bandwidth + 1) * dim),
      band_(Eigen::MatrixXd::Zero(dim, width_ * frames)),
      h_(Eigen::MatrixXd::Zero(dim, frames)) {}

void BandedGaussian::require_unfactored() const {
  if (factored_) throw std::logic_error("BandedGaussian: the precision is already factored");
}

void BandedGaussian::add_precision(Eigen::Index first, const Eigen::MatrixXd& values) {
  require_unfactored();
  const Eigen::Index m = values.rows() / dim_;
  if (values.rows() != m * dim_ || values.cols() != values.rows() || m > bandwidth_ + 1 || first < 0 ||
      first + m > frames_) {
    throw std::logic_error("BandedGaussian::add_precision: a term that does not fit the band");
  }
  for (Eigen::Index a = 0; a < m; ++a) {
    for (Eigen::Index b = 0; b <= a; ++b) {
      panel(first + a).middleCols((bandwidth_ - (a - b)) * dim_, dim_) += values.block(a * dim_, b * dim_, dim_, dim_);
    }
  }
}

void BandedGaussian::factor() {
  require_unfactored();
  const Eigen::Index B = bandwidth_, d = dim_;
  Eigen::MatrixXd window(B * d, B * d);
  for (Eigen::Index i = 0; i < frames_; ++i) {
    const Eigen::Index w = std::min(i, B);
    auto row = panel(i);
    auto diagonal = row.rightCols(d);
    if (w > 0) {
      // L's rows and columns i-w .. i-1 form a lower-triangular window; row i's blocks left of
      // the diagonal solve L(i, window) window' = J(i, window).
      for (Eigen::Index r = 0; r < w; ++r) {
        window.block(r * d, 0, d, (r + 1) * d) = panel(i - w + r).rightCols((r + 1) * d);
      }
      auto off = row.middleCols((B - w) * d, w * d);
      window.topLeftCorner(w * d, w * d).transpose().triangularView<Eigen::Upper>().solveInPlace<Eigen::OnTheRight>(off);
      diagonal.selfadjointView<Eigen::Lower>().rankUpdate(off, -1.0);
    }
    Eigen::LLT<Eigen::Ref<Eigen::MatrixXd>> llt(diagonal);  // in place: the block becomes L(i, i)
    if (llt.info() != Eigen::Success) {
      throw ComputationError("the posterior precision of the latent trajectory is not positive definite at frame " +
                             std::to_string(i));
    }
  }
  factored_ = true;
  forward_ = h_;
  for (Eigen::Index i = 0; i < frames_; ++i) {
    const Eigen::Index w = std::min(i, B);
    const ConstColumns row = std::as_const(*this).panel(i);
    if (w > 0) {
      const Eigen::Map<const Eigen::VectorXd> earlier(forward_.col(i - w).data(), w * d);
      forward_.col(i).noalias() -= row.middleCols((B - w) * d, w * d) * earlier;
    }
    row.rightCols(d).triangularView<Eigen::Lower>().solveInPlace(forward_.col(i));
  }
}

Eigen::MatrixXd BandedGaussian::back_substitute(Eigen::MatrixXd rhs) const {
  if (!factored_) throw std::logic_error("BandedGaussian: factor() first");
  const Eigen::Index B = bandwidth_, d = dim_;
  for (Eigen::Index i = frames_ - 1; i >= 0; --i) {
    auto x = rhs.col(i);
    for (Eigen::Index j = i + 1; j <= std::min(frames_ - 1, i + B); ++j) {
      x.noalias() -= panel(j).middleCols((B - (j - i)) * d, d).transpose() * rhs.col(j);
    }
    panel(i).rightCols(d).transpose().triangularView<Eigen::Upper>().solveInPlace(x);
  }
  return rhs;
}

Eigen::MatrixXd BandedGaussian::mean() const { return back_substitute(forward_); }

Eigen::MatrixXd BandedGaussian::draw(const Eigen::MatrixXd& standard_normal) const {
  return back_substitute(forward_ + standard_normal);
}

Eigen::MatrixXd BandedGaussian::sample(Sampler& sampler) const {
  Eigen::MatrixXd e(dim_, frames_);
  for (auto& value : e.reshaped()) value = sampler.normal();
  return draw(e);
}

}  // namespace ethovid::moseq
