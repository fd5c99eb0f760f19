#pragma once
// Sampling the continuous states of a linear-Gaussian state-space model given its observations
// (Kalman filter forward, then backward sampling): how the keypoint SLDS draws the centroid path
// v, a random walk observed through the keypoints (the latent pose x has its own exact sampler,
// banded_gaussian.hpp).
//   x_0 ~ N(m0, S0),  x_t = A x_{t-1} + b + w_t,  w_t ~ N(0, Q)
//   y_t = C x_t + d + e_t,  e_t ~ N(0, diag(r_t))
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
  Dynamics dynamics;
  Eigen::MatrixXd C;
  Eigen::VectorXd d;
};

// `y` is T x obs_dim, `noise` T x obs_dim (the diagonal of each step's observation covariance).
// Returns T x state_dim.
Eigen::MatrixXd sample_kalman(const LinearGaussianModel& model, const Eigen::MatrixXd& y,
                              const Eigen::MatrixXd& noise, Sampler& sampler);

}  // namespace ethovid::moseq
