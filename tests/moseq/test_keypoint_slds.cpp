// The full keypoint SLDS on keypoints generated from a known one: a switching AR latent pose,
// mapped to six keypoints, rotated by a wandering heading, moved along a random-walk path and
// observed with 1.5 px noise. From the keypoints alone (init by alignment + PCA, 30 AR-only
// sweeps, then 120 full sweeps) the syllables, the heading and the centroid must come back.
// Measured on seeds 8-14 (nlags 1): label accuracy 0.953-0.970 (the AR-only sweeps alone:
// 0.938-0.970), mean heading error 0.046-0.073 rad, centroid error 0.95-1.12 px; nlags 2 on
// seeds 8-9: 0.956-0.958.
#include <gtest/gtest.h>

#include <cmath>

#include "ethovid/moseq/keypoint_slds.hpp"
#include "ethovid/moseq/preprocess.hpp"
#include "ethovid/moseq/slds_init.hpp"
#include "switching_truth.hpp"

namespace ethovid::moseq {
namespace {

constexpr int K = kTruthKeypoints, D = 2;

TEST(KeypointSlds, RecoversSyllablesHeadingAndCentroidFromKeypoints) {
  // nlags 1 on three seeds, and the lifted window of nlags 2 on one.
  for (const auto& [seed, nlags] : std::vector<std::pair<std::uint64_t, int>>{{8, 1}, {11, 1}, {13, 1}, {8, 2}}) {
    SCOPED_TRACE("seed " + std::to_string(seed) + ", nlags " + std::to_string(nlags));
    const KeypointTruth truth = generate_keypoints(seed);
    SldsInit init = initialize_slds(truth.data, K, D, {0}, {5}, 2, 100000, 42);
    TransitionHyperparams th;
    th.num_states = 10;
    th.kappa = 1000;  // sticky enough for syllables of ~50 frames in ~3600
    ArHyperparams ah;
    ah.nlags = nlags;
    const ArHmm ar_hmm(ah, th, init.latent_dim);
    const KeypointSlds model(ar_hmm, init.params, ObservationHyperparams{}, K, D);
    Sampler sampler(seed * 77);
    ArHmmState ar = ar_hmm.initialize(KeypointSlds::latents(truth.data, init.states), sampler);
    for (int i = 0; i < 30; ++i) model.sweep(truth.data, init.states, ar, sampler, true);
    int match[3];
    const double ar_only = matched_accuracy(truth.latent.labels, ar.z, th.num_states, match);
    for (int i = 0; i < 120; ++i) model.sweep(truth.data, init.states, ar, sampler, false);
    const double full = matched_accuracy(truth.latent.labels, ar.z, th.num_states, match);
    EXPECT_GE(full, 0.9) << "after the AR-only sweeps it was " << ar_only;
    // The heading is known up to the constant offset between the body axis and the nose-tail line.
    double heading_error = 0, centroid_error = 0, frames = 0;
    for (std::size_t n = 0; n < truth.data.size(); ++n) {
      const Eigen::VectorXd diff = init.states[n].h - truth.heading[n];
      const double offset = std::atan2(diff.array().sin().mean(), diff.array().cos().mean());
      for (Eigen::Index t = 0; t < diff.size(); ++t) {
        heading_error += std::abs(std::remainder(diff[t] - offset, 2 * M_PI));
        centroid_error += (init.states[n].v.row(t) - truth.centroid[n].row(t)).norm();
        frames += 1;
      }
    }
    EXPECT_LT(heading_error / frames, 0.1) << "mean heading error (radians)";
    EXPECT_LT(centroid_error / frames, 1.5) << "mean centroid error (pixels)";
  }
}

}  // namespace
}  // namespace ethovid::moseq
