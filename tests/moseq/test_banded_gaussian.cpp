// The banded Gaussian sampler against dense linear algebra, and the keypoint SLDS's posterior of
// the latent trajectory against the same posterior written out densely from the model's
// equations (AR terms of switching syllables with 2 lags, rotated and shifted keypoints with
// per-keypoint noise, a padding frame, the prior on the first frames).
#include <gtest/gtest.h>

#include <cmath>

#include "ethovid/core/error.hpp"
#include "ethovid/moseq/banded_gaussian.hpp"
#include "ethovid/moseq/keypoint_slds.hpp"
#include "ethovid/moseq/preprocess.hpp"

namespace ethovid::moseq {
namespace {

Eigen::MatrixXd random_matrix(Sampler& rng, Eigen::Index rows, Eigen::Index cols) {
  return Eigen::MatrixXd::NullaryExpr(rows, cols, [&] { return rng.normal(); });
}

// A term B B' + 0.1 I over m consecutive frames: positive definite, within the band.
Eigen::MatrixXd random_term(Sampler& rng, Eigen::Index size) {
  const Eigen::MatrixXd B = random_matrix(rng, size, size);
  return B * B.transpose() + 0.1 * Eigen::MatrixXd::Identity(size, size);
}

TEST(BandedGaussian, MeanAndDrawsEqualTheDenseSolution) {
  for (const auto& [T, d, bandwidth] : std::vector<std::array<Eigen::Index, 3>>{{9, 3, 2}, {6, 2, 1}, {5, 2, 0}, {3, 2, 3}, {60, 10, 3}}) {
    SCOPED_TRACE("T " + std::to_string(T) + ", dim " + std::to_string(d) + ", bandwidth " + std::to_string(bandwidth));
    Sampler rng(static_cast<std::uint64_t>(T * 10 + bandwidth));
    BandedGaussian banded(T, d, bandwidth);
    Eigen::MatrixXd J = Eigen::MatrixXd::Zero(T * d, T * d);
    for (Eigen::Index first = 0; first < T; ++first) {
      const Eigen::Index m = std::min(bandwidth + 1, T - first);
      const Eigen::MatrixXd term = random_term(rng, m * d);
      banded.add_precision(first, term);
      J.block(first * d, first * d, m * d, m * d) += term;
    }
    const Eigen::MatrixXd h = random_matrix(rng, d, T);
    banded.linear() = h;
    banded.factor();
    const Eigen::LLT<Eigen::MatrixXd> dense(J);
    const Eigen::VectorXd mean = dense.solve(h.reshaped());
    EXPECT_LT((banded.mean().reshaped() - mean).cwiseAbs().maxCoeff(), 1e-9);
    // A draw is mean + L'^-1 e with J = L L' (the Cholesky factor is unique).
    const Eigen::MatrixXd e = random_matrix(rng, d, T);
    const Eigen::VectorXd expected =
        mean + Eigen::MatrixXd(dense.matrixL()).transpose().triangularView<Eigen::Upper>().solve(e.reshaped());
    EXPECT_LT((banded.draw(e).reshaped() - expected).cwiseAbs().maxCoeff(), 1e-9);
  }
}

TEST(BandedGaussian, NotPositiveDefiniteNamesTheFrame) {
  BandedGaussian banded(6, 2, 1);
  for (Eigen::Index t = 0; t < 6; ++t) banded.diagonal_block(t) = Eigen::Matrix2d::Identity();
  banded.diagonal_block(4)(1, 1) = -1;
  try {
    banded.factor();
    FAIL() << "expected a ComputationError";
  } catch (const ComputationError& e) {
    EXPECT_NE(std::string(e.what()).find("frame 4"), std::string::npos) << e.what();
  }
}

// The posterior of x in one segment, written out densely: with x = [x_0; ...; x_T-1],
//   prior   x_t ~ N(0, 10 I) for t < nlags,
//   AR      x_t = A_z [x_{t-nlags}; ...; x_{t-1}] + b_z + N(0, Q_z), z = z[t - nlags],
//   keypoints (real frames) R(-h_t) (Y_tk - v_t) = (Gamma C x_t + Gamma d)_k + N(0, s_tk sigmasq_k I).
TEST(KeypointSlds, LatentPosteriorMatchesTheModelWrittenOutDensely) {
  const int K = 4, D = 2, L = 2, nlags = 2, T = 8;
  Sampler rng(5);
  ObservationParams params{random_matrix(rng, (K - 1) * D, L), random_matrix(rng, (K - 1) * D, 1).col(0),
                           Eigen::Vector4d(1.0, 0.5, 2.0, 1.5)};
  TransitionHyperparams th;
  th.num_states = 2;
  ArHyperparams ah;
  ah.nlags = nlags;
  const ArHmm ar_hmm(ah, th, L);
  const KeypointSlds model(ar_hmm, params, ObservationHyperparams{}, K, D);
  ArHmmState ar;
  for (int s = 0; s < 2; ++s) {
    ar.ar.Ab.push_back(0.4 * random_matrix(rng, L, L * nlags + 1));
    ar.ar.Q.push_back(random_term(rng, L));
  }
  ar.z = {{0, 1, 1, 0, 1, 0}};
  KeypointSegment data{50 * random_matrix(rng, T, K * D), Eigen::VectorXd::Ones(T),
                       Eigen::MatrixXd::Ones(T, K)};
  data.mask[6] = 0;  // padding: not observed
  SegmentState state{Eigen::MatrixXd::Zero(T, L), random_matrix(rng, T, D), random_matrix(rng, T, 1).col(0),
                     (random_matrix(rng, T, K).array().abs() + 0.5).matrix()};

  const int N = T * L;
  Eigen::MatrixXd J = Eigen::MatrixXd::Zero(N, N);
  Eigen::VectorXd h = Eigen::VectorXd::Zero(N);
  for (int t = 0; t < nlags; ++t) J.block(t * L, t * L, L, L) += Eigen::MatrixXd::Identity(L, L) / 10;
  for (int t = nlags; t < T; ++t) {
    const auto z = static_cast<std::size_t>(ar.z[0][static_cast<std::size_t>(t - nlags)]);
    // residual = M x_{t-nlags..t} - b with M = [-A_1 .. -A_nlags, I]
    Eigen::MatrixXd M = Eigen::MatrixXd::Zero(L, N);
    M.middleCols((t - nlags) * L, nlags * L) = -ar.ar.Ab[z].leftCols(nlags * L);
    M.middleCols(t * L, L) += Eigen::MatrixXd::Identity(L, L);
    const Eigen::MatrixXd Qi = ar.ar.Q[z].inverse();
    J += M.transpose() * Qi * M;
    h += M.transpose() * Qi * ar.ar.Ab[z].col(nlags * L);
  }
  Eigen::MatrixXd lift = Eigen::MatrixXd::Zero(K * D, (K - 1) * D);
  const Eigen::MatrixXd gamma = center_embedding(K);
  for (int k = 0; k < K; ++k) {
    for (int i = 0; i < K - 1; ++i) lift.block(k * D, i * D, D, D) = gamma(k, i) * Eigen::Matrix2d::Identity();
  }
  const Eigen::MatrixXd C = lift * params.C;
  const Eigen::VectorXd d = lift * params.d;
  for (int t = 0; t < T; ++t) {
    if (data.mask[t] == 0) continue;
    const double c = std::cos(state.h[t]), s = std::sin(state.h[t]);  // R(-h) = [[c, s], [-s, c]]
    Eigen::VectorXd y(K * D), precision(K * D);
    for (int k = 0; k < K; ++k) {
      const double px = data.Y(t, k * D) - state.v(t, 0), py = data.Y(t, k * D + 1) - state.v(t, 1);
      y[k * D] = c * px + s * py;
      y[k * D + 1] = -s * px + c * py;
      precision.segment(k * D, D).setConstant(1.0 / (state.s(t, k) * params.sigmasq[k]));
    }
    J.block(t * L, t * L, L, L) += C.transpose() * precision.asDiagonal() * C;
    h.segment(t * L, L) += C.transpose() * precision.asDiagonal() * (y - d);
  }

  BandedGaussian posterior = model.latent_posterior(data, state, ar, 0);
  posterior.factor();
  const Eigen::VectorXd mean = J.llt().solve(h);
  EXPECT_LT((posterior.mean().reshaped() - mean).cwiseAbs().maxCoeff(), 1e-8 * (1 + mean.cwiseAbs().maxCoeff()));
}

}  // namespace
}  // namespace ethovid::moseq
