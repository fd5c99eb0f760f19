#pragma once
// The AR-HMM phase as several independent Gibbs chains, keeping the one with the highest
// marginal log-likelihood log p(x | A, Q, pi) after its last sweep. This is ethovid's own step:
// keypoint-moseq runs one chain, and at realistic syllable lengths (9-12 frames) that chain
// often stops in a mode where two or three syllables are merged, which the full model then
// keeps; the merged modes sit hundreds of nats below the best one, so a few short chains find
// a better mode and the likelihood tells which (docs/moseq.md, "Recovery at realistic syllable
// lengths"). Chain 0 is the single chain a fit without restarts runs (the same seed and draws).
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "ethovid/moseq/ar_hmm.hpp"

namespace ethovid::moseq {

struct ArChainSummary {
  int chain = 0;
  std::uint64_t seed = 0;
  double log_likelihood = 0;  // after the chain's last sweep
  int syllables_used = 0;
};

struct ArChains {
  int best = 0;  // index into chains
  ArHmmState state;           // the best chain's
  std::string sampler_state;  // the best chain's generator, to go on with
  std::vector<ArChainSummary> chains;
};

// The seed of chain `chain`: chain 0 keeps the fit's own seed.
std::uint64_t chain_seed(std::uint64_t seed, int chain);

// `chains` chains of `sweeps` sweeps each on x; after every sweep `on_sweep(chain, sweep,
// log_likelihood, state)` (1-based sweep), e.g. for the fit's log and progress bar.
using ChainSweepHook = std::function<void(int chain, int sweep, double log_likelihood, const ArHmmState& state)>;
ArChains run_ar_chains(const ArHmm& ar_hmm, const std::vector<LatentSequence>& x, int chains, int sweeps,
                       std::uint64_t seed, const ChainSweepHook& on_sweep);

}  // namespace ethovid::moseq
