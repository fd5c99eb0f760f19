// The AR-HMM phase as several chains (ar_restarts.hpp): chain 0 is the single chain, the kept
// chain has the highest log p(x), and on syllables of realistic length (realistic_syllables.hpp)
// the best of 8 short chains recovers the true states from the true pose, where one chain often
// stops with two of them merged.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>

#include "ethovid/core/error.hpp"
#include "ethovid/moseq/ar_restarts.hpp"
#include "realistic_syllables.hpp"
#include "test_support.hpp"

namespace ethovid::moseq {
namespace {

ArHmm default_model(int latent_dim, double kappa) {
  TransitionHyperparams th;  // config.yml's defaults: 100 states
  th.kappa = kappa;
  return ArHmm(ArHyperparams{}, th, latent_dim);
}

TEST(ArChains, ChainZeroIsTheSingleChainAndTheKeptChainHasTheHighestLikelihood) {
  RealisticOptions o;
  o.sequences = 2, o.frames = 600;
  const RealisticTruth truth = generate_realistic(21, o);
  const auto x = whitened_pose(truth.pose);
  const ArHmm model = default_model(4, 1e4);

  Sampler sampler(5);
  ArHmmState single = model.initialize(x, sampler);
  for (int i = 0; i < 4; ++i) model.sweep(x, single, sampler);
  const ArChains one = run_ar_chains(model, x, 1, 4, 5, nullptr);
  EXPECT_EQ(one.state.z, single.z);
  EXPECT_EQ(one.sampler_state, sampler.save_state()) << "the fit goes on with the single chain's own generator";

  int sweeps = 0;
  const ArChains four = run_ar_chains(model, x, 4, 4, 5, [&](int, int, double, const ArHmmState&) { ++sweeps; });
  EXPECT_EQ(sweeps, 16);
  ASSERT_EQ(four.chains.size(), 4u);
  EXPECT_EQ(four.chains[0].log_likelihood, one.chains[0].log_likelihood);
  for (const auto& c : four.chains) EXPECT_LE(c.log_likelihood, four.chains[static_cast<std::size_t>(four.best)].log_likelihood);
  EXPECT_NE(four.chains[1].seed, four.chains[2].seed);
  EXPECT_NE(four.chains[1].log_likelihood, four.chains[2].log_likelihood) << "each chain draws its own";

  test::expect_error<ConfigError>([&] { run_ar_chains(model, x, 0, 4, 5, nullptr); }, {"at least one chain"});
  auto broken = x;
  broken[1].x(100, 2) = NAN;  // a failure names the chain and the step it stopped in
  test::expect_error<ComputationError>([&] { run_ar_chains(model, broken, 2, 4, 5, nullptr); },
                                       {"not finite", "of AR-HMM chain 0 of 2"});
}

// Issue 11's goal for the AR-HMM alone on the true latents: many-to-one accuracy >= 0.85 with
// 5-8 states above 1 % of the frames, on 3 x 3000 frames of 6 syllables with a mean dwell of 12
// frames. Seeds other than the benchmark's (1-3), so the test is not a fit to them.
TEST(ArChains, BestOfEightShortChainsRecoversRealisticSyllablesFromTheTruePose) {
  for (const std::uint64_t seed : {11u, 12u}) {
    const RealisticTruth truth = generate_realistic(seed);
    const auto x = whitened_pose(truth.pose);
    const ArChains found = run_ar_chains(default_model(4, 1e4), x, 8, 50, seed, nullptr);
    const LabelScore score = score_labels(truth.labels, found.state.z);
    EXPECT_GE(score.accuracy, 0.85) << "seed " << seed << ", nmi " << score.nmi;
    EXPECT_GE(score.states_above_1pct, 5) << "seed " << seed;
    EXPECT_LE(score.states_above_1pct, 8) << "seed " << seed;
  }
}

}  // namespace
}  // namespace ethovid::moseq
