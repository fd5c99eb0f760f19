#pragma once
// Sticky HDP-HMM transitions in the weak-limit approximation (Fox et al. 2011), as keypoint-moseq
// uses them: global state weights beta ~ Dir(gamma/S + table counts) and rows
// pi_i ~ Dir(n_i + alpha*beta + kappa*e_i). kappa makes each state "sticky" (longer syllables).
#include <Eigen/Dense>

#include "ethovid/moseq/sampling.hpp"

namespace ethovid::moseq {

struct TransitionHyperparams {
  int num_states = 100;
  double alpha = 5.7;
  double gamma = 1e3;
  double kappa = 1e6;
};

struct Transitions {
  Eigen::VectorXd beta;  // S
  Eigen::MatrixXd pi;    // S x S, rows sum to 1
};

// Draws beta and pi given the transition counts (S x S, counts[i][j] = i -> j); with all-zero
// counts this is a draw from the prior.
Transitions sample_transitions(const Eigen::MatrixXd& counts, const Transitions& current,
                               const TransitionHyperparams& h, Sampler& sampler);

// A first draw: beta from its prior, then pi given beta and no counts.
Transitions initial_transitions(const TransitionHyperparams& h, Sampler& sampler);

}  // namespace ethovid::moseq
