#pragma once
// The AR-HMM of keypoint-moseq on a low-dimensional pose trajectory x (the PCA latents): each
// syllable z has its own autoregressive dynamics
//   x_t = A_z [x_{t-nlags}; ...; x_{t-1}; 1] + e,   e ~ N(0, Q_z),
// with an MNIW prior per syllable (nu_0 = D + 2, S_0 = S_0_scale I, K_0 = K_0_scale I, M_0 the
// identity on x_{t-1}), and sticky HDP-HMM transitions between syllables (transitions.hpp).
// Gibbs sampling: transitions | z, then (A, Q) | x, z, then z | x, A, Q, pi by FFBS per sequence.
#include <cstdint>
#include <vector>

#include <Eigen/Dense>

#include "ethovid/moseq/sampling.hpp"
#include "ethovid/moseq/transitions.hpp"

namespace ethovid::moseq {

struct ArHyperparams {
  int nlags = 3;
  double S_0_scale = 0.01;
  double K_0_scale = 10.0;
};

// One contiguous stretch of latents (a recording or a segment of one).
struct LatentSequence {
  Eigen::MatrixXd x;     // T x D
  Eigen::VectorXd mask;  // T: 1 for real frames, 0 for padding
};

struct ArParams {
  std::vector<Eigen::MatrixXd> Ab;  // per state: D x (D * nlags + 1), lags oldest first, bias last
  std::vector<Eigen::MatrixXd> Q;   // per state: D x D
};

struct ArHmmState {
  ArParams ar;
  Transitions transitions;
  std::vector<std::vector<int>> z;  // per sequence, T - nlags states (z[i] belongs to x[i + nlags])
};

class ArHmm {
 public:
  ArHmm(ArHyperparams ar, TransitionHyperparams transitions, int latent_dim);

  // A first state: (A, Q) and transitions drawn from their priors, z from its posterior given x.
  ArHmmState initialize(const std::vector<LatentSequence>& data, Sampler& sampler) const;

  // One Gibbs sweep; returns log p(x | A, Q, pi) with z summed out (from the forward filter).
  double sweep(const std::vector<LatentSequence>& data, ArHmmState& state, Sampler& sampler) const;

  // S x T - nlags log-likelihoods of each state at each step of one sequence (a column per step).
  Eigen::MatrixXd state_log_likelihoods(const LatentSequence& sequence, const ArParams& ar) const;

  const ArHyperparams& ar_hyperparams() const { return ar_; }
  const TransitionHyperparams& transition_hyperparams() const { return trans_; }
  void set_kappa(double kappa) { trans_.kappa = kappa; }
  int latent_dim() const { return dim_; }

 private:
  void sample_ar(const std::vector<LatentSequence>& data, ArHmmState& state, Sampler& sampler) const;
  double sample_z(const std::vector<LatentSequence>& data, ArHmmState& state, Sampler& sampler) const;
  Eigen::MatrixXd transition_counts(const std::vector<LatentSequence>& data, const ArHmmState& state) const;

  ArHyperparams ar_;
  TransitionHyperparams trans_;
  int dim_;
  Eigen::MatrixXd M0_, K0_inverse_, S0_;
  double nu0_;
};

// Lagged inputs [x_{t-nlags} .. x_{t-1}, 1] (rows t = nlags .. T-1) and outputs x_t.
void lagged(const Eigen::MatrixXd& x, int nlags, Eigen::MatrixXd& inputs, Eigen::MatrixXd& outputs);

}  // namespace ethovid::moseq
