// The AR-HMM's parts against exact answers (samplers' moments, FFBS against enumeration of every
// state sequence), then the whole Gibbs sampler on data drawn from a known switching AR process:
// labels and AR matrices must come back.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <functional>
#include <numeric>

#include "ethovid/core/error.hpp"
#include "ethovid/moseq/ar_hmm.hpp"
#include "ethovid/moseq/hmm.hpp"
#include "ethovid/moseq/sampling.hpp"
#include "switching_truth.hpp"

namespace ethovid::moseq {
namespace {

TEST(Sampler, InverseWishartAndDirichletMeans) {
  Sampler sampler(7);
  Eigen::MatrixXd scale(2, 2);
  scale << 2.0, 0.3, 0.3, 1.0;
  const double dof = 8;
  Eigen::MatrixXd mean = Eigen::MatrixXd::Zero(2, 2);
  const int draws = 20000;
  for (int i = 0; i < draws; ++i) mean += sampler.inverse_wishart(scale, dof) / draws;
  const Eigen::MatrixXd expected = scale / (dof - 2 - 1);
  EXPECT_LT((mean - expected).norm() / expected.norm(), 0.03) << mean;

  Eigen::VectorXd alpha(3);
  alpha << 0.01, 0.5, 3.0;  // tiny concentrations must still give valid draws
  Eigen::VectorXd dir_mean = Eigen::VectorXd::Zero(3);
  for (int i = 0; i < draws; ++i) {
    const Eigen::VectorXd p = sampler.dirichlet(alpha);
    ASSERT_NEAR(p.sum(), 1.0, 1e-12);
    ASSERT_TRUE((p.array() >= 0).all());
    dir_mean += p / draws;
  }
  EXPECT_LT((dir_mean - alpha / alpha.sum()).norm(), 0.01) << dir_mean.transpose();
}

// Draws land only on positive weights, in proportion; no positive weight is an error.
TEST(Sampler, CategoricalFollowsTheWeightsAndSkipsZeros) {
  Sampler sampler(4);
  const Eigen::Vector4d weights(0.0, 3.0, 0.0, 1.0);
  Eigen::Vector4d counts = Eigen::Vector4d::Zero();
  for (int i = 0; i < 20000; ++i) counts[sampler.categorical(weights)] += 1;
  EXPECT_EQ(counts[0], 0);
  EXPECT_EQ(counts[2], 0);
  EXPECT_NEAR(counts[1] / 20000, 0.75, 0.01);
  EXPECT_THROW(sampler.categorical(Eigen::Vector3d::Zero()), ComputationError);
  EXPECT_THROW(sampler.categorical(Eigen::Vector2d(1.0, NAN)), ComputationError);
}

TEST(Sampler, VonMisesMeanResultantLength) {
  // E[cos(theta - mu)] = I1(kappa) / I0(kappa): 0.4464 at kappa = 1, 0.9486 at 10, ~1 - 1/(2 kappa) beyond.
  Sampler sampler(9);
  const double expected[3][2] = {{1.0, 0.446390}, {10.0, 0.948599}, {1e6, 1 - 0.5e-6}};
  for (const auto& [kappa, resultant] : expected) {
    double c = 0, s = 0;
    const int draws = 40000;
    for (int i = 0; i < draws; ++i) {
      const double theta = sampler.von_mises(2.5, kappa);
      ASSERT_LE(std::abs(theta), M_PI);
      c += std::cos(theta - 2.5) / draws;
      s += std::sin(theta - 2.5) / draws;
    }
    EXPECT_NEAR(c, resultant, 0.01) << "kappa " << kappa;
    EXPECT_NEAR(s, 0.0, 0.01) << "kappa " << kappa;
  }
}

TEST(Hmm, ForwardFilterBackwardSampleMatchesEnumeration) {
  Sampler sampler(11);
  const int T = 5, S = 3;
  Eigen::MatrixXd ll = Eigen::MatrixXd::Random(T, S) * 2;
  ll.row(2).setZero();  // a masked step
  Eigen::MatrixXd P = (Eigen::MatrixXd::Random(S, S).array() + 1.5).matrix();
  for (int i = 0; i < S; ++i) P.row(i) /= P.row(i).sum();
  Eigen::VectorXd initial(S);
  initial << 0.2, 0.5, 0.3;
  // Exact: every one of the S^T sequences.
  double total = 0;
  Eigen::MatrixXd marginal = Eigen::MatrixXd::Zero(T, S);
  std::vector<int> z(T, 0);
  std::function<void(int)> visit = [&](int t) {
    if (t == T) {
      double logp = std::log(initial[z[0]]) + ll(0, z[0]);
      for (int u = 1; u < T; ++u) logp += std::log(P(z[u - 1], z[u])) + ll(u, z[u]);
      const double p = std::exp(logp);
      total += p;
      for (int u = 0; u < T; ++u) marginal(u, z[u]) += p;
      return;
    }
    for (int s = 0; s < S; ++s) {
      z[t] = s;
      visit(t + 1);
    }
  };
  visit(0);
  marginal /= total;
  Eigen::MatrixXd sampled = Eigen::MatrixXd::Zero(T, S);
  const int draws = 40000;
  for (int i = 0; i < draws; ++i) {
    const HmmDraw draw = sample_states(ll.transpose(), P, initial, sampler);
    ASSERT_NEAR(draw.log_marginal, std::log(total), 1e-9);
    for (int t = 0; t < T; ++t) sampled(t, draw.states[t]) += 1.0 / draws;
  }
  EXPECT_LT((sampled - marginal).cwiseAbs().maxCoeff(), 0.01) << sampled << "\nvs\n" << marginal;
}

// Each syllable's log-likelihood of each step is the Gaussian log-density of x_t around
// Ab [x_{t-nlags} .. x_{t-1}; 1] with covariance Q, written out here directly; padding steps
// are zero. 300 steps cross the likelihoods' chunks of 256.
TEST(ArHmm, StateLogLikelihoodsAreTheArGaussianDensities) {
  const int D = 3, nlags = 2, S = 4, T = 303;
  Sampler rng(3);
  auto random = [&](Eigen::Index rows, Eigen::Index cols) {
    return Eigen::MatrixXd(Eigen::MatrixXd::NullaryExpr(rows, cols, [&] { return rng.normal(); }));
  };
  ArParams ar;
  for (int s = 0; s < S; ++s) {
    ar.Ab.push_back(0.3 * random(D, D * nlags + 1));
    const Eigen::MatrixXd B = random(D, D);
    ar.Q.push_back(B * B.transpose() + 0.2 * Eigen::MatrixXd::Identity(D, D));
  }
  LatentSequence seq{random(T, D), Eigen::VectorXd::Ones(T)};
  seq.mask.tail(2).setZero();
  ArHyperparams ah;
  ah.nlags = nlags;
  TransitionHyperparams th;
  th.num_states = S;
  const Eigen::MatrixXd ll = ArHmm(ah, th, D).state_log_likelihoods(seq, ar);
  ASSERT_EQ(ll.cols(), T - nlags);
  for (Eigen::Index t = nlags; t < T; ++t) {
    Eigen::VectorXd u(D * nlags + 1);
    for (int lag = 0; lag < nlags; ++lag) u.segment(lag * D, D) = seq.x.row(t - nlags + lag).transpose();
    u[D * nlags] = 1;
    for (int s = 0; s < S; ++s) {
      const Eigen::VectorXd r = seq.x.row(t).transpose() - ar.Ab[s] * u;
      const double expected = seq.mask[t] == 0 ? 0.0
                              : -0.5 * (r.dot(ar.Q[s].inverse() * r) + std::log(ar.Q[s].determinant()) +
                                        D * std::log(2 * M_PI));
      ASSERT_NEAR(ll(s, t - nlags), expected, 1e-9 * (1 + std::abs(expected))) << "step " << t << ", syllable " << s;
    }
  }
}

// 150 sweeps of a 10-state AR-HMM (kappa 300) on generated truth; the log-likelihood of each.
struct ArHmmFit {
  ArHmmState state;
  std::vector<double> log_likelihoods;
};

ArHmmFit fit_ar_hmm(const Truth& truth, int nlags, std::uint64_t seed) {
  TransitionHyperparams th;
  th.num_states = 10;
  th.kappa = 300;
  ArHyperparams ah;
  ah.nlags = nlags;
  const ArHmm model(ah, th, 2);
  Sampler sampler(seed);
  ArHmmFit fit{model.initialize(truth.data, sampler), {}};
  for (int iter = 0; iter < 150; ++iter) fit.log_likelihoods.push_back(model.sweep(truth.data, fit.state, sampler));
  return fit;
}

TEST(ArHmm, RecoversLabelsAndDynamicsOfAKnownSwitchingProcess) {
  for (std::uint64_t seed : {3u, 4u}) {
    SCOPED_TRACE("seed " + std::to_string(seed));
    const Truth truth = simulate(seed, 3, 1500);
    const auto [state, log_likelihoods] = fit_ar_hmm(truth, 1, seed * 101);
    int match[3];
    const double accuracy = matched_accuracy(truth.labels, state.z, 10, match);
    EXPECT_GE(accuracy, 0.9) << "label accuracy";
    for (int k = 0; k < 3; ++k) {
      EXPECT_LT((state.ar.Ab[match[k]] - truth.Ab[k]).norm(), 0.1) << "state " << k << "\n" << state.ar.Ab[match[k]];
    }
    // The marginal likelihood climbs from the random start and then stays up.
    const double early = std::accumulate(log_likelihoods.begin(), log_likelihoods.begin() + 3, 0.0) / 3;
    const double late = std::accumulate(log_likelihoods.end() - 30, log_likelihoods.end(), 0.0) / 30;
    EXPECT_GT(late, early);
  }
}

// With more lags than the truth has, the labels still come back (the extra lags learn ~0) and
// each syllable's newest-lag block is its true A.
TEST(ArHmm, TwoLagsRecoverAnAr1Process) {
  const Truth truth = simulate(3, 3, 1500);
  const ArHmmState state = fit_ar_hmm(truth, 2, 303).state;
  int match[3];
  EXPECT_GE(matched_accuracy(truth.labels, state.z, 10, match), 0.9);
  for (int k = 0; k < 3; ++k) {
    const Eigen::MatrixXd& Ab = state.ar.Ab[match[k]];  // [A_{t-2} | A_{t-1} | b]
    EXPECT_LT((Ab.middleCols(2, 2) - truth.Ab[k].leftCols(2)).norm(), 0.15) << Ab;
    EXPECT_LT(Ab.leftCols(2).norm(), 0.15) << "the older lag is not needed";
  }
}

}  // namespace
}  // namespace ethovid::moseq
