#pragma once
// `ethovid moseq fit`: the AR-HMM sweeps on the PCA latents, then the full keypoint SLDS, from a
// project's config and pose files. Reproducible (--seed), resumable (a checkpoint every N sweeps
// and at the end; --resume continues from it), logged (fit_log.jsonl: one line per sweep with
// the log-likelihood and the median syllable duration), and guarded: a NaN is a ComputationError
// naming the step and the sweep, and the last good checkpoint stays as it was. Every checkpoint
// also records the syllables' order by frequency (0 = most frequent), which the results and
// the exported model use; the sampler's own numbering stays, so a resumed fit is exactly the
// fit that was interrupted.
#include <cstdint>
#include <filesystem>
#include <optional>

#include "ethovid/core/progress.hpp"
#include "ethovid/moseq/ar_restarts.hpp"
#include "ethovid/moseq/checkpoint.hpp"
#include "ethovid/moseq/model_data.hpp"

namespace ethovid::moseq {

inline constexpr int kDefaultArChains = 8;

struct FitOptions {
  std::filesystem::path project;
  int ar_iters = 50;
  int full_iters = 500;
  // Chains of the AR-HMM phase of a new fit; the best by log p(x) goes on (ar_restarts.hpp).
  // 1 is keypoint-moseq's single chain. A resumed fit goes on with the chain it had.
  int ar_chains = kDefaultArChains;
  std::optional<double> kappa;       // the AR-HMM's (default: trans_hypparams.kappa)
  std::optional<double> full_kappa;  // the full model's (default: the AR-HMM's / 100)
  bool resume = false;
  int checkpoint_every = 25;
  std::uint64_t seed = 0;
  bool strict = false;  // a recording that cannot carry the model is an error, not left out
  const core::ProgressHook* progress = nullptr;
};

struct FitResult {
  int iterations = 0;
  bool resumed = false;
  double log_likelihood = 0;          // of the last sweep
  double median_duration_frames = 0;  // of the last sweep
  double ar_kappa = 0, full_kappa = 0;  // the kappas the fit used
  std::filesystem::path checkpoint;
  std::filesystem::path log;
  std::vector<LeftOutRecording> left_out;  // recordings that could not carry the model
  std::vector<ArChainSummary> chains;      // of the AR-HMM phase (empty for a resumed fit)
  int best_chain = 0;
};

inline constexpr const char* kFitLog = "fit_log.jsonl";

FitResult fit_model(const FitOptions& options);

// The median length of the syllables' runs over the real frames of every segment, in frames.
double median_duration(const std::vector<std::vector<int>>& z, const std::vector<Eigen::VectorXd>& masks, int nlags);

// The syllables ordered by how often they occur (runs, not frames): order[new] = old.
std::vector<int> frequency_order(const ArHmmState& state, const std::vector<Eigen::VectorXd>& masks, int nlags);
// The state with syllable order[i] renumbered i in the AR parameters, transitions and labels.
ArHmmState reindexed(const ArHmmState& state, const std::vector<int>& order);

}  // namespace ethovid::moseq
