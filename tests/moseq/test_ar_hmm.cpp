// The AR-HMM's parts against exact answers (samplers' moments, FFBS against enumeration of every
// state sequence), then the whole Gibbs sampler on data drawn from a known switching AR process:
// labels and AR matrices must come back.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <functional>
#include <numeric>

#include "ethovid/moseq/ar_hmm.hpp"
#include "ethovid/moseq/hmm.hpp"
#include "ethovid/moseq/sampling.hpp"

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
    const HmmDraw draw = sample_states(ll, P, initial, sampler);
    ASSERT_NEAR(draw.log_marginal, std::log(total), 1e-9);
    for (int t = 0; t < T; ++t) sampled(t, draw.states[t]) += 1.0 / draws;
  }
  EXPECT_LT((sampled - marginal).cwiseAbs().maxCoeff(), 0.01) << sampled << "\nvs\n" << marginal;
}

// Data from a known sticky switching AR(1) process in 2-D: three rotations with their own drift.
struct Truth {
  std::vector<LatentSequence> data;
  std::vector<std::vector<int>> labels;
  std::vector<Eigen::MatrixXd> Ab;
};

Truth simulate(std::uint64_t seed, int sequences, int frames) {
  Sampler sampler(seed);
  Truth truth;
  const double angles[3] = {0.35, -0.35, 0.0};
  const double radii[3] = {0.95, 0.95, 0.8};
  Eigen::Vector2d bias[3] = {{0.05, 0.0}, {-0.05, 0.02}, {0.0, 0.15}};
  for (int k = 0; k < 3; ++k) {
    Eigen::MatrixXd Ab(2, 3);
    Ab << radii[k] * std::cos(angles[k]), -radii[k] * std::sin(angles[k]), bias[k][0],
          radii[k] * std::sin(angles[k]), radii[k] * std::cos(angles[k]), bias[k][1];
    truth.Ab.push_back(Ab);
  }
  const double noise = 0.05;
  for (int n = 0; n < sequences; ++n) {
    LatentSequence seq{Eigen::MatrixXd::Zero(frames, 2), Eigen::VectorXd::Ones(frames)};
    std::vector<int> labels;
    int state = n % 3;
    for (int t = 1; t < frames; ++t) {
      if (sampler.uniform() < 0.05) state = (state + 1 + static_cast<int>(sampler.uniform() * 2)) % 3;
      labels.push_back(state);
      Eigen::Vector3d in(seq.x(t - 1, 0), seq.x(t - 1, 1), 1.0);
      seq.x.row(t) = (truth.Ab[state] * in).transpose() + noise * Eigen::RowVector2d(sampler.normal(), sampler.normal());
    }
    truth.data.push_back(seq);
    truth.labels.push_back(labels);
  }
  return truth;
}

TEST(ArHmm, RecoversLabelsAndDynamicsOfAKnownSwitchingProcess) {
  for (std::uint64_t seed : {3u, 4u}) {
    SCOPED_TRACE("seed " + std::to_string(seed));
    const Truth truth = simulate(seed, 3, 1500);
    TransitionHyperparams th;
    th.num_states = 10;
    th.kappa = 300;
    ArHyperparams ah;
    ah.nlags = 1;
    const ArHmm model(ah, th, 2);
    Sampler sampler(seed * 101);
    ArHmmState state = model.initialize(truth.data, sampler);
    std::vector<double> log_likelihoods;
    for (int iter = 0; iter < 150; ++iter) log_likelihoods.push_back(model.sweep(truth.data, state, sampler));
    // Confusion of true (3) against fitted (10) labels, then the best one-to-one matching.
    Eigen::MatrixXd confusion = Eigen::MatrixXd::Zero(3, th.num_states);
    double frames = 0;
    for (std::size_t n = 0; n < truth.data.size(); ++n) {
      for (std::size_t t = 0; t < truth.labels[n].size(); ++t) confusion(truth.labels[n][t], state.z[n][t]) += 1;
      frames += static_cast<double>(truth.labels[n].size());
    }
    double best = 0;
    int match[3] = {0, 0, 0};
    for (int a = 0; a < th.num_states; ++a) {
      for (int b = 0; b < th.num_states; ++b) {
        for (int c = 0; c < th.num_states; ++c) {
          if (a == b || b == c || a == c) continue;
          const double hits = confusion(0, a) + confusion(1, b) + confusion(2, c);
          if (hits > best) {
            best = hits;
            match[0] = a, match[1] = b, match[2] = c;
          }
        }
      }
    }
    EXPECT_GE(best / frames, 0.9) << "label accuracy";
    for (int k = 0; k < 3; ++k) {
      EXPECT_LT((state.ar.Ab[match[k]] - truth.Ab[k]).norm(), 0.1) << "state " << k << "\n" << state.ar.Ab[match[k]];
    }
    // The marginal likelihood climbs from the random start and then stays up.
    const double early = std::accumulate(log_likelihoods.begin(), log_likelihoods.begin() + 3, 0.0) / 3;
    const double late = std::accumulate(log_likelihoods.end() - 30, log_likelihoods.end(), 0.0) / 30;
    EXPECT_GT(late, early);
  }
}

}  // namespace
}  // namespace ethovid::moseq
