// Issue 11 §2's goal, through the real program: `moseq run --target-duration-ms 300,500` with the
// recipe's own settings (config.yml as setup writes it, 50 + 500 sweeps, the kappa search) on
// keypoints of six syllables with a mean dwell of 12 frames (realistic_syllables.hpp, 3 x 3000
// frames at 30 fps, and 2 x 4000) finds labels with many-to-one accuracy >= 0.75 and 5-8 states above 1 % of
// the frames. Seeds other than the benchmark's (docs/moseq.md), so this is not a fit to them.
#include <gtest/gtest.h>

#include <cstdio>

#include "ethovid/core/json_file.hpp"
#include "ethovid/moseq/pipeline.hpp"
#include "realistic_project.hpp"
#include "test_support.hpp"

namespace ethovid::moseq {
namespace {

namespace fs = std::filesystem;

struct Case {
  std::uint64_t seed;
  int sequences, frames;
};

void expect_recovered(const Case& c) {
  test::ScratchDir dir;
  RealisticOptions options;
  options.sequences = c.sequences, options.frames = c.frames;
  const std::uint64_t seed = c.seed;
  const RealisticTruth truth = generate_realistic(seed, options);
  std::string args = "moseq run -o '" + (dir / "project").string() + "' --fps 30 --target-duration-ms 300,500 --seed " +
                     std::to_string(seed) + " --pose";
  for (const auto& file : write_realistic_pose_files(dir.path(), truth)) args += " '" + file.string() + "'";
  const auto run = test::run_ethovid(args);
  ASSERT_EQ(run.exit_code, 0) << run.output;
  EXPECT_NE(run.output.find("AR-HMM: kept chain"), std::string::npos) << run.output;
  const LabelScore score = score_labels(truth.labels, fitted_realistic_labels(dir / "project", truth.labels.size()));
  std::printf("seed %llu, %d x %d frames: accuracy %.3f, nmi %.3f, %d states above 1 %%\n",
              static_cast<unsigned long long>(seed), c.sequences, c.frames, score.accuracy, score.nmi,
              score.states_above_1pct);
  EXPECT_GE(score.accuracy, 0.75) << "seed " << seed << ", nmi " << score.nmi << "\n" << run.output;
  EXPECT_GE(score.states_above_1pct, 5) << "seed " << seed << "\n" << run.output;
  EXPECT_LE(score.states_above_1pct, 8) << "seed " << seed << "\n" << run.output;
  const auto summary = core::read_json(dir / "project" / kFitSummary);
  EXPECT_EQ(summary["fit"]["ar_chains"].size(), static_cast<std::size_t>(kDefaultArChains));
  // The same run again is up to date and still says which chain it kept.
  const auto again = test::run_ethovid(args);
  EXPECT_NE(again.output.find("up to date"), std::string::npos) << again.output;
  EXPECT_NE(again.output.find("AR-HMM: kept chain"), std::string::npos) << again.output;
}

TEST(MoseqRun, RecoversSyllablesOfRealisticLength) { expect_recovered({6, 3, 3000}); }
TEST(MoseqRun, RecoversSyllablesOfRealisticLengthInFewerLongerRecordings) { expect_recovered({7, 2, 4000}); }

}  // namespace
}  // namespace ethovid::moseq
