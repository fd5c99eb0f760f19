// `moseq fit` on a project made from generated keypoints: the log, checkpoints, a resumed fit
// identical to an uninterrupted one, the refusal to resume on a changed config, syllables
// renumbered by frequency, and a NaN stopping the fit with the last good checkpoint kept.
#include <gtest/gtest.h>

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <fstream>
#include <map>
#include <thread>

#include "ethovid/core/error.hpp"
#include "ethovid/core/json_file.hpp"
#include "ethovid/moseq/fit.hpp"
#include "ethovid/moseq/pipeline.hpp"
#include "ethovid/moseq/kappa_search.hpp"
#include "ethovid/core/table.hpp"
#include "ethovid/moseq/project_config.hpp"
#include "ethovid/moseq/results.hpp"
#include "project_fixture.hpp"
#include "test_support.hpp"

namespace ethovid::moseq {
namespace {

namespace fs = std::filesystem;

std::vector<core::Json> log_lines(const fs::path& project) {
  std::vector<core::Json> lines;
  std::ifstream in(project / kFitLog);
  for (std::string line; std::getline(in, line);) lines.push_back(core::Json::parse(line));
  return lines;
}

TEST(MoseqFit, LogsCheckpointsAndResumesToTheSameModel) {
  test::ScratchDir dir;
  // An odd number of syllables: the generator then holds a spare normal draw at the checkpoint,
  // which the checkpoint must carry too.
  const fs::path straight = make_project(dir, "straight", 5, 7);
  FitOptions o;
  o.project = straight;
  o.ar_iters = 4;
  o.full_iters = 4;
  o.checkpoint_every = 3;
  o.kappa = 1e3;
  o.seed = 11;
  const FitResult all = fit_model(o);
  EXPECT_EQ(all.iterations, 8);
  const auto lines = log_lines(straight);
  ASSERT_EQ(lines.size(), 8u);
  EXPECT_EQ(lines[0]["phase"], "ar");
  EXPECT_EQ(lines[4]["phase"], "full");
  EXPECT_EQ(lines[4]["kappa"], 10.0) << "the full model's kappa defaults to the AR-HMM's / 100";
  for (const auto& line : lines) {
    EXPECT_TRUE(std::isfinite(line["log_likelihood"].get<double>()));
    EXPECT_GT(line["median_duration_frames"].get<double>(), 0);
  }

  // The same fit in two goes: 4 sweeps (an odd count of normal draws so far, so one is held in
  // the generator), then resumed to 8.
  const fs::path halves = make_project(dir, "halves", 5, 7);
  o.project = halves;
  o.full_iters = 0;
  fit_model(o);
  o.full_iters = 4;
  o.resume = true;
  const FitResult second = fit_model(o);
  EXPECT_TRUE(second.resumed);
  EXPECT_EQ(log_lines(halves).size(), 8u);
  const FitState a = read_checkpoint(straight / kCheckpointFile, 0, 0);
  const FitState b = read_checkpoint(halves / kCheckpointFile, 0, 0);
  EXPECT_EQ(a.iteration, 8);
  EXPECT_EQ(b.iteration, 8);
  EXPECT_EQ(a.ar.z, b.ar.z) << "a resumed fit continues exactly where it stopped";
  EXPECT_EQ((a.states[1].x - b.states[1].x).cwiseAbs().maxCoeff(), 0.0);
  EXPECT_EQ(a.rng_state, b.rng_state);

  // The checkpoint orders the syllables by frequency: the first occurs most often.
  const ArHmmState ordered = reindexed(a.ar, a.syllable_order);
  std::map<int, int> runs;
  for (const auto& z : ordered.z) {
    for (std::size_t t = 0; t < z.size(); ++t) {
      if (t == 0 || z[t] != z[t - 1]) ++runs[z[t]];
    }
  }
  for (const auto& [label, count] : runs) EXPECT_GE(runs[0] + 2, count) << "syllable " << label;
  EXPECT_EQ((ordered.ar.Ab[0] - a.ar.ar.Ab[a.syllable_order[0]]).norm(), 0.0);

  // Asking a finished fit for no more sweeps, or resuming after the config changed, is refused.
  test::expect_error<ConfigError>([&] { fit_model(o); }, {"already has 8 sweeps"});
  std::ofstream(halves / "config.yml", std::ios::app) << "# edited\n";
  o.full_iters = 10;
  test::expect_error<ConfigError>([&] { fit_model(o); }, {"config.yml changed since the checkpoint"});
}

TEST(MoseqResults, FilesInKeypointMoseqsLayoutThroughTheCommandLine) {
  test::ScratchDir dir;
  const fs::path project = make_project(dir, "r", 7);
  auto run = test::run_ethovid("moseq results '" + project.string() + "'");
  EXPECT_EQ(run.exit_code, 2) << run.output;
  EXPECT_NE(run.output.find("run `ethovid moseq fit` first"), std::string::npos) << run.output;
  run = test::run_ethovid("moseq fit '" + project.string() + "' --ar-iters 3 --full-iters 2 --kappa 1000 --seed 3");
  ASSERT_EQ(run.exit_code, 0) << run.output;
  run = test::run_ethovid("moseq results '" + project.string() + "'");
  ASSERT_EQ(run.exit_code, 0) << run.output;
  const core::Table table = core::read_parquet(project / kResultsParquet);
  EXPECT_EQ(table.rows(), 800u);  // two recordings of 400 frames
  const auto summary = core::read_json(project / kMoseqSummary);
  EXPECT_EQ(summary["iterations"], 5);
  EXPECT_EQ(summary["kappa"]["full_model"], 10.0);
  EXPECT_EQ(summary["recordings"].size(), 2u);
  EXPECT_EQ(summary["convergence"]["phases"]["ar"]["sweeps"], 3);
  const std::string stats = test::read_file(project / kSyllableStats);
  EXPECT_EQ(stats.rfind("syllable,occurrences,frequency,frames,", 0), 0u);
  EXPECT_EQ(test::run_python(
                "import h5py, csv\n"
                "f = h5py.File('" + (project / kResultsH5).string() + "')\n"
                "assert sorted(f.keys()) == ['r_animal0', 'r_animal1'], list(f.keys())\n"
                "g = f['r_animal0']\n"
                "assert g['syllable'].shape == (400,) and g['latent_state'].shape == (400, 2)\n"
                "assert g['centroid'].shape == (400, 2) and g['heading'].shape == (400,)\n"
                "rows = list(csv.DictReader(open('" + (project / kSyllableStats).string() + "')))\n"
                "occ = {int(r['syllable']): int(r['occurrences']) for r in rows}\n"
                "assert occ[0] == max(occ.values()), occ\n"
                "assert abs(sum(float(r['frequency']) for r in rows) - 1) < 1e-9\n"),
            0);
}

TEST(KappaSearch, ProbesBothPhasesRecordsThemAndResumes) {
  test::ScratchDir dir;
  const fs::path project = make_project(dir, "k", 9);
  KappaSearchOptions o;
  o.project = project;
  o.ar_iters = 3;
  o.full_iters = 2;
  o.max_probes = 3;
  o.target_low_ms = 300;  // 9-12 frames at the default 30 fps
  o.target_high_ms = 400;
  const KappaSearchResult found = search_kappa(o);
  ASSERT_FALSE(found.probes.empty());
  EXPECT_EQ(found.probes.front().phase, "ar");
  EXPECT_EQ(found.probes.front().kappa, 1e6) << "the search starts at the config's kappa";
  EXPECT_EQ(found.probes.back().phase, "full");
  int ar = 0, full = 0;
  for (const auto& p : found.probes) (p.phase == "ar" ? ar : full)++;
  EXPECT_LE(ar, 3);
  EXPECT_LE(full, 3);
  // Each probe after the first moves towards the target from the one before.
  for (std::size_t i = 1; i < found.probes.size(); ++i) {
    const auto& before = found.probes[i - 1];
    const auto& now = found.probes[i];
    if (before.phase != now.phase) continue;
    if (before.median_ms < 300) {
      EXPECT_GT(now.kappa, before.kappa);
    } else if (before.median_ms > 400) {
      EXPECT_LT(now.kappa, before.kappa);
    }
  }
  const auto state = core::read_json(project / kKappaSearchFile);
  EXPECT_EQ(state["probes"].size(), found.probes.size());
  EXPECT_FALSE(fs::exists(project / kCheckpointFile)) << "probes fit in kappa_search/, not in the project";
  // Run again: everything is in the state file, so no probe runs again.
  const auto again = search_kappa(o);
  EXPECT_EQ(again.probes.size(), found.probes.size());
  EXPECT_EQ(again.full_kappa, found.full_kappa);
  // A different target is another search.
  o.target_low_ms = 100;
  o.target_high_ms = 150;
  EXPECT_EQ(search_kappa(o).probes.front().kappa, 1e6);
  test::expect_error<ConfigError>([&] { o.target_high_ms = 50; search_kappa(o); }, {"two increasing positive numbers"});
  const auto run = test::run_ethovid("moseq fit '" + project.string() + "' --kappa 100 --target-duration-ms 300,400");
  EXPECT_EQ(run.exit_code, 2) << run.output;
  EXPECT_NE(run.output.find("excludes"), std::string::npos) << run.output;
}

// A search whose last full-model probe wins, made with the fit's own sweeps, hands that probe's
// checkpoint and log to the project instead of fitting again, and they are exactly the fit the
// found kappas give from scratch (chains, generator and all).
TEST(KappaSearch, TheWinningProbeIsTheFitItself) {
  test::ScratchDir dir;
  FitOptions o;
  o.project = make_project(dir, "searched", 9);
  o.ar_iters = 3;
  o.full_iters = 2;
  o.ar_chains = 3;
  // A target every probe meets: the first probe of each phase wins, and the full one is the last.
  const SearchAndFit out = fit_searching_kappa(o, std::make_pair(1.0, 1e6));
  ASSERT_TRUE(out.search);
  EXPECT_TRUE(out.fit_is_winning_probe);
  EXPECT_EQ(out.fit.iterations, 5);
  EXPECT_EQ(out.fit.chains.size(), 3u);
  EXPECT_FALSE(fs::exists(o.project / "kappa_search" / kCheckpointFile)) << "moved, not copied";
  EXPECT_EQ(log_lines(o.project).size(), 5u);
  EXPECT_TRUE(core::read_json(o.project / kFitSummary)["fit"].contains("ar_chains"));

  FitOptions fresh = o;
  fresh.project = make_project(dir, "fresh", 9);
  fresh.kappa = out.fit.ar_kappa;
  fresh.full_kappa = out.fit.full_kappa;
  fit_model(fresh);
  const FitState a = read_checkpoint(o.project / kCheckpointFile, 0, 0);
  const FitState b = read_checkpoint(fresh.project / kCheckpointFile, 0, 0);
  EXPECT_EQ(a.ar.z, b.ar.z);
  EXPECT_EQ((a.states[0].x - b.states[0].x).cwiseAbs().maxCoeff(), 0.0);
  EXPECT_EQ(a.rng_state, b.rng_state);

  // With probes shorter than the fit, the fit is its own.
  const SearchAndFit shorter = fit_searching_kappa(o, std::make_pair(1.0, 1e6), 1, true);
  EXPECT_FALSE(shorter.fit_is_winning_probe);
  EXPECT_EQ(shorter.fit.iterations, 5);
}

// A kappa that makes syllables far longer (or shorter) than keypoint-moseq's ~400 ms is named
// with the way out, since such a fit merges syllables without any other sign.
TEST(MoseqFit, AMedianFarFromFourHundredMsWarnsToSearchKappa) {
  test::ScratchDir dir;
  const fs::path project = make_project(dir, "sticky", 9);
  auto run = test::run_ethovid("moseq fit '" + project.string() + "' --ar-iters 3 --full-iters 2 --ar-chains 2 --kappa 1e12");
  ASSERT_EQ(run.exit_code, 0) << run.output;
  EXPECT_NE(run.output.find("warning: the median syllable lasts"), std::string::npos) << run.output;
  EXPECT_NE(run.output.find("--target-duration-ms 300,400"), std::string::npos) << run.output;
}

// Whole lines in the log so far (a line being written does not count).
std::size_t complete_lines(const fs::path& log) {
  const std::string text = test::read_file(log);
  return static_cast<std::size_t>(std::count(text.begin(), text.end(), '\n'));
}

// kill -9 between two checkpoints leaves sweeps in the log that the checkpoint does not hold;
// --resume must run them again without logging them twice, and end where an uninterrupted fit
// ends.
TEST(MoseqFit, ResumedAfterAKillLogsEverySweepOnceAndEndsLikeAnUninterruptedFit) {
  test::ScratchDir dir;
  const fs::path whole = make_project(dir, "whole", 4), killed = make_project(dir, "killed", 4);
  FitOptions o;
  o.ar_iters = 3;
  o.full_iters = 300;
  o.checkpoint_every = 5;
  o.kappa = 1e3;
  o.seed = 5;
  o.project = whole;
  fit_model(o);

  const std::string command = std::string(ETHOVID_BINARY) + " moseq fit '" + killed.string() +
                              "' --ar-iters 3 --full-iters 300 --checkpoint-every 5 --kappa 1000 --seed 5 >/dev/null 2>&1";
  const pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    setpgid(0, 0);
    execl("/bin/sh", "sh", "-c", ("exec " + command).c_str(), static_cast<char*>(nullptr));
    _exit(127);
  }
  // Past the first checkpoints, and between two of them.
  std::size_t at_kill = 0;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(120);
  while (std::chrono::steady_clock::now() < deadline) {
    at_kill = complete_lines(killed / kFitLog);
    if (at_kill > 10 && at_kill % 5 != 0) break;
    std::this_thread::sleep_for(std::chrono::microseconds(200));
  }
  kill(child, SIGKILL);
  int status = 0;
  waitpid(child, &status, 0);
  ASSERT_TRUE(WIFSIGNALED(status)) << "the fit ended before it could be killed (" << at_kill << " sweeps logged)";
  const FitState saved = read_checkpoint(killed / kCheckpointFile, 0, 0);
  ASSERT_GT(complete_lines(killed / kFitLog), static_cast<std::size_t>(saved.iteration))
      << "the kill should leave sweeps past the checkpoint in the log";

