#include "ethovid/moseq/ar_restarts.hpp"

#include <set>

#include "ethovid/core/error.hpp"
#include "ethovid/moseq/sampling.hpp"

namespace ethovid::moseq {

std::uint64_t chain_seed(std::uint64_t seed, int chain) {
  // A large odd step (2^64 / golden ratio) keeps the chains' seeds apart from the seeds of
  // nearby fits (--seed 1, 2, ...), which would otherwise share chains.
  return seed + static_cast<std::uint64_t>(chain) * 0x9E3779B97F4A7C15ULL;
}

ArChains run_ar_chains(const ArHmm& ar_hmm, const std::vector<LatentSequence>& x, int chains, int sweeps,
                       std::uint64_t seed, const ChainSweepHook& on_sweep) {
  if (chains < 1 || sweeps < 1) {
    throw ConfigError("AR-HMM restarts need at least one chain of one sweep, not " + std::to_string(chains) +
                      " of " + std::to_string(sweeps));
  }
  ArChains out;
  for (int c = 0; c < chains; ++c) {
    Sampler sampler(chain_seed(seed, c));
    ArHmmState state;
    double log_likelihood = 0;
    int i = 0;  // the sweep under way (0: the initialisation)
    try {
      state = ar_hmm.initialize(x, sampler);
      for (i = 1; i <= sweeps; ++i) {
        log_likelihood = ar_hmm.sweep(x, state, sampler);
        if (on_sweep) on_sweep(c, i, log_likelihood, state);
      }
    } catch (const ComputationError& e) {
      throw ComputationError(std::string(e.what()) + (i == 0 ? " while initialising" : " in sweep " + std::to_string(i)) +
                             " of AR-HMM chain " + std::to_string(c) + " of " + std::to_string(chains));
    }
    std::set<int> used;
    for (const auto& labels : state.z) used.insert(labels.begin(), labels.end());
    out.chains.push_back({c, chain_seed(seed, c), log_likelihood, static_cast<int>(used.size())});
    if (c == 0 || log_likelihood > out.chains[static_cast<std::size_t>(out.best)].log_likelihood) {
      out.best = c;
      out.state = std::move(state);
      out.sampler_state = sampler.save_state();
    }
  }
  return out;
}

}  // namespace ethovid::moseq
