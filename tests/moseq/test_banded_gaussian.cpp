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

// The posterior of x in one segment, written out densely over its real frames (those up to the
// last with mask 1; trailing padding is left out): with x = [x_0; ...; x_R-1],
//   prior   x_t ~ N(0, 10 I) for t < nlags,
//   AR      x_t = A_z [x_{t-nlags}; ...; x_{t-1}] + b_z + N(0, Q_z), z = z[t - nlags],
//   keypoints (frames with mask 1) R(-h_t) (Y_tk - v_t) = (Gamma C x_t + Gamma d)_k + N(0, s_tk sigmasq_k I).
struct DensePosterior {
  Eigen::MatrixXd J;
  Eigen::VectorXd h;
};

DensePosterior dense_posterior(const KeypointSegment& data, const SegmentState& state, const ArHmmState& ar,
                               const ObservationParams& params, int K, int D, int L, int nlags, int real) {
  const int N = real * L;
  DensePosterior p{Eigen::MatrixXd::Zero(N, N), Eigen::VectorXd::Zero(N)};
  for (int t = 0; t < std::min(nlags, real); ++t) p.J.block(t * L, t * L, L, L) += Eigen::MatrixXd::Identity(L, L) / 10;
  for (int t = nlags; t < real; ++t) {
    const auto z = static_cast<std::size_t>(ar.z[0][static_cast<std::size_t>(t - nlags)]);
    // residual = M x_{t-nlags..t} - b with M = [-A_1 .. -A_nlags, I]
    Eigen::MatrixXd M = Eigen::MatrixXd::Zero(L, N);
    M.middleCols((t - nlags) * L, nlags * L) = -ar.ar.Ab[z].leftCols(nlags * L);
    M.middleCols(t * L, L) += Eigen::MatrixXd::Identity(L, L);
    const Eigen::MatrixXd Qi = ar.ar.Q[z].inverse();
    p.J += M.transpose() * Qi * M;
    p.h += M.transpose() * Qi * ar.ar.Ab[z].col(nlags * L);
  }
  Eigen::MatrixXd lift = Eigen::MatrixXd::Zero(K * D, (K - 1) * D);
  const Eigen::MatrixXd gamma = center_embedding(K);
  for (int k = 0; k < K; ++k) {
    for (int i = 0; i < K - 1; ++i) lift.block(k * D, i * D, D, D) = gamma(k, i) * Eigen::Matrix2d::Identity();
  }
  const Eigen::MatrixXd C = lift * params.C;
  const Eigen::VectorXd d = lift * params.d;
  for (int t = 0; t < real; ++t) {
    if (data.mask[t] == 0) continue;
    const double c = std::cos(state.h[t]), s = std::sin(state.h[t]);  // R(-h) = [[c, s], [-s, c]]
    Eigen::VectorXd y(K * D), precision(K * D);
    for (int k = 0; k < K; ++k) {
      const double px = data.Y(t, k * D) - state.v(t, 0), py = data.Y(t, k * D + 1) - state.v(t, 1);
      y[k * D] = c * px + s * py;
      y[k * D + 1] = -s * px + c * py;
      precision.segment(k * D, D).setConstant(1.0 / (state.s(t, k) * params.sigmasq[k]));
    }
    p.J.block(t * L, t * L, L, L) += C.transpose() * precision.asDiagonal() * C;
    p.h.segment(t * L, L) += C.transpose() * precision.asDiagonal() * (y - d);
  }
  return p;
}

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
  ar.z = {{0, 1, 1, 0, 1, 0}};  // alternating, so an off-by-one in which frame a syllable predicts shows
  const KeypointSegment observed{50 * random_matrix(rng, T, K * D), Eigen::VectorXd::Ones(T), Eigen::MatrixXd::Ones(T, K)};
  const SegmentState state{random_matrix(rng, T, L), random_matrix(rng, T, D), random_matrix(rng, T, 1).col(0),
                           (random_matrix(rng, T, K).array().abs() + 0.5).matrix()};
  // Masks: a frame without keypoints in the middle; two frames of trailing padding; padding
  // from frame 1 on (fewer real frames than nlags).
  struct Case {
    const char* what;
    std::vector<int> masked;
    int real;
  };
  for (const Case& c : {Case{"masked frame 3", {3}, 8}, Case{"padding 6-7", {6, 7}, 6}, Case{"padding 1-7", {1, 2, 3, 4, 5, 6, 7}, 1}}) {
    SCOPED_TRACE(c.what);
    KeypointSegment data = observed;
    for (int t : c.masked) data.mask[t] = 0;
    const DensePosterior dense = dense_posterior(data, state, ar, params, K, D, L, nlags, c.real);
    BandedGaussian posterior = model.latent_posterior(data, state, ar, 0);
    ASSERT_EQ(posterior.frames(), c.real);
    posterior.factor();
    const Eigen::VectorXd mean = dense.J.llt().solve(dense.h);
    EXPECT_LT((posterior.mean().reshaped() - mean).cwiseAbs().maxCoeff(), 1e-8 * (1 + mean.cwiseAbs().maxCoeff()));
    // A draw replaces the real frames' x and leaves the padding's as it was.
    SegmentState drawn = state;
    Sampler sampler(9);
    model.sample_x(data, drawn, ar, 0, sampler);
    EXPECT_TRUE(drawn.x.bottomRows(T - c.real).isApprox(state.x.bottomRows(T - c.real)) || c.real == T);
    EXPECT_GT((drawn.x.topRows(c.real) - state.x.topRows(c.real)).cwiseAbs().minCoeff(), 0);
  }
}

TEST(BandedGaussian, TermsAfterTheFactorAreRefused) {
  BandedGaussian banded(3, 2, 1);
  for (Eigen::Index t = 0; t < 3; ++t) banded.diagonal_block(t) = Eigen::Matrix2d::Identity();
  banded.factor();
  EXPECT_THROW(banded.factor(), std::logic_error);
  EXPECT_THROW(banded.linear(), std::logic_error);
  EXPECT_THROW(banded.diagonal_block(0), std::logic_error);
  EXPECT_THROW(banded.add_precision(0, Eigen::Matrix2d::Identity()), std::logic_error);
}

}  // namespace
}  // namespace ethovid::moseq
