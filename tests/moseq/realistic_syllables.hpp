#pragma once
// Generated truth at realistic syllable lengths (issue 11 §2): S states of AR(1) dynamics in a
// P-dimensional pose space, each a contracting rotation in its own plane about its own set point,
//   p_t = mu_z + r G_z (p_{t-1} - mu_z) + sigma e,
// with sticky switching (mean dwell `dwell` frames, the next state uniform among the others).
// The pose is mixed into K 2-D keypoints by a random linear map around a body template (nose
// first, tail last), turned by a drifting heading, moved along a random-walk centroid and
// observed with `noise_px` of noise. Plus the scores of a labelling against the truth:
// many-to-one accuracy, normalised mutual information and the number of states above 1 %.
// The keypoint segments and the s0 prior are those of switching_truth.hpp.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <map>
#include <vector>

#include <Eigen/Dense>

#include "ethovid/moseq/ar_hmm.hpp"
#include "ethovid/moseq/keypoint_slds.hpp"
#include "ethovid/moseq/sampling.hpp"

namespace ethovid::moseq {

struct RealisticOptions {
  int states = 6;
  int pose_dim = 4;
  int keypoints = 9;
  int sequences = 3;
  int frames = 3000;  // per sequence (3 x 3000 = the 9000 frames)
  double dwell = 12;  // mean frames per syllable
  double radius = 0.9;          // contraction of every state's dynamics
  double pose_noise = 0.25;     // sigma of the pose innovations
  double set_point_scale = 1.0; // set points ~ N(0, scale^2 I)
  double mixing_px = 3.0;       // entries of the pose -> keypoint map ~ N(0, mixing_px^2)
  double noise_px = 0.3;
  double heading_step = 0.02;   // rad per frame
  double centroid_step = 1.0;   // px per frame and coordinate
  double confidence = 0.9;      // reported confidence (sets s0)
};

struct RealisticTruth {
  RealisticOptions options;
  std::vector<std::vector<int>> labels;  // per sequence, one per frame (frame 0 included)
  std::vector<Eigen::MatrixXd> pose;     // per sequence, T x P
  std::vector<KeypointSegment> data;     // per sequence, T x K*2 keypoint-major
  std::vector<Eigen::VectorXd> heading;
  std::vector<Eigen::MatrixXd> centroid;
  // The true AR(1) model: Ab[s] = [r G_s, (I - r G_s) mu_s] (P x P+1), Q[s] = sigma^2 I.
  std::vector<Eigen::MatrixXd> Ab, Q;
  Eigen::MatrixXd transitions;  // S x S
  Eigen::MatrixXd mixing;       // K*2 x P
  std::vector<int> anterior{0}, posterior;
};

inline RealisticTruth generate_realistic(std::uint64_t seed, RealisticOptions o = {}) {
  RealisticTruth truth;
  truth.options = o;
  truth.posterior = {o.keypoints - 1};
  Sampler sampler(seed * 7919 + 17);
  const int P = o.pose_dim, S = o.states, K = o.keypoints;
  // The planes (i, j), i < j, taken in turn by the states.
  std::vector<std::pair<int, int>> planes;
  for (int i = 0; i < P; ++i) {
    for (int j = i + 1; j < P; ++j) planes.emplace_back(i, j);
  }
  for (int s = 0; s < S; ++s) {
    const auto [i, j] = planes[static_cast<std::size_t>(s) % planes.size()];
    const double angle = (0.25 + 0.35 * sampler.uniform()) * (sampler.uniform() < 0.5 ? -1 : 1);
    Eigen::MatrixXd A = Eigen::MatrixXd::Identity(P, P);
    A(i, i) = std::cos(angle), A(i, j) = -std::sin(angle), A(j, i) = std::sin(angle), A(j, j) = std::cos(angle);
    A *= o.radius;
    Eigen::VectorXd mu(P);
    for (int d = 0; d < P; ++d) mu[d] = o.set_point_scale * sampler.normal();
    Eigen::MatrixXd Ab(P, P + 1);
    Ab.leftCols(P) = A;
    Ab.col(P) = (Eigen::MatrixXd::Identity(P, P) - A) * mu;
    truth.Ab.push_back(Ab);
    truth.Q.push_back(o.pose_noise * o.pose_noise * Eigen::MatrixXd::Identity(P, P));
  }
  const double stay = 1 - 1 / o.dwell;
  truth.transitions = Eigen::MatrixXd::Constant(S, S, (1 - stay) / std::max(1, S - 1));
  truth.transitions.diagonal().setConstant(S > 1 ? stay : 1.0);
  // A body along x, nose first, and the random map of the pose onto it.
  Eigen::MatrixXd body(K, 2);
  for (int k = 0; k < K; ++k) body.row(k) << 40 - 80.0 * k / std::max(1, K - 1), (k % 2 == 0 ? 1 : -1) * 4.0 * (k > 0 && k < K - 1);
  truth.mixing.resize(2 * K, P);
  for (int r = 0; r < 2 * K; ++r) {
    for (int d = 0; d < P; ++d) truth.mixing(r, d) = o.mixing_px * sampler.normal();
  }
  const double s0 = noise_prior(o.confidence, -0.5, 0.25);
  for (int n = 0; n < o.sequences; ++n) {
    const int T = o.frames;
    Eigen::MatrixXd pose(T, P);
    std::vector<int> labels(static_cast<std::size_t>(T));
    int state = static_cast<int>(sampler.uniform() * S) % S;
    Eigen::VectorXd p = truth.Ab[static_cast<std::size_t>(state)].col(P);  // start near a set point
    p = (Eigen::MatrixXd::Identity(P, P) - truth.Ab[static_cast<std::size_t>(state)].leftCols(P)).lu().solve(p);
    KeypointSegment segment{Eigen::MatrixXd(T, 2 * K), Eigen::VectorXd::Ones(T), Eigen::MatrixXd::Constant(T, K, s0)};
    Eigen::VectorXd h(T);
    Eigen::MatrixXd v(T, 2), centroid(T, 2);
    h[0] = sampler.uniform() * 6 - 3;
    v.row(0) << 300, 200;
    for (int t = 0; t < T; ++t) {
      if (t > 0) {
        if (S > 1 && sampler.uniform() > stay) state = (state + 1 + static_cast<int>(sampler.uniform() * (S - 1)) % (S - 1)) % S;
        Eigen::VectorXd in(P + 1);
        in << p, 1.0;
        p = truth.Ab[static_cast<std::size_t>(state)] * in;
        for (int d = 0; d < P; ++d) p[d] += o.pose_noise * sampler.normal();
        h[t] = h[t - 1] + o.heading_step * sampler.normal();
        v.row(t) = v.row(t - 1) + o.centroid_step * Eigen::RowVector2d(sampler.normal(), sampler.normal());
      }
      labels[static_cast<std::size_t>(t)] = state;
      pose.row(t) = p.transpose();
      const Eigen::VectorXd shape = truth.mixing * p;
      const double c = std::cos(h[t]), sn = std::sin(h[t]);
      Eigen::RowVector2d mean_keypoint = Eigen::RowVector2d::Zero();
      for (int k = 0; k < K; ++k) {
        const double px = body(k, 0) + shape[2 * k], py = body(k, 1) + shape[2 * k + 1];
        const double wx = c * px - sn * py + v(t, 0), wy = sn * px + c * py + v(t, 1);
        mean_keypoint += Eigen::RowVector2d(wx, wy) / K;
        segment.Y(t, 2 * k) = wx + o.noise_px * sampler.normal();
        segment.Y(t, 2 * k + 1) = wy + o.noise_px * sampler.normal();
      }
      centroid.row(t) = mean_keypoint;
    }
    truth.labels.push_back(std::move(labels));
    truth.pose.push_back(std::move(pose));
    truth.data.push_back(std::move(segment));
    truth.heading.push_back(h);
    truth.centroid.push_back(centroid);
  }
  return truth;
}

// Whitened copies of the true pose: the latents the AR-HMM would get from a perfect alignment and
// PCA (keypoint-moseq whitens its PCs the same way).
inline std::vector<LatentSequence> whitened_pose(const std::vector<Eigen::MatrixXd>& pose) {
  Eigen::Index rows = 0;
  for (const auto& p : pose) rows += p.rows();
  Eigen::MatrixXd all(rows, pose[0].cols());
  rows = 0;
  for (const auto& p : pose) all.middleRows(rows, p.rows()) = p, rows += p.rows();
  const Eigen::RowVectorXd mean = all.colwise().mean();
  const Eigen::MatrixXd centred = all.rowwise() - mean;
  const Eigen::MatrixXd cov = centred.transpose() * centred / static_cast<double>(all.rows());
  const Eigen::MatrixXd L = cov.llt().matrixL();
  std::vector<LatentSequence> out;
  for (const auto& p : pose) {
    const Eigen::MatrixXd x = L.triangularView<Eigen::Lower>().solve((p.rowwise() - mean).transpose()).transpose();
    out.push_back({x, Eigen::VectorXd::Ones(p.rows())});
  }
  return out;
}

// How well `found` labels match the truth. Both are per sequence and end at the last frame; a
// fit with nlags lags labels nlags fewer frames at the start, so the common tail is compared.
struct LabelScore {
  double accuracy = 0;   // many-to-one: each found state counts as the true state it overlaps most
  double nmi = 0;        // I(true; found) / mean(H(true), H(found))
  int states_above_1pct = 0;  // found states with more than 1 % of the frames
  int states_used = 0;
};

inline LabelScore score_labels(const std::vector<std::vector<int>>& truth, const std::vector<std::vector<int>>& found) {
  std::map<std::pair<int, int>, double> joint;
  std::map<int, double> true_count, found_count;
  double frames = 0;
  for (std::size_t n = 0; n < truth.size(); ++n) {
    const std::size_t common = std::min(truth[n].size(), found[n].size());
    const std::size_t t0 = truth[n].size() - common, f0 = found[n].size() - common;
    for (std::size_t i = 0; i < common; ++i) {
      const int a = truth[n][t0 + i], b = found[n][f0 + i];
      joint[{a, b}] += 1, true_count[a] += 1, found_count[b] += 1, frames += 1;
    }
  }
  LabelScore score;
  if (frames == 0) return score;
  std::map<int, double> best;  // per found state, its largest overlap with one true state
  double mi = 0;
  for (const auto& [key, count] : joint) {
    best[key.second] = std::max(best[key.second], count);
    mi += count / frames * std::log(count * frames / (true_count[key.first] * found_count[key.second]));
  }
  double hits = 0;
  for (const auto& [state, count] : best) hits += count;
  auto entropy = [&](const std::map<int, double>& counts) {
    double h = 0;
    for (const auto& [state, count] : counts) h -= count / frames * std::log(count / frames);
    return h;
  };
  const double h_true = entropy(true_count), h_found = entropy(found_count);
  score.accuracy = hits / frames;
  score.nmi = h_true + h_found > 0 ? 2 * mi / (h_true + h_found) : 1.0;
  score.states_used = static_cast<int>(found_count.size());
  for (const auto& [state, count] : found_count) score.states_above_1pct += count > 0.01 * frames ? 1 : 0;
  return score;
}

}  // namespace ethovid::moseq
