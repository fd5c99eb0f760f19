#pragma once
// Sampling the continuous states of a linear-Gaussian state-space model given its observations
// (Kalman filter forward, then backward sampling): how the keypoint SLDS draws the latent pose
// trajectory x and the centroid path v.
//   x_0 ~ N(m0, S0),  x_t = A_r x_{t-1} + b_r + w_t,  w_t ~ N(0, Q_r),  r = regime[t-1]
//   y_t = C x_t + d + e_t,  e_t ~ N(0, diag(r_t))
// Each regime is one syllable's dynamics; with no `regime` list every step uses regime 0.
#include <vector>

#include <Eigen/Dense>

#include "ethovid/moseq/sampling.hpp"

namespace ethovid::moseq {

struct Dynamics {
  Eigen::MatrixXd A, Q;
  Eigen::VectorXd b;
};

struct LinearGaussianModel {
  Eigen::VectorXd m0;
  Eigen::MatrixXd S0;
  std::vector<Dynamics> dynamics;  // one per regime
  std::vector<int> regime;         // T - 1 entries (the step into t uses regime[t - 1]), or empty
  Eigen::MatrixXd C;
  Eigen::VectorXd d;

  const Dynamics& into(Eigen::Index t) const {
    return dynamics[regime.empty() ? 0 : static_cast<std::size_t>(regime[static_cast<std::size_t>(t - 1)])];
  }
};

// `y` is T x obs_dim, `noise` T x obs_dim (the diagonal of each step's observation covariance).
// Returns T x state_dim.
Eigen::MatrixXd sample_kalman(const LinearGaussianModel& model, const Eigen::MatrixXd& y,
                              const Eigen::MatrixXd& noise, Sampler& sampler);

}  // namespace ethovid::moseq
