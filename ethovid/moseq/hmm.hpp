#pragma once
// Hidden Markov chain inference: forward filtering with per-step normalisation, then backward
// sampling (FFBS) of one state sequence from its posterior, and the marginal log-likelihood.
#include <vector>

#include <Eigen/Dense>

#include "ethovid/moseq/sampling.hpp"

namespace ethovid::moseq {

struct HmmDraw {
  std::vector<int> states;  // one per time step
  double log_marginal = 0;  // log p(observations) with the states summed out
};

// `log_likelihoods` is S x T, one column per step (a masked step has a column of zeros),
// `transitions` S x S with rows summing to 1, `initial` the distribution of the first state.
HmmDraw sample_states(const Eigen::MatrixXd& log_likelihoods, const Eigen::MatrixXd& transitions,
                      const Eigen::VectorXd& initial, Sampler& sampler);

}  // namespace ethovid::moseq
