#pragma once
// Generated truth for the model tests: a sticky switching AR(1) process in 2-D with three known
// syllables, keypoints generated from it through a known SLDS, and the label accuracy of a fit
// after the best one-to-one matching of its states.
#include <cmath>
#include <vector>

#include <Eigen/Dense>

#include "ethovid/moseq/ar_hmm.hpp"
#include "ethovid/moseq/keypoint_slds.hpp"
#include "ethovid/moseq/sampling.hpp"

namespace ethovid::moseq {

// Data from a known sticky switching AR(1) process in 2-D: three rotations with their own drift.
struct Truth {
  std::vector<LatentSequence> data;
  std::vector<std::vector<int>> labels;
  std::vector<Eigen::MatrixXd> Ab;
};

// `switch_probability` per frame sets the mean syllable length (1 / p frames).
inline Truth simulate(std::uint64_t seed, int sequences, int frames, double switch_probability = 0.05) {
  Sampler sampler(seed);
  Truth truth;
  const double angles[3] = {0.35, -0.35, 1.2};
  const double radii[3] = {0.95, 0.95, 0.95};
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
      if (sampler.uniform() < switch_probability) state = (state + 1 + static_cast<int>(sampler.uniform() * 2)) % 3;
      labels.push_back(state);
      Eigen::Vector3d in(seq.x(t - 1, 0), seq.x(t - 1, 1), 1.0);
      seq.x.row(t) = (truth.Ab[state] * in).transpose() + noise * Eigen::RowVector2d(sampler.normal(), sampler.normal());
    }
    truth.data.push_back(seq);
    truth.labels.push_back(labels);
  }
  return truth;
}

// Accuracy of `fitted` against the truth (one label per frame after the first), with each of the
// 3 true syllables matched to a different fitted one so that the hits are most. Both end at the
// last frame; a fit with nlags lags labels nlags - 1 fewer frames at the start.
inline double matched_accuracy(const std::vector<std::vector<int>>& truth, const std::vector<std::vector<int>>& fitted,
                               int num_states, int match[3]) {
  Eigen::MatrixXd confusion = Eigen::MatrixXd::Zero(3, num_states);
  double frames = 0;
  for (std::size_t n = 0; n < truth.size(); ++n) {
    const std::size_t common = std::min(truth[n].size(), fitted[n].size());
    const std::size_t t0 = truth[n].size() - common, f0 = fitted[n].size() - common;
    for (std::size_t i = 0; i < common; ++i) confusion(truth[n][t0 + i], fitted[n][f0 + i]) += 1;
    frames += static_cast<double>(common);
  }
  double best = 0;
  for (int a = 0; a < num_states; ++a) {
    for (int b = 0; b < num_states; ++b) {
      for (int c = 0; c < num_states; ++c) {
        if (a == b || b == c || a == c) continue;
        const double hits = confusion(0, a) + confusion(1, b) + confusion(2, c);
        if (hits > best) {
          best = hits;
          match[0] = a, match[1] = b, match[2] = c;
        }
      }
    }
  }
  return best / frames;
}

inline constexpr int kTruthKeypoints = 6;

struct KeypointTruth {
  Truth latent;
  std::vector<KeypointSegment> data;
  std::vector<Eigen::VectorXd> heading;
  std::vector<Eigen::MatrixXd> centroid;
};

// Keypoints of a known SLDS: the switching AR latent above bends a six-keypoint body (nose first,
// tail last), which turns with a wandering heading, moves along a random walk and is observed
// with 1.5 px noise; `centroid` is the mean noiseless keypoint (what the model calls centroid).
inline KeypointTruth generate_keypoints(std::uint64_t seed, int sequences = 3, int frames = 1200) {
  constexpr int K = kTruthKeypoints, D = 2;
  KeypointTruth truth;
  truth.latent = simulate(seed, sequences, frames, 0.02);  // syllables of 50 frames on average
  Sampler sampler(seed + 1000);
  // A body along x (nose first, tail last) and two ways of bending it.
  Eigen::MatrixXd body(K, D);
  body << 30, 0, 18, 5, 18, -5, 0, 4, 0, -4, -25, 0;
  Eigen::MatrixXd bend(K * D, 2);
  for (int i = 0; i < K * D; ++i) bend.row(i) << 8 * sampler.normal(), 8 * sampler.normal();
  for (const auto& seq : truth.latent.data) {
    const Eigen::Index T = seq.x.rows();
    KeypointSegment segment{Eigen::MatrixXd(T, K * D), Eigen::VectorXd::Ones(T), Eigen::MatrixXd::Constant(T, K, noise_prior(0.9, -0.5, 0.25))};
    Eigen::VectorXd h(T);
    Eigen::MatrixXd v(T, D), centroid(T, D);
    h[0] = sampler.uniform() * 6 - 3;
    v.row(0) << 300, 200;
    for (Eigen::Index t = 0; t < T; ++t) {
      if (t > 0) {
        h[t] = h[t - 1] + 0.03 * sampler.normal();
        v.row(t) = v.row(t - 1) + Eigen::RowVector2d(sampler.normal(), sampler.normal());
      }
      const double c = std::cos(h[t]), s = std::sin(h[t]);
      Eigen::RowVector2d mean_keypoint = Eigen::RowVector2d::Zero();
      for (int k = 0; k < K; ++k) {
        const double px = body(k, 0) + bend.row(k * D).dot(seq.x.row(t)), py = body(k, 1) + bend.row(k * D + 1).dot(seq.x.row(t));
        mean_keypoint += Eigen::RowVector2d(c * px - s * py + v(t, 0), s * px + c * py + v(t, 1)) / K;
        segment.Y(t, k * D) = c * px - s * py + v(t, 0) + 1.5 * sampler.normal();
        segment.Y(t, k * D + 1) = s * px + c * py + v(t, 1) + 1.5 * sampler.normal();
      }
      centroid.row(t) = mean_keypoint;  // the model's centroid is the mean keypoint
    }
    truth.data.push_back(segment);
    truth.heading.push_back(h);
    truth.centroid.push_back(centroid);
  }
  return truth;
}

}  // namespace ethovid::moseq