  o.project = killed;
  o.resume = true;
  fit_model(o);
  const auto lines = log_lines(killed);
  ASSERT_EQ(lines.size(), 303u) << "every sweep once";
  for (std::size_t i = 0; i < lines.size(); ++i) EXPECT_EQ(lines[i]["iteration"], static_cast<int>(i) + 1);
  const FitState a = read_checkpoint(whole / kCheckpointFile, 0, 0), b = read_checkpoint(killed / kCheckpointFile, 0, 0);
  EXPECT_EQ(a.ar.z, b.ar.z) << "the resumed fit ends where the uninterrupted one does";
  EXPECT_EQ(a.rng_state, b.rng_state);
}

TEST(MoseqFit, ANanStopsTheFitNamingTheStepAndKeepsTheLastCheckpoint) {
  test::ScratchDir dir;
  const fs::path project = make_project(dir, "p", 6);
  FitOptions o;
  o.project = project;
  o.ar_iters = 1;
  o.full_iters = 1;
  fit_model(o);
  // A checkpoint whose centroid path holds a NaN: the next full sweep must stop on it.
  FitState broken = read_checkpoint(project / kCheckpointFile, 0, 0);
  broken.states[0].v(10, 0) = NAN;
  write_checkpoint(project / kCheckpointFile, broken);
  const std::string saved = test::read_file(project / kCheckpointFile);
  o.full_iters = 3;
  o.resume = true;
  test::expect_error<ComputationError>([&] { fit_model(o); },
                                       {"non-finite values after sampling the latent pose x", "in sweep 3 (full model)",
                                        "the last good checkpoint is", "(sweep 2)"});
  EXPECT_EQ(test::read_file(project / kCheckpointFile), saved) << "the checkpoint on disk was not touched";
}

}  // namespace
}  // namespace ethovid::moseq
