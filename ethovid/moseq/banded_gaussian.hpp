#pragma once
// A Gaussian over a trajectory of T frames, each a block of `dim` numbers, given in information
// form (precision J and linear term h, density ∝ exp(-x'Jx/2 + h'x)) where J only couples frames
// at most `bandwidth` apart. That is the posterior of an AR(nlags) latent trajectory given
// per-frame observations (bandwidth = nlags), and how the keypoint SLDS samples x.
//
// Sampling factors J = L L' by a block-banded Cholesky, then mean = J^-1 h and a draw is
// mean + L'^-1 e with e standard normal. Each frame costs O(dim^3 bandwidth^2), against the
// O((dim bandwidth)^3) of a Kalman filter on the lifted state (dim·bandwidth numbers per frame),
// and the result is exact: the lags are the same frames, with no jitter between copies of them.
#include <Eigen/Dense>

#include "ethovid/moseq/sampling.hpp"

namespace ethovid::moseq {

class BandedGaussian {
 public:
  using Columns = Eigen::Block<Eigen::MatrixXd, Eigen::Dynamic, Eigen::Dynamic, true>;
  using ConstColumns = Eigen::Block<const Eigen::MatrixXd, Eigen::Dynamic, Eigen::Dynamic, true>;

  BandedGaussian(Eigen::Index frames, Eigen::Index dim, Eigen::Index bandwidth);

  Eigen::Index frames() const { return frames_; }
  Eigen::Index dim() const { return dim_; }

  // Adds a symmetric precision term over frames first .. first + m - 1 (values is m·dim square,
  // m <= bandwidth + 1); only its lower blocks are read.
  void add_precision(Eigen::Index first, const Eigen::MatrixXd& values);
  // The (frame, frame) block, to add a frame's own terms in place (lower triangle is used).
  Columns diagonal_block(Eigen::Index frame) {
    require_unfactored();
    return band_.middleCols((frame + 1) * width_ - dim_, dim_);
  }
  // h, one column per frame (dim x T), to add linear terms in place.
  Eigen::MatrixXd& linear() {
    require_unfactored();
    return h_;
  }

  // J = L L'; throws ComputationError naming the frame where J is not positive definite.
  // The precision is overwritten by the factor: add nothing after this.
  void factor();

  // After factor(): the mean J^-1 h, and a draw mean + L'^-1 e for the given or sampled
  // standard normals e. All dim x T (one column per frame).
  Eigen::MatrixXd mean() const;
  Eigen::MatrixXd draw(const Eigen::MatrixXd& standard_normal) const;
  Eigen::MatrixXd sample(Sampler& sampler) const;

 private:
  // Row panel of frame i: blocks (i, i - bandwidth) .. (i, i), dim x (bandwidth + 1)·dim.
  Columns panel(Eigen::Index i) { return band_.middleCols(i * width_, width_); }
  ConstColumns panel(Eigen::Index i) const { return band_.middleCols(i * width_, width_); }
  void require_unfactored() const;  // terms added after factor() would be silently ignored
  // Solves L' x = rhs, one column per frame.
  Eigen::MatrixXd back_substitute(Eigen::MatrixXd rhs) const;

  Eigen::Index frames_, dim_, bandwidth_, width_;
  Eigen::MatrixXd band_;  // every frame's row panel side by side: J's lower band, then L's
  Eigen::MatrixXd h_;
  Eigen::MatrixXd forward_;  // L^-1 h, from factor()
  bool factored_ = false;
};

}  // namespace ethovid::moseq
